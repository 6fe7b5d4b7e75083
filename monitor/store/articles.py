"""Articles: which items are new, and storing an article with its tags, matches and alerts."""

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from monitor import stories
from monitor.errors import StoreError
from monitor.store import trends
from monitor.store.base import DriverSQL, StoreBase, insert_sql, table_of, with_lists
from monitor.store.models import (
    TAG_FIELDS,
    ArticleRow,
    ArticleTagRow,
    FeedRow,
    OutboxRow,
    WatchMatchRow,
)
from monitor.timefmt import iso_z
from monitor.types import Item, NewArticle, StoredArticle, StoryCopy, StorySketch, WatchHit

_CHUNK = 500
_CANDIDATES = 200  # candidates verified per article, at most: the newest (copies are recent)
_COPIES = 50  # copies named in a payload or a list, at most

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
    .limit(sa.bindparam("limit", type_=sa.Integer))
)


class ArticleStore(StoreBase):
    """Use-case methods; see the module docstring."""

    def unseen_items(self, feed: str, items: Sequence[Item]) -> list[Item]:
        """The items not stored yet, by (feed, guid) and by URL (pass normalised URLs)."""
        fresh = _first_of_each(items)
        if not fresh:
            return []
        guids = [i.guid for i in fresh]
        urls = [i.url for i in fresh if i.url]

        def seen(conn: sa.Connection) -> tuple[set[str], set[str]]:
            feed_id = _FEED_ID.run(conn, {"name": feed}).fetchone()
            seen_guids = {
                guid
                for part in (_chunks(guids) if feed_id is not None else ())
                for (guid,) in _SEEN_GUIDS.run(conn, {"feed": feed_id[0], "guids": part})
            }
            seen_urls = {
                url for part in _chunks(urls) for (url,) in _SEEN_URLS.run(conn, {"urls": part})
            }
            return seen_guids, seen_urls

        seen_guids, seen_urls = self.db.fetch(seen)
        return [
            i
            for i in fresh
            if i.guid not in seen_guids and (i.url is None or i.url not in seen_urls)
        ]

    def recent_entry_times(self, feed: str, limit: int = 20) -> list[datetime]:
        """When the feed's latest stored articles were published (or stored), newest first."""
        rows = self.db.fetch(
            lambda conn: conn.execute(_RECENT_TIMES, {"feed": feed, "limit": limit}).all()
        )
        return [p or st for p, st in rows if (p or st) is not None]

    story_rules: stories.StoryRules = stories.StoryRules()  # Store.open(settings): the settings'

    def add_article(
        self,
        article: NewArticle,
        hits: Sequence[WatchHit],
        *,
        now: datetime,
    ) -> StoredArticle | None:
        """Store an article with its story, tags, watch matches and outbox rows in ONE transaction.

        None means the (feed, guid) or canonical URL was stored already: nothing else is
        written and nothing alerts. Outbox rows are unique per (watch, channel, story), so
        syndicated copies of one story alert each watch once.
        """
        (outcome,) = self.add_articles([(article, hits)], clock=lambda: now)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def add_articles(
        self,
        batch: Sequence[tuple[NewArticle, Sequence[WatchHit]]],
        *,
        clock: Callable[[], datetime],
    ) -> list[StoredArticle | Exception | None]:
        """`add_article` for each (article, hits), in order; each one's outcome (its error
        instead of raising: one bad article never loses the others).

        SQLite: one transaction for the batch, each article in a savepoint of its own (a
        commit per article cost more than the article's statements). PostgreSQL: one
        transaction per article, as before: the advisory locks of a join last until the
        transaction ends, and a batch holding them would make concurrent writers of copies
        wait for (or deadlock on) each other's whole batches. The statements run on the
        driver's cursor (monitor.store.base.DriverSQL; measured: bench/bench_reader.py).
        """
        postgres = self.db.dialect == "postgresql"
        if postgres or len(batch) == 1:  # (one article: its own transaction, no savepoint)
            return [self._add_alone(article, hits, clock, postgres) for article, hits in batch]
        return self._add_batch(batch, clock)

    def _add_alone(
        self,
        article: NewArticle,
        hits: Sequence[WatchHit],
        clock: Callable[[], datetime],
        postgres: bool,
    ) -> StoredArticle | Exception | None:
        try:
            with self.db.transaction() as conn:
                return self._add(conn, article, hits, clock(), postgres=postgres, feed_ids={})
        except Exception as exc:  # the item's outcome, logged by the caller
            return exc

    def _add_batch(
        self,
        batch: Sequence[tuple[NewArticle, Sequence[WatchHit]]],
        clock: Callable[[], datetime],
    ) -> list[StoredArticle | Exception | None]:
        out: list[StoredArticle | Exception | None] = []
        feed_ids: dict[str, int] = {}
        # new stories' Trends counts, applied once before the commit (trends.add_up); an
        # article's own are added only once its savepoint is kept
        trip = trends.Marks()
        with self.db.transaction() as conn:
            for article, hits in batch:
                _SAVEPOINT.run(conn, {})
                counts = trends.Marks()
                try:
                    out.append(
                        self._add(
                            conn,
                            article,
                            hits,
                            clock(),
                            postgres=False,
                            feed_ids=feed_ids,
                            pending=counts,
                        )
                    )
                except Exception as exc:  # the item's outcome, logged by the caller
                    _ROLLBACK_TO.run(conn, {})
                    out.append(exc)
                else:
                    trends.add_up(trip, counts)
                _RELEASE.run(conn, {})
            if trip.tags or trip.pairs:
                trends.apply(conn, trends.Marks(), trip)
        return out

    def _add(
        self,
        conn: sa.Connection,
        article: NewArticle,
        hits: Sequence[WatchHit],
        now: datetime,
        *,
        postgres: bool,
        feed_ids: dict[str, int],
        pending: trends.Marks | None = None,
    ) -> StoredArticle | None:
        """One article's statements, inside the caller's transaction (`feed_ids`: the feeds'
        ids read so far in that transaction; `pending`: where a new story's Trends counts
        go when the caller applies them itself before the transaction ends)."""
        rules = self.story_rules
        sketch = article.sketch or stories.sketch(article.text)
        indexed = stories.indexed(sketch, rules)
        feed_id = feed_ids.get(article.feed)
        if feed_id is None:
            row = _FEED_ID.run(conn, {"name": article.feed}).fetchone()
            if row is None:
                raise StoreError(f"unknown feed {article.feed!r}")
            feed_id = feed_ids[article.feed] = int(row[0])
        if postgres:
            _lock(conn, stories.copy_keys(article.fingerprint, sketch, rules))
        row = _INSERT_ARTICLE.run(conn, _article_values(feed_id, article, sketch, now)).fetchone()
        if row is None:
            return None
        article_id = int(row[0])
        keys = json.dumps(list(dict.fromkeys(sketch.bands))) if indexed else None
        found, inserted = _find_story(
            conn, article_id, article.fingerprint, sketch if indexed else None, keys, rules
        )
        if keys is not None and not inserted:
            _INSERT_BANDS.run(conn, {"keys": keys, "article_id": article_id})
        story_id, merged = _join(conn, article_id, found, postgres=postgres)
        copies = _settle_story(conn, article_id, story_id)
        tag_rows = _insert_tags(conn, article_id, article, now)
        _insert_hits(conn, article_id, story_id, copies, hits, now)
        # last: the counters are the rows concurrent writers queue on (PostgreSQL)
        trends.count_added(conn, article_id, story_id, tag_rows, merged, pending)
        return StoredArticle(
            id=article_id,
            feed=article.feed,
            url=article.url,
            canonical_url=article.canonical_url,
            guid=article.guid,
            title=article.title,
            author=article.author,
            published=article.published,
            language=article.language,
            text=article.text,
            story_id=story_id,
            stored_at=now,
            tags=article.tags,
            copies=copies,
        )


