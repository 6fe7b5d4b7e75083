"""Retagging stored articles: reading them in id order, replacing their tags and watch matches."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from monitor.store import trends
from monitor.store.articles import _lock
from monitor.store.base import StoreBase, table_of
from monitor.store.models import TAG_FIELDS, ArticleRow, ArticleTagRow, FeedRow, WatchMatchRow
from monitor.stories import story_key
from monitor.types import Tag

_ARTICLES = table_of(ArticleRow)
_TAGS = table_of(ArticleTagRow)
_MATCHES = table_of(WatchMatchRow)
_FEEDS = table_of(FeedRow)


@dataclass(frozen=True, slots=True)
class RetagScope:
    """The articles a retag covers: how many, and the newest id when it started (articles
    stored while it runs were tagged by the running daemon and are left alone)."""

    articles: int
    last_id: int


@dataclass(frozen=True, slots=True)
class ArticleToRetag:
    """What tagging and watch evaluation need of one stored article."""

    id: int
    feed: str
    title: str | None
    text: str
    published: datetime | None


@dataclass(frozen=True, slots=True)
class Retagged:
    """An article's recomputed tags and the configured watches it now satisfies."""

    article_id: int
    tags: tuple[Tag, ...]
    watches: frozenset[str]


@dataclass(frozen=True, slots=True)
class RetagCounts:
    """What a retag changed; added together over batches."""

    articles: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    tags_changed: int = 0
    matches_added: int = 0
    matches_removed: int = 0

    def __add__(self, other: "RetagCounts") -> "RetagCounts":
        return RetagCounts(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(counts: RetagCounts) -> tuple[int, ...]:
    return (
        counts.articles,
        counts.tags_added,
        counts.tags_removed,
        counts.tags_changed,
        counts.matches_added,
        counts.matches_removed,
    )


def _in_scope(since: datetime | None, last_id: int) -> list[sa.ColumnElement[bool]]:
    where = [_ARTICLES.c.id <= last_id]
    if since is not None:
        where.append(_ARTICLES.c.stored_at >= since)
    return where


_DELETE_TAG = sa.delete(_TAGS).where(
    _TAGS.c.article_id == sa.bindparam("b_article"), _TAGS.c.tag_id == sa.bindparam("b_tag")
)
_UPDATE_TAG = sa.update(_TAGS).where(
    _TAGS.c.article_id == sa.bindparam("b_article"), _TAGS.c.tag_id == sa.bindparam("b_tag")
)
_INSERT_TAG = sa.insert(_TAGS)
_DELETE_MATCH = sa.delete(_MATCHES).where(
    _MATCHES.c.article_id == sa.bindparam("b_article"), _MATCHES.c.watch == sa.bindparam("b_watch")
)
_INSERT_MATCH = {
    "postgresql": postgresql.insert(_MATCHES).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_MATCHES).on_conflict_do_nothing(),
}


class RetagStore(StoreBase):
    """Use-case methods of `monitor retag`; see the module docstring."""

    def retag_scope(self, since: datetime | None = None) -> RetagScope:
        """How many articles were stored at or after `since` (all when None), and the newest
        id now: the bound a retag started now works up to."""
        with self.db.read() as s:
            conn = s.connection()
            last = conn.execute(sa.select(sa.func.max(_ARTICLES.c.id))).scalar_one_or_none()
            if last is None:
                return RetagScope(0, 0)
            count = conn.execute(
                sa.select(sa.func.count()).select_from(_ARTICLES).where(*_in_scope(since, last))
            ).scalar_one()
        return RetagScope(int(count), int(last))

    def articles_to_retag(
        self, *, after: int, last_id: int, since: datetime | None = None, limit: int = 200
    ) -> list[ArticleToRetag]:
        """The next `limit` articles by id after `after` (up to `last_id`, stored at or after
        `since`): one short read per batch, never the whole table."""
        a = _ARTICLES.c
        query = (
            sa.select(a.id, _FEEDS.c.name, a.title, a.text, a.published)
            .join(_FEEDS, _FEEDS.c.id == a.feed_id)
            .where(a.id > after, *_in_scope(since, last_id))
            .order_by(a.id)
            .limit(limit)
        )
        with self.db.read() as s:
            rows = s.connection().execute(query).all()
        return [ArticleToRetag(int(r.id), r.name, r.title, r.text or "", r.published) for r in rows]

    def replace_tags(self, results: Sequence[Retagged], watches: Collection[str]) -> RetagCounts:
        """Replace the stored tags of each article with its recomputed ones and its matches of
        the configured `watches` with those it now satisfies, in ONE short transaction.

        Tags and matches keep the article's stored_at as matched_at, so (tag, time) and
        (watch, time) pages keep their order; a new match joins the article's story. No outbox
        row is written: old articles never alert. Matches of watches no longer configured are
        left as they are; an article deleted meanwhile (prune) is skipped.
        """
        if not results:
            return RetagCounts()
        ids = [r.article_id for r in results]
        names = sorted(set(watches))
        with self.db.write() as s:
            conn = s.connection()
            _lock_stories(conn, ids)
            # FOR UPDATE (PostgreSQL; SQLite's IMMEDIATE transaction already excludes other
            # writers): a prune cannot delete these articles under our inserts.
            stored = {
                int(r.id): (r.stored_at, int(r.story_id or r.id))
                for r in conn.execute(
                    sa.select(_ARTICLES.c.id, _ARTICLES.c.stored_at, _ARTICLES.c.story_id)
                    .where(_ARTICLES.c.id.in_(ids))
                    .order_by(_ARTICLES.c.id)
                    .with_for_update()
                )
            }
            old_tags: dict[int, dict[str, tuple[Any, ...]]] = {}
            for row in conn.execute(
                sa.select(
                    _TAGS.c.article_id, _TAGS.c.tag_id, *(_TAGS.c[f] for f in TAG_FIELDS)
                ).where(_TAGS.c.article_id.in_(ids))
            ):
                old_tags.setdefault(int(row[0]), {})[row[1]] = tuple(row[2:])
            old_matches: set[tuple[int, str]] = set()
            if names:
                old_matches = {
                    (int(r[0]), r[1])
                    for r in conn.execute(
                        sa.select(_MATCHES.c.article_id, _MATCHES.c.watch).where(
                            _MATCHES.c.article_id.in_(ids), _MATCHES.c.watch.in_(names)
                        )
                    )
                }
            plan = _Plan()
            for result in results:
                if result.article_id in stored:
                    plan.add(
                        result,
                        stored[result.article_id],
                        old_tags.get(result.article_id, {}),
                        old_matches,
                        names,
                    )
            # The Trends counts of the stories whose tags change: recounted before and after
            touched = {stored[a][1] for a in plan.retagged}
            before = trends.marks(conn, touched)
            plan.execute(conn, self.db.dialect)
            if touched:
                trends.apply(conn, before, trends.marks(conn, touched))
        return plan.counts


