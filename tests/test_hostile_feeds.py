"""A feed listing thousands of new items: at most max_items_per_poll are taken, newest
first, the rest on the next polls (the server's validators must not hide them), and on
SQLite its writes take turns with other feeds' instead of queueing ahead of them."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from httpserver import HTTPTestServer
from ingest_site import RSS, T0, Entry, rss, settings, write_config

from monitor.app import Tuning, prepare, running
from monitor.config import load_config, load_settings
from monitor.daemon import CycleReport, Daemon
from monitor.pipeline import PipelineOptions
from monitor.store import Store
from monitor.store.models import ArticleRow
from monitor.store.writer import FairWriter


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1."""
    with HTTPTestServer("127.0.0.1") as server:
        yield server


def entries(site: HTTPTestServer, prefix: str, count: int) -> list[Entry]:
    """`count` teaser items, item i published i minutes after T0, listed oldest first (so
    that "newest first" is the pipeline's doing, not the document's order)."""
    return [
        Entry(
            f"{prefix}-{i}",
            site.url(f"/{prefix}/{i}"),
            f"{prefix} item {i}",
            f"Teaser {i}.",
            T0 + timedelta(minutes=i),
        )
        for i in range(count)
    ]


def guids(store: Store, prefix: str) -> set[str]:
    """The stored GUIDs of the entries made with `prefix`."""
    art = ArticleRow.__table__.c  # type: ignore[attr-defined]
    with store.db.read() as s:
        return set(
            s.connection()
            .execute(sa.select(art.guid).where(art.guid.like(f"{prefix}-%")))
            .scalars()
            .all()
        )


async def once(
    tmp_path: Path, store: Store, feeds: list[tuple[str, str]], tuning: Tuning
) -> CycleReport:
    """One `--once` cycle over `feeds` without page fetches."""
    path = write_config(tmp_path / "feeds.toml", feeds, full_text=False)
    prepared = prepare(settings(path, store.db.url), load_config(path))
    async with running(prepared, store, tuning) as rt:
        return await Daemon(rt).run_once()


async def test_items_over_the_cap_arrive_on_later_polls(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """50 new items with a cap of 20: polls take 20, 20, 10, newest first; the ETag is not
    sent while items are left (a 304 would lose them), and is once all are taken."""
    tuning = Tuning(extract_workers=1, pipeline=PipelineOptions(max_items_per_poll=20))
    site.route("/big.xml", body=rss("Big", entries(site, "b", 50)), headers=RSS, etag='"v1"')
    feeds = [("big", site.url("/big.xml"))]
    taken = []
    for poll in range(3):
        report = await once(tmp_path, store, feeds, tuning)
        after = datetime.now(UTC)  # (a poll may take seconds on a loaded machine)
        assert report.failed == 0
        taken.append(guids(store, "b") - set().union(*taken))
        if poll < 2:  # items left: the next poll within a minute, not the feed's interval
            [health] = store.feed_health()
            # "backlog", or "interval" when the feed's own slot falls within that minute
            assert health.next_poll_reason in {"backlog", "interval"}
            assert health.next_poll is not None
            assert health.next_poll <= after + timedelta(minutes=1)
    assert taken == [
        {f"b-{i}" for i in range(30, 50)},
        {f"b-{i}" for i in range(10, 30)},
        {f"b-{i}" for i in range(10)},
    ]
    sent = [hit.headers.get("if-none-match") for hit in site.hits("/big.xml")]
    assert sent == [None, None, None]
    [health] = store.feed_health()  # the last poll took the rest: its own interval again
    assert health.next_poll_reason == "interval"
    await once(tmp_path, store, feeds, tuning)
    assert site.hits("/big.xml")[-1].headers.get("if-none-match") == '"v1"'
    [health] = store.feed_health()
    assert (health.last_status, health.consecutive_errors) == (304, 0)


@pytest.mark.slow
async def test_a_huge_feed_does_not_hold_up_a_small_one(
    tmp_path: Path, store: Store, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5,000-item feed beside a one-item feed: the small feed's poll is recorded before
    the big feed's last article write of the cycle; the big feed gives its newest 200, and
    its next polls the next ones."""
    site.route("/huge.xml", body=rss("Huge", entries(site, "h", 5000)), headers=RSS, etag='"h1"')
    site.route("/small.xml", body=rss("Small", entries(site, "s", 1)), headers=RSS)
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    add_articles, record_polls = store.add_articles, store.record_polls

    def spy_add(batch: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            events.extend(("article", article.feed) for article, _ in batch)
        return add_articles(batch, *args, **kwargs)

    def spy_record(polls: Any) -> Any:
        with lock:
            events.extend(("poll", name) for name, _, _ in polls)
        return record_polls(polls)

    monkeypatch.setattr(store, "add_articles", spy_add)
    monkeypatch.setattr(store, "record_polls", spy_record)
    tuning = Tuning(extract_workers=1)  # the defaults: 200 items a poll, batches of 20
    feeds = [("huge", site.url("/huge.xml")), ("small", site.url("/small.xml"))]
    report = await once(tmp_path, store, feeds, tuning)
    assert (report.failed, report.stored) == (0, 201)
    assert guids(store, "h") == {f"h-{i}" for i in range(4800, 5000)}
    small_done = events.index(("poll", "small"))
    last_huge = max(i for i, e in enumerate(events) if e == ("article", "huge"))
    assert small_done < last_huge, "the small feed waited for all of the huge feed's writes"
    await once(tmp_path, store, feeds, tuning)
    assert guids(store, "h") == {f"h-{i}" for i in range(4600, 5000)}


def test_writer_takes_turns_between_feeds() -> None:
    """With 100 writes of one feed queued, another feed's write runs after at most one of
    them (a first-come queue would run it 101st)."""
    writer = FairWriter()
    gate = threading.Event()
    order: list[str] = []
    try:
        first = writer.submit("big", gate.wait)
        later = [writer.submit("big", lambda: order.append("big")) for _ in range(99)]
        small = writer.submit("small", lambda: order.append("small"))
        daemon = writer.submit("", lambda: order.append("daemon"))
        gate.set()
        for future in (first, *later, small, daemon):
            future.result(timeout=10)
    finally:
        writer.shutdown()
    assert order.index("small") <= 1
    assert order.index("daemon") <= 2
    assert order.count("big") == 99


def test_writer_hands_back_errors_and_drains_on_shutdown() -> None:
    """A failing write raises in its caller; shutdown runs what is queued first."""
    writer = FairWriter()
    failing = writer.submit("a", lambda: 1 / 0)
    queued = [writer.submit("b", lambda n=n: n) for n in range(5)]
    writer.shutdown()
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=1)
    assert [f.result(timeout=1) for f in queued] == list(range(5))


def test_max_items_per_poll_is_a_setting() -> None:
    """MONITOR_MAX_ITEMS_PER_POLL sets the cap (default 200); 0 is refused at start."""
    assert load_settings({}).max_items_per_poll == 200
    assert load_settings({"MONITOR_MAX_ITEMS_PER_POLL": "50"}).max_items_per_poll == 50
    with pytest.raises(Exception, match="MONITOR_MAX_ITEMS_PER_POLL"):
        load_settings({"MONITOR_MAX_ITEMS_PER_POLL": "0"})
