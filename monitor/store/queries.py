"""Read-side queries: stored matches, one article, watch feeds, metrics."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.base import StoreBase, table_of
from monitor.store.filters import (
    MAX_PAGE,
    FilterError,
    MatchFilter,
    decode_cursor,
    encode_cursor,
    parse_when,
)
from monitor.store.models import ArticleRow, ArticleTagRow, FeedRow, OutboxRow, WatchMatchRow
from monitor.store.pages import read_page
from monitor.store.pagesql import article_sql, typed
from monitor.types import (
    Evidence,
    FeedCount,
    MatchRow,
    MetricsCounts,
    StoredArticle,
    StoryCopy,
    Tag,
)

# The read side's public surface stays here, whichever module of the split defines a name:
# the API, the CLI and tests import it from monitor.store.queries (FeedCount and MetricsCounts
# live in monitor.types, so that the pure monitor.metrics needs no store).
__all__ = [
    "MAX_PAGE",
    "FeedCount",
    "FilterError",
    "MatchFilter",
    "MatchPage",
    "MetricsCounts",
    "QueryStore",
    "StorySummary",
    "WatchSummary",
    "decode_cursor",
    "encode_cursor",
    "parse_when",
]

_ARTICLES = table_of(ArticleRow)
_TAGS = table_of(ArticleTagRow)
_WATCHES = table_of(WatchMatchRow)
_FEEDS = table_of(FeedRow)
_OUTBOX = table_of(OutboxRow)


@dataclass(frozen=True, slots=True)
class MatchPage:
    """One page of matches, newest first, and the cursor of the next page (None: last)."""

    items: tuple[MatchRow, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class WatchSummary:
    """A watch as the store knows it: how many matches, and the newest."""

    name: str
    matches: int
    last_match: datetime | None


@dataclass(frozen=True, slots=True)
class StorySummary:
    """A story of a period: how many copies on how many feeds, and its earliest copy."""

    story_id: int
    copies: int
    feeds: int
    first_stored: datetime
    last_stored: datetime
    title: str | None
    url: str
    feed: str


_BIGGEST = typed(
    "SELECT story_id, count(*) AS n, count(DISTINCT feed_id), min(stored_at), max(stored_at) "
    "FROM articles WHERE story_id IS NOT NULL AND stored_at >= :since "
    "GROUP BY story_id ORDER BY n DESC, story_id LIMIT :lim"
)
_HEADS = typed(
    "SELECT a.story_id, a.title, a.url, f.name FROM articles a "
    "JOIN feeds f ON f.id = a.feed_id WHERE a.story_id IN :ids AND a.is_copy = :no "
    "ORDER BY a.id"
)


class QueryStore(StoreBase):
    """Use-case methods; see the module docstring."""

    def find_matches(self, flt: MatchFilter) -> MatchPage:
        """One page of stored matches (articles with at least one tag), newest first."""
        pg = self.db.dialect == "postgresql"

        def read(conn: Connection) -> tuple[list[Any], dict[int, _Story]]:
            page = read_page(conn, flt, postgresql=pg)
            return page, _stories_of(conn, [int(row[1]) for row in page[: flt.limit]])

        heads, stories = self.db.fetch(read)
        more = len(heads) > flt.limit
        rows = [
            replace(r, story_id=stories[r.article_id][0], copies=stories[r.article_id][1])
            if r.article_id in stories
            else r
            for r in _match_rows(heads[: flt.limit])
        ]
        cursor = encode_cursor(rows[-1].matched_at, rows[-1].article_id) if more else None
        return MatchPage(tuple(rows), cursor)

    def watch_matches(self, watch: str, limit: int = 50) -> tuple[MatchRow, ...]:
        """A watch's newest matches (what its Atom feed shows)."""
        return self.find_matches(MatchFilter(watch=watch, limit=limit)).items

    def get_article(self, article_id: int) -> StoredArticle | None:
        """One stored article with all its tags and their evidence; None when absent."""
        sql = article_sql(self.db.dialect == "postgresql")
        row = self.db.fetch(
            lambda conn: conn.execute(sql, {"id": article_id}).mappings().one_or_none()
        )
        if row is None:
            return None
        story = self.db.fetch(lambda conn: _stories_of(conn, [article_id])).get(article_id)
        return StoredArticle(
            id=row["id"],
            feed=row["feed_name"],
            url=row["url"],
            canonical_url=row["canonical_url"],
            guid=row["guid"],
            title=row["title"],
            author=row["author"],
            published=row["published"],
            language=row["language"],
            text=row["text"],
            story_id=row["story_id"] or row["id"],
            stored_at=row["stored_at"],
            tags=_tags_from_json(row["tags"]),
            copies=story[1] if story else (),
        )

    def biggest_stories(self, since: datetime, limit: int = 20) -> list[StorySummary]:
        """The stories with the most copies stored since `since`, biggest first."""

        def read(conn: Connection) -> list[StorySummary]:
            rows = conn.execute(_BIGGEST, {"since": since, "lim": limit}).all()
            heads: dict[int, tuple[str | None, str, str]] = {}
            if rows:
                for sid, title, url, feed in conn.execute(
                    _HEADS, {"ids": [int(r[0]) for r in rows], "no": False}
                ):
                    heads.setdefault(int(sid), (title, url, feed))
            return [
                StorySummary(
                    int(sid),
                    int(n),
                    int(feeds),
                    _aware(lo),
                    _aware(hi),
                    *heads.get(int(sid), (None, "", "")),
                )
                for sid, n, feeds, lo, hi in rows
            ]

        return self.db.fetch(read)

    def article_id_for_url(self, url: str) -> int | None:
        """The id of the article stored under this URL (as linked or canonical)."""
        stmt = (
            sa.select(_ARTICLES.c.id)
            .where(sa.or_(_ARTICLES.c.url == url, _ARTICLES.c.canonical_url == url))
            .order_by(_ARTICLES.c.id)
            .limit(1)
        )
        found = self.db.fetch(lambda conn: conn.execute(stmt).scalar_one_or_none())
        return None if found is None else int(found)

    def article_watches(self, article_id: int) -> tuple[str, ...]:
        """The watches an article matched, by name."""
        return self.db.fetch(lambda conn: _watches_of(conn, [article_id]).get(article_id, ()))

    def list_watches(self) -> list[WatchSummary]:
        """Every watch with stored matches: count and newest match time."""
        stmt = (
            sa.select(_WATCHES.c.watch, sa.func.count(), sa.func.max(_WATCHES.c.matched_at))
            .group_by(_WATCHES.c.watch)
            .order_by(_WATCHES.c.watch)
        )
        rows = self.db.fetch(lambda conn: conn.execute(stmt).all())
        return [WatchSummary(name, int(n), _aware(last)) for name, n, last in rows]

    def metrics_counts(self) -> MetricsCounts:
        """Counts for /metrics: articles, matches, matches per watch, outbox by state, feeds."""
        with self.db.read() as s:
            conn = s.connection()
            articles = conn.execute(sa.select(sa.func.count()).select_from(_ARTICLES)).scalar()
            matches = conn.execute(sa.select(sa.func.count(sa.distinct(_TAGS.c.article_id))))
            per_watch = conn.execute(
                sa.select(_WATCHES.c.watch, sa.func.count()).group_by(_WATCHES.c.watch)
            ).all()
            outbox = conn.execute(
                sa.select(_OUTBOX.c.state, sa.func.count()).group_by(_OUTBOX.c.state)
            ).all()
            feeds = _feed_counts(conn)
        return MetricsCounts(
            articles=int(articles or 0),
            matches=int(matches.scalar() or 0),
            watch_matches={w: int(n) for w, n in per_watch},
            outbox={state: int(n) for state, n in outbox},
            feeds=feeds,
        )


