"""Output and error helpers shared by the CLI commands: JSON Lines, CSV, rich tables."""

import contextlib
import csv
import json
import logging
import signal
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.config import Config, Settings, load_config, load_settings
from monitor.errors import MonitorError
from monitor.timefmt import iso_z

if TYPE_CHECKING:
    from rich.progress import Progress

    from monitor.app import Prepared
    from monitor.store import Schema, Store

FORMAT_HELP = "Output format: table for people, json (JSON Lines) or csv for pipes."


def stdout_console() -> Console:
    """A console on stdout (built per call so tests capturing stdout see it)."""
    return Console(file=sys.stdout, soft_wrap=False)


def stderr_console() -> Console:
    """A console on stderr for errors and progress."""
    return Console(file=sys.stderr, soft_wrap=True)


def progress_bar(label: str, console: Console) -> "Progress":
    """A bar for long work on `console` (stderr): its label, the bar, done/total and the
    time left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(obj: Any) -> str:
    """One compact JSON document; datetimes as ISO 8601 with Z."""
    return json.dumps(obj, ensure_ascii=False, default=_default, separators=(",", ":"))


def print_jsonl(rows: Iterable[Mapping[str, Any]]) -> None:
    """Print one JSON object per line."""
    for row in rows:
        sys.stdout.write(to_json(row) + "\n")
    sys.stdout.flush()


def print_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Print rows as CSV with a header; lists are joined with ';'."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, datetime | date):
        return str(_default(value))
    return str(value)


def _human_cell(value: Any) -> str:
    # People read times to the second in UTC; JSON and CSV keep the full ISO form.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return _cell(value)


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a rich table for people."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(_human_cell(v) for v in row))
    stdout_console().print(table)


def fail(message: str, hint: str | None = None, code: int = 1) -> NoReturn:
    """Print an error and what to do next as one line on stderr and exit with `code`.

    The message is printed as text, never as rich markup: `[channel.x]` or `[feed[0].url]`
    in it must reach the user as written.
    """
    say_error(message, hint)
    raise typer.Exit(code)


def say_error(message: str, hint: str | None = None) -> None:
    """Print `fail`'s one line (error and hint) on stderr, without exiting."""
    line = Text.assemble(("error:", "bold red"), " ", _one_line(message))
    if hint:
        line.append(" (hint: ", style="dim")
        line.append(_one_line(hint))
        line.append(")", style="dim")
    stderr_console().print(line, highlight=False, soft_wrap=True)


def _one_line(text: str) -> str:
    """Line breaks and other control characters (from a value quoted in the message) as
    spaces or escapes, so an error stays one line."""
    return "".join(
        c if c.isprintable() else (" " if c in "\n\r\t" else repr(c)[1:-1]) for c in text
    )


DB_HINT = "check MONITOR_DATABASE_URL and that the database answers"


def fix_hint(what: object = "the place", then: str = "run again") -> str:
    """The one wording of the hint after an error that names where it is: "fix WHAT named
    above, then THEN" (WHAT: "feeds.toml at the place", "the setting", ...)."""
    return f"fix {what} named above, then {then}"


def settings_or_fail() -> Settings:
    """Settings from the environment, or a clear error and exit 1."""
    try:
        return load_settings()
    except MonitorError as exc:
        fail(str(exc), fix_hint("the environment variable"))


def config_or_fail(settings: Settings) -> Config:
    """feeds.toml validated, or a clear error naming file, line and key, and exit 1."""
    try:
        return load_config(settings.config)
    except MonitorError as exc:
        fail(str(exc), fix_hint(f"{settings.config} at the place"))


def prepared_or_fail() -> "Prepared":
    """Settings, feeds.toml, its vocabulary and watch queries checked as `monitor run` does at
    start (`monitor.app.prepare`), or a clear error naming the place, and exit 1."""
    from monitor.app import prepare
    from monitor.errors import ConfigError

    settings = settings_or_fail()
    config = config_or_fail(settings)
    try:
        return prepare(settings, config)
    except ConfigError as exc:
        fail(str(exc), fix_hint(f"{config.path} at the place"))


