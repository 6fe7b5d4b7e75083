"""`monitor feeds` (each feed's health) and `feeds add|remove|import|export` (edit feeds.toml)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.common import (
    FORMAT_HELP,
    database_error,
    fail,
    print_jsonl,
    settings_or_fail,
    stderr_console,
    stdout_console,
)
from monitor.errors import MonitorError
from monitor.types import FeedHealth
from monitor.views import feed_json

WIDE = 120  # from this many columns on, the table shows every field


class FeedsFormat(StrEnum):
    """Output formats of `monitor feeds`."""

    table = "table"
    json = "json"


def _when(value: datetime | None, wide: bool) -> str:
    if value is None:
        return "-"
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S" if wide else "%m-%d %H:%M")


def _status(health: FeedHealth) -> str:
    if not health.enabled:
        return "off"
    return "-" if health.last_status is None else str(health.last_status)


def health_table(health: Sequence[FeedHealth], width: int) -> Table:
    """The feeds table for a terminal `width` columns wide: every field from WIDE columns
    on; below, the URL and last success are dropped and the last error is cut to one line,
    so that each feed stays one or two lines on 80 columns."""
    wide = width >= WIDE
    table = Table(title="Feeds", header_style="bold", expand=False)
    table.add_column("name", overflow="fold", max_width=None if wide else 24)
    table.add_column("status", no_wrap=True)
    table.add_column("errors", justify="right", no_wrap=True)
    if wide:
        table.add_column("last success", no_wrap=True)
    table.add_column("next poll (UTC)", no_wrap=True)
    table.add_column("because", overflow="fold")
    table.add_column("last error", overflow="ellipsis" if not wide else "fold",
                     no_wrap=not wide)
    if wide:
        table.add_column("url", overflow="fold")
    for h in health:
        cells = [h.name, _status(h), str(h.consecutive_errors)]
        if wide:
            cells.append(_when(h.last_success, wide))
        cells += [_when(h.next_poll, wide), h.next_poll_reason or "", h.last_error or ""]
        if wide:
            cells.append(h.url)
        table.add_row(*cells)
    return table


def _health() -> list[FeedHealth]:
    from monitor.app import open_store

    settings = settings_or_fail()
    try:
        store = open_store(settings)
    except MonitorError as exc:
        fail(str(exc), "check MONITOR_DATABASE_URL and that the database answers")
    except Exception as exc:  # a driver error (server down or starting) before the store wraps it
        fail(database_error(exc), "check MONITOR_DATABASE_URL and that the database answers")
    try:
        return store.feed_health()
    except MonitorError as exc:
        fail(str(exc), "check MONITOR_DATABASE_URL and that the database answers")
    finally:
        store.db.dispose()


def register(app: typer.Typer) -> None:
    """Add the `feeds` group: health by default, and commands that edit the config file."""
    feeds_app = typer.Typer(
        help="Each feed's health; `feeds add|remove|import|export` edit the config file.",
        invoke_without_command=True)

    @feeds_app.callback()
    def feeds(
        ctx: typer.Context,
        fmt: Annotated[FeedsFormat, typer.Option("--format", help=FORMAT_HELP)] = (
            FeedsFormat.table),
    ) -> None:
        """Show each feed's health: last status and error, errors in a row, next poll."""
        if ctx.invoked_subcommand is not None:
            return
        health = _health()
        if fmt is FeedsFormat.json:
            print_jsonl(feed_json(h) for h in health)
            return
        if not health:
            stderr_console().print("no feeds yet: run `monitor run --once` first")
        console = stdout_console()
        console.print(health_table(health, console.width))

    _register_edits(feeds_app)
    app.add_typer(feeds_app, name="feeds")


def _register_edits(feeds_app: typer.Typer) -> None:
    """`feeds add`, `remove`, `import`, `export`."""
