"""`monitor run [--once]` (the daemon) and `monitor feeds` (each feed's health)."""

import asyncio
import logging
from enum import StrEnum
from typing import Annotated, Any

import typer

from monitor.cli.common import (
    FORMAT_HELP,
    config_or_fail,
    fail,
    print_jsonl,
    print_table,
    settings_or_fail,
    stderr_console,
)
from monitor.errors import ConfigError, MonitorError
from monitor.types import FeedHealth

log = logging.getLogger(__name__)


class FeedsFormat(StrEnum):
    """Output formats of `monitor feeds`."""

    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add `run` and `feeds`."""

    @app.command("run")
    def run(
        once: Annotated[bool, typer.Option(
            "--once", help="Poll every enabled feed once regardless of schedule, deliver due "
            "alerts, and exit 0.")] = False,
    ) -> None:
        """Run the daemon: poll due feeds, extract, tag, store and alert until SIGTERM/SIGINT."""
        from monitor.app import open_store, prepare  # keep `--help` fast

        settings = settings_or_fail()
        config = config_or_fail(settings)
        try:
            prepared = prepare(settings, config)
        except ConfigError as exc:
            fail(str(exc), "fix the place named above, then run again")
        try:
            store = open_store(settings)
        except MonitorError as exc:
            fail(str(exc), "check MONITOR_DATABASE_URL and that the database answers")
        try:
            asyncio.run(_run(prepared, store, once))
        except MonitorError as exc:
            fail(str(exc))
        finally:
            store.db.dispose()

    @app.command("feeds")
    def feeds(
        fmt: Annotated[FeedsFormat, typer.Option("--format", help=FORMAT_HELP)] = (
            FeedsFormat.table),
    ) -> None:
        """Show each feed's health: last status and error, errors in a row, next poll."""
        from monitor.app import open_store

        settings = settings_or_fail()
        try:
            store = open_store(settings)
            health = store.feed_health()
            store.db.dispose()
        except MonitorError as exc:
            fail(str(exc), "check MONITOR_DATABASE_URL and that the database answers")
        if fmt is FeedsFormat.json:
            print_jsonl(_feed_json(h) for h in health)
            return
        if not health:
            stderr_console().print("no feeds yet: run `monitor run --once` first")
        print_table("Feeds", ["name", "enabled", "status", "errors", "last success",
                              "next poll", "last error", "url"],
                    ([h.name, "yes" if h.enabled else "no", h.last_status,
                      h.consecutive_errors, h.last_success, h.next_poll, h.last_error, h.url]
                     for h in health))


async def _run(prepared: Any, store: Any, once: bool) -> None:
    from monitor.app import running
    from monitor.daemon import Daemon

    async with running(prepared, store) as runtime:
        daemon = Daemon(runtime)
        if once:
            report = await daemon.run_once()
            stderr_console().print(
                f"polled {_many(report.feeds, 'feed')} ({report.failed} failed), stored "
                f"{_many(report.stored, 'article')}, {_many(report.matches, 'match')}, "
                f"{_many(report.alerts_attempted, 'alert attempt')} in {report.seconds:.1f}s")
        else:
            await daemon.run()


def _many(count: int, noun: str) -> str:
    """`1 match`, `2 matches`, `0 feeds`."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith(('s', 'x', 'ch', 'sh')) else 's'}"


def _feed_json(h: FeedHealth) -> dict[str, Any]:
    return {"name": h.name, "url": h.url, "enabled": h.enabled, "last_status": h.last_status,
            "last_error": h.last_error, "consecutive_errors": h.consecutive_errors,
            "last_success": h.last_success, "next_poll": h.next_poll}
