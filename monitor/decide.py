"""Pure polling decisions: next poll time from entry frequency and server hints, error backoff."""

import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

WEEK = timedelta(days=7)
MAX_RETRY_AFTER = timedelta(days=7)  # a server may not park a feed for longer than this
MAX_BACKOFF_DOUBLINGS = 16
JITTER = 0.2  # backoff delays grow by up to 20 % at random so failing feeds do not march in step

_MAX_AGE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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


def next_poll(
    *, now: datetime, configured: timedelta, entry_times: Sequence[datetime],
    ttl: timedelta | None, cache_max_age: timedelta | None, retry_after: timedelta | None,
    max_interval: timedelta = timedelta(hours=24),
) -> datetime:
    """When to poll a feed after a successful fetch.

    The adaptive interval, lengthened to the feed's TTL and the response's max-age, is clamped
    to [configured, max(configured, max_interval)]; Retry-After (up to a week) wins over all.
    """
    ceiling = max(configured, max_interval)
    interval = adaptive_interval(now=now, entry_times=entry_times,
                                 max_interval=max_interval) or configured
    for hint in (ttl, cache_max_age):
        if hint is not None and hint > interval:
            interval = hint
    interval = min(max(interval, configured), ceiling)
    if retry_after is not None:
        interval = max(interval, min(retry_after, MAX_RETRY_AFTER))
    return _aware(now) + interval


def backoff(
    *, now: datetime, configured: timedelta, consecutive_errors: int,
    retry_after: timedelta | None, rng: random.Random,
    max_interval: timedelta = timedelta(hours=24),
) -> datetime:
    """When to retry a failing feed: configured x 2^(errors-1), capped, plus up to 20 % jitter.

    Never sooner than `configured` nor than Retry-After (itself capped at a week).
    """
    doublings = min(max(consecutive_errors - 1, 0), MAX_BACKOFF_DOUBLINGS)
    delay: timedelta = min(configured * 2**doublings, max(configured, max_interval))
    delay += delay * JITTER * rng.random()
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return _aware(now) + delay


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """Retry-After as a delay: delta-seconds or an HTTP-date (past dates give zero)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if not isinstance(when, datetime):
        return None
    return max(_aware(when) - _aware(now), timedelta(0))


def parse_cache_max_age(cache_control: str | None) -> timedelta | None:
    """The freshness lifetime a Cache-Control header grants (s-maxage over max-age), if any."""
    if not cache_control:
        return None
    if re.search(r"(?:^|[,\s])(no-store|no-cache)(?:$|[,\s=])", cache_control, re.IGNORECASE):
        return None
    found = {name.lower(): int(seconds) for name, seconds in _MAX_AGE.findall(cache_control)}
    seconds = found.get("s-maxage", found.get("max-age"))
    return None if seconds is None else timedelta(seconds=seconds)


def permanent_target(redirects: Sequence[tuple[int, str]]) -> str | None:
    """Where a chain of redirects that starts with permanent hops (301/308) permanently leads."""
    target = None
    for status, location in redirects:
        if status not in (301, 308):
            break
        target = location
    return target
