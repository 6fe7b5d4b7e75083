"""The Store's life: `Store.open` with its one migration rule, `ping`, `close` and the context
manager, and `submit`, the one way to write from the event loop (the SQLite writer thread)."""

import asyncio
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alerts_support import T0, seed

from monitor.alerts.base import Channel
from monitor.alerts.relay import Relay
from monitor.config import Settings
from monitor.errors import NotMigratedError, StoreError
from monitor.store import Store
from monitor.store.db import normalise_url
from monitor.store.migrate import head_revision
from monitor.types import Alert

DOWN = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens on port 1


def writer_threads() -> list[threading.Thread]:
    """The live writer threads of every store in this process."""
    return [t for t in threading.enumerate() if t.name == "monitor-writer"]


def test_open_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    """A fresh SQLite file: `Store.open` (what every read command uses) refuses it with
    NotMigratedError naming the revisions, and leaves it unmigrated."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with pytest.raises(NotMigratedError) as refused:
        Store.open(url)
    assert refused.value.current is None
    assert str(refused.value) == f"the database is at revision none, not {refused.value.head}"
    with Store.open(url, schema="any") as store:
        assert store.revision() == (None, refused.value.head)


def test_open_with_upgrade_migrates_once(tmp_path: Path) -> None:
    """schema="upgrade" (`monitor run`, `monitor db upgrade`) brings a fresh file to the
    newest revision; afterwards the plain `Store.open` takes it, and upgrading again is a
    no-op."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with Store.open(url, schema="upgrade") as store:
        current, head = store.revision()
        assert current == head == head_revision(store.db)
    with Store.open(url, schema="upgrade") as store, Store.open(url) as reader:
        assert reader.revision() == store.revision() == (head, head)
        assert reader.feed_health() == []


def test_open_takes_settings_with_their_story_rules(db_url: str) -> None:
    """`Store.open(settings)` opens MONITOR_DATABASE_URL with the MONITOR_STORY_* rules."""
    settings = Settings(database_url=db_url, story_min_words=7, story_jaccard=0.6)
    with Store.open(settings) as store:
        assert store.db.url == normalise_url(db_url)
        assert (store.story_rules.min_words, store.story_rules.jaccard) == (7, 0.6)


def test_ping_says_whether_the_database_answers(db_url: str) -> None:
    """ping() is True on a database that answers and False (no exception) on a server that
    is down; opening that server for reading is one StoreError line."""
    with Store.open(db_url) as store:
        assert store.ping() is True
    with Store.open(DOWN, schema="any") as down:
        assert down.ping() is False
    with pytest.raises(StoreError, match=r"^cannot open the database: OperationalError: "):
        Store.open(DOWN)


async def test_submit_runs_sqlite_writes_on_one_thread_in_turns(db_url: str) -> None:
    """On SQLite every submitted write runs on the store's one writer thread (started on
    the first write, stopped by close); on PostgreSQL they run on the executor's threads.
    Either way the result (or the exception) comes back to the caller."""
    before = len(writer_threads())
    store = Store.open(db_url)
    assert len(writer_threads()) == before  # nothing started for a store that only reads
    try:
        names = await asyncio.gather(
            *(
                store.submit(f"feed-{i % 3}", lambda: threading.current_thread().name)
                for i in range(12)
            )
        )
        sqlite = store.db.dialect == "sqlite"
        assert (set(names) == {"monitor-writer"}) is sqlite
        assert ("monitor-writer" in names) is sqlite
        assert len(writer_threads()) == before + sqlite
        with pytest.raises(ZeroDivisionError):
            await store.submit("", lambda: 1 // 0)
        assert await store.submit("", store.record_outcome, "hook", T0, None) is None
        assert store.channel_states()["hook"].last_success_at == T0
    finally:
        store.close()
    assert len(writer_threads()) == before


async def test_a_closed_store_refuses_writes(db_url: str) -> None:
    """The context manager closes the store: a write submitted afterwards is a StoreError,
    not a write on a thread nobody stops; closing twice is harmless."""
    with Store.open(db_url) as store:
        assert await store.submit("", lambda: 42) == 42
    with pytest.raises(StoreError, match="closed"):
        await store.submit("", lambda: 1)
    store.close()


def test_close_runs_the_queued_writes_first(tmp_path: Path) -> None:
    """SQLite: writes queued when close() is called run before it returns (a stopping
    daemon loses none of the outcomes it handed over)."""
    store = Store.open(f"sqlite:///{tmp_path / 'm.db'}", schema="upgrade")
    gate, done = threading.Event(), []

    async def queue() -> list["asyncio.Future[Any]"]:
        first = asyncio.ensure_future(store.submit("a", gate.wait))
        rest = [asyncio.ensure_future(store.submit(k, done.append, k)) for k in "bcbc"]
        await asyncio.sleep(0.05)  # let them reach the writer's queues
        return [first, *rest]

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(queue())
        closer = threading.Thread(target=store.close)
        closer.start()
        closer.join(0.3)
        assert closer.is_alive()  # close waits for the queue
        assert done == []
        gate.set()
        closer.join(10)
        assert not closer.is_alive()
        assert sorted(done) == ["b", "b", "c", "c"]
    finally:
        loop.close()


class Recorder(Channel):
    """A channel that keeps what it was sent (the relay's own behaviour is under test)."""

    def __init__(self, name: str) -> None:
        self.name, self.sent = name, list[int]()

    async def send(self, alerts: Sequence[Alert]) -> None:
        self.sent.extend(a.id for a in alerts)


class WatchedStore(Store):
    """A Store that notes the thread each of the relay's writes ran on."""

    threads: dict[str, set[str]]

    def claim_alerts(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.setdefault("claim", set()).add(threading.current_thread().name)
        return super().claim_alerts(*args, **kwargs)

    def mark_delivered(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.setdefault("delivered", set()).add(threading.current_thread().name)
        return super().mark_delivered(*args, **kwargs)


async def test_the_relays_writes_take_the_stores_write_path(db_url: str) -> None:
    """The relay claims and records through `Store.submit`: on SQLite on the writer thread,
    in turn with the feeds' writes (it used to write from the executor's threads beside
    the writer); on PostgreSQL concurrently."""
    with WatchedStore.open(db_url) as store:
        store.threads = {}
        ids = seed(store.db, ["hook"], count=3)
        channel = Recorder("hook")
        async with Relay(
            store, {"hook": channel}, owner="t", now=lambda: T0 + timedelta(seconds=1)
        ) as relay:
            assert await relay.run_until_idle() == 3
        assert sorted(channel.sent) == ids
        expected = {"monitor-writer"} if store.db.dialect == "sqlite" else None
        for step in ("claim", "delivered"):
            if expected is not None:
                assert store.threads[step] == expected
            else:
                assert "monitor-writer" not in store.threads[step]


async def test_write_now_takes_the_same_path_from_a_worker_thread(db_url: str) -> None:
    """`write_now` (the backfill's writes, from a worker thread) runs on the writer thread
    on SQLite and blocks until done; on PostgreSQL it runs on the caller's thread. Called
    from a write already on the writer it runs at once instead of waiting for itself."""
    with Store.open(db_url) as store:
        here = await asyncio.to_thread(
            lambda: (
                threading.current_thread().name,
                store.write_now("backfill", lambda: threading.current_thread().name),
            )
        )
        sqlite = store.db.dialect == "sqlite"
        assert (here[1] == "monitor-writer") is sqlite
        assert (here[1] == here[0]) is not sqlite
        nested = await store.submit("", store.write_now, "backfill", lambda: "inner")
        assert nested == "inner"
