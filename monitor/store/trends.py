"""Counts the desk's Trends page reads, kept in the transactions that write tags.

`trend_tag_days` holds, per (tag, UTC day of the tag's matched_at), the tag rows (articles)
and the distinct stories (copies folded: coalesce(story_id, id)) of that day; `trend_pair_days`
per (actor, issue, day of the actor's row) the distinct stories with an article carrying
both; `trend_pair_spread` lists, for the few stories that carry a pair on two days or more,
each of those days, so a period's co-occurrence counts such a story once, as a distinct
count over the period would (revision 0010). A (tag, day) row also keeps the tag's kind and
name as last written (both come from the vocabulary: the same for every row of a tag id).

Every change is worked out on the stories it touches: their tag rows are read before and
after (`marks`), and the difference is added to the counts (`apply`) with upserts that
increment, in key order (concurrent writers on PostgreSQL queue on a counter row, never
deadlock on two). Writers of one story hold its advisory lock on PostgreSQL (add_article's
_join, retag), so no other writer changes a story between its two reads.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from monitor.store.base import DriverSQL, StoreBase, insert_sql, table_of, with_lists
from monitor.store.models import TrendPairDayRow, TrendPairSpreadRow, TrendTagDayRow

TAG_DAYS = table_of(TrendTagDayRow)
PAIR_DAYS = table_of(TrendPairDayRow)
PAIR_SPREAD = table_of(TrendPairSpreadRow)

# One tag row of a story: (story, article, tag id, kind, name, UTC day)
Mark = tuple[int, int, str, str, str, date]


def day_sql(column: str, dialect: str) -> str:
    """The UTC calendar day of a stored time, as 'YYYY-MM-DD' text on both dialects."""
    if dialect == "postgresql":
        return f"to_char(timezone('UTC', {column}), 'YYYY-MM-DD')"
    # SQLite stores UTC datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the first ten
    return f"substr({column}, 1, 10)"


def utc_day(when: datetime) -> date:
    """The UTC day of an aware datetime (what day_sql gives for it once stored)."""
    return when.astimezone(UTC).date()


def _rows_sql(of_tags: bool) -> DriverSQL:
    def text(dialect: str) -> str:
        cols = (
            f"t.tag_id, t.kind, t.name, {day_sql('t.matched_at', dialect)} "
            "FROM article_tags t JOIN articles a ON a.id = t.article_id"
        )
        only = " AND t.tag_id IN :tags" if of_tags else ""
        return (
            f"SELECT a.story_id, t.article_id, {cols} WHERE a.story_id IN :stories{only} "
            f"UNION ALL SELECT a.id, t.article_id, {cols} "
            f"WHERE a.id IN :stories AND a.story_id IS NULL{only}"
        )

    return with_lists(text("sqlite"), "stories", "tags", postgresql=text("postgresql"))


# The id lists travel as one list parameter each (monitor.store.base.with_lists)
_ROWS = {of_tags: _rows_sql(of_tags) for of_tags in (False, True)}


@dataclass
class Marks:
    """What some stories contribute to the counts: per (tag, day) articles, stories, kind and
    name; per (actor, issue, day) stories; the (actor, issue, story, day) of multi-day pairs."""

    tags: dict[tuple[str, date], tuple[int, int, str, str]] = field(default_factory=dict)
    pairs: dict[tuple[str, str, date], int] = field(default_factory=dict)
    spread: set[tuple[str, str, int, date]] = field(default_factory=set)


def marks_of(rows: Iterable[Mark]) -> Marks:
    """The Marks of these tag rows (all the rows of the stories they cover)."""
    articles: Counter[tuple[str, date]] = Counter()
    stories: dict[tuple[str, date], set[int]] = defaultdict(set)
    kinds: dict[tuple[str, date], tuple[str, str]] = {}
    by_article: dict[tuple[int, int], list[tuple[str, str, date]]] = defaultdict(list)
    for story, article, tag, kind, name, day in rows:
        key = (tag, day)
        articles[key] += 1
        stories[key].add(story)
        old = kinds.get(key)
        kinds[key] = (max(old[0], kind), max(old[1], name)) if old else (kind, name)
        by_article[(story, article)].append((tag, kind, day))
    pair_stories: dict[tuple[str, str, date], set[int]] = defaultdict(set)
    pair_days: dict[tuple[str, str, int], set[date]] = defaultdict(set)
    for (story, _), tags in by_article.items():
        issues = [tag for tag, kind, _ in tags if kind == "issue"]
        for actor, kind, day in tags:
            if kind != "actor":
                continue
            for issue in issues:
                pair_stories[(actor, issue, day)].add(story)
                pair_days[(actor, issue, story)].add(day)
    return Marks(
        tags={k: (n, len(stories[k]), *kinds[k]) for k, n in articles.items()},
        pairs={k: len(v) for k, v in pair_stories.items()},
        spread={
            (a, i, s, d) for (a, i, s), days in pair_days.items() if len(days) > 1 for d in days
        },
    )


def story_rows(
    conn: sa.Connection, story_ids: Iterable[int], tags: Iterable[str] | None = None
) -> list[Mark]:
    """Every tag row of the given stories (of `tags` only, when given), with its story and
    UTC day."""
    ids = sorted(set(story_ids))
    if not ids:
        return []
    params: dict[str, Any] = {"stories": ids}
    if tags is not None:
        params["tags"] = sorted(set(tags))
    rows = _ROWS[tags is not None].run(conn, params).fetchall()
    return [(int(s), int(a), t, k, n, date.fromisoformat(d)) for s, a, t, k, n, d in rows]


def marks(conn: sa.Connection, story_ids: Iterable[int]) -> Marks:
    """The Marks of the given stories as stored now."""
    return marks_of(story_rows(conn, story_ids))


# Run on the driver's cursor (monitor.store.base.DriverSQL); the same SQL on both dialects.
_UPSERT_TAGS = DriverSQL(
    insert_sql(
        TAG_DAYS,
        ("tag_id", "day", "kind", "name", "articles", "stories"),
        'ON CONFLICT ("tag_id", "day") DO UPDATE SET '
        '"articles" = "trend_tag_days"."articles" + excluded."articles", '
        '"stories" = "trend_tag_days"."stories" + excluded."stories", '
        '"kind" = excluded."kind", "name" = excluded."name"',
    )
)
_UPSERT_PAIRS = DriverSQL(
    insert_sql(
        PAIR_DAYS,
        ("actor_id", "issue_id", "day", "stories"),
        'ON CONFLICT ("actor_id", "issue_id", "day") DO UPDATE SET '
        '"stories" = "trend_pair_days"."stories" + excluded."stories"',
    )
)
_INSERT_SPREAD = DriverSQL(insert_sql(PAIR_SPREAD, ("actor_id", "issue_id", "story_id", "day")))
_DELETE_SPREAD = DriverSQL(
    "DELETE FROM trend_pair_spread WHERE actor_id = :b_actor AND issue_id = :b_issue "
    "AND story_id = :b_story AND day = :b_day"
)


_NONE = (0, 0, "", "")  # a (tag, day) some Marks do not have


def apply(conn: sa.Connection, before: Marks, after: Marks) -> None:
    """Add (after - before) to the counts: the change of the stories both Marks cover."""
    tag_rows = []
    for key in sorted(before.tags.keys() | after.tags.keys()):
        old, new = before.tags.get(key, _NONE), after.tags.get(key, _NONE)
        if old == new:
            continue
        kind, name = new[2:] if new is not _NONE else old[2:]
        tag_rows.append(
            {
                "tag_id": key[0],
                "day": key[1],
                "kind": kind,
                "name": name,
                "articles": new[0] - old[0],
                "stories": new[1] - old[1],
            }
        )
    pair_rows = [
        {
            "actor_id": a,
            "issue_id": i,
            "day": d,
            "stories": after.pairs.get((a, i, d), 0) - before.pairs.get((a, i, d), 0),
        }
        for a, i, d in sorted(before.pairs.keys() | after.pairs.keys())
        if after.pairs.get((a, i, d), 0) != before.pairs.get((a, i, d), 0)
    ]
    gone = [
        {"b_actor": a, "b_issue": i, "b_story": s, "b_day": d}
        for a, i, s, d in sorted(before.spread - after.spread)
    ]
    new_spread = [
        {"actor_id": a, "issue_id": i, "story_id": s, "day": d}
        for a, i, s, d in sorted(after.spread - before.spread)
    ]
    for statement, rows in (
        (_UPSERT_TAGS, tag_rows),
        (_UPSERT_PAIRS, pair_rows),
        (_DELETE_SPREAD, gone),
        (_INSERT_SPREAD, new_spread),
    ):
        if rows:
            statement.many(conn, rows)


def add_up(total: Marks, more: Marks) -> None:
    """Add the Marks of new stories to `total`, which `apply(conn, Marks(), total)` then
    applies once before the transaction ends: the counters only ever take increments, so
    their order within a transaction does not change what it commits, and a trip of hundreds
    of articles increments each (tag, day) and (actor, issue, day) row once instead of once
    an article. (New stories have no spread: a story of one article has one day.)"""
    tags, pairs = total.tags, total.pairs
    for key, (articles, stories, kind, name) in more.tags.items():
        old = tags.get(key)
        tags[key] = (old[0] + articles, old[1] + stories, kind, name) if old else more.tags[key]
    for pair, stories in more.pairs.items():
        pairs[pair] = pairs.get(pair, 0) + stories


def count_added(
    conn: sa.Connection,
    article_id: int,
    story_id: int,
    tag_rows: Sequence[dict[str, Any]],
    prior: Marks | None,
    pending: Marks | None = None,
) -> None:
    """Count an article just stored with `tag_rows` (as inserted) into `story_id`.

    `prior`: the Marks of the stories the article merged, read before the merge; None when
    it merged none. A new story is counted from the rows alone (no read), added up into
    `pending` when given (`add_up`: its caller applies it before the transaction ends); a
    copy joining a story by one read of the story's rows of the article's tags (the story
    without the article is the before): only counts of those tags, and of pairs of them,
    can change.
    """
    if prior is None and not tag_rows:
        return
    if story_id == article_id and prior is None:
        marks = marks_of(
            (
                article_id,
                article_id,
                r["tag_id"],
                r["kind"],
                r["name"],
                utc_day(r["matched_at"]),
            )
            for r in tag_rows
        )
        if pending is not None:
            add_up(pending, marks)
        else:
            apply(conn, Marks(), marks)
        return
    rows = story_rows(
        conn, [story_id], None if prior is not None else [r["tag_id"] for r in tag_rows]
    )
    before = prior if prior is not None else marks_of(r for r in rows if r[1] != article_id)
    apply(conn, before, marks_of(rows))


_REBUILD = {
    "trend_tag_days": (
        "INSERT INTO trend_tag_days (tag_id, day, kind, name, articles, stories) "
        "SELECT t.tag_id, {day} AS d, max(t.kind), max(t.name), count(*), "
        "count(DISTINCT coalesce(a.story_id, a.id)) FROM article_tags t "
        "JOIN articles a ON a.id = t.article_id GROUP BY t.tag_id, d"
    ),
    "trend_pair_days": (
        "INSERT INTO trend_pair_days (actor_id, issue_id, day, stories) "
        "SELECT x.tag_id, y.tag_id, {xday} AS d, count(DISTINCT coalesce(a.story_id, a.id)) "
        "FROM article_tags x JOIN article_tags y ON y.article_id = x.article_id "
        "AND y.kind = 'issue' JOIN articles a ON a.id = x.article_id "
        "WHERE x.kind = 'actor' GROUP BY x.tag_id, y.tag_id, d"
    ),
    "trend_pair_spread": (
        "INSERT INTO trend_pair_spread (actor_id, issue_id, story_id, day) "
        "SELECT p.a, p.i, p.s, p.d FROM (SELECT DISTINCT x.tag_id AS a, y.tag_id AS i, "
        "coalesce(a.story_id, a.id) AS s, {xday} AS d "
        "FROM article_tags x JOIN article_tags y ON y.article_id = x.article_id "
        "AND y.kind = 'issue' JOIN articles a ON a.id = x.article_id "
        "WHERE x.kind = 'actor') p JOIN (SELECT x.tag_id AS a, y.tag_id AS i, "
        "coalesce(a.story_id, a.id) AS s FROM article_tags x JOIN article_tags y "
        "ON y.article_id = x.article_id AND y.kind = 'issue' "
        "JOIN articles a ON a.id = x.article_id WHERE x.kind = 'actor' "
        "GROUP BY x.tag_id, y.tag_id, coalesce(a.story_id, a.id) "
        "HAVING count(DISTINCT {xday}) > 1) m ON m.a = p.a AND m.i = p.i AND m.s = p.s"
    ),
}


def rebuild_statements(dialect: str) -> list[str]:
    """The statements that recount every table of counts from the stored rows (after
    emptying them): what revision 0010 runs, and what repairs counts after rows were
    changed around the store (by hand, or by a bulk load)."""
    if dialect == "postgresql":
        day, xday = (
            "(t.matched_at AT TIME ZONE 'UTC')::date",
            "(x.matched_at AT TIME ZONE 'UTC')::date",
        )
    else:
        day, xday = "substr(t.matched_at, 1, 10)", "substr(x.matched_at, 1, 10)"
    out = [f"DELETE FROM {name}" for name in _REBUILD]  # noqa: S608 (constant names)
    out += [sql.format(day=day, xday=xday) for sql in _REBUILD.values()]
    return out


class TrendStore(StoreBase):
    """Use case: recount the Trends counts from the stored rows."""

    def recount_trends(self) -> None:
        """Empty the counts and count every stored tag row again, in one transaction (what
        revision 0010 did): for rows changed around the store (by hand, a bulk load)."""
        with self.db.write() as s:
            conn = s.connection()
            for statement in rebuild_statements(self.db.dialect):
                conn.exec_driver_sql(statement)
