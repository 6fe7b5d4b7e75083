"""Pure polling decisions: adaptive interval, server hints, backoff with jitter."""

import random
from datetime import UTC, datetime, timedelta

from monitor.decide import (
    backoff,
    next_poll,
    parse_cache_max_age,
    parse_retry_after,
    permanent_target,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M15 = timedelta(minutes=15)


def _poll(**kw: object) -> timedelta:
    args: dict[str, object] = {"now": NOW, "configured": M15, "entry_times": [], "ttl": None,
                               "cache_max_age": None, "retry_after": None}
    args.update(kw)
    return next_poll(**args) - NOW  # type: ignore[arg-type]


def test_busy_feed_polls_at_its_configured_interval() -> None:
    """Entries minutes apart never bring the interval below the configured one."""
    entries = [NOW - timedelta(minutes=2 * i) for i in range(20)]
    assert _poll(entry_times=entries) == M15


def test_interval_follows_entry_frequency() -> None:
    """Entries a day apart: a daily poll; an hour apart: hourly; one entry: time since it."""
    assert _poll(entry_times=[NOW - timedelta(days=i) for i in range(7)]) == timedelta(days=1)
    assert _poll(entry_times=[NOW - H * i for i in range(20)]) == H
    assert _poll(entry_times=[NOW - 3 * H]) == 3 * H


def test_quiet_and_unknown_feeds() -> None:
    """Old entries only: the cap; no dated entries: the configured interval."""
    assert _poll(entry_times=[NOW - timedelta(days=30)]) == timedelta(hours=24)
    assert _poll(entry_times=[]) == M15
    assert _poll(entry_times=[NOW - timedelta(days=30)],
                 max_interval=timedelta(hours=6)) == timedelta(hours=6)


def test_configured_interval_above_the_cap_wins() -> None:
    """A feed configured for every two days is never polled more often."""
    assert _poll(configured=timedelta(days=2)) == timedelta(days=2)


def test_ttl_and_cache_max_age_lengthen_but_are_capped() -> None:
    """TTL and max-age stretch the interval up to the cap, never shorten it."""
    busy = [NOW - timedelta(minutes=i) for i in range(100)]
    assert _poll(entry_times=busy, ttl=H) == H
    assert _poll(entry_times=busy, cache_max_age=2 * H) == 2 * H
    assert _poll(entry_times=busy, ttl=timedelta(minutes=1)) == M15
    assert _poll(entry_times=busy, ttl=timedelta(days=9)) == timedelta(hours=24)


def test_retry_after_is_honoured_up_to_a_week() -> None:
    """Retry-After beats the schedule, even past the cap, but not beyond a week."""
    assert _poll(retry_after=3 * H) == 3 * H
    assert _poll(retry_after=timedelta(days=2)) == timedelta(days=2)
    assert _poll(retry_after=timedelta(days=30)) == timedelta(days=7)


def test_naive_times_are_read_as_utc() -> None:
    """Naive datetimes do not crash the comparison."""
    naive = [datetime(2026, 11, 23, 10, 0)]
    assert _poll(entry_times=naive, now=NOW.replace(tzinfo=None)) == 2 * H


def test_backoff_grows_exponentially_with_jitter_and_cap() -> None:
    """Errors double the delay from the configured interval, plus at most 20 % jitter, capped."""
    rng = random.Random(7)
    delays = [backoff(now=NOW, configured=M15, consecutive_errors=n, retry_after=None,
                      rng=rng) - NOW for n in range(1, 12)]
    for n, delay in enumerate(delays[:6], start=1):
        base = M15 * 2 ** (n - 1)
        assert base <= delay <= base * 1.2
    assert all(timedelta(hours=24) <= d <= timedelta(hours=24) * 1.2 for d in delays[7:])
    spread = {backoff(now=NOW, configured=M15, consecutive_errors=3, retry_after=None,
                      rng=rng) for _ in range(20)}
    assert len(spread) > 1


def test_backoff_honours_retry_after() -> None:
    """Retry-After longer than the backoff wins."""
    rng = random.Random(1)
    assert backoff(now=NOW, configured=M15, consecutive_errors=1, retry_after=5 * H,
                   rng=rng) - NOW == 5 * H


def test_parse_retry_after() -> None:
    """Seconds, HTTP dates (past ones give zero), and garbage."""
    assert parse_retry_after("120", now=NOW) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 23 Nov 2026 13:30:00 GMT", now=NOW) == timedelta(minutes=90)
    assert parse_retry_after("Mon, 23 Nov 2026 10:00:00 GMT", now=NOW) == timedelta(0)
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


def test_parse_cache_max_age() -> None:
    """max-age and s-maxage count; no-cache/no-store grant nothing."""
    assert parse_cache_max_age("public, max-age=600") == timedelta(minutes=10)
    assert parse_cache_max_age("max-age=60, s-maxage=300") == timedelta(minutes=5)
    assert parse_cache_max_age("no-cache, max-age=600") is None
    assert parse_cache_max_age(None) is None
    assert parse_cache_max_age("private") is None


def test_permanent_target() -> None:
    """Only a chain that starts with permanent hops moves the feed, to the last such hop."""
    assert permanent_target([(301, "a"), (308, "b"), (302, "c")]) == "b"
    assert permanent_target([(302, "a"), (301, "b")]) is None
    assert permanent_target([]) is None
