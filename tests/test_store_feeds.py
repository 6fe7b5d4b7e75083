"""FeedStore: config sync, leases on due feeds, and every poll outcome recorded as health."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from monitor.errors import StoreError
from monitor.store import Database, Store
from monitor.store.migrate import upgrade
from monitor.types import FeedSpec, PollRecord

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


@contextmanager
def _empty_database(db_url: str, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all, on the dialect of `db_url`; dropped afterwards."""
    if db_url.startswith("sqlite"):
        db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield db
        db.dispose()
        return
    base, session_db = db_url.rsplit("/", 1)
    name = f"{session_db}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        db = Database(f"{base}/{name}")
        try:
            yield db
        finally:
            db.dispose()
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _specs(*names: str) -> list[FeedSpec]:
    return [FeedSpec(n, f"https://example.org/{n}.xml", timedelta(minutes=15)) for n in names]


def test_sync_inserts_updates_and_disables_removed(store: Store) -> None:
    """New feeds are due at once; a feed dropped from feeds.toml is disabled and hidden."""
    store.sync_feeds(_specs("a", "b"), NOW)
    health = {h.name: h for h in store.feed_health()}
    assert set(health) == {"a", "b"}
    assert health["a"].enabled
    assert health["a"].next_poll == NOW
    assert health["a"].last_status is None
    assert health["a"].consecutive_errors == 0
    store.sync_feeds(
        [FeedSpec("a", "https://example.org/new.xml", timedelta(minutes=5), full_text=False)],
        NOW + timedelta(minutes=1),
    )
    [a] = store.feed_health()
    assert a.url == "https://example.org/new.xml"
    assert a.interval == timedelta(minutes=5)
    assert store.claim_due_feeds(NOW + timedelta(minutes=2), 10, LEASE)[0].full_text is False


def test_disabled_spec_is_not_claimed(store: Store) -> None:
    """enabled = false in feeds.toml keeps the feed out of every claim."""
    store.sync_feeds([FeedSpec("off", "https://example.org/off.xml", enabled=False)], NOW)
    assert store.claim_due_feeds(NOW, 10, LEASE, polled_before=NOW) == []
    assert store.feed_health()[0].enabled is False


def test_claim_takes_only_due_feeds_and_leases_them(store: Store) -> None:
    """A claimed feed is not claimed again until recorded or its lease runs out."""
    store.sync_feeds(_specs("a", "b", "c"), NOW)
    first = store.claim_due_feeds(NOW, 2, LEASE)
    assert len(first) == 2
    second = store.claim_due_feeds(NOW, 10, LEASE)
    assert [f.name for f in second] == sorted({"a", "b", "c"} - {f.name for f in first})
    assert store.claim_due_feeds(NOW, 10, LEASE) == []
    assert len(store.claim_due_feeds(NOW + LEASE, 10, LEASE)) == 3  # leases expired


def test_claim_respects_next_poll_unless_cycle(store: Store) -> None:
    """A feed polled recently is not due; a --once cycle takes it once, then not again."""
    store.sync_feeds(_specs("a"), NOW)
    [feed] = store.claim_due_feeds(NOW, 10, LEASE)
    store.record_poll(
        feed.name,
        PollRecord(
            ok=True,
            status=200,
            next_poll=NOW + timedelta(minutes=15),
            etag='"v1"',
            last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
        ),
        NOW,
    )
    assert store.claim_due_feeds(NOW + timedelta(minutes=1), 10, LEASE) == []
    cycle = NOW + timedelta(minutes=1)
    [again] = store.claim_due_feeds(cycle, 10, LEASE, polled_before=cycle)
    assert again.etag == '"v1"'
    assert again.last_modified == "Mon, 23 Nov 2026 10:00:00 GMT"
    store.record_poll(feed.name, PollRecord(ok=True, status=304, next_poll=NOW), cycle)
    assert store.claim_due_feeds(cycle, 10, LEASE, polled_before=cycle) == []


def test_record_errors_count_up_and_success_resets(store: Store) -> None:
    """Errors keep the validators and count up; a success clears the error and stamps time."""
    store.sync_feeds(_specs("a"), NOW)
    store.record_poll("a", PollRecord(ok=True, status=200, next_poll=NOW, etag='"e"'), NOW)
    for i in range(2):
        store.record_poll(
            "a",
            PollRecord(
                ok=False, status=503, error="HTTP 503", next_poll=NOW + timedelta(minutes=i)
            ),
            NOW,
        )
    [h] = store.feed_health()
    assert (h.last_status, h.last_error, h.consecutive_errors) == (503, "HTTP 503", 2)
    assert h.etag == '"e"'
    assert h.last_success == NOW
    later = NOW + timedelta(hours=1)
    store.record_poll("a", PollRecord(ok=True, status=304, next_poll=later), later)
    [h] = store.feed_health()
    assert (h.last_status, h.last_error, h.consecutive_errors) == (304, None, 0)
    assert h.last_success == later
    assert h.etag == '"e"'
    assert h.next_poll == later


def test_permanent_redirect_and_gone(store: Store) -> None:
    """A 301 moves the stored URL; a 410 disables the feed, and a resync keeps it off."""
    store.sync_feeds(_specs("a", "b"), NOW)
    store.record_poll(
        "a",
        PollRecord(ok=True, status=200, next_poll=NOW, new_url="https://example.org/moved.xml"),
        NOW,
    )
    store.record_poll(
        "b", PollRecord(ok=False, status=410, error="gone", gone=True, next_poll=NOW), NOW
    )
    health = {h.name: h for h in store.feed_health()}
    assert health["a"].url == "https://example.org/moved.xml"
    assert health["b"].enabled is False
    assert health["b"].last_status == 410
    store.sync_feeds(_specs("b"), NOW)
    [b] = store.feed_health()
    assert b.enabled is False
    assert store.claim_due_feeds(NOW, 10, LEASE, polled_before=NOW) == []


