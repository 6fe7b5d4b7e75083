"""The store's per-poll statements are compiled once, then found in the cache; an article's
statements do not go through SQLAlchemy's execution at all.

SQLAlchemy never caches a statement without a cache key (its dialect `insert().on_conflict_*()`
constructs have none): such a statement is compiled again on every execution, which cost a
quarter of the daemon's CPU per stored article (bench/bench_reader.py). Even cached, an
execution costs ~0.1 ms before the driver: an article's ten or so statements run on the
driver's cursor (monitor.store.base.DriverSQL).
"""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import default

from monitor import stories
from monitor.store import Store
from monitor.types import Evidence, FeedSpec, NewArticle, PollRecord, Tag, WatchHit

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TAGS = (
    Tag("wang-yi", "actor", "Wang Yi", 1, Evidence("Wang Yi", 0, 7)),
    Tag("taiwan", "issue", "Taiwan", 1, Evidence("Taiwan", 30, 36)),
)


def _article(n: int) -> NewArticle:
    text = (
        f"Wang Yi met envoys number {n} on Monday and spoke about Taiwan, trade and "
        f"shipping in talks that lasted {n} hours, officials said afterwards."
    )
    return NewArticle(
        feed="wire",
        guid=f"g{n}",
        url=f"https://wire.example/{n}",
        canonical_url=f"https://wire.example/{n}",
        title=f"story {n}",
        author=None,
        published=NOW - timedelta(hours=1),
        language="en",
        text=text,
        fingerprint=stories.fingerprint(text),
        tags=TAGS,
    )


def _hits() -> tuple[WatchHit, ...]:
    return (
        WatchHit("desk", ("hook",), {"type": "match.created", "data": {"watch": "desk"}}),
        WatchHit("all", (), {"type": "match.created", "data": {"watch": "all"}}),
    )


@pytest.fixture
def cache_hits(store: Store) -> Iterator[list[tuple[Any, str]]]:
    """(cache_hit, statement) of every statement the store runs while the test records."""
    seen: list[tuple[Any, str]] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if context is not None and getattr(context, "compiled", None) is not None:
            seen.append((context.cache_hit, statement))

    event.listen(store.db.engine, "after_cursor_execute", record)
    yield seen
    event.remove(store.db.engine, "after_cursor_execute", record)


def _poll(store: Store, n: int) -> None:
    """What the daemon does for one feed: claim it, store an article, record the poll."""
    claimed = store.claim_due_feeds(NOW + timedelta(hours=n), 10, timedelta(minutes=2), owner="me")
    assert [c.name for c in claimed] == ["wire"]
    assert store.add_article(_article(n), _hits(), now=NOW) is not None
    store.record_poll(
        "wire",
        PollRecord(
            ok=True, status=200, etag=f'"e{n}"', next_poll=NOW + timedelta(hours=n, minutes=30)
        ),
        NOW,
    )
    store.record_poll(
        "wire", PollRecord(ok=True, status=304, next_poll=NOW + timedelta(hours=n, minutes=30)), NOW
    )


def test_hot_statements_are_compiled_once(store: Store, cache_hits: list[tuple[Any, str]]) -> None:
    store.sync_feeds([FeedSpec("wire", "https://wire.example/rss")], NOW)
    _poll(store, 1)  # first use: compiled and cached
    cache_hits.clear()
    for n in range(2, 5):
        _poll(store, n)
    assert cache_hits, "no statement recorded"
    uncached = {s for hit, s in cache_hits if hit is not default.CACHE_HIT}
    assert not uncached, f"compiled again: {sorted(uncached)}"


def test_an_article_is_written_on_the_drivers_cursor(
    store: Store, cache_hits: list[tuple[Any, str]]
) -> None:
    """Storing an article (a new story, a copy joining it, tags, matches, outbox rows and the
    Trends counts) runs no compiled SQLAlchemy statement: each would cost ~0.1 ms."""
    store.sync_feeds([FeedSpec("wire", "https://wire.example/rss")], NOW)
    cache_hits.clear()
    long_text = " ".join(f"word{i} beside term{i * 7} and item{i * 3}" for i in range(30))
    for n in (1, 2):
        article = replace(
            _article(n), text=long_text, fingerprint=stories.fingerprint(long_text + str(n))
        )
        stored = store.add_article(article, _hits(), now=NOW)
        assert stored is not None
    assert stored.copies, "the second article did not join the first one's story"
    assert not cache_hits, [s for _, s in cache_hits]


def test_poll_records_are_written_on_the_drivers_cursor(
    store: Store, cache_hits: list[tuple[Any, str]]
) -> None:
    """Recording polls (a 200, a 304, a failure; alone and together) runs no compiled
    SQLAlchemy statement, and each record lands on its own feed."""
    store.sync_feeds([FeedSpec(f"f{i}", f"https://wire.example/{i}.xml") for i in range(4)], NOW)
    cache_hits.clear()
    later = NOW + timedelta(hours=1)
    store.record_poll("f0", PollRecord(ok=True, status=200, etag='"a"', next_poll=later), NOW)
    errors = store.record_polls(
        [
            ("f1", PollRecord(ok=True, status=304, next_poll=later), NOW),
            ("f2", PollRecord(ok=False, status=503, error="HTTP 503", next_poll=later), NOW),
            ("f3", PollRecord(ok=True, status=200, last_modified="x", next_poll=later), NOW),
        ]
    )
    assert errors == [None, None, None]
    assert not cache_hits, [s for _, s in cache_hits]
    health = {h.name: h for h in store.feed_health()}
    assert [health[f"f{i}"].last_status for i in range(4)] == [200, 304, 503, 200]
    assert health["f2"].consecutive_errors == 1
    assert health["f2"].last_error == "HTTP 503"
    assert health["f0"].etag == '"a"'
    assert health["f3"].last_modified == "x"
    assert all(health[f"f{i}"].next_poll == later for i in range(4))
