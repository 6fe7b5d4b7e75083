"""What a request for matches may say: the filter, its time values and its page cursor."""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from monitor.errors import MonitorError
from monitor.store.textsearch import parse_text_query

MAX_PAGE = 500
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class FilterError(MonitorError):
    """A filter value that cannot be used; `field` names it, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


def parse_when(text: str, now: datetime, *, end: bool = False) -> datetime:
    """An ISO date or datetime, or a duration back from `now` ("7d", "12h"), as aware UTC.

    A bare date means the start of that UTC day, or with `end` (for --until) the start of
    the next, so `--until 2026-11-23` includes all of the 23rd.
    """
    found = _DURATION.match(text)
    if found:
        try:
            return now - timedelta(seconds=float(found.group(1)) * _UNIT[found.group(2)])
        except (OverflowError, ValueError):
            raise ValueError(f"{text!r} reaches back past the year 1; give a shorter "
                             "duration or a date") from None
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither an ISO date/datetime (2026-11-23, "
                         "2026-11-23T10:00:00Z) nor a duration (30m, 12h, 7d, 2w)") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def encode_cursor(matched_at: datetime, article_id: int) -> str:
    """An opaque cursor: the position after which the next page starts."""
    raw = f"{matched_at.astimezone(UTC).isoformat()}|{article_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor names; FilterError when it is not one we issued."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, article_id = raw.split("|")
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, int(article_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise FilterError("cursor", "not a cursor this API issued; pass next_cursor from "
                          "the previous page unchanged") from None


@dataclass(frozen=True, slots=True)
class MatchFilter:
    """What `monitor matches` and `GET /matches` ask for; every condition must hold."""

    actors: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    watch: str | None = None
    feed: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    limit: int = 50
    cursor: str | None = None
    # One entry per story (its earliest copy) unless all_copies; `story` lists that story's
    # copies only, every one of them.
    all_copies: bool = False
    story: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise FilterError("limit", f"must be between 1 and {MAX_PAGE}, got {self.limit}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise FilterError(name, "needs a timezone (use UTC)")
        if self.cursor is not None:
            decode_cursor(self.cursor)
        if self.text is not None:
            try:
                parse_text_query(self.text)
            except MonitorError as exc:
                raise FilterError("text", str(exc)) from None

    @property
    def folded(self) -> bool:
        """Whether the page shows one entry per story (later copies skipped)."""
        return not self.all_copies and self.story is None

    @property
    def tags(self) -> tuple[str, ...]:
        """Every actor and issue id that must be present, without repeats."""
        return tuple(dict.fromkeys((*self.actors, *self.issues)))