def test_concurrent_claims_never_share_a_feed(store: Store) -> None:
    """Four threads claiming at once get disjoint feeds (SKIP LOCKED / IMMEDIATE)."""
    store.sync_feeds(_specs(*[f"f{i}" for i in range(40)]), NOW)
    got: list[list[str]] = []
    lock = threading.Lock()

    def claim() -> None:
        names: list[str] = []
        while batch := store.claim_due_feeds(NOW, 3, LEASE):
            names += [f.name for f in batch]
        with lock:
            got.append(names)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [n for names in got for n in names]
    assert sorted(flat) == sorted(f"f{i}" for i in range(40))


def test_a_moved_feed_stays_moved_across_resyncs(store: Store) -> None:
    """After a 301, restarting on the same feeds.toml keeps the new address and its validators."""
    store.sync_feeds(_specs("a"), NOW)
    store.record_poll(
        "a",
        PollRecord(
            ok=True,
            status=200,
            next_poll=NOW,
            etag='"moved"',
            new_url="https://example.org/moved.xml",
        ),
        NOW,
    )
    store.sync_feeds(_specs("a"), NOW + timedelta(hours=1))
    [a] = store.feed_health()
    assert (a.url, a.etag) == ("https://example.org/moved.xml", '"moved"')
    store.sync_feeds([FeedSpec("a", "https://example.org/edited.xml")], NOW + timedelta(hours=2))
    [a] = store.feed_health()
    assert (a.url, a.etag) == ("https://example.org/edited.xml", None)
    assert a.next_poll == NOW + timedelta(hours=2)


def test_upgrade_takes_stored_urls_as_configured(db_url: str, tmp_path: Path) -> None:
    """Feeds stored before config_url existed keep their validators on the first resync."""
    with _empty_database(db_url, tmp_path) as db:
        upgrade(db, "0003")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO feeds (name, url, enabled, in_config, full_text, interval_seconds,"
                " etag, consecutive_errors, created_at) VALUES ('a', 'https://example.org/a.xml',"
                " true, true, true, 900, '\"old\"', 0, '2026-11-01 00:00:00')"
            )
        upgrade(db)
        store = Store(db)
        store.sync_feeds(_specs("a"), NOW)
        [a] = store.feed_health()
        assert (a.url, a.etag) == ("https://example.org/a.xml", '"old"')


def test_recording_an_unknown_feed_is_refused_and_changes_nothing(store: Store) -> None:
    store.sync_feeds(_specs("a"), NOW)
    with pytest.raises(StoreError, match="unknown feed 'nope'"):
        store.record_poll("nope", PollRecord(ok=False, status=500, next_poll=NOW), NOW)
    [h] = store.feed_health()
    assert (h.name, h.consecutive_errors, h.last_status) == ("a", 0, None)


def test_record_polls_stores_a_batch_and_names_an_unknown_feed(store: Store) -> None:
    """Several polls recorded in one call land as their own records would (a 304 keeping
    its validators, a 200 with new ones, an error counting up); an unknown feed among them
    is its own error and the others are stored all the same."""
    store.sync_feeds(_specs("a", "b", "c", "d"), NOW)
    store.record_poll("a", PollRecord(ok=True, status=200, next_poll=NOW, etag='"a1"'), NOW)
    later = NOW + timedelta(minutes=5)
    polls = [
        ("a", PollRecord(ok=True, status=304, next_poll=later + LEASE), later),
        ("b", PollRecord(ok=True, status=200, next_poll=later, etag='"b1"'), later),
        ("ghost", PollRecord(ok=True, status=304, next_poll=later), later),
        ("c", PollRecord(ok=False, status=503, error="HTTP 503", next_poll=later), later),
        ("d", PollRecord(ok=False, status=None, error="timed out", next_poll=later), later),
    ]
    outcomes = store.record_polls(polls)
    assert [o is None for o in outcomes] == [True, True, False, True, True]
    assert isinstance(outcomes[2], StoreError)
    assert "ghost" in str(outcomes[2])
    health = {h.name: h for h in store.feed_health()}
    assert (health["a"].last_status, health["a"].etag) == (304, '"a1"')
    assert health["a"].next_poll == later + LEASE
    assert (health["b"].etag, health["b"].last_success) == ('"b1"', later)
    assert (health["c"].consecutive_errors, health["c"].last_error) == (1, "HTTP 503")
    assert (health["d"].consecutive_errors, health["d"].last_status) == (1, None)
    assert store.record_polls([("c", polls[3][1], later)]) == [None]
    assert {h.name: h for h in store.feed_health()}["c"].consecutive_errors == 2


def test_claim_takes_the_oldest_due_first_and_leases_them(store: Store) -> None:
    """A claim returns the feeds due longest first (ties by age of the row), each leased."""
    store.sync_feeds(_specs("a", "b", "c", "d"), NOW)
    for offset, name in enumerate(["c", "a", "d", "b"]):
        store.record_poll(
            name, PollRecord(ok=True, status=200, next_poll=NOW + timedelta(minutes=offset)), NOW
        )
    due = NOW + timedelta(minutes=10)
    assert [f.name for f in store.claim_due_feeds(due, 3, LEASE, owner="me")] == ["c", "a", "d"]
    assert [f.name for f in store.claim_due_feeds(due, 3, LEASE, owner="me")] == ["b"]
    assert store.claim_due_feeds(due, 3, LEASE, owner="me") == []
    assert store.release_leases("me") == 4