_ARTICLE_COLUMNS = (
    "feed_id",
    "guid",
    "url",
    "canonical_url",
    "title",
    "author",
    "published",
    "language",
    "text",
    "fingerprint",
    "simhash",
    "band0",
    "band1",
    "band2",
    "band3",
    "stored_at",
    "story_signature",
    "story_shingles",
    "is_copy",
)
_TAG_COLUMNS = ("article_id", "tag_id", *TAG_FIELDS, "matched_at")
_OUTBOX_COLUMNS = (
    "channel",
    "watch",
    "article_id",
    "story_id",
    "dedup_key",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
)
# The statements of a stored article, run on the driver's cursor (monitor.store.base.DriverSQL)
_INSERT_ARTICLE = DriverSQL(insert_sql(_ARTICLES, _ARTICLE_COLUMNS, returning=("id",)))
_INSERT_MATCH = DriverSQL(insert_sql(_MATCHES, ("watch", "article_id", "story_id", "matched_at")))
_INSERT_OUTBOX = DriverSQL(insert_sql(_OUTBOX, _OUTBOX_COLUMNS))
_INSERT_TAGS = DriverSQL(insert_sql(_TAGS, _TAG_COLUMNS, tail=""))
_FEED_ID = DriverSQL("SELECT id FROM feeds WHERE name = :name")
# Which of a poll's items are stored already (unseen_items): by (feed, guid), by URL
_SEEN_GUIDS = with_lists(
    "SELECT guid FROM articles WHERE feed_id = :feed AND guid IN :guids", "guids"
)
_SEEN_URLS = with_lists("SELECT canonical_url FROM articles WHERE canonical_url IN :urls", "urls")
_SET_STORY = DriverSQL("UPDATE articles SET story_id = :story WHERE id = :article_id")
_SET_COPY = DriverSQL("UPDATE articles SET is_copy = :copy WHERE id = :member")
_SAVEPOINT = DriverSQL("SAVEPOINT article")
_ROLLBACK_TO = DriverSQL("ROLLBACK TO SAVEPOINT article")
_RELEASE = DriverSQL("RELEASE SAVEPOINT article")
_LOCK = DriverSQL(
    "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k"
)
_BY_FINGERPRINT = DriverSQL(
    "SELECT story_id FROM articles WHERE fingerprint = :fingerprint AND id <> :article_id "
    "AND story_id IS NOT NULL ORDER BY id LIMIT 1"
)
# The band keys travel as one JSON array (both dialects read it in SQL): one statement text
# for any number of keys.
_KEYS = "SELECT CAST(value AS BIGINT) FROM json_each(:keys)"  # SQLite; PostgreSQL below
_PG_KEYS = "SELECT CAST(k AS BIGINT) FROM json_array_elements_text(CAST(:keys AS json)) AS k"
_BY_BANDS_SQL = (
    "SELECT a.story_id, a.story_signature, a.story_shingles FROM articles a WHERE a.id IN ("
    'SELECT DISTINCT b.article_id FROM story_bands b WHERE b."key" IN ({keys}) '
    "AND b.article_id <> :article_id ORDER BY b.article_id DESC LIMIT :n) "
    "AND a.story_id IS NOT NULL AND a.story_signature IS NOT NULL"
)
_INSERT_BANDS_SQL = (
    'INSERT INTO story_bands ("key", article_id) SELECT DISTINCT k.*, '
    ":article_id FROM ({keys}) AS k WHERE true ON CONFLICT DO NOTHING"
)


