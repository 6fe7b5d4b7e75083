"""The wall clock: the one place that reads the time; components take it as a `Clock`."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (the default of every component that takes a clock)."""
    return datetime.now(UTC)