_STORIES_OF = sa.select(sa.func.coalesce(_ARTICLES.c.story_id, _ARTICLES.c.id)).where(
    _ARTICLES.c.id.in_(sa.bindparam("ids", expanding=True))
)


def _lock_stories(conn: sa.Connection, ids: Sequence[int]) -> set[int]:
    """The stories of articles `ids`, whose Trends counts a retag recounts (monitor.store.
    trends). PostgreSQL: locked as add_article locks a story it joins or merges, before any
    article row, and read again until no merge moved them meanwhile; SQLite's IMMEDIATE
    transaction already excludes other writers."""
    locked: set[int] = set()
    while True:
        current = {int(s) for s in conn.execute(_STORIES_OF, {"ids": list(ids)}).scalars()}
        if conn.dialect.name != "postgresql" or current <= locked:
            return current
        _lock(conn, [story_key(s) for s in sorted(current - locked)])
        locked |= current


class _Plan:
    """The statements one batch needs, worked out before any is run."""

    def __init__(self) -> None:
        self.delete_tags: list[dict[str, Any]] = []
        self.update_tags: list[dict[str, Any]] = []
        self.insert_tags: list[dict[str, Any]] = []
        self.delete_matches: list[dict[str, Any]] = []
        self.insert_matches: list[dict[str, Any]] = []
        self.articles = 0
        self.retagged: set[int] = set()  # articles whose tag rows change

    def add(
        self,
        result: Retagged,
        stored: tuple[datetime, int],
        old: dict[str, tuple[Any, ...]],
        old_matches: set[tuple[int, str]],
        watches: Sequence[str],
    ) -> None:
        article_id, (stored_at, story_id) = result.article_id, stored
        self.articles += 1
        new = {t.id: _tag_values(t) for t in result.tags}  # one row per id, as when stored
        if new != old:  # a row inserted, deleted or updated below
            self.retagged.add(article_id)
        for tag_id in old.keys() - new.keys():
            self.delete_tags.append({"b_article": article_id, "b_tag": tag_id})
        for tag_id, values in new.items():
            columns = dict(zip(TAG_FIELDS, values, strict=True), matched_at=stored_at)
            if tag_id not in old:
                self.insert_tags.append(dict(columns, article_id=article_id, tag_id=tag_id))
            elif old[tag_id] != values:
                self.update_tags.append(dict(columns, b_article=article_id, b_tag=tag_id))
        for watch in watches:
            had, has = (article_id, watch) in old_matches, watch in result.watches
            if had and not has:
                self.delete_matches.append({"b_article": article_id, "b_watch": watch})
            elif has and not had:
                self.insert_matches.append(
                    {
                        "watch": watch,
                        "article_id": article_id,
                        "story_id": story_id,
                        "matched_at": stored_at,
                    }
                )

    def execute(self, conn: sa.Connection, dialect: str) -> None:
        for statement, rows in (
            (_DELETE_TAG, self.delete_tags),
            (_UPDATE_TAG, self.update_tags),
            (_INSERT_TAG, self.insert_tags),
            (_DELETE_MATCH, self.delete_matches),
            (_INSERT_MATCH[dialect], self.insert_matches),
        ):
            if rows:
                conn.execute(statement, rows)

    @property
    def counts(self) -> RetagCounts:
        return RetagCounts(
            self.articles,
            len(self.insert_tags),
            len(self.delete_tags),
            len(self.update_tags),
            len(self.insert_matches),
            len(self.delete_matches),
        )


def _tag_values(tag: Tag) -> tuple[Any, ...]:
    """A tag as the stored columns of TAG_FIELDS (the name cut as add_article cuts it)."""
    return (
        tag.kind,
        tag.name[:300],
        tag.count,
        tag.evidence.text,
        tag.evidence.start,
        tag.evidence.end,
        tag.level,
        tag.score,
    )
