"""Pure polling decisions: next poll time and its reason, the feed's phase, error backoff."""

import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

WEEK = timedelta(days=7)
MAX_RETRY_AFTER = timedelta(days=7)  # a server may not park a feed for longer than this
MAX_BACKOFF_DOUBLINGS = 16
JITTER = 0.2  # backoff delays grow by up to 20 % at random so failing feeds do not march in step
# A feed's TTL or Cache-Control max-age may stretch a fixed interval up to this (an `auto` feed
# up to its max_interval): a CDN's default max-age must not turn "1m" into hours.
HINT_CAP = timedelta(hours=1)
AUTO_UNKNOWN = timedelta(minutes=15)  # an `auto` feed without dated entries, before clamping
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# Why a feed's next poll is where it is (`monitor feeds`, next_poll_reason).
Reason = Literal["interval", "retry-after", "backoff", "ttl", "disabled", "backlog"]
# A feed whose poll left new items for later (MONITOR_MAX_ITEMS_PER_POLL) comes back this soon
BACKLOG_DELAY = timedelta(minutes=1)


class NextPoll(NamedTuple):
    """When to poll a feed next, and why then."""

    when: datetime
    reason: Reason


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def with_backlog(planned: NextPoll, now: datetime) -> NextPoll:
    """The next poll of a feed that left new items for later: within BACKLOG_DELAY, so a
    backlog arrives in minutes, not one interval per capped poll; unless the server asked
    for a pause (Retry-After), which stands."""
    soon = _aware(now) + BACKLOG_DELAY
    if planned.reason == "retry-after" or planned.when <= soon:
        return planned
    return NextPoll(soon, "backlog")


def phase(name: str, interval: timedelta) -> timedelta:
    """A feed's stable offset within its interval (from its name): feeds sharing an interval
    fall due at even spacings instead of all at once."""
    digest = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")
    return timedelta(seconds=interval.total_seconds() * digest / 2**64)


def next_slot(*, now: datetime, name: str, interval: timedelta) -> datetime:
    """The first of the feed's slots (phase + k x interval) after `now`.

    Polled at a slot (or a tick after it), the next slot is at most one interval after the
    slot: the lateness of one poll never carries over to the next.
    """
    now = _aware(now)
    step = interval.total_seconds()
    if step <= 0:
        return now
    offset = (now - _EPOCH - phase(name, interval)).total_seconds()
    slots = int(offset // step) + 1
    return _EPOCH + phase(name, interval) + timedelta(seconds=slots * step)


def adaptive_interval(*, now: datetime, entry_times: Sequence[datetime],
                      max_interval: timedelta) -> timedelta | None:
    """The mean gap between the entries of the last week; None if unknown.

    A feed lists only its latest entries, so the gap among them (not a weekly count, which
    would make a busy feed with 20 items look slow) measures its pace. One recent entry: the
    time since it. Entries but none in the last week: `max_interval`. No dated entry: None.
    """
    now = _aware(now)
    times = sorted(_aware(t) for t in entry_times)
    if not times:
        return None
    recent = [t for t in times if now - WEEK <= t <= now + timedelta(minutes=5)]
    if not recent:
        return max_interval
    if len(recent) == 1:
        return max(now - recent[0], timedelta(0))
    return (recent[-1] - recent[0]) / (len(recent) - 1)


def feed_interval(*, now: datetime, interval: timedelta, auto: bool, max_interval: timedelta,
                  entry_times: Sequence[datetime]) -> timedelta:
    """The interval a healthy feed is polled at: the configured one, or with `auto` the
    feed's publishing pace clamped to [interval (its min_interval), max_interval]."""
    if not auto:
        return interval
    pace = adaptive_interval(now=now, entry_times=entry_times, max_interval=max_interval)
    return min(max(pace or AUTO_UNKNOWN, interval), max(interval, max_interval))


def next_poll(
    *, now: datetime, name: str, interval: timedelta, entry_times: Sequence[datetime],
    ttl: timedelta | None, cache_max_age: timedelta | None, retry_after: timedelta | None,
    auto: bool = False, max_interval: timedelta = timedelta(hours=6),
) -> NextPoll:
    """When to poll a feed after a successful fetch, and why.

    The feed's next slot (see `feed_interval` and `next_slot`); a TTL or max-age beyond it
    pushes it later (capped: HINT_CAP, or max_interval for `auto`), Retry-After (up to a
    week) later still. Nothing else ever makes a healthy feed wait longer than its interval.
    """
    now = _aware(now)
    every = feed_interval(now=now, interval=interval, auto=auto, max_interval=max_interval,
                          entry_times=entry_times)
    result = NextPoll(next_slot(now=now, name=name, interval=every), "interval")
    cap = max(max_interval, interval) if auto else max(HINT_CAP, interval)
    hints = [h for h in (ttl, cache_max_age) if h is not None]
    if hints and now + min(max(hints), cap) > result.when:
        result = NextPoll(now + min(max(hints), cap), "ttl")
    if retry_after is not None and now + min(retry_after, MAX_RETRY_AFTER) > result.when:
        result = NextPoll(now + min(retry_after, MAX_RETRY_AFTER), "retry-after")
    return result


def backoff(
    *, now: datetime, configured: timedelta, consecutive_errors: int,
    retry_after: timedelta | None, rng: random.Random,
    max_interval: timedelta = timedelta(hours=24),
) -> NextPoll:
    """When to retry a failing feed: configured x 2^(errors-1), capped, plus up to 20 % jitter.

    Never sooner than `configured` nor than Retry-After (itself capped at a week).
    """
    doublings = min(max(consecutive_errors - 1, 0), MAX_BACKOFF_DOUBLINGS)
    delay: timedelta = min(configured * 2**doublings, max(configured, max_interval))
    delay += delay * JITTER * rng.random()
    if retry_after is not None and min(retry_after, MAX_RETRY_AFTER) > delay:
        return NextPoll(_aware(now) + min(retry_after, MAX_RETRY_AFTER), "retry-after")
    return NextPoll(_aware(now) + delay, "backoff")


def permanent_target(redirects: Sequence[tuple[int, str]]) -> str | None:
    """Where a chain of redirects that starts with permanent hops (301/308) permanently leads."""
    target = None
    for status, location in redirects:
        if status not in (301, 308):
            break
        target = location
    return target
