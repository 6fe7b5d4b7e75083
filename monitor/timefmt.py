"""Pure: how instants and durations are written (ISO 8601 with `Z`; '15m', '2w')."""

import re
from datetime import UTC, datetime

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def iso_z(value: datetime, *, seconds: bool = False) -> str:
    """`value` as ISO 8601 in UTC with a `Z` suffix; a naive value is taken as UTC.

    Microseconds are kept when the value has them (the CLI's and the API's JSON, CSV, the
    desk's `<time datetime>`), dropped with `seconds` (alert payloads, Atom).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if seconds:
        value = value.replace(microsecond=0)
    return value.isoformat().replace("+00:00", "Z")


def duration_seconds(text: str) -> float | None:
    """The seconds of a duration written as a number and one unit ('90s', '15m', '1.5h',
    '1d', '2w'; spaces around are allowed); None when `text` is not one."""
    found = _DURATION.match(text)
    return float(found.group(1)) * _UNIT_SECONDS[found.group(2)] if found else None
