"""`monitor run [--once]`: the daemon."""

import asyncio
import logging
from typing import Annotated, Any

import typer

from monitor.cli.common import (
    DatabaseWait,
    fail,
    open_or_raise,
    prepared_or_fail,
    stderr_console,
)
from monitor.errors import MonitorError, StoreError

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add `run` (`feeds` lives in monitor.cli.feeds)."""

    @app.command("run")
    def run(
        once: Annotated[
            bool,
            typer.Option(
                "--once",
                help="Poll every enabled feed once regardless of schedule, deliver due "
                "alerts, and exit 0.",
            ),
        ] = False,
        force: Annotated[
            bool,
            typer.Option(
                "--force",
                help="With --once, also poll feeds whose server asked for a pause "
                "(Retry-After) or that are backing off from errors.",
            ),
        ] = False,
    ) -> None:
        """Run the daemon: poll due feeds, extract, tag, store and alert until SIGTERM/SIGINT."""
        if force and not once:
            fail("--force goes with --once", "run `monitor run --once --force`")
        prepared = prepared_or_fail()
        waiting = DatabaseWait(prepared.settings.database_wait)
        while True:
            started = _Started()
            try:
                # `run` migrates on start (README: Database and migrations)
                with open_or_raise(prepared.settings, schema="upgrade") as store:
                    asyncio.run(_run(prepared, store, once, force, started))
                return
            except KeyboardInterrupt:  # Ctrl-C during --once (the daemon handles SIGINT)
                stderr_console().print(
                    "monitor: interrupted; the feeds it was polling are due again", highlight=False
                )
                raise typer.Exit(130) from None
            except MonitorError as exc:
                # a database still starting or restarting when we start: wait for it
                if not started.done and waiting.again(exc):
                    continue
                start_up = isinstance(exc, StoreError) and not started.done
                fail(str(exc), waiting.hint() if start_up else None)


class _Started:
    """Set once the run is up (its start line printed): errors after it are not start-up's."""

    done = False


async def _run(prepared: Any, store: Any, once: bool, force: bool, started: _Started) -> None:
    from monitor.app import running
    from monitor.daemon import Daemon

    def say(line: str) -> None:
        stderr_console().print(line, highlight=False, soft_wrap=True)

    async with running(prepared, store) as runtime:
        daemon = Daemon(runtime, say=say)
        if once:
            started.done = True
            report = await daemon.run_once(force=force)
            held = "" if force else _held_back(store)
            say(
                f"polled {_many(report.feeds, 'feed')} ({report.failed} failed), stored "
                f"{_many(report.stored, 'article')}, {_many(report.matches, 'match')}, "
                f"{_many(report.alerts_attempted, 'alert attempt')} in {report.seconds:.1f}s"
                f"{held}"
            )
        else:
            say(daemon.start_line())
            started.done = True
            await daemon.run()


def _held_back(store: Any) -> str:
    """`; 1 feed waiting (Retry-After or backoff): ...` for the --once summary."""
    from monitor.clock import utcnow

    names: list[str] = store.held_back_feeds(utcnow())
    if not names:
        return ""
    return (
        f"; {_many(len(names), 'feed')} waiting for Retry-After or backoff "
        f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}; --force polls them)"
    )


def _many(count: int, noun: str) -> str:
    """`1 match`, `2 matches`, `0 feeds`."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith(('s', 'x', 'ch', 'sh')) else 's'}"
