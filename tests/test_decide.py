"""Pure polling decisions: adaptive interval, server hints, backoff with jitter."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.decide import (
    BACKLOG_DELAY,
    GONE_REASON,
    Failure,
    NextPoll,
    backoff,
    failure_of,
    next_poll,
    next_slot,
    phase,
    poll_record,
    with_backlog,
)
from monitor.fetch.feeds import FeedFetch
from monitor.fetch.hints import (
    MAX_HINT,
    MAX_RETRY_AFTER,
    bounded_int,
    parse_cache_max_age,
    parse_retry_after,
    permanent_target,
)
from monitor.types import ClaimedFeed, PollRecord

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M15 = timedelta(minutes=15)
M1 = timedelta(minutes=1)


def _poll(**kw: object) -> timedelta:
    return _next(**kw).when - NOW


def _next(**kw: object) -> NextPoll:
    args: dict[str, object] = {
        "now": NOW,
        "name": "feed",
        "interval": M15,
        "entry_times": [],
        "ttl": None,
        "cache_max_age": None,
        "retry_after": None,
    }
    args.update(kw)
    return next_poll(**args)  # type: ignore[arg-type]


def test_a_fixed_interval_is_kept_however_sparse_the_feed() -> None:
    """Entries an hour or a month apart never stretch a fixed interval: the next poll is
    within one interval, for the reason "interval"."""
    for entries in ([NOW - H * i for i in range(20)], [NOW - timedelta(days=30)], []):
        found = _next(entry_times=entries)
        assert timedelta(0) < found.when - NOW <= M15
        assert found.reason == "interval"


def test_polls_stay_on_the_feeds_slots_and_never_drift_later() -> None:
    """Polled late (a slow tick, a slow poll), the next poll is still one interval after the
    slot, so the gap between polls never exceeds the interval."""
    slot = next_slot(now=NOW, name="bbc", interval=M15)
    for late in (timedelta(0), timedelta(seconds=5), timedelta(minutes=10)):
        following = next_poll(
            now=slot + late,
            name="bbc",
            interval=M15,
            entry_times=[],
            ttl=None,
            cache_max_age=None,
            retry_after=None,
        ).when
        assert following == slot + M15


def test_feeds_with_one_interval_are_spread_over_it() -> None:
    """1,000 feeds with one interval fall due at stable offsets spread over the interval:
    no minute of a 15-minute interval holds more than twice its share."""
    names = [f"feed-{i}" for i in range(1000)]
    offsets = [phase(n, M15) for n in names]
    assert offsets == [phase(n, M15) for n in names]  # stable
    per_minute = [0] * 15
    for offset in offsets:
        assert timedelta(0) <= offset < M15
        per_minute[int(offset.total_seconds() // 60)] += 1
    assert max(per_minute) < 2 * 1000 / 15
    assert min(per_minute) > 0.5 * 1000 / 15


def test_auto_follows_entry_frequency_within_its_bounds() -> None:
    """`auto`: entries an hour apart give an hourly pace; a busy feed the min_interval; a
    quiet feed the max_interval."""
    auto = {"auto": True, "interval": timedelta(minutes=5), "max_interval": 6 * H}

    def slot(interval: timedelta) -> datetime:
        return next_slot(now=NOW, name="feed", interval=interval)

    assert _next(entry_times=[NOW - H * i for i in range(20)], **auto).when == slot(H)
    busy = [NOW - M1 * i for i in range(20)]
    assert _next(entry_times=busy, **auto).when == slot(timedelta(minutes=5))
    assert _next(entry_times=[NOW - timedelta(days=30)], **auto).when == slot(6 * H)
    assert _next(entry_times=[NOW - timedelta(days=30)], **auto).reason == "interval"


def test_ttl_and_cache_max_age_lengthen_but_are_capped() -> None:
    """TTL and max-age push a poll later (reason ttl), never sooner, capped at an hour for a
    fixed interval and at max_interval for `auto`."""
    assert _next(ttl=H) == (NOW + H, "ttl")
    assert _next(cache_max_age=2 * H) == (NOW + H, "ttl")
    assert _next(ttl=timedelta(minutes=1)).reason == "interval"
    assert _poll(ttl=timedelta(minutes=1)) <= M15
    auto = {"auto": True, "interval": timedelta(minutes=5), "max_interval": 6 * H}
    assert _next(ttl=timedelta(days=9), **auto) == (NOW + 6 * H, "ttl")


def test_retry_after_is_honoured_up_to_a_week() -> None:
    """Retry-After beats the schedule, even past the cap, but not beyond a week."""
    assert _next(retry_after=3 * H) == (NOW + 3 * H, "retry-after")
    assert _poll(retry_after=timedelta(days=2)) == timedelta(days=2)
    assert _poll(retry_after=timedelta(days=30)) == timedelta(days=7)
    assert _next(retry_after=timedelta(seconds=1)).reason == "interval"


def test_a_backlog_brings_the_next_poll_within_a_minute() -> None:
    """Items left by the per-poll cap: the next poll within BACKLOG_DELAY whatever the
    interval; a sooner plan stays, and so does the server's Retry-After."""
    assert with_backlog(_next(), NOW) == (NOW + BACKLOG_DELAY, "backlog")
    soon = NextPoll(NOW + timedelta(seconds=20), "interval")
    assert with_backlog(soon, NOW) == soon
    paused = _next(retry_after=3 * H)
    assert with_backlog(paused, NOW) == paused


