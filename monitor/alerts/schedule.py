"""Pure: when a digest is due ("every 1h", "daily 08:00", "weekly mon 08:00" in a time zone)."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(
    r"^\s*(?:(daily)|weekly\s+(mon|tue|wed|thu|fri|sat|sun)[a-z]*)\s+(\d{1,2}):(\d{2})\s*$", re.I
)


@dataclass(frozen=True, slots=True)
class Every:
    """A digest every `period`, counted from the last digest (or the oldest waiting alert)."""

    period: timedelta

    def due(self, since: datetime, now: datetime) -> bool:
        """True when a digest whose period began at `since` is due at `now`."""
        return since + self.period <= now

    def describe(self) -> str:
        """For people: "every 1:00:00"."""
        return f"every {self.period}"


@dataclass(frozen=True, slots=True)
class AtTime:
    """A digest at a wall-clock time, every day or on one weekday, in a time zone.

    The time is kept on the wall clock across daylight-saving changes ("08:00" stays 08:00
    local); a time that a spring-forward change skips runs at the shifted instant.
    """

    at: time
    zone: tzinfo
    weekday: int | None = None  # 0 = Monday; None: every day

    def last_slot(self, now: datetime) -> datetime:
        """The latest scheduled instant at or before `now`."""
        local = now.astimezone(self.zone)
        slot = datetime.combine(local.date(), self.at, tzinfo=self.zone)
        if self.weekday is not None:
            slot -= timedelta(days=(local.weekday() - self.weekday) % 7)
        step = timedelta(days=1 if self.weekday is None else 7)
        while slot.astimezone(UTC) > now.astimezone(UTC):
            slot = datetime.combine(slot.date() - step, self.at, tzinfo=self.zone)
        return slot

    def due(self, since: datetime, now: datetime) -> bool:
        """True when a scheduled instant fell after `since` and at or before `now`."""
        return self.last_slot(now).astimezone(UTC) > since.astimezone(UTC)

    def describe(self) -> str:
        """For people: "daily 08:00 Europe/London"."""
        day = "daily" if self.weekday is None else f"weekly {_WEEKDAYS[self.weekday]}"
        return f"{day} {self.at:%H:%M} {self.zone}"


Schedule = Every | AtTime


def zone(name: str | None) -> tzinfo:
    """The IANA time zone `name` (UTC when None); ValueError naming it otherwise."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: name too long
        raise ValueError(
            f"unknown time zone {name!r}; write an IANA name such as "
            "'Europe/London' or 'America/New_York'"
        ) from exc


def parse_schedule(text: str, timezone: str | None = None) -> AtTime:
    """ "daily HH:MM" or "weekly DAY HH:MM" in `timezone` (default UTC); ValueError if not."""
    found = _SCHEDULE.match(text)
    if not found:
        raise ValueError(f'{text!r} is not a schedule; write "daily 08:00" or "weekly mon 08:00"')
    daily, day, hours, minutes = found.groups()
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{text!r}: {hours}:{minutes} is not a time of day")
    weekday = None if daily else _WEEKDAYS.index(day.lower()[:3])
    return AtTime(time(int(hours), int(minutes)), zone(timezone), weekday)
