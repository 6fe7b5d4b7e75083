"""Read-only queries of the analyst's desk (monitor/web/): counts per day, co-occurrence,
tag names, and the outbox as the desk lists it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from monitor.store.base import StoreBase, table_of
from monitor.store.models import OutboxRow, WatchMatchRow
from monitor.store.trends import PAIR_DAYS as _PAIR_DAYS
from monitor.store.trends import PAIR_SPREAD as _PAIR_SPREAD
from monitor.store.trends import TAG_DAYS as _TAG_DAYS

_WATCHES = table_of(WatchMatchRow)
_OUTBOX = table_of(OutboxRow)


@dataclass(frozen=True, slots=True)
class TagName:
    """An actor or issue seen in stored tags: id, kind, display name, articles in a period."""

    id: str
    kind: str
    name: str
    articles: int


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox row as the desk lists it (the payload left out)."""

    id: int
    channel: str
    watch: str
    article_id: int
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Cooccurrence:
    """Actors (rows) x issues (columns): articles of a period tagged with both."""

    actors: tuple[TagName, ...]
    issues: tuple[TagName, ...]
    counts: dict[tuple[str, str], int]


def _day(column: Any, postgresql: bool) -> Any:
    """The UTC calendar day of a stored time, as 'YYYY-MM-DD' text on both dialects."""
    if postgresql:
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text, in UTC: the
    # day is its first ten characters (a third cheaper than strftime over many rows)
    return sa.func.substr(column, 1, 10)


def _whole_day(when: datetime | None) -> date | None:
    """The UTC day a period bound starts; the counts have whole days only."""
    if when is None:
        return None
    utc = when.astimezone(UTC)
    if utc.time() != time():
        raise ValueError(
            f"trend periods are whole UTC days: {when.isoformat()} is not 00:00 "
            "UTC; round it to the day"
        )
    return utc.date()


def _in_period(
    column: Any, since: date | datetime | None, until: date | datetime | None
) -> list[Any]:
    out = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        int(row.id),
        row.channel,
        row.watch,
        int(row.article_id),
        row.state,
        int(row.attempts),
        row.last_error,
        _aware(row.created_at),
        _aware(row.next_attempt_at),
        _aware(row.delivered_at),
    )


