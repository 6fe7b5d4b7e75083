"""The `monitor` command line: a thin shell; each module registers its commands."""

import importlib
import logging

import typer

try:  # typer 0.2x carries its own copy of click; earlier releases use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - an older typer
    from click import exceptions as click_errors  # type: ignore[no-redef]

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
    """Console-script entry point.

    Click's own mistakes (an unknown option or command, a missing argument, a bad value) are
    printed as one line with the command's help to read, like every other error of the CLI,
    instead of typer's framed box.
    """
    from monitor.cli.common import say_error

    try:
        code = app(standalone_mode=False)
    except click_errors.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx is not None else "monitor"
        say_error(exc.format_message(), f"see '{path} --help'")
        code = exc.exit_code
    except click_errors.ClickException as exc:
        say_error(exc.format_message())
        code = exc.exit_code
    except typer.Abort:
        say_error("aborted")
        code = 1
    raise SystemExit(code if isinstance(code, int) else 0)
