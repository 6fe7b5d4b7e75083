"""`monitor matches`, `show`, `serve`: placeholders until the query issue lands."""

import typer

from monitor.cli.common import not_available


def register(app: typer.Typer) -> None:
    """Add `matches`, `show` and `serve`."""

    @app.command("matches")
    def matches() -> None:
        """Query stored matches."""
        not_available("matches", 6)

    @app.command("show")
    def show() -> None:
        """Show one stored article with its tags and evidence."""
        not_available("show", 6)

    @app.command("serve")
    def serve() -> None:
        """Serve the read-only HTTP API."""
        not_available("serve", 6)
