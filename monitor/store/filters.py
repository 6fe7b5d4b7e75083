"""What a request for matches may say: the filter, its time values and its page cursor."""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from monitor.errors import MonitorError, shown
from monitor.store.textsearch import parse_text_query
from monitor.timefmt import duration_seconds

MAX_PAGE = 500
# Bounds of what a request may say: ids a PostgreSQL bigint (and a SQLite INTEGER) holds and
# string sizes no real filter reaches. Times only need to stay within the calendar in UTC
# (years 1-9999), which both databases hold.
MAX_ID = 2**63 - 1
MAX_NAME = 200  # a watch, feed, actor or issue name
MAX_TAGS = 50  # actor and issue ids in one request
MAX_TEXT = 1000  # a full-text query
MAX_CURSOR = 200


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
    if len(text) > 64 or _control(text):
        raise ValueError(
            f"{shown(text)} is neither an ISO date/datetime (2026-11-23, "
            "2026-11-23T10:00:00Z) nor a duration (30m, 12h, 7d, 2w)"
        )
    seconds = duration_seconds(text)
    if seconds is not None:
        try:
            return now - timedelta(seconds=seconds)
        except (OverflowError, ValueError):
            raise ValueError(
                f"{shown(text)} reaches back past the year 1; give a shorter duration or a date"
            ) from None
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            try:
                day += timedelta(days=1 if end else 0)
            except OverflowError:  # the day after 9999-12-31
                raise ValueError(
                    f"{shown(text)} is the last day the calendar has; give an earlier date"
                ) from None
            return datetime.combine(day, time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{shown(text)} is neither an ISO date/datetime (2026-11-23, "
            "2026-11-23T10:00:00Z) nor a duration (30m, 12h, 7d, 2w)"
        ) from None
    try:
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the calendar's first day in UTC
        raise ValueError(
            f"{shown(text)} falls outside the calendar in UTC; give a date "
            "between the years 1 and 9999"
        ) from None


def _control(value: str) -> bool:
    return any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value)


def check_name(field: str, value: str, limit: int = MAX_NAME) -> None:
    """FilterError unless `value` is a name a filter can hold: no control character (NUL
    cannot reach PostgreSQL) and at most `limit` characters."""
    if _control(value):
        raise FilterError(field, f"{shown(value)} contains a control character")
    if len(value) > limit:
        raise FilterError(field, f"is {len(value)} characters long; at most {limit}")


def check_id(field: str, value: int) -> None:
    """FilterError unless `value` is an id the databases can hold (1 .. 2**63-1)."""
    if not 1 <= value <= MAX_ID:
        raise FilterError(
            field, f"must be an id between 1 and {MAX_ID}, got {shown(str(value), 24)}"
        )


def encode_cursor(matched_at: datetime, article_id: int) -> str:
    """An opaque cursor: the position after which the next page starts."""
    raw = f"{matched_at.astimezone(UTC).isoformat()}|{article_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor names; FilterError when it is not one we issued."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, article_id = raw.split("|")
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None or not article_id.isascii() or not article_id.isdigit():
            raise ValueError("naive")
        position = parsed.astimezone(UTC), int(article_id)  # OverflowError off the calendar
        if not 1 <= position[1] <= MAX_ID:
            raise ValueError("out of range")
        return position
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise FilterError(
            "cursor",
            "not a cursor this API issued; pass next_cursor from the previous page unchanged",
        ) from None


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
        if len(self.actors) + len(self.issues) > MAX_TAGS:
            raise FilterError("actor", f"at most {MAX_TAGS} actor and issue ids at once")
        for field, values in (
            ("actor", self.actors),
            ("issue", self.issues),
            ("watch", (self.watch,)),
            ("feed", (self.feed,)),
        ):
            for one in values:
                if one is not None:
                    check_name(field, one)
        if self.story is not None:
            check_id("story", self.story)
        if self.cursor is not None:
            decode_cursor(self.cursor)
        if self.text is not None:
            check_name("text", self.text, MAX_TEXT)
            try:
                parse_text_query(self.text)
            except MonitorError as exc:
                raise FilterError("text", _cut(str(exc))) from None

    @property
    def folded(self) -> bool:
        """Whether the page shows one entry per story (later copies skipped)."""
        return not self.all_copies and self.story is None

    @property
    def tags(self) -> tuple[str, ...]:
        """Every actor and issue id that must be present, without repeats."""
        return tuple(dict.fromkeys((*self.actors, *self.issues)))


def _cut(message: str, width: int = 200) -> str:
    return message if len(message) <= width else message[:width] + "…"