class DeskStore(StoreBase):
    """Read-only use cases of the desk's pages."""

    def _pg(self) -> bool:
        return self.db.dialect == "postgresql"

    def tag_days(
        self, tag_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, dict[date, int]]:
        """Stories per UTC day that each of `tag_ids` tags (at either level) in the period of
        whole UTC days [since, until): what the matches page lists for that tag and day. Read
        from the counts kept on write (monitor.store.trends)."""
        if not tag_ids:
            return {}
        c = _TAG_DAYS.c
        stmt = sa.select(c.tag_id, c.day, c.stories).where(
            c.tag_id.in_(list(tag_ids)),
            c.stories > 0,
            *_in_period(c.day, _whole_day(since), _whole_day(until)),
        )
        rows = self.db.fetch(lambda conn: conn.execute(stmt).all())
        out: dict[str, dict[date, int]] = {t: {} for t in tag_ids}
        for tag, day, n in rows:
            out[tag][day] = int(n)
        return out

    def watch_days(self, since: datetime) -> dict[str, dict[date, int]]:
        """Matches per UTC day of every watch since `since`."""
        day = _day(_WATCHES.c.matched_at, self._pg()).label("day")
        stmt = (
            sa.select(_WATCHES.c.watch, day, sa.func.count())
            .where(_WATCHES.c.matched_at >= since)
            .group_by(_WATCHES.c.watch, day)
        )
        out: dict[str, dict[date, int]] = {}
        for watch, when, n in self.db.fetch(lambda conn: conn.execute(stmt).all()):
            out.setdefault(watch, {})[date.fromisoformat(when)] = int(n)
        return out

    def top_tags(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
        limit: int = 200,
    ) -> list[TagName]:
        """Actors and issues tagged in the period (whole UTC days; open when None), most
        articles first. Read from the counts kept on write (monitor.store.trends)."""
        c = _TAG_DAYS.c
        conds = _in_period(c.day, _whole_day(since), _whole_day(until))
        if kind is not None:
            conds.append(c.kind == kind)
        n = sa.func.sum(c.articles).label("n")
        stmt = (
            sa.select(c.tag_id, sa.func.max(c.kind), sa.func.max(c.name), n)
            .where(*conds)
            .group_by(c.tag_id)
            .having(n > 0)
            .order_by(n.desc(), c.tag_id)
            .limit(limit)
        )
        return [
            TagName(t, k, name, int(count))
            for t, k, name, count in self.db.fetch(lambda conn: conn.execute(stmt).all())
        ]

    def cooccurrence(
        self, since: datetime, until: datetime, actors: Sequence[TagName], issues: Sequence[TagName]
    ) -> Cooccurrence:
        """For each pair of `actors` x `issues` (e.g. the period's most tagged, from
        top_tags), how many stories of the period (whole UTC days) carry both tags (at either
        level) on one article. Read from the counts kept on write: the stories per pair and
        day, less the days after the first of a story that carries the pair on several days
        of the period (monitor.store.trends)."""
        if not actors or not issues:
            return Cooccurrence(tuple(actors), tuple(issues), {})
        lo, hi = _whole_day(since), _whole_day(until)
        p, x = _PAIR_DAYS.c, _PAIR_SPREAD.c
        pairs = (
            sa.select(p.actor_id, p.issue_id, sa.func.sum(p.stories))
            .where(
                p.actor_id.in_([t.id for t in actors]),
                p.issue_id.in_([t.id for t in issues]),
                *_in_period(p.day, lo, hi),
            )
            .group_by(p.actor_id, p.issue_id)
        )
        days = sa.func.count().label("days")
        repeats = (
            sa.select(x.actor_id, x.issue_id, days - 1)
            .where(
                x.actor_id.in_([t.id for t in actors]),
                x.issue_id.in_([t.id for t in issues]),
                *_in_period(x.day, lo, hi),
            )
            .group_by(x.actor_id, x.issue_id, x.story_id)
            .having(days > 1)
        )

        def read(conn: sa.Connection) -> tuple[list[Any], list[Any]]:
            return list(conn.execute(pairs).all()), list(conn.execute(repeats).all())

        totals, extra = self.db.fetch(read)
        counts = {(a, i): int(n) for a, i, n in totals}
        for a, i, n in extra:
            counts[(a, i)] -= int(n)
        return Cooccurrence(
            tuple(actors), tuple(issues), {k: n for k, n in counts.items() if n > 0}
        )

    def outbox_entries(self, state: str | None = None, limit: int = 200) -> list[OutboxEntry]:
        """Outbox rows, newest first, in `state` (every state when None)."""
        stmt = sa.select(_OUTBOX).order_by(_OUTBOX.c.id.desc()).limit(limit)
        if state is not None:
            stmt = stmt.where(_OUTBOX.c.state == state)
        return [_entry(r) for r in self.db.fetch(lambda conn: conn.execute(stmt).all())]

    def outbox_states(self) -> dict[str, int]:
        """How many outbox rows are in each state."""
        stmt = sa.select(_OUTBOX.c.state, sa.func.count()).group_by(_OUTBOX.c.state)
        return {s: int(n) for s, n in self.db.fetch(lambda conn: conn.execute(stmt).all())}

    def article_alerts(self, article_id: int) -> list[OutboxEntry]:
        """Where the alerts of an article's matches went: its outbox rows, oldest first."""
        stmt = sa.select(_OUTBOX).where(_OUTBOX.c.article_id == article_id).order_by(_OUTBOX.c.id)
        return [_entry(r) for r in self.db.fetch(lambda conn: conn.execute(stmt).all())]
