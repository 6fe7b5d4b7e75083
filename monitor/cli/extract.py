"""`monitor extract`: placeholder until the ingestion issue lands."""

import typer

from monitor.cli.common import not_available


def register(app: typer.Typer) -> None:
    """Add `extract`."""

    @app.command("extract")
    def extract() -> None:
        """Print the extracted article of HTML files, URLs or stdin."""
        not_available("extract", 4)