def _by_dialect(template: str) -> DriverSQL:
    return DriverSQL(template.format(keys=_KEYS), template.format(keys=_PG_KEYS))


_BY_BANDS = _by_dialect(_BY_BANDS_SQL)
_INSERT_BANDS = _by_dialect(_INSERT_BANDS_SQL)
# PostgreSQL: the article's band keys inserted by the lookup's own statement (a data-modifying
# WITH, whose rows the lookup does not see): one round trip fewer per article.
_PG_BY_BANDS_INSERTING = DriverSQL(
    "WITH ins AS ("
    + _INSERT_BANDS_SQL.format(keys=_PG_KEYS)
    + ") "
    + _BY_BANDS_SQL.format(keys=_PG_KEYS)
)
# A story's members, earliest first (published, else stored): the first is what lists show.
_MEMBERS = DriverSQL(
    "SELECT a.id, f.name, a.url, a.title, a.is_copy FROM articles a "
    "JOIN feeds f ON f.id = a.feed_id WHERE a.story_id = :story "
    "ORDER BY coalesce(a.published, a.stored_at), a.id LIMIT :n"
)


# A story's first copy (its id is the story's) names the story it was merged into, if any.
_FIRST_COPIES = with_lists(
    "SELECT DISTINCT coalesce(story_id, id) FROM articles WHERE id IN :ids", "ids"
)
_MERGES = [
    with_lists("UPDATE articles SET story_id = :keep WHERE story_id IN :merged", "merged"),
    with_lists("UPDATE watch_matches SET story_id = :keep WHERE story_id IN :merged", "merged"),
]