_Story = tuple[int, tuple[StoryCopy, ...]]
_COPIES_MAX = 50  # copies listed per entry, earliest first
# Each article's story and the story's other copies, earliest first, in one statement.
_STORIES = typed(
    "SELECT p.id, coalesce(p.story_id, p.id), c.id, f.name, c.url, c.title FROM articles p "
    "LEFT JOIN articles c ON c.story_id = p.story_id AND c.id <> p.id "
    "LEFT JOIN feeds f ON f.id = c.feed_id WHERE p.id IN :ids "
    "ORDER BY p.id, coalesce(c.published, c.stored_at), c.id"
)


def _stories_of(conn: Connection, ids: Sequence[int]) -> dict[int, _Story]:
    """Each article's story id and the story's other copies (feed, url, title), earliest
    first: one statement for a whole page."""
    if not ids:
        return {}
    stories: dict[int, int] = {}
    copies: dict[int, list[StoryCopy]] = {}
    for aid, story, cid, feed, url, title in conn.execute(_STORIES, {"ids": list(ids)}):
        stories[int(aid)] = int(story)
        listed = copies.setdefault(int(aid), [])
        if cid is not None and len(listed) < _COPIES_MAX:
            listed.append(StoryCopy(int(cid), feed, url, title))
    return {aid: (story, tuple(copies.get(aid, ()))) for aid, story in stories.items()}


