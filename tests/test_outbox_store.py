"""The outbox store on SQLite and PostgreSQL: leases, outcomes, listing, replay, digests."""

import threading
from datetime import timedelta

from alerts_support import T0, seed

from monitor.store import Database, Store

LEASE = timedelta(seconds=30)


def test_claim_leases_due_rows_and_counts_an_attempt(store: Store, db: Database) -> None:
    """A claimed row carries its payload and attempt count and is not claimed again while
    its lease runs; after the lease it is claimable again (its holder crashed)."""
    ids = seed(db, ["hook"], count=2)
    first = store.claim_alerts(T0, "a", LEASE, 10)
    assert [a.id for a in first] == ids
    assert all(a.attempts == 1 for a in first)
    assert first[0].payload["type"] == "match.created"
    assert first[0].payload["data"]["watch"] == "desk"
    assert store.claim_alerts(T0 + timedelta(seconds=29), "b", LEASE, 10) == []
    again = store.claim_alerts(T0 + timedelta(seconds=31), "b", LEASE, 10)
    assert [a.id for a in again] == ids
    assert all(a.attempts == 2 for a in again)


def test_claim_takes_only_due_rows_of_the_named_enabled_channels(
    store: Store, db: Database
) -> None:
    """Rows not yet due, of other channels, or of a disabled channel stay where they are."""
    hook, mail = seed(db, ["hook", "mail"])
    assert store.claim_alerts(T0 - timedelta(seconds=1), "a", LEASE, 10) == []
    store.disable_channel("mail", "410 Gone", T0)
    assert [a.id for a in store.claim_alerts(T0, "a", LEASE, 10)] == [hook]
    store.enable_channel("mail", T0)
    assert [a.id for a in store.claim_alerts(T0, "a", LEASE, 10, ["mail"])] == [mail]


def test_concurrent_relays_never_claim_one_row_twice(
    store: Store, db: Database, db_url: str
) -> None:
    """Four relays (own connections, threads) claiming at once take disjoint rows that
    together are every row (FOR UPDATE SKIP LOCKED / IMMEDIATE transactions)."""
    ids = seed(db, ["hook"], count=60)
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def relay(owner: str) -> None:
        other = Store(Database(db_url))
        try:
            barrier.wait()
            mine = claimed.setdefault(owner, [])
            while batch := other.claim_alerts(T0, owner, LEASE, 3):
                mine.extend(a.id for a in batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            other.db.dispose()

    threads = [threading.Thread(target=relay, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    every = [i for mine in claimed.values() for i in mine]
    assert sorted(every) == ids
    assert len(set(every)) == len(every)


def test_outcomes_are_recorded_and_fenced_by_the_lease(store: Store, db: Database) -> None:
    """Delivered, failed and dead are recorded; a relay whose lease ran out cannot turn a
    row another relay delivered back into a failure."""
    a, b, c = seed(db, ["hook"], count=3)
    store.claim_alerts(T0, "old", LEASE, 10)
    store.mark_delivered(a, T0)
    store.mark_failed(b, "HTTP 500", T0 + timedelta(seconds=5), owner="old")
    store.mark_dead(c, "HTTP 550", owner="old")
    states = {x.id: x for x in store.list_alerts(["pending", "failed", "dead", "delivered"])}
    assert states[a].state == "delivered"
    assert states[a].delivered_at == T0
    assert states[b].state == "failed"
    assert states[b].last_error == "HTTP 500"
    assert states[b].next_attempt == T0 + timedelta(seconds=5)
    assert states[c].state == "dead"
    # b: "old" loses its lease; "new" claims and delivers; "old" reports its failure late.
    later = T0 + timedelta(minutes=5)
    assert [x.id for x in store.claim_alerts(later, "new", LEASE, 10)] == [b]
    store.mark_delivered(b, later)
    store.mark_failed(b, "late failure", later, owner="old")
    got = store.get_alert(b)
    assert got is not None
    assert got.state == "delivered"


def test_list_defaults_to_undelivered_and_retry_replays(store: Store, db: Database) -> None:
    """`list_alerts()` shows pending, failed and dead rows; `retry(None)` makes them due
    now and enables their channels again; rows in flight are left alone."""
    a, b, c, d = seed(db, ["hook"], count=4)
    store.claim_alerts(T0, "r", LEASE, 10)
    store.mark_delivered(a, T0)
    store.mark_failed(b, "HTTP 500", T0 + timedelta(hours=2), owner="r")
    store.mark_dead(c, "spent", owner="r")
    store.disable_channel("hook", "410", T0)
    assert [x.id for x in store.list_alerts()] == [b, c, d]
    assert [x.id for x in store.list_alerts("dead")] == [c]
    now = T0 + timedelta(seconds=1)
    assert store.retry(None, now) == 2  # d is still leased to "r"
    assert store.channel_states()["hook"].enabled
    due = store.claim_alerts(now, "r2", LEASE, 10)
    assert [x.id for x in due] == [b, c]
    assert store.retry([a], now) == 1  # a delivered row can be replayed by id
    got = store.get_alert(a)
    assert got is not None
    assert got.state == "pending"
    assert store.retry([999_999], now) == 0


def test_digest_claim_waits_for_the_period(store: Store, db: Database) -> None:
    """A digest channel's rows are claimed together once `every` has passed since the
    last digest (or the oldest row), and delivering them starts the next period."""
    every = timedelta(hours=1)
    ids = seed(db, ["digest"], count=3)
    assert store.claim_digest("digest", every, T0 + timedelta(minutes=59), "r", LEASE) == []
    got = store.claim_digest("digest", every, T0 + every, "r", LEASE)
    assert sorted(a.id for a in got) == ids
    store.mark_digest_delivered("digest", ids, T0 + every)
    assert store.channel_states()["digest"].last_digest_at == T0 + every
    later = seed(db, ["digest"], now=T0 + timedelta(minutes=70))
    assert store.claim_digest("digest", every, T0 + timedelta(minutes=119), "r", LEASE) == []
    got = store.claim_digest("digest", every, T0 + timedelta(minutes=120), "r", LEASE)
    assert [a.id for a in got] == later


def test_delivery_stats_count_attempts_failures_and_latency(store: Store, db: Database) -> None:
    """Stats per channel: rows by state, attempts, failed attempts, and the time from the
    article being stored to the alert being delivered."""
    a, b = seed(db, ["hook"], count=2)
    store.claim_alerts(T0, "r", LEASE, 10)
    store.mark_failed(a, "HTTP 500", T0, owner="r")
    store.mark_dead(b, "HTTP 410", owner="r")
    store.claim_alerts(T0 + timedelta(seconds=1), "r", LEASE, 10)
    store.mark_delivered(a, T0 + timedelta(seconds=12))
    (stats,) = store.delivery_stats(T0 + timedelta(minutes=1))
    assert stats.channel == "hook"
    assert (stats.delivered, stats.dead, stats.pending, stats.failed) == (1, 1, 0, 0)
    assert stats.attempts == 3
    assert stats.failures == 2
    assert stats.latency_count == 1
    assert stats.latency_max == 12.0