def store_or_fail(
    settings: Settings, *, schema: "Schema" = "current", wait: bool = False
) -> "Store":
    """The Store on MONITOR_DATABASE_URL (`monitor.app.open_store`: one way to open it, one
    migration rule), or one line saying why not, and exit 1: a database that is not at the
    newest migration names `monitor db upgrade`. With `wait` (`monitor serve`), a server that
    does not answer yet is waited for (DatabaseWait). Use it as a context manager."""
    from monitor.errors import NotMigratedError

    waiting = DatabaseWait(settings.database_wait) if wait else None
    while True:
        try:
            return open_or_raise(settings, schema=schema)
        except NotMigratedError as exc:
            fail(str(exc), "run `monitor db upgrade` (or start `monitor run`, which migrates)")
        except MonitorError as exc:
            if waiting is None:
                fail(str(exc), DB_HINT)
            if not waiting.again(exc):
                fail(str(exc), waiting.hint())


def open_or_raise(settings: Settings, *, schema: "Schema" = "current") -> "Store":
    """`monitor.app.open_store`, with a driver or migration error the store did not wrap
    raised as a StoreError of one line (its cause kept)."""
    from monitor.app import open_store
    from monitor.errors import StoreError

    try:
        return open_store(settings, schema=schema)
    except MonitorError:
        raise
    except Exception as exc:
        raise StoreError(database_error(exc)) from exc


class DatabaseWait:
    """MONITOR_DATABASE_WAIT: while the database does not answer yet at start, say so and try
    again with growing pauses (1 s doubling to 10 s), until `limit` seconds have gone. A
    SIGTERM or SIGINT while waiting stops the command (exit 0 and 130, like the daemon's).
    `monitor run` and `monitor serve` wait; the other commands answer at once."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.deadline: float | None = None
        self.pause = 1.0

    def again(self, exc: BaseException) -> bool:
        from monitor.store.db import unreachable

        if not unreachable(exc):
            return False
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.limit
        pause = min(self.pause, self.deadline - now)
        if pause <= 0:
            return False
        reason = str(exc)
        for said in ("cannot open the database: ", "database error: "):
            reason = reason.removeprefix(said)
        stderr_console().print(
            f"monitor: the database does not answer yet ({reason}); trying again in "
            f"{pause:.0f}s (MONITOR_DATABASE_WAIT={self.limit:g})",
            highlight=False,
            soft_wrap=True,
        )
        _pause(pause)
        self.pause = min(self.pause * 2, 10.0)
        return True

    def hint(self) -> str:
        """DB_HINT, and how long it waited when it did."""
        if self.deadline is None:
            return DB_HINT
        return f"{DB_HINT}; waited {self.limit:g}s for it (MONITOR_DATABASE_WAIT)"


def _pause(seconds: float) -> None:
    """Sleep, or end the process as the daemon would on SIGTERM (0) or SIGINT (130)."""

    def stop(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        stderr_console().print(
            f"monitor: stopping ({name}) while waiting for the database", highlight=False
        )
        raise typer.Exit(0 if signum == signal.SIGTERM else 130)

    saved = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        time.sleep(seconds)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def database_error(exc: Exception) -> str:
    """One line for a driver error met while opening the database (the store's wording)."""
    from monitor.store.db import cannot_open

    return cannot_open(exc)


# Loggers whose warnings repeat, before it, the one line a command prints for a failed source
# (the SSRF guard's fetch.blocked, trafilatura's "discarding data").
_SOURCE_LOGGERS = ("trafilatura", "monitor.fetch", "monitor.extract")


@contextlib.contextmanager
def sources_report_their_errors() -> Iterator[None]:
    """Within it (`tag`, `extract`, `vocab suggest` reading their sources), the fetch and
    extraction loggers keep quiet below ERROR, unless -v asked for INFO: each failed source
    gets the command's own one-line error, and nothing before it. Levels are restored."""
    if logging.getLogger().isEnabledFor(logging.INFO):
        yield
        return
    loggers = [logging.getLogger(name) for name in _SOURCE_LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, saved, strict=True):
            logger.setLevel(level)
