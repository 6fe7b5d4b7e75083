"""`monitor db ...`: schema migrations."""

import typer

from monitor.cli.common import fail, settings_or_fail, stderr_console
from monitor.errors import MonitorError


def register(app: typer.Typer) -> None:
    """Add the `db` command group."""
    db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)

    @db_app.command("upgrade")
    def upgrade() -> None:
        """Apply pending migrations to MONITOR_DATABASE_URL (monitor run does this on start)."""
        from monitor.app import open_store

        settings = settings_or_fail()
        try:
            with open_store(settings, schema="upgrade") as store:
                stderr_console().print(f"database at revision {store.revision()[0]}")
        except MonitorError as exc:
            fail(str(exc), "check MONITOR_DATABASE_URL and that the server answers")
        except Exception as exc:
            fail(
                f"migration failed: {exc.__class__.__name__}: {exc}",
                "check MONITOR_DATABASE_URL and that the server answers",
            )

    app.add_typer(db_app, name="db")
