"""`monitor check`: every start-up check of `monitor run`, without running anything."""

from typing import TYPE_CHECKING

import typer

from monitor.cli.common import (
    DB_HINT,
    fail,
    prepared_or_fail,
    stdout_console,
    store_or_fail,
)
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.config import Settings


def _database(settings: "Settings") -> str:
    """What the database says (its revision), or a one-line error. A SQLite file that does
    not exist yet is fine (`monitor run` creates it) and is not created here."""
    from pathlib import Path

    from monitor.store.db import check_url

    url = settings.database_url
    try:
        parsed = check_url(url)
    except MonitorError as exc:
        fail(str(exc), DB_HINT)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).expanduser().exists():
        return f"SQLite file {file} will be created by `monitor run`"
    with store_or_fail(settings, schema="any") as store:
        try:
            current, head = store.revision()
        except MonitorError as exc:  # the server is down or starting, wrong credentials
            fail(str(exc), DB_HINT)
        shown = store.display_url
    state = (
        "up to date"
        if current == head
        else f"at {current or 'no revision'}, "
        f"`monitor run` or `monitor db upgrade` migrates it to {head}"
    )
    return f"database {shown} answers ({state})"


def register(app: typer.Typer) -> None:
    """Add `check`."""

    @app.command("check")
    def check() -> None:
        """Check the environment, the config file, the vocabulary, the watch queries and the
        database as `monitor run` does at start; exit 0 when all is well, else one line
        saying what to fix."""
        prepared = prepared_or_fail()
        settings, config = prepared.settings, prepared.config
        database = _database(settings)
        stdout_console().print(
            f"ok: {config.path}: {len(config.feeds)} feed(s), {len(prepared.watches)} "
            f"watch(es), {len(config.channels)} channel(s); vocabulary and watch queries check "
            f"out; {database}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
