"""`monitor alerts`: placeholder until the alerts issue lands."""

import typer

from monitor.cli.common import not_available


def register(app: typer.Typer) -> None:
    """Add `alerts` and `alerts retry`."""
    alerts_app = typer.Typer(help="The alert outbox, and replaying it.")

    @alerts_app.callback(invoke_without_command=True)
    def alerts(ctx: typer.Context) -> None:
        """List pending, failed and dead alerts."""
        if ctx.invoked_subcommand is None:
            not_available("alerts", 5)

    @alerts_app.command("retry")
    def retry() -> None:
        """Replay one alert by id, or --all."""
        not_available("alerts retry", 5)

    app.add_typer(alerts_app, name="alerts")
