"""The one way instants and durations are written and read, and the clock they come from."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor import atom, clock
from monitor.api import jsonable
from monitor.cli.common import to_json
from monitor.config import parse_duration
from monitor.store.filters import parse_when
from monitor.timefmt import duration_seconds, iso_z

EAST = timezone(timedelta(hours=8))
EXACT = datetime(2026, 11, 23, 18, 0, 5, 250000, tzinfo=EAST)


def test_iso_z_is_utc_with_z_keeping_microseconds_unless_told() -> None:
    """Any zone becomes UTC with a Z; microseconds stay unless `seconds` drops them."""
    assert iso_z(EXACT) == "2026-11-23T10:00:05.250000Z"
    assert iso_z(EXACT, seconds=True) == "2026-11-23T10:00:05Z"
    assert iso_z(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) == "2026-11-23T10:00:00Z"


def test_iso_z_takes_a_naive_value_as_utc() -> None:
    """A naive datetime is read as UTC, never as the machine's local time."""
    assert iso_z(datetime(2026, 11, 23, 10, 0, 5)) == "2026-11-23T10:00:05Z"


def test_every_output_uses_the_one_format() -> None:
    """CLI and API JSON keep the exact instant; Atom is to the second; all say UTC with Z."""
    assert jsonable({"at": [EXACT]}) == {"at": ["2026-11-23T10:00:05.250000Z"]}
    assert to_json({"at": EXACT, "day": EXACT.date()}) == (
        '{"at":"2026-11-23T10:00:05.250000Z","day":"2026-11-23"}'
    )
    assert atom._when(EXACT) == "2026-11-23T10:00:05Z"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90.0), ("15m", 900.0), (" 1.5h ", 5400.0), ("1 d", 86400.0), ("2w", 1209600.0)],
)
def test_duration_seconds_reads_a_number_and_one_unit(text: str, seconds: float) -> None:
    """A decimal number and one of s, m, h, d, w, with spaces around allowed."""
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "1y", "-5m", "1h30m", "1e3s", "5 mins"])
def test_duration_seconds_refuses_what_is_not_one(text: str) -> None:
    """No unit, an unknown unit, a sign, two parts or an exponent: not a duration."""
    assert duration_seconds(text) is None


def test_config_and_filters_read_durations_alike() -> None:
    """feeds.toml's durations and `--since 7d` go through the same parser."""
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    for text in ("90s", "15m", "1.5h", "7d", "2w"):
        assert parse_when(text, now) == now - parse_duration(text)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("7 days")


def test_clock_is_aware_utc_and_moves() -> None:
    """`utcnow` is timezone-aware UTC, between two readings of the system clock."""
    before = datetime.now(UTC)
    now = clock.utcnow()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)