def _match_rows(heads: Sequence[Any]) -> list[MatchRow]:
    """MatchRows from page rows (time, id, url, title, published, feed, tags, watches)."""
    out = []
    for when, aid, url, title, published, feed, tags_json, watches_json in heads:
        tags = _tags_from_json(tags_json)
        out.append(
            MatchRow(
                article_id=aid,
                url=url,
                title=title,
                published=_aware(published),
                feed=feed,
                matched_at=_aware(when),
                actors=tuple(t for t in tags if t.kind == "actor"),
                issues=tuple(t for t in tags if t.kind == "issue"),
                watches=tuple(sorted(_json(watches_json))),
            )
        )
    return out


def _tags_from_json(value: Any) -> tuple[Tag, ...]:
    """An article's tags from their JSON aggregate, most mentioned first."""
    return tuple(
        sorted(
            (
                Tag(key, kind, name, count, Evidence(ev, start, end), level, float(score))
                for key, kind, name, count, ev, start, end, level, score in _json(value)
            ),
            key=_tag_order,
        )
    )


def _tag_order(tag: Tag) -> tuple[int, int, str]:
    """About before mention, then most mentioned, then by name."""
    return (tag.level != "about", -tag.count, tag.name)


def _json(value: Any) -> list[Any]:
    """A JSON aggregate as a list: psycopg decodes json itself, SQLite returns text, and
    no rows aggregate to NULL (PostgreSQL) or '[]' (SQLite)."""
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str) else value)


_TAGS_AND_WATCHES = typed(
    'SELECT article_id, tag_id, kind, name, "count", evidence, evidence_start, evidence_end, '
    "level, score FROM article_tags WHERE article_id IN :ids UNION ALL "
    "SELECT article_id, watch, 'watch', NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM watch_matches WHERE article_id IN :ids"
)


def _tags_and_watches(
    conn: Connection,
    ids: Sequence[int],
) -> tuple[dict[int, tuple[Tag, ...]], dict[int, tuple[str, ...]]]:
    """Tags and watch names of many articles in one round trip (a UNION ALL)."""
    rows = conn.execute(_TAGS_AND_WATCHES, {"ids": list(ids)}).all()
    tags: dict[int, list[Tag]] = {}
    watches: dict[int, list[str]] = {}
    for aid, key, kind, name, count, ev, start, end, level, score in rows:
        if kind == "watch":
            watches.setdefault(aid, []).append(key)
        else:
            tags.setdefault(aid, []).append(
                Tag(key, kind, name, count, Evidence(ev, start, end), level, float(score))
            )
    return (
        {k: tuple(sorted(v, key=_tag_order)) for k, v in tags.items()},
        {k: tuple(sorted(v)) for k, v in watches.items()},
    )


def _watches_of(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    return _tags_and_watches(conn, ids)[1]


def _feed_counts(conn: Connection) -> tuple[FeedCount, ...]:
    f = _FEEDS.c
    per_feed = (
        sa.select(sa.func.count())
        .select_from(_ARTICLES)
        .where(_ARTICLES.c.feed_id == f.id)
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(
            f.name, f.enabled, f.last_polled, f.consecutive_errors, f.last_success, per_feed
        ).order_by(f.name)
    ).all()
    return tuple(
        FeedCount(name, bool(enabled), polled is not None, int(errors), _aware(success), int(n))
        for name, enabled, polled, errors, success, n in rows
    )


def _aware(value: Any) -> Any:
    """Datetimes from raw column reads (no TypeDecorator on aggregates) as aware UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, str):  # SQLite max() over a DateTime column returns text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value