def test_naive_times_are_read_as_utc() -> None:
    """Naive datetimes do not crash the comparison."""
    naive = [datetime(2026, 11, 23, 10, 0)]
    found = _next(entry_times=naive, now=NOW.replace(tzinfo=None), auto=True)
    assert found.when - NOW <= 2 * H


def test_backoff_grows_exponentially_with_jitter_and_cap() -> None:
    """Errors double the delay from the configured interval, plus at most 20 % jitter, capped."""
    rng = random.Random(7)
    delays = [
        backoff(now=NOW, configured=M15, consecutive_errors=n, retry_after=None, rng=rng).when - NOW
        for n in range(1, 12)
    ]
    for n, delay in enumerate(delays[:6], start=1):
        base = M15 * 2 ** (n - 1)
        assert base <= delay <= base * 1.2
    assert all(timedelta(hours=24) <= d <= timedelta(hours=24) * 1.2 for d in delays[7:])
    spread = {
        backoff(now=NOW, configured=M15, consecutive_errors=3, retry_after=None, rng=rng).when
        for _ in range(20)
    }
    assert len(spread) > 1


def test_backoff_honours_retry_after() -> None:
    """Retry-After longer than the backoff wins, and says so; a shorter one is backoff."""
    rng = random.Random(1)
    assert backoff(now=NOW, configured=M15, consecutive_errors=1, retry_after=5 * H, rng=rng) == (
        NOW + 5 * H,
        "retry-after",
    )
    assert (
        backoff(now=NOW, configured=M15, consecutive_errors=1, retry_after=M1, rng=rng).reason
        == "backoff"
    )


def test_parse_retry_after() -> None:
    """Seconds, HTTP dates (past ones give zero), and garbage."""
    assert parse_retry_after("120", now=NOW) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 23 Nov 2026 13:30:00 GMT", now=NOW) == timedelta(minutes=90)
    assert parse_retry_after("Mon, 23 Nov 2026 10:00:00 GMT", now=NOW) == timedelta(0)
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


@pytest.mark.parametrize(
    "value",
    ["nan", "NaN", "inf", "-inf", "-5", "1e9", "\u0661\u0662", "\u00b2", "0x10", "", "  ", "1 2"],
)
def test_retry_after_garbage_is_ignored(value: str) -> None:
    """Anything but ASCII delta-seconds or an HTTP-date is as if absent (never a ValueError)."""
    assert parse_retry_after(value, now=NOW) is None


def test_huge_hints_are_clamped() -> None:
    """Numbers that would overflow timedelta (or int(), at 5,000 digits) come back clamped to
    the limit given, MAX_HINT by default."""
    huge = "99999999999999999999"
    assert parse_retry_after(huge, now=NOW) == MAX_HINT
    assert parse_retry_after(huge, now=NOW, limit=MAX_RETRY_AFTER) == MAX_RETRY_AFTER
    assert parse_retry_after("9" * 5000, now=NOW) == MAX_HINT
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now=NOW) == MAX_HINT
    assert parse_retry_after("120.7", now=NOW) == timedelta(seconds=120)
    assert parse_cache_max_age(f"max-age={huge}") == MAX_HINT
    assert parse_cache_max_age("s-maxage=" + "9" * 5000) == MAX_HINT
    assert bounded_int("0000000000000000000000042", 100) == 42
    assert bounded_int(huge, 100) == 100


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


FEED = ClaimedFeed("feed", "https://example.org/rss", False, M15, '"old"', "old-date", 2, 500)


def _answer(status: int, **kw: object) -> FeedFetch:
    args: dict[str, object] = {
        "status": status,
        "url": FEED.url,
        "body": b"<rss/>" if 200 <= status < 300 else None,
        "etag": '"e"',
        "last_modified": "lm",
        "gone": status == 410,
    }
    args.update(kw)
    return FeedFetch(**args)  # type: ignore[arg-type]


