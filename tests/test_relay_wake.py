"""Alert as soon as stored: the relay is woken by the write of outbox rows, not the tick."""

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from alerts_support import seed
from conftest import _truncate_all
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, STORY, Entry, page, rss, settings, write_config

from monitor.app import Tuning, prepare, running
from monitor.clock import utcnow
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.pipeline import PipelineOptions
from monitor.store import Database, Store

# One tick a minute: whatever is delivered within seconds was not delivered by a tick.
TUNING = Tuning(
    extract_workers=1,
    fetch_deadline=2.0,
    tick=timedelta(seconds=60),
    drain_timeout=10.0,
    pipeline=PipelineOptions(page_timeout=10.0),
)
HOOK = (
    '[[watch]]\nname = "desk"\nnotify = ["hook"]\n\n[channel.hook]\ntype = "webhook"\n'
    'url = "{url}"\n'
)


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1 that also receives the webhook."""
    with HTTPTestServer("127.0.0.1") as server:
        server.route("/hook", status=204)
        yield server


async def wait_for(check: Callable[[], object], limit: float) -> bool:
    """Poll `check()` until true or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_an_alert_is_delivered_as_soon_as_its_match_is_stored(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """The poll that stores a match wakes the relay: the webhook is called within seconds
    (well under a second on an idle machine) of the article being stored, with the next
    tick a minute away."""
    site.route(
        "/news.xml",
        headers=RSS,
        body=rss("News", [Entry("n-1", site.url("/taiwan"), "Minister warns")]),
    )
    site.route("/taiwan", headers=HTML, body=page("Minister warns", STORY))
    path = write_config(
        tmp_path / "feeds.toml",
        [("news", site.url("/news.xml"))],
        watches=HOOK.format(url=site.url("/hook")),
    )
    prepared = prepare(settings(path, store.db.url), load_config(path))
    stop = asyncio.Event()
    async with running(prepared, store, TUNING) as rt:
        daemon = Daemon(rt)
        task = asyncio.create_task(daemon.run(stop))
        delivered = await wait_for(lambda: site.hits("/hook"), 20)
        stop.set()
        await asyncio.wait_for(task, 15)
    assert delivered
    assert daemon.ticks == 1
    [stats] = store.delivery_stats(utcnow())
    assert stats.delivered == 1
    assert stats.latency_max is not None
    assert stats.latency_max < 5.0  # a loaded machine; the tick would take 60 s


async def test_rows_written_by_another_process_wake_the_relay_on_postgresql(
    tmp_path: Path, pg_database: str, site: HTTPTestServer
) -> None:
    """On PostgreSQL a transaction that inserts outbox rows notifies every daemon: rows
    written through another connection are delivered within seconds, not at the tick
    (five minutes away)."""
    other = Database(pg_database)
    _truncate_all(other)
    store = Store(Database(pg_database))
    path = write_config(tmp_path / "feeds.toml", [], watches=HOOK.format(url=site.url("/hook")))
    prepared = prepare(settings(path, pg_database), load_config(path))
    stop = asyncio.Event()
    try:
        async with running(prepared, store, replace(TUNING, tick=timedelta(minutes=5))) as rt:
            daemon = Daemon(rt)
            task = asyncio.create_task(daemon.run(stop))
            await wait_for(lambda: daemon.ticks >= 1, 10)
            await asyncio.sleep(1.0)  # the first tick's relay step is over; LISTEN is on
            written = time.monotonic()
            await asyncio.to_thread(seed, other, ["hook"], now=utcnow())
            delivered = await wait_for(lambda: site.hits("/hook"), 10)
            took = time.monotonic() - written
            stop.set()
            await asyncio.wait_for(task, 15)
    finally:
        other.dispose()
        store.db.dispose()
    assert delivered
    assert took < 5.0
    assert daemon.ticks == 1