def _article_values(
    feed_id: int, article: NewArticle, sketch: StorySketch, now: datetime
) -> dict[str, Any]:
    return dict(
        feed_id=feed_id,
        guid=article.guid[:2000],
        url=article.url[:2000],
        canonical_url=article.canonical_url[:2000],
        title=article.title,
        author=(article.author or None) and article.author[:500],
        published=article.published,
        language=(article.language or None) and article.language[:20],
        text=article.text,
        fingerprint=article.fingerprint,
        simhash=article.simhash,
        band0=0,
        band1=0,
        band2=0,
        band3=0,
        stored_at=now,
        story_signature=sketch.signature,
        story_shingles=sketch.size,
        is_copy=False,
    )


def _insert_hits(
    conn: sa.Connection,
    article_id: int,
    story_id: int,
    copies: Sequence[StoryCopy],
    hits: Sequence[WatchHit],
    now: datetime,
) -> None:
    if not hits:
        return
    _INSERT_MATCH.many(
        conn,
        [
            dict(watch=hit.watch, article_id=article_id, story_id=story_id, matched_at=now)
            for hit in hits
        ],
    )
    outbox: list[dict[str, Any]] = []
    for hit in hits:
        if not hit.channels:  # a watch without channels: its match only, no body to send
            continue
        payload = json.dumps(
            _with_story(hit.payload, story_id, copies), ensure_ascii=False, default=_json_default
        )
        outbox.extend(
            dict(
                channel=channel,
                watch=hit.watch,
                article_id=article_id,
                story_id=story_id,
                dedup_key=f"{hit.watch}|{channel}|{story_id}",
                payload=payload,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for channel in hit.channels
        )
    if outbox:
        _INSERT_OUTBOX.many(conn, outbox)


def _with_story(payload: Any, story_id: int, copies: Sequence[StoryCopy]) -> Any:
    """The payload with `data.story` and `data.copies` (the copies known so far) filled in:
    only the store knows them, inside the transaction that decides the story."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return payload
    listed = [{"feed": c.feed, "url": c.url, "title": c.title} for c in copies]
    return {**payload, "data": {**data, "story": story_id, "copies": listed}}


def _lock(conn: sa.Connection, keys: Sequence[int]) -> None:
    """Serialise writers of possibly-same stories (PostgreSQL, READ COMMITTED).

    Two copies stored at once would otherwise each miss the other's uncommitted row and open
    two stories. Candidate copies share the fingerprint or a band key, so the later one waits
    here for the first one's commit and then sees it. Keys are taken in order in one
    statement: no deadlock between writers.
    """
    _LOCK.run(conn, {"keys": list(keys)}).fetchall()


def _find_story(
    conn: sa.Connection,
    article_id: int,
    fingerprint: str,
    sketch: StorySketch | None,
    keys: str | None,
    rules: stories.StoryRules,
) -> tuple[list[int], bool]:
    """The stories an article is a copy of, oldest first: an identical copy's, else those of
    the candidate copies monitor.stories accepts; empty: a new story. Also whether the
    article's band keys were stored on the way (PostgreSQL)."""
    row = _BY_FINGERPRINT.run(
        conn, {"fingerprint": fingerprint, "article_id": article_id}
    ).fetchone()
    if row is not None:
        return [int(row[0])], False
    if sketch is None or keys is None:
        return [], False
    inserted = conn.dialect.name == "postgresql"
    lookup = _PG_BY_BANDS_INSERTING if inserted else _BY_BANDS
    rows = lookup.run(conn, {"keys": keys, "article_id": article_id, "n": _CANDIDATES}).fetchall()
    return stories.copies_of(
        sketch, ((int(sid), bytes(sig), int(size or 0)) for sid, sig, size in rows), rules
    ), inserted


def _join(
    conn: sa.Connection, article_id: int, found: Sequence[int], *, postgres: bool
) -> tuple[int, trends.Marks | None]:
    """Record the article's story: its own id when `found` is empty, else the oldest of the
    stories found, the others merged into it (their articles and matches move; alerts they
    sent stay sent). On PostgreSQL the stories are locked first (members' is_copy flags and
    merges one writer at a time) and re-read through their first copies, which name the
    story a concurrent merge moved them to. Also, when stories merge, what they counted for
    the Trends page before (monitor.store.trends), read before the merge."""
    current = set(found)
    locked: set[int] = set()
    while current:
        if postgres:
            _lock(conn, [stories.story_key(s) for s in sorted(current - locked)])
            locked |= current
        moved = {int(s) for (s,) in _FIRST_COPIES.run(conn, {"ids": sorted(current)}).fetchall()}
        moved = moved or current
        if not postgres or moved <= locked:
            current = moved
            break
        current = moved
    story_id = min(current) if current else article_id
    merged = sorted(current - {story_id})
    prior = None
    if merged:
        prior = trends.marks(conn, [story_id, *merged])
        for statement in _MERGES:
            statement.run(conn, {"keep": story_id, "merged": merged})
    _SET_STORY.run(conn, {"article_id": article_id, "story": story_id})
    return story_id, prior


def _settle_story(conn: sa.Connection, article_id: int, story_id: int) -> tuple[StoryCopy, ...]:
    """The story's other copies, earliest first; the earliest copy is the one lists show
    (is_copy false), every other member is marked a copy."""
    if story_id == article_id:
        return ()
    rows = _MEMBERS.run(conn, {"story": story_id, "n": _COPIES + 1}).fetchall()
    for rank, (member, _feed, _url, _title, is_copy) in enumerate(rows):
        if bool(is_copy) != (rank > 0):
            _SET_COPY.run(conn, {"member": member, "copy": rank > 0})
    if all(row[0] != article_id for row in rows):  # past the members read: not the earliest
        _SET_COPY.run(conn, {"member": article_id, "copy": True})
    return tuple(
        StoryCopy(int(i), feed, url, title) for i, feed, url, title, _ in rows if i != article_id
    )[:_COPIES]


def _insert_tags(
    conn: sa.Connection, article_id: int, article: NewArticle, now: datetime
) -> list[dict[str, Any]]:
    rows = [
        dict(
            article_id=article_id,
            tag_id=t.id,
            kind=t.kind,
            name=t.name[:300],
            count=t.count,
            evidence=t.evidence.text,
            evidence_start=t.evidence.start,
            evidence_end=t.evidence.end,
            level=t.level,
            score=t.score,
            matched_at=now,
        )
        for t in {t.id: t for t in article.tags}.values()
    ]
    if rows:
        _INSERT_TAGS.many(conn, rows)
    return rows


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
        yield values[start : start + _CHUNK]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