def _record(outcome: FeedFetch | Failure, feed: ClaimedFeed = FEED, **kw: object) -> PollRecord:
    return poll_record(feed, outcome, now=NOW, rng=random.Random(7), max_interval=24 * H, **kw)  # type: ignore[arg-type]


def test_an_answer_becomes_a_healthy_record_with_its_validators_and_slot() -> None:
    """A 200 or 304 resets the feed's health, keeps the validators sent, names a moved feed's
    new address, and schedules the next slot from the same rules as next_poll."""
    moved = _answer(200, permanent_redirect="https://example.org/new")
    for outcome in (moved, _answer(304, permanent_redirect="https://example.org/new")):
        record = _record(outcome)
        assert record == PollRecord(
            ok=True,
            status=outcome.status,
            next_poll=_next(name="feed").when,
            etag='"e"',
            last_modified="lm",
            new_url="https://example.org/new",
            reason="interval",
        )


def test_ttl_entry_times_and_hints_reach_the_schedule() -> None:
    """The poll record's next poll is next_poll's over the feed's policy, its entry times and
    TTL, and the answer's max-age and Retry-After."""
    auto = ClaimedFeed(
        "feed", FEED.url, False, M15, None, None, 0, 200, auto=True, max_interval=6 * H
    )
    times = [NOW - 2 * H, NOW - H]
    expected = next_poll(
        now=NOW,
        name="feed",
        interval=M15,
        auto=True,
        max_interval=6 * H,
        entry_times=times,
        ttl=None,
        cache_max_age=None,
        retry_after=None,
    )
    assert _record(_answer(200), auto, entry_times=times).next_poll == expected.when
    assert _record(_answer(200), ttl=H).reason == "ttl"
    assert _record(_answer(200, cache_max_age=H)).reason == "ttl"
    late = _record(_answer(200, retry_after=2 * H))
    assert (late.next_poll, late.reason) == (NOW + 2 * H, "retry-after")


def test_a_poll_that_deferred_items_drops_its_validators_and_comes_back_soon() -> None:
    """Deferred items: no validators kept (a 304 would hide them) and the backlog's delay."""
    record = _record(_answer(200), deferred=True)
    assert (record.etag, record.last_modified) == (None, None)
    assert (record.next_poll, record.reason) == (NOW + BACKLOG_DELAY, "backlog")


def test_a_failure_backs_off_from_the_feeds_error_count() -> None:
    """A failure counts one more error than the feed has and backs off like `backoff`; the
    validators are left alone (None: the store keeps the old ones)."""
    record = _record(Failure(503, "HTTP 503", None))
    expected = backoff(
        now=NOW,
        configured=M15,
        consecutive_errors=3,
        retry_after=None,
        rng=random.Random(7),
        max_interval=24 * H,
    )
    assert record == PollRecord(
        ok=False, status=503, error="HTTP 503", next_poll=expected.when, reason="backoff"
    )
    waited = _record(Failure(429, "HTTP 429", 5 * H))
    assert (waited.next_poll, waited.reason) == (NOW + 5 * H, "retry-after")
    assert _record(Failure(None, "timed out")).status is None


def test_a_gone_feed_is_disabled() -> None:
    """A 410 disables the feed with the documented reason, checked again after max_interval."""
    assert _record(_answer(410)) == PollRecord(
        ok=False, status=410, error=GONE_REASON, gone=True, next_poll=NOW + 24 * H
    )


def test_an_answer_without_a_feed_is_a_failure_carrying_retry_after() -> None:
    """4xx/5xx answers are failures named by their status, with the server's Retry-After;
    2xx, 304 and 410 are not failures."""
    assert failure_of(_answer(429, retry_after=M1)) == Failure(429, "HTTP 429", M1)
    assert failure_of(_answer(500)) == Failure(500, "HTTP 500", None)
    assert [failure_of(_answer(s)) for s in (200, 204, 304, 410)] == [None] * 4


def test_our_own_database_failing_is_retried_after_one_interval() -> None:
    """A poll that failed on our own database (a server restart) is no fault of the feed's:
    it comes back after one interval (plus jitter) however many errors the feed has had,
    where a failure of the feed's doubles the wait for each one in a row."""
    assert FEED.consecutive_errors == 2
    ours = _record(Failure(None, "StoreError: database error", ours=True))
    theirs = _record(Failure(None, "ConnectError: refused"))
    assert not ours.ok
    assert ours.reason == "backoff"
    assert NOW + M15 <= ours.next_poll <= NOW + M15 * 1.2
    assert theirs.next_poll >= NOW + M15 * 4
