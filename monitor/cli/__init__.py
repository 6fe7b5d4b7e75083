"""The `monitor` command line: a thin shell; each module registers its commands."""

import importlib
import logging

import typer

from monitor import __version__

app = typer.Typer(
    name="monitor",
    help="Monitor news feeds for actors and issues of China-US and China-UK relations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_MODULES = (
    "tag",
    "vocab",
    "extract",
    "run",
    "query",
    "alerts",
    "db",
    "retag",
    "stories",
    "watches",
    "reload",
    "prune",
    "feeds",
    "check",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"monitor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at INFO to stderr."),
) -> None:
    """Monitor news feeds for actors and issues; alert on watches."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # Their INFO lines (each migration step, each job run) drown ours under -v.
    for name in ("alembic", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)


for _name in _MODULES:
    importlib.import_module(f"monitor.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    app()
