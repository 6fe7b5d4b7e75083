"""`monitor run` and `monitor feeds`: placeholders until the ingestion issue lands."""

import typer

from monitor.cli.common import not_available


def register(app: typer.Typer) -> None:
    """Add `run` and `feeds`."""

    @app.command("run")
    def run() -> None:
        """Run the daemon: poll due feeds, extract, tag, store and alert until stopped."""
        not_available("run", 4)

    @app.command("feeds")
    def feeds() -> None:
        """Show each feed's health."""
        not_available("feeds", 4)
