"""`monitor vocab`: placeholder until the vocabulary issue lands."""

import typer

from monitor.cli.common import not_available


def register(app: typer.Typer) -> None:
    """Add `vocab`."""
    vocab_app = typer.Typer(help="List and validate the vocabulary; suggest new entries.")

    @vocab_app.callback(invoke_without_command=True)
    def vocab(ctx: typer.Context) -> None:
        """List and validate the vocabulary."""
        if ctx.invoked_subcommand is None:
            not_available("vocab", 3)

    @vocab_app.command("suggest")
    def suggest() -> None:
        """Propose new vocabulary entries from files or URLs as TOML stubs."""
        not_available("vocab suggest", 3)

    app.add_typer(vocab_app, name="vocab")
