"""Bounded parsers of the numbers servers send: Retry-After, Cache-Control max-age, counts.

Every number a server (or a feed) names is clamped to a documented limit before it becomes a
timedelta or a datetime: `Retry-After: 99999999999999999999` would otherwise overflow
timedelta, and 5,000 digits overflow int(). Anything that is not a plain decimal number or
an HTTP-date (`nan`, `inf`, `-1`, `1e9`, Unicode digits) is ignored, as if absent.
"""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# The longest delay any hint is read as. Callers cap further by policy: the feed scheduler
# honours a Retry-After of up to a week (monitor.decide.MAX_RETRY_AFTER) and TTL/max-age up
# to an hour or an `auto` feed's max_interval; an alert channel honours up to a day.
MAX_HINT = timedelta(days=365)
_MAX_DIGITS = 12  # more digits than this exceed every limit used (all are below 10**12)
_NUMBER = re.compile(r"([0-9]+)(?:\.[0-9]*)?", re.ASCII)
_MAX_AGE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?([0-9]+)\"?",
                      re.IGNORECASE | re.ASCII)
_NO_CACHE = re.compile(r"(?:^|[,\s])(no-store|no-cache)(?:$|[,\s=])", re.IGNORECASE)


def bounded_int(value: object, limit: int) -> int | None:
    """A non-negative decimal integer (ASCII digits, a fraction dropped) clamped to `limit`;
    None for anything else."""
    if not isinstance(value, str):
        return None
    found = _NUMBER.fullmatch(value.strip())
    if found is None:
        return None
    digits = found.group(1).lstrip("0") or "0"
    return limit if len(digits) > _MAX_DIGITS else min(int(digits), limit)


def bounded_seconds(value: object, limit: timedelta = MAX_HINT) -> timedelta | None:
    """delta-seconds as a timedelta of at most `limit`; None when it is not a number."""
    seconds = bounded_int(value, int(limit.total_seconds()))
    return None if seconds is None else timedelta(seconds=seconds)


def parse_retry_after(value: str | None, *, now: datetime,
                      limit: timedelta = MAX_HINT) -> timedelta | None:
    """Retry-After as a delay in [0, limit]: delta-seconds or an HTTP-date (a past date gives
    zero); None when absent or not one of those."""
    if value is None:
        return None
    delay = bounded_seconds(value, limit)
    if delay is not None:
        return delay
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not isinstance(when, datetime):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), limit)


def parse_cache_max_age(cache_control: str | None,
                        limit: timedelta = MAX_HINT) -> timedelta | None:
    """The freshness lifetime a Cache-Control header grants (s-maxage over max-age), at most
    `limit`; None when it grants none."""
    if not cache_control or _NO_CACHE.search(cache_control):
        return None
    found = {name.lower(): seconds for name, seconds in _MAX_AGE.findall(cache_control)}
    seconds = found.get("s-maxage", found.get("max-age"))
    return None if seconds is None else bounded_seconds(seconds, limit)
