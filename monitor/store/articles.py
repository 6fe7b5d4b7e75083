"""Articles: which items are new, and storing an article with its tags, matches and alerts."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from monitor import dedup
from monitor.errors import StoreError
from monitor.store.base import StoreBase, table_of
from monitor.store.models import (
    ArticleRow,
    ArticleTagRow,
    FeedRow,
    OutboxRow,
    WatchMatchRow,
)
from monitor.types import Item, NewArticle, StoredArticle, WatchHit

# Below this many words a text is too short for its simhash to say "same story" (teasers,
# empty fallbacks): such articles only join a story by an identical fingerprint.
MIN_STORY_WORDS = 40
_CHUNK = 500
_CANDIDATES = 200
_LOCK_CLASS = 0x6D6F6E00  # "mon\0": our advisory-lock namespace on PostgreSQL

_ARTICLES = table_of(ArticleRow)
_TAGS = table_of(ArticleTagRow)
_MATCHES = table_of(WatchMatchRow)
_OUTBOX = table_of(OutboxRow)
_FEEDS = table_of(FeedRow)
_RECENT_TIMES = (
    sa.select(_ARTICLES.c.published, _ARTICLES.c.stored_at)
    .join(_FEEDS, _FEEDS.c.id == _ARTICLES.c.feed_id)
    .where(_FEEDS.c.name == sa.bindparam("feed"))
    .order_by(sa.func.coalesce(_ARTICLES.c.published, _ARTICLES.c.stored_at).desc())
    .limit(sa.bindparam("limit", type_=sa.Integer)))


class ArticleStore(StoreBase):
    """Use-case methods; see the module docstring."""

    def unseen_items(self, feed: str, items: Sequence[Item]) -> list[Item]:
        """The items not stored yet, by (feed, guid) and by URL (pass normalised URLs)."""
        fresh = _first_of_each(items)
        if not fresh:
            return []
        guids = [i.guid for i in fresh]
        urls = [i.url for i in fresh if i.url]
        seen_guids: set[str] = set()
        seen_urls: set[str] = set()
        with self.db.read() as s:
            feed_id = s.exec(select(FeedRow.id).where(FeedRow.name == feed)).one_or_none()
            if feed_id is not None:
                for part in _chunks(guids):
                    seen_guids.update(s.exec(select(ArticleRow.guid).where(
                        ArticleRow.feed_id == feed_id, col(ArticleRow.guid).in_(part))).all())
            for part in _chunks(urls):
                seen_urls.update(s.exec(select(ArticleRow.canonical_url).where(
                    col(ArticleRow.canonical_url).in_(part))).all())
        return [i for i in fresh
                if i.guid not in seen_guids and (i.url is None or i.url not in seen_urls)]

    def recent_entry_times(self, feed: str, limit: int = 20) -> list[datetime]:
        """When the feed's latest stored articles were published (or stored), newest first."""
        rows = self.db.fetch(
            lambda conn: conn.execute(_RECENT_TIMES, {"feed": feed, "limit": limit}).all())
        return [p or st for p, st in rows if (p or st) is not None]

    def add_article(
        self, article: NewArticle, hits: Sequence[WatchHit], *, now: datetime,
    ) -> StoredArticle | None:
        """Store an article with its story, tags, watch matches and outbox rows in ONE transaction.

        None means the (feed, guid) or canonical URL was stored already: nothing else is
        written and nothing alerts. Outbox rows are unique per (watch, channel, story), so
        syndicated copies of one story alert each watch once.

        Core statements built once (module level) on the session's connection: no ORM unit of
        work and no per-call statement compilation (measured: bench/bench_throughput.py).
        """
        postgres = self.db.dialect == "postgresql"
        inserts = _PG_INSERTS if postgres else _SQLITE_INSERTS
        long_text = len(article.text.split()) >= MIN_STORY_WORDS
        with self.db.write() as s:
            conn = s.connection()
            feed_id = conn.execute(_FEED_ID, {"name": article.feed}).scalar_one_or_none()
            if feed_id is None:
                raise StoreError(f"unknown feed {article.feed!r}")
            if postgres:
                _lock_story_keys(conn, article, long_text)
            article_id: int | None = conn.execute(
                inserts.article, _article_values(feed_id, article, now)).scalar_one_or_none()
            if article_id is None:
                return None
            story_id = _find_story(conn, article_id, article, long_text)
            conn.execute(_SET_STORY, {"article_id": article_id, "story": story_id})
            _insert_tags(conn, article_id, article, now)
            _insert_hits(conn, inserts, article_id, story_id, hits, now)
        return StoredArticle(
            id=article_id, feed=article.feed, url=article.url,
            canonical_url=article.canonical_url, guid=article.guid, title=article.title,
            author=article.author, published=article.published, language=article.language,
            text=article.text, story_id=story_id, stored_at=now, tags=article.tags)


@dataclass(frozen=True, slots=True)
class _Inserts:
    """One dialect's INSERT .. ON CONFLICT DO NOTHING statements, built once."""

    article: Any
    match: Any
    outbox: Any


def _inserts(insert: Any) -> _Inserts:
    return _Inserts(
        article=insert(_ARTICLES).on_conflict_do_nothing().returning(_ARTICLES.c.id),
        match=insert(_MATCHES).on_conflict_do_nothing(),
        outbox=insert(_OUTBOX).on_conflict_do_nothing())


