"""What a server's answer means: bounded parsers of the numbers servers send (Retry-After,
Cache-Control max-age, counts) and where a chain of redirects permanently leads.

Every number a server (or a feed) names is clamped to a documented limit before it becomes a
timedelta or a datetime: `Retry-After: 99999999999999999999` would otherwise overflow
timedelta, and 5,000 digits overflow int(). Anything that is not a plain decimal number or
an HTTP-date (`nan`, `inf`, `-1`, `1e9`, Unicode digits) is ignored, as if absent.
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# The longest delay any hint is read as. Callers cap further by policy (the `limit` of each
# parser): a feed's Retry-After at MAX_RETRY_AFTER, its TTL/max-age at an hour or an `auto`
# feed's max_interval (monitor.decide), a webhook receiver's Retry-After at a day
# (monitor.alerts.webhook.RETRY_AFTER_LIMIT).
MAX_HINT = timedelta(days=365)
MAX_RETRY_AFTER = timedelta(days=7)  # a feed's server may not park it for longer than this
_MAX_DIGITS = 12  # more digits than this exceed every limit used (all are below 10**12)
_NUMBER = re.compile(r"([0-9]+)(?:\.[0-9]*)?", re.ASCII)
_MAX_AGE = re.compile(
    r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?([0-9]+)\"?", re.IGNORECASE | re.ASCII
)
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


def parse_retry_after(
    value: str | None, *, now: datetime, limit: timedelta = MAX_HINT
) -> timedelta | None:
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


def parse_cache_max_age(cache_control: str | None, limit: timedelta = MAX_HINT) -> timedelta | None:
    """The freshness lifetime a Cache-Control header grants (s-maxage over max-age), at most
    `limit`; None when it grants none."""
    if not cache_control or _NO_CACHE.search(cache_control):
        return None
    found = {name.lower(): seconds for name, seconds in _MAX_AGE.findall(cache_control)}
    seconds = found.get("s-maxage", found.get("max-age"))
    return None if seconds is None else bounded_seconds(seconds, limit)


def permanent_target(redirects: Sequence[tuple[int, str]]) -> str | None:
    """Where a chain of redirects that starts with permanent hops (301/308) permanently leads."""
    target = None
    for status, location in redirects:
        if status not in (301, 308):
            break
        target = location
    return target
