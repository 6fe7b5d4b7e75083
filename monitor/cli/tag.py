"""`monitor tag`: placeholder until the vocabulary issue lands."""

import typer

from monitor.cli.common import not_available


def register(app: typer.Typer) -> None:
    """Add `tag`."""

    @app.command("tag")
    def tag() -> None:
        """Tag plain-text or HTML files, URLs or stdin without storing anything."""
        not_available("tag", 3)