_PG_INSERTS = _inserts(postgresql.insert)
_SQLITE_INSERTS = _inserts(sqlite.insert)
_FEED_ID = sa.select(_FEEDS.c.id).where(_FEEDS.c.name == sa.bindparam("name"))
_SET_STORY = (sa.update(_ARTICLES).where(_ARTICLES.c.id == sa.bindparam("article_id"))
              .values(story_id=sa.bindparam("story")))
_INSERT_TAGS = sa.insert(_TAGS)
_LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("cls"), sa.bindparam("key")))


def _story_query(by_bands: bool) -> sa.Select[Any]:
    """Older articles that may share a story: same fingerprint (or a SimHash band)."""
    same = [_ARTICLES.c.fingerprint == sa.bindparam("fingerprint")]
    if by_bands:
        same += [_ARTICLES.c[f"band{i}"] == sa.bindparam(f"b{i}") for i in range(4)]
    return (sa.select(_ARTICLES.c.id, _ARTICLES.c.simhash, _ARTICLES.c.fingerprint,
                      _ARTICLES.c.story_id)
            .where(sa.or_(*same), _ARTICLES.c.id != sa.bindparam("article_id"),
                   _ARTICLES.c.story_id.is_not(None))
            .order_by(_ARTICLES.c.id).limit(_CANDIDATES))


_STORY_BY_FINGERPRINT = _story_query(False)
_STORY_BY_BANDS = _story_query(True)


def _article_values(feed_id: int, article: NewArticle, now: datetime) -> dict[str, Any]:
    b0, b1, b2, b3 = dedup.bands(article.simhash)
    return dict(
        feed_id=feed_id, guid=article.guid[:2000], url=article.url[:2000],
        canonical_url=article.canonical_url[:2000], title=article.title,
        author=(article.author or None) and article.author[:500],
        published=article.published, language=(article.language or None)
        and article.language[:20], text=article.text, fingerprint=article.fingerprint,
        simhash=article.simhash, band0=b0, band1=b1, band2=b2, band3=b3, stored_at=now)


def _insert_hits(
    conn: sa.Connection, inserts: _Inserts, article_id: int, story_id: int,
    hits: Sequence[WatchHit], now: datetime,
) -> None:
    for hit in hits:
        conn.execute(inserts.match, dict(
            watch=hit.watch, article_id=article_id, story_id=story_id, matched_at=now))
        payload = json.dumps(hit.payload, ensure_ascii=False, default=_json_default)
        for channel in hit.channels:
            conn.execute(inserts.outbox, dict(
                channel=channel, watch=hit.watch, article_id=article_id,
                story_id=story_id, dedup_key=f"{hit.watch}|{channel}|{story_id}",
                payload=payload, state="pending", attempts=0, next_attempt_at=now,
                created_at=now))


def _story_keys(article: NewArticle, long_text: bool) -> list[tuple[int, int]]:
    """Advisory-lock keys covering every way another article could join this one's story."""
    digest = int(article.fingerprint[:8], 16) if _is_hex(article.fingerprint[:8]) else hash(
        article.fingerprint)
    keys = [(_LOCK_CLASS, _int32(digest))]
    if long_text:
        keys += [(_LOCK_CLASS + 1 + i, _int32(b)) for i, b in enumerate(dedup.bands(
            article.simhash))]
    return sorted(keys)


def _lock_story_keys(conn: sa.Connection, article: NewArticle, long_text: bool) -> None:
    """Serialise writers of possibly-same stories (PostgreSQL, READ COMMITTED).

    Two copies stored at once would otherwise each miss the other's uncommitted row and open
    two stories. A near-duplicate shares a band value or the fingerprint, so it waits here for
    the first copy's commit and then sees it. Keys are taken in order: no deadlock.
    """
    for cls, key in _story_keys(article, long_text):
        conn.execute(_LOCK, {"cls": cls, "key": key})


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _find_story(conn: sa.Connection, article_id: int, article: NewArticle,
                long_text: bool) -> int:
    """The story an article belongs to: the oldest near-duplicate's story, else its own id."""
    params: dict[str, Any] = {"fingerprint": article.fingerprint, "article_id": article_id}
    if long_text:
        params.update((f"b{i}", b) for i, b in enumerate(dedup.bands(article.simhash)))
    rows = conn.execute(_STORY_BY_BANDS if long_text else _STORY_BY_FINGERPRINT, params).all()
    for _id, simhash, fingerprint, story_id in rows:
        if fingerprint == article.fingerprint or (
                long_text and dedup.hamming(simhash, article.simhash)
                <= dedup.SAME_STORY_DISTANCE):
            return int(story_id)
    return article_id


def _insert_tags(conn: sa.Connection, article_id: int, article: NewArticle,
                 now: datetime) -> None:
    rows = [dict(article_id=article_id, tag_id=t.id, kind=t.kind, name=t.name[:300],
                 count=t.count, evidence=t.evidence.text, evidence_start=t.evidence.start,
                 evidence_end=t.evidence.end, level=t.level, score=t.score, matched_at=now)
            for t in {t.id: t for t in article.tags}.values()]
    if rows:
        conn.execute(_INSERT_TAGS, rows)


def _first_of_each(items: Iterable[Item]) -> list[Item]:
    """Items with a GUID or URL already earlier in the same batch dropped."""
    guids: set[str] = set()
    urls: set[str] = set()
    out = []
    for item in items:
        if item.guid in guids or (item.url is not None and item.url in urls):
            continue
        guids.add(item.guid)
        if item.url is not None:
            urls.add(item.url)
        out.append(item)
    return out


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
