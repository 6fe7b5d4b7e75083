"""Read-side queries: stored matches, one article, watch feeds, metrics."""

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.errors import MonitorError
from monitor.store.base import StoreBase, table_of
from monitor.store.models import (
    ArticleRow,
    ArticleTagRow,
    FeedRow,
    OutboxRow,
    UTCDateTime,
    WatchMatchRow,
)
from monitor.store.textsearch import bucket_cover, day_number, parse_text_query
from monitor.types import Evidence, MatchRow, StoredArticle, Tag

MAX_PAGE = 500
# SQLite: with a tag or watch filter, a search with at most this many hits is read by its
# hits (_sqlite_text_first); one with more is checked chunk by chunk along the other
# filters (_sqlite_text_scan).
_TEXT_SET_MAX = 2000
_TEXT_CHUNK_MIN = 256
_TEXT_CHUNK_MAX = 8192
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


_ARTICLES = table_of(ArticleRow)
_TAGS = table_of(ArticleTagRow)
_WATCHES = table_of(WatchMatchRow)
_FEEDS = table_of(FeedRow)
_OUTBOX = table_of(OutboxRow)


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
        return now - timedelta(seconds=float(found.group(1)) * _UNIT[found.group(2)])
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
    def tags(self) -> tuple[str, ...]:
        """Every actor and issue id that must be present, without repeats."""
        return tuple(dict.fromkeys((*self.actors, *self.issues)))


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
class FeedCount:
    """One feed's numbers for /metrics."""

    name: str
    enabled: bool
    polled: bool
    consecutive_errors: int
    last_success: datetime | None
    articles: int


@dataclass(frozen=True, slots=True)
class MetricsCounts:
    """Everything /metrics reports, counted in one read transaction."""

    articles: int
    matches: int
    watch_matches: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    feeds: tuple[FeedCount, ...] = ()


_Key = tuple[datetime, int]  # a page position: (matched_at, article_id)


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which conditions a page query has (not their values): one SQL text per shape."""

    postgresql: bool
    tags: int
    watch: bool
    feed: bool
    since: bool
    until: bool
    before: bool
    pg_text: int = 0  # PostgreSQL search: 0 none, else which stretch (_PG_NEWEST ...)


class QueryStore(StoreBase):
    """Use-case methods; see the module docstring."""

    def find_matches(self, flt: MatchFilter) -> MatchPage:
        """One page of stored matches (articles with at least one tag), newest first."""
        heads = self.db.fetch(lambda conn: self._page(conn, flt))
        more = len(heads) > flt.limit
        rows = _match_rows(heads[:flt.limit])
        cursor = encode_cursor(rows[-1].matched_at, rows[-1].article_id) if more else None
        return MatchPage(tuple(rows), cursor)

    def watch_matches(self, watch: str, limit: int = 50) -> tuple[MatchRow, ...]:
        """A watch's newest matches (what its Atom feed shows)."""
        return self.find_matches(MatchFilter(watch=watch, limit=limit)).items

    def get_article(self, article_id: int) -> StoredArticle | None:
        """One stored article with all its tags and their evidence; None when absent."""
        sql = _article_sql(self.db.dialect == "postgresql")
        row = self.db.fetch(
            lambda conn: conn.execute(sql, {"id": article_id}).mappings().one_or_none())
        if row is None:
            return None
        return StoredArticle(
            id=row["id"], feed=row["feed_name"], url=row["url"],
            canonical_url=row["canonical_url"], guid=row["guid"], title=row["title"],
            author=row["author"], published=row["published"], language=row["language"],
            text=row["text"], story_id=row["story_id"] or row["id"],
            stored_at=row["stored_at"], tags=_tags_from_json(row["tags"]))

    def article_id_for_url(self, url: str) -> int | None:
        """The id of the article stored under this URL (as linked or canonical)."""
        stmt = (sa.select(_ARTICLES.c.id)
                .where(sa.or_(_ARTICLES.c.url == url, _ARTICLES.c.canonical_url == url))
                .order_by(_ARTICLES.c.id).limit(1))
        found = self.db.fetch(lambda conn: conn.execute(stmt).scalar_one_or_none())
        return None if found is None else int(found)

    def article_watches(self, article_id: int) -> tuple[str, ...]:
        """The watches an article matched, by name."""
        return self.db.fetch(
            lambda conn: _watches_of(conn, [article_id]).get(article_id, ()))

    def list_watches(self) -> list[WatchSummary]:
        """Every watch with stored matches: count and newest match time."""
        stmt = (sa.select(_WATCHES.c.watch, sa.func.count(), sa.func.max(_WATCHES.c.matched_at))
                .group_by(_WATCHES.c.watch).order_by(_WATCHES.c.watch))
        rows = self.db.fetch(lambda conn: conn.execute(stmt).all())
        return [WatchSummary(name, int(n), _aware(last)) for name, n, last in rows]

    def metrics_counts(self) -> MetricsCounts:
        """Counts for /metrics: articles, matches, matches per watch, outbox by state, feeds."""
        with self.db.read() as s:
            conn = s.connection()
            articles = conn.execute(sa.select(sa.func.count()).select_from(_ARTICLES)).scalar()
            matches = conn.execute(sa.select(sa.func.count(sa.distinct(_TAGS.c.article_id))))
            per_watch = conn.execute(sa.select(_WATCHES.c.watch, sa.func.count())
                                     .group_by(_WATCHES.c.watch)).all()
            outbox = conn.execute(sa.select(_OUTBOX.c.state, sa.func.count())
                                  .group_by(_OUTBOX.c.state)).all()
            feeds = _feed_counts(conn)
        return MetricsCounts(
            articles=int(articles or 0), matches=int(matches.scalar() or 0),
            watch_matches={w: int(n) for w, n in per_watch},
            outbox={state: int(n) for state, n in outbox}, feeds=feeds)

    # ---- the page query -------------------------------------------------------------------
    #
    # Every filter that lists articles in page order, (matched_at, article_id) descending, is an
    # "arm": each tag's (tag_id, matched_at, article_id) index, the watch's (watch, matched_at,
    # article_id) index, and articles by (feed_id, stored_at) or by stored_at. (All tags and
    # watch matches of an article carry its stored_at as matched_at, so every arm orders the
    # same rows the same way; ids need not follow time.) The page is the intersection of the
    # arms read newest first and stopped at limit + 1: on SQLite an INTERSECT with ORDER BY,
    # which SQLite runs as a merge of the arms' index scans; on PostgreSQL a join of the arms
    # on (matched_at, article_id), which the planner runs as a merge join of backward index
    # scans or an indexed nested loop. Only those rows are joined to articles and feeds.
    # The SQL is text built once per shape of filter: building and cache-keying SQLAlchemy
    # constructs per call cost more than the queries themselves (~2 ms of a ~3 ms page).

    def _page(self, conn: Connection, flt: MatchFilter) -> list[Any]:
        """limit + 1 rows (time, id, url, title, published, feed, tags, watches) in order."""
        before = decode_cursor(flt.cursor) if flt.cursor is not None else None
        wanted = flt.limit + 1
        pg = self.db.dialect == "postgresql"
        params = _params(flt, before, wanted)
        if pg and flt.text is not None:
            return self._pg_text_page(conn, flt, before, wanted)
        if flt.text is None:
            return list(conn.execute(_page_sql(_shape(flt, before, postgresql=pg)),
                                     params).all())
        fts = parse_text_query(flt.text).fts5()
        if not flt.tags and flt.watch is None:  # the search itself is the most selective
            return self._sqlite_text_first(conn, flt, before, fts, wanted,
                                           max(4 * wanted, _TEXT_CHUNK_MIN))
        if not conn.execute(_FTS_MORE_THAN, {"q": fts, "k": _TEXT_SET_MAX}).scalar():
            return self._sqlite_text_first(conn, flt, before, fts, wanted, _TEXT_SET_MAX + 1)
        return _with_details_of(conn, self._sqlite_text_scan(conn, flt, before, fts, wanted))

    def _pg_text_page(self, conn: Connection, flt: MatchFilter, before: _Key | None,
                      wanted: int) -> list[Any]:
        """PostgreSQL, a search. The planner's estimate of the articles the words match
        decides the first step. With only a few pages of hits in all, one statement reads
        them all (the GIN bitmap). A common search reads the newest _PG_NEWEST_N rows of the
        first arm (a tag's, the watch's, or the articles the filter allows) and checks each
        article's search_vector: that usually fills the page. Otherwise, and for what that
        step leaves, the search goes back in stretches of whole days, each found through
        the GIN index by the words AND the stretch's time buckets (revision 0005), so a rare
        word reads only that stretch's hits, never every article nor every hit. Each
        stretch is sized for _PG_MARGIN times the rows the page still lacks, at the rate of
        hits seen so far (the estimate counting as _PG_PRIOR hits), and spans at most
        _PG_GROWTH times the days of the one before; past _PG_MAX_DAYS, one statement reads
        all older articles. The steps are disjoint and go newest first, so their rows,
        each step's in page order, are the page in order."""
        q = parse_text_query(flt.text or "").websearch()
        params = {**_params(flt, before, wanted), "q": q, "n": _PG_NEWEST_N}
        hits_est, rate = _pg_share(conn, q)
        older = _page_sql(_shape(flt, before, postgresql=True, pg_text=_PG_OLDER))
        if hits_est <= _PG_FEW * wanted:  # so few hits in all that reading them all is cheapest
            return list(conn.execute(older, {**params, "eat": _FAR, "elast": _NO_ID,
                                             "whi": _FAR}).all())
        walked = rate * _PG_NEWEST_N >= wanted
        rows: list[Any] = []
        if walked:
            rows = list(conn.execute(_page_sql(_shape(flt, before, postgresql=True,
                                                      pg_text=_PG_NEWEST)), params).all())
            if len(rows) >= wanted:
                return rows
        # Where the first step ended (not walked: only the rows per day near the newest).
        n = _PG_NEWEST_N if walked else _PG_RATE_ROWS
        edge = conn.execute(_pg_edge_sql(_shape(flt, before, postgresql=True,
                                                pg_text=_PG_NEWEST)), {**params, "n": n}).first()
        if edge is None:  # fewer than n rows: read what the first step did not
            if walked:
                return rows
            return list(conn.execute(older, {**params, "eat": _FAR, "elast": _NO_ID,
                                             "whi": _FAR}).all())
        at, last, newest = edge
        per_day = n / max((newest - at).total_seconds() / 86_400, 1 / 86_400)
        seen, hits = float(n), len(rows)
        if not walked:  # start from the newest row, with nothing seen yet
            at, last, seen = newest, _NO_ID, 0.0
        params.update(eat=at, elast=int(last), whi=at + timedelta(seconds=1))
        hi_day, hi_time, span = day_number(at.timestamp()) + 1, at, 0
        since_day = None if flt.since is None else day_number(flt.since.timestamp())
        buckets = _page_sql(_shape(flt, before, postgresql=True, pg_text=_PG_BUCKETS))
        while True:
            need = wanted - len(rows)
            # hits per row: what was seen, plus the estimate worth _PG_PRIOR hits
            share = (hits + _PG_PRIOR) / (seen + _PG_PRIOR / max(rate, 1e-9))
            days = math.ceil(_PG_MARGIN * need / share / per_day)
            days = max(1, min(days, _PG_GROWTH * span) if span else days)
            lo_day = hi_day - days
            if days > _PG_MAX_DAYS and since_day is None:
                break
            done = since_day is not None and lo_day <= since_day
            lo_day = max(lo_day, since_day) if since_day is not None else lo_day
            wlo = datetime.fromtimestamp(lo_day * 86_400, UTC)
            found = conn.execute(buckets, {**params, "lim": need, "wlo": wlo,
                                           "tq": bucket_cover(lo_day, hi_day)}).all()
            rows += found
            if len(rows) >= wanted or done:
                return rows
            seen += max((hi_time - wlo).total_seconds(), 0.0) / 86_400 * per_day
            hits += len(found)
            hi_day, hi_time, span, params["whi"] = lo_day, wlo, days, wlo
        return [*rows, *conn.execute(older, {**params, "lim": wanted - len(rows)}).all()]

    def _sqlite_text_first(self, conn: Connection, flt: MatchFilter, before: _Key | None,
                           fts: str, wanted: int, size: int) -> list[Any]:
        """SQLite, a search with few hits or no tag/watch filter: read the hits newest id
        first in growing chunks, keep those that meet the other conditions (checked by key),
        and stop once no unread hit (all have smaller ids) can belong on the page: no
        article with a smaller id is as new as the page's last row. (Ids grow with time, so
        that check stops early; were they not, reading goes on, never wrong.) One statement
        per chunk reads the hits, checks them, returns the kept rows with their details, and
        says whether the first chunk is enough: usually the whole page is one statement."""
        shape = _shape(flt, before, postgresql=False)
        params = {**_params(flt, before, wanted), "q": fts}
        found: list[Any] = []
        below, first = _NO_ID, True
        while True:
            rows = conn.execute(_text_chunk_sql(shape), {**params, "below": below, "k": size})
            lowest = read = None
            more = True
            for lo, n, enough, *row in rows:
                lowest, read, more = lo, n, not enough
                if row[1] is not None:
                    found.append(row)
            found = sorted(found, key=lambda r: (r[0], r[1]), reverse=True)[:wanted]
            if lowest is None or read is None or read < size:
                return found  # every hit read
            below = lowest
            if not first:
                full = len(found) == wanted
                more = not conn.execute(_ENOUGH_BELOW, {
                    "below": below, "full": full, "since": flt.since,
                    "t": found[-1][0] if full else flt.since}).scalar()
            if not more:
                return found
            first = False
            size = min(2 * size, _TEXT_CHUNK_MAX)

    def _sqlite_text_scan(self, conn: Connection, flt: MatchFilter, before: _Key | None,
                          fts: str, wanted: int) -> list[_Key]:
        """SQLite, a search with many hits and a tag or watch filter: read the other
        conditions' page in growing chunks and keep the rows FTS5 finds within each chunk's
        article-id range, all inside SQLite (one statement per chunk, returning the hits and
        the chunk's last row). Ids grow with time, so that range is narrow; were they not, it
        is only wider, never wrong."""
        found: list[_Key] = []
        size = max(4 * wanted, _TEXT_CHUNK_MIN)
        while len(found) < wanted:
            shape = _shape(flt, before, postgresql=False)
            rows = conn.execute(_chunk_sql(shape), {**_params(flt, before, size), "q": fts})
            last: _Key | None = None
            hits: list[_Key] = []
            for when, aid, hit in rows:
                if hit == 1:
                    hits.append((when, int(aid)))
                else:  # the chunk's last row, with minus the chunk's size
                    last, read = (when, int(aid)), -int(hit)
            found += sorted(hits, reverse=True)
            if last is None or read < size:
                break
            before = last
            size = min(2 * size, _TEXT_CHUNK_MAX)
        return found[:wanted]


_NO_ID = 2**62  # above every article id
_FAR = datetime(9999, 1, 1, tzinfo=UTC)  # after every stored_at
# PostgreSQL search: how many newest articles are checked one by one, and how many days a
# stretch read through the time buckets may span before all older articles are read at once.
_PG_NEWEST_N = 2000
_PG_RATE_ROWS = 100  # newest rows that tell how many come per day, when not walked
_PG_MAX_DAYS = 1024
_PG_MARGIN = 1.8  # a stretch is sized for this many times the hits the page still lacks
_PG_FEW = 4  # at most this many pages' worth of hits in all: read them all at once
_PG_PRIOR = 2.0  # the planner's estimate weighs as much as this many hits seen
_PG_GROWTH = 8  # a stretch spans at most this many times the days of the one before
_PG_NEWEST, _PG_BUCKETS, _PG_OLDER = 1, 2, 3
_FTS_MORE_THAN = sa.text("SELECT EXISTS (SELECT rowid FROM articles_fts "
                         "WHERE articles_fts MATCH :q LIMIT 1 OFFSET :k)")
# SQLite: whether no unread hit (all have ids below {below}) can belong on the page. With no
# break of id order recorded at or above {below} (revision 0005), none is newer than a read
# one: the page is done when {full}, or when the hit at {below} is older than {since}.
# Otherwise look for an article below {below} as new as {t} (the page's last row's time, or
# {since}). "+id": compare, but read the stored_at index (from {t} up), never the id range.
_ENOUGH = (
    "WHEN NOT EXISTS (SELECT 1 FROM article_order_breaks WHERE at_id >= {below}) "
    "THEN {full} OR coalesce((SELECT stored_at FROM articles WHERE id = {below}) < {since}, 0) "
    "WHEN {t} IS NULL THEN 0 "
    "ELSE NOT EXISTS (SELECT 1 FROM articles WHERE stored_at >= {t} AND +id < {below})")
_ENOUGH_BELOW = sa.text(
    "SELECT CASE " + _ENOUGH.format(below=":below", full=":full", since=":since", t=":t")
    + " END").bindparams(sa.bindparam("t", type_=UTCDateTime()),
                         sa.bindparam("since", type_=UTCDateTime()))
_HAS_TAG = "EXISTS (SELECT 1 FROM article_tags h WHERE h.article_id = {id})"
_FEED = "{feed_id} = (SELECT id FROM feeds WHERE name = :feed)"
_PG_TEXT = "doc.search_vector @@ websearch_to_tsquery('english'::regconfig, :q)"


def _shape(flt: MatchFilter, before: _Key | None, *, postgresql: bool,
           pg_text: int = 0) -> _Shape:
    return _Shape(postgresql, len(flt.tags), flt.watch is not None, flt.feed is not None,
                  flt.since is not None, flt.until is not None, before is not None, pg_text)


def _params(flt: MatchFilter, before: _Key | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {f"tag{i}": tag for i, tag in enumerate(flt.tags)}
    params.update(watch=flt.watch, feed=flt.feed, since=flt.since, until=flt.until, lim=limit)
    if before is not None:
        params["at"], params["last"] = before
    return {k: v for k, v in params.items() if v is not None}


# The SQL texts below are put together from this module's constants and loop counters only;
# every value is a bind parameter (hence the S608 waivers).


def _window(shape: _Shape, when: str, aid: str) -> list[str]:
    """The since/until window and the keyset position on one arm's columns."""
    conds = []
    if shape.since:
        conds.append(f"{when} >= :since")
    if shape.until:
        conds.append(f"{when} < :until")
    if shape.before:  # a range plus a tie-break, so every dialect seeks the index on time
        conds.append(f"{when} <= :at AND ({when} < :at OR {aid} < :last)")
    return conds


def _typed(sql: str, *columns: sa.ColumnClause[Any]) -> sa.TextClause:
    """`sql` with its datetime parameters bound through UTCDateTime, and typed columns."""
    binds = [sa.bindparam(name, type_=UTCDateTime())
             for name in ("since", "until", "at", "eat", "wlo", "whi") if f":{name}" in sql]
    if ":ids" in sql:
        binds.append(sa.bindparam("ids", expanding=True))
    clause = sa.text(sql).bindparams(*binds)
    return clause.columns(*columns) if columns else clause  # type: ignore[return-value]


_KEY_COLUMNS = (sa.column("matched_at", UTCDateTime()), sa.column("article_id", sa.Integer()))


@functools.lru_cache(maxsize=256)
def _keys_text(shape: _Shape) -> str:
    """The SQL of the page's keys (matched_at, article_id), in page order, LIMIT :lim."""
    if shape.postgresql:
        return _pg_keys_text(shape)
    arms = []
    for i in range(shape.tags):
        arms.append(" AND ".join([
            f"SELECT matched_at, article_id FROM article_tags WHERE tag_id = :tag{i}",  # noqa: S608
            *_window(shape, "matched_at", "article_id")]))
    if shape.watch:
        arms.append(" AND ".join([
            "SELECT matched_at, article_id FROM watch_matches WHERE watch = :watch",
            *_window(shape, "matched_at", "article_id")]))
    doc = [_FEED.format(feed_id="feed_id")] if shape.feed else []
    if not arms:  # no tag or watch names the rows: only articles with a tag are matches
        doc.append(_HAS_TAG.format(id="articles.id"))
    if doc:
        arms.append("SELECT stored_at AS matched_at, id AS article_id FROM articles WHERE "  # noqa: S608
                    + " AND ".join([*doc, *_window(shape, "stored_at", "id")]))
    return (" INTERSECT ".join(arms)
            + " ORDER BY matched_at DESC, article_id DESC LIMIT :lim")


_PgArm = tuple[str, str, str, str, list[str], list[str]]


def _pg_arms(shape: _Shape) -> list[_PgArm]:
    """(table, alias, time column, id column, the arm's own conditions, further ones)."""
    arms: list[_PgArm] = [("article_tags", f"t{i}", "matched_at", "article_id",
                           [f"t{i}.tag_id = :tag{i}"], []) for i in range(shape.tags)]
    if shape.watch:
        arms.append(("watch_matches", "w", "matched_at", "article_id", ["w.watch = :watch"],
                     []))
    own = [_FEED.format(feed_id="doc.feed_id")] if shape.feed else []
    more = [_PG_TEXT] if shape.pg_text else []
    if shape.pg_text in (_PG_BUCKETS, _PG_OLDER):  # below the edge (:eat, :elast) and :whi
        more += ["doc.stored_at < :whi",
                 "doc.stored_at <= :eat AND (doc.stored_at < :eat OR doc.id < :elast)"]
    if shape.pg_text == _PG_BUCKETS:  # from :wlo on, found by its time buckets too
        more += ["doc.stored_at >= :wlo", "doc.search_vector @@ CAST(:tq AS tsquery)"]
    if not arms and not _pg_tag_after_sort(shape):
        more.append(_HAS_TAG.format(id="doc.id"))
    if own or more:
        arms.append(("articles", "doc", "stored_at", "id", own, more))
    return arms


def _pg_has_doc(shape: _Shape) -> bool:
    """Whether the articles table is one of the arms of this PostgreSQL page query."""
    return _pg_arms(shape)[-1][1] == "doc"


def _pg_tag_after_sort(shape: _Shape) -> bool:
    """Whether "has a tag" is checked only on the sorted hits, newest first, until the page
    is full: a search stretch without tag or watch filters sorts its hits anyway, and so
    checks about a page of them instead of every one."""
    return shape.pg_text in (_PG_BUCKETS, _PG_OLDER) and not shape.tags and not shape.watch


def _pg_arm_where(shape: _Shape, arm: _PgArm) -> tuple[str, str, str]:
    """An arm's time and id columns, and its own conditions with the window on them."""
    _, alias, when, aid, own, _ = arm
    w, a = f"{alias}.{when}", f"{alias}.{aid}"
    return w, a, " AND ".join([*own, *_window(shape, w, a)]) or "true"


def _pg_keys_text(shape: _Shape) -> str:
    arms = _pg_arms(shape)
    when, aid, _ = _pg_arm_where(shape, arms[0])
    source = ""
    conds: list[str] = []
    for i, arm in enumerate(arms):
        table, alias, _, _, _, more = arm
        w, a, where = _pg_arm_where(shape, arm)
        if i == 0 and shape.pg_text == _PG_NEWEST:  # only the first arm's newest :n rows
            source = (f"(SELECT {alias}.* FROM {table} {alias} WHERE {where} "  # noqa: S608
                      f"ORDER BY {w} DESC, {a} DESC LIMIT :n) {alias}")
            conds += more
            continue
        if i and shape.pg_text == _PG_NEWEST:  # looked up row by row (OFFSET 0: never
            # flattened), never merged with a scan of the whole table
            inner = " AND ".join([f"{a} = {aid}", f"{w} = {when}", where, *more])
            source += (f" CROSS JOIN LATERAL (SELECT {alias}.* FROM {table} {alias} "  # noqa: S608
                       f"WHERE {inner} OFFSET 0) {alias}")
            continue
        source += f" JOIN {table} {alias} ON {a} = {aid} AND {w} = {when}" if i else (
            f"{table} {alias}")
        conds += [where, *more]
    columns = ", doc.url, doc.title, doc.published, doc.feed_id" if _pg_has_doc(shape) else ""
    keys = (f"SELECT {when} AS matched_at, {aid} AS article_id{columns} FROM {source} "  # noqa: S608
            "WHERE " + (" AND ".join(conds) or "true") + f" ORDER BY {when} DESC, {aid} DESC")
    if _pg_tag_after_sort(shape):  # OFFSET 0: sorted first, never flattened into one join
        return (f"SELECT s.* FROM ({keys} OFFSET 0) s WHERE "  # noqa: S608
                + _HAS_TAG.format(id="s.article_id")
                + " ORDER BY s.matched_at DESC, s.article_id DESC LIMIT :lim")
    return keys + " LIMIT :lim"


_PG_SHARE = sa.text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM articles WHERE search_vector @@ "
    "websearch_to_tsquery('english'::regconfig, :q) UNION ALL SELECT 1 FROM articles")


def _pg_share(conn: Connection, q: str) -> tuple[float, float]:
    """The planner's estimate of how many articles the search matches, and of their share
    of all articles (0..1): what ts_sel makes of the words' frequencies (ANALYZE). Kept
    for _SHARE_TTL_S per database and search, as the statistics change only slowly."""
    key = (conn.engine.url.render_as_string(), q)
    now = monotonic()
    cached = _SHARES.get(key)
    if cached is not None and now - cached[0] < _SHARE_TTL_S:
        return cached[1]
    if len(_SHARES) >= _SHARES_MAX:
        _SHARES.clear()
    share = _pg_share_now(conn, q)
    _SHARES[key] = (now, share)
    return share


_SHARES: dict[tuple[str, str], tuple[float, tuple[float, float]]] = {}
_SHARES_MAX = 4096
_SHARE_TTL_S = 600.0


def _pg_share_now(conn: Connection, q: str) -> tuple[float, float]:
    plan: Any = conn.execute(_PG_SHARE, {"q": q}).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    hits, total = (float(p["Plan Rows"]) for p in plan[0]["Plan"]["Plans"])
    return hits, (min(hits / total, 1.0) if total > 0 else 1.0)


@functools.lru_cache(maxsize=256)
def _pg_edge_sql(shape: _Shape) -> sa.TextClause:
    """PostgreSQL: the key of the first arm's :n-th newest row (no row: it has fewer), and
    its newest row's time: where the search's first step (_PG_NEWEST) ends."""
    arm = _pg_arms(shape)[0]
    w, a, where = _pg_arm_where(shape, arm)
    table = f"{arm[0]} {arm[1]}"
    return _typed(f"SELECT {w}, {a}, (SELECT {w} FROM {table} WHERE {where} "  # noqa: S608
                  f"ORDER BY {w} DESC LIMIT 1) FROM {table} WHERE {where} "
                  f"ORDER BY {w} DESC, {a} DESC OFFSET :n - 1 LIMIT 1",
                  sa.column("at", UTCDateTime()), sa.column("last", sa.Integer()),
                  sa.column("newest", UTCDateTime()))


@functools.lru_cache(maxsize=256)
def _page_sql(shape: _Shape) -> sa.TextClause:
    """The page in one statement: its keys joined to their articles and feeds, with each
    row's tags and watches aggregated as JSON (one round trip for the whole page)."""
    # PostgreSQL with the articles among the arms: the keys bring the article's columns
    # along, read once with the row that was checked (no second lookup by id).
    own = shape.postgresql and _pg_has_doc(shape)
    source = "k" if own else "a"
    return _typed(
        f"SELECT k.matched_at, k.article_id, {source}.url, {source}.title, "  # noqa: S608
        f"{source}.published, f.name, {_tags_json(shape.postgresql, 'k.article_id')} "
        f"FROM ({_keys_text(shape)}) k "
        + ("" if own else "JOIN articles a ON a.id = k.article_id ")
        + f"JOIN feeds f ON f.id = {source}.feed_id "
        "ORDER BY k.matched_at DESC, k.article_id DESC",
        *_KEY_COLUMNS, *_DETAIL_COLUMNS)


def _tags_json(postgresql: bool, article_id: str) -> str:
    """Two columns: the article's tags and its watch names, each a JSON array."""
    agg, row = ("json_agg", "json_build_array") if postgresql else ("json_group_array",
                                                                    "json_array")
    return (f"(SELECT {agg}({row}(t.tag_id, t.kind, t.name, t.\"count\", t.evidence, "  # noqa: S608
            f"t.evidence_start, t.evidence_end)) FROM article_tags t "
            f"WHERE t.article_id = {article_id}) AS tags, "
            f"(SELECT {agg}(w.watch) FROM watch_matches w "
            f"WHERE w.article_id = {article_id}) AS watches")


_DETAIL_COLUMNS: tuple[sa.ColumnClause[Any], ...] = (
    sa.column("url"), sa.column("title"), sa.column("published", UTCDateTime()),
    sa.column("name"), sa.column("tags"), sa.column("watches"))


@functools.lru_cache(maxsize=256)
def _chunk_sql(shape: _Shape) -> sa.TextClause:
    """SQLite: one chunk of the page's keys (LIMIT :lim), its rows that match :q (hit 1;
    FTS5 read over the chunk's id range only), and its last row (hit = -rows in chunk)."""
    return _typed(
        f"WITH chunk AS MATERIALIZED ({_keys_text(shape)}), "  # noqa: S608
        "bounds AS (SELECT min(article_id) AS lo, max(article_id) AS hi FROM chunk) "
        "SELECT matched_at, article_id, 1 AS hit FROM chunk WHERE article_id IN ("
        "SELECT articles_fts.rowid FROM bounds, articles_fts WHERE articles_fts MATCH :q "
        "AND articles_fts.rowid >= bounds.lo AND articles_fts.rowid <= bounds.hi) "
        "UNION ALL SELECT * FROM (SELECT matched_at, article_id, "
        "-(SELECT count(*) FROM chunk) AS hit FROM chunk "
        "ORDER BY matched_at, article_id LIMIT 1)",
        *_KEY_COLUMNS, sa.column("hit", sa.Integer()))


def _probe_conds(shape: _Shape, when: str = "stored_at", aid: str = "id") -> list[str]:
    """SQLite: the conditions besides the search on one article of `articles`, by key."""
    conds = [f"EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = articles.id "  # noqa: S608
             f"AND t.tag_id = :tag{i})" for i in range(shape.tags)]
    if shape.watch:
        conds.append("EXISTS (SELECT 1 FROM watch_matches w WHERE w.article_id = articles.id "
                     "AND w.watch = :watch)")
    if shape.feed:
        conds.append(_FEED.format(feed_id="feed_id"))
    if not shape.tags and not shape.watch:
        conds.append(_HAS_TAG.format(id="articles.id"))
    return conds + _window(shape, when, aid)


@functools.lru_cache(maxsize=256)
def _text_chunk_sql(shape: _Shape) -> sa.TextClause:
    """SQLite: the :k newest hits of :q below id :below; of those that meet every condition
    the :lim newest, with their details; and on every row the chunk's lowest id, its number
    of hits, and whether it is enough: no article with a smaller id is as new as the :lim-th
    kept row (or :since, with fewer kept), so no unread hit can belong on the page."""
    conds = _probe_conds(shape, "+stored_at", "+id")  # by the hits' ids, not a time range
    since = ":since" if shape.since else "NULL"
    where = " AND ".join(conds)
    enough = _ENOUGH.format(below="(SELECT min(id) FROM hits)", full="filled", since=since,
                            t="t")
    return _typed(
        "WITH hits AS MATERIALIZED (SELECT rowid AS id FROM articles_fts "  # noqa: S608
        "WHERE articles_fts MATCH :q AND rowid < :below ORDER BY rowid DESC LIMIT :k), "
        "kept AS MATERIALIZED (SELECT stored_at AS matched_at, id AS article_id "
        f"FROM articles WHERE id IN (SELECT id FROM hits) AND {where} "
        "ORDER BY stored_at DESC, id DESC LIMIT :lim), "
        f"edge AS (SELECT CASE WHEN count(*) = :lim THEN min(matched_at) ELSE {since} END "
        "AS t, count(*) = :lim AS filled FROM kept), "
        "status AS (SELECT (SELECT min(id) FROM hits) AS lo, (SELECT count(*) FROM hits) AS n, "
        f"(SELECT CASE WHEN (SELECT count(*) FROM hits) < :k THEN 1 {enough} "
        "END FROM edge) AS enough) "
        "SELECT s.lo, s.n, s.enough, k.matched_at, k.article_id, a.url, a.title, a.published, "
        f"f.name, {_tags_json(False, 'k.article_id')} FROM status s LEFT JOIN kept k "
        "LEFT JOIN articles a ON a.id = k.article_id LEFT JOIN feeds f ON f.id = a.feed_id",
        sa.column("lo", sa.Integer()), sa.column("n", sa.Integer()),
        sa.column("enough", sa.Boolean()), *_KEY_COLUMNS, *_DETAIL_COLUMNS)


_DETAILS = _typed("SELECT a.id, a.url, a.title, a.published, f.name, "  # noqa: S608
                  f"{_tags_json(False, 'a.id')} FROM articles a "
                  "JOIN feeds f ON f.id = a.feed_id WHERE a.id IN :ids",
                  sa.column("id", sa.Integer()), *_DETAIL_COLUMNS)


def _with_details_of(conn: Connection, keys: Sequence[_Key]) -> list[Any]:
    """The rows of these keys, in their order: articles and feeds read by id."""
    if not keys:
        return []
    rows = conn.execute(_DETAILS, {"ids": [aid for _, aid in keys]}).all()
    by_id = {int(row[0]): row for row in rows}
    return [(when, aid, *by_id[aid][1:]) for when, aid in keys if aid in by_id]


def _match_rows(heads: Sequence[Any]) -> list[MatchRow]:
    """MatchRows from page rows (time, id, url, title, published, feed, tags, watches)."""
    out = []
    for when, aid, url, title, published, feed, tags_json, watches_json in heads:
        tags = _tags_from_json(tags_json)
        out.append(MatchRow(
            article_id=aid, url=url, title=title, published=_aware(published), feed=feed,
            matched_at=_aware(when), actors=tuple(t for t in tags if t.kind == "actor"),
            issues=tuple(t for t in tags if t.kind == "issue"),
            watches=tuple(sorted(_json(watches_json)))))
    return out


def _tags_from_json(value: Any) -> tuple[Tag, ...]:
    """An article's tags from their JSON aggregate, most mentioned first."""
    return tuple(sorted((Tag(id=key, kind=kind, name=name, count=count,
                             evidence=Evidence(ev, start, end))
                         for key, kind, name, count, ev, start, end in _json(value)),
                        key=lambda g: (-g.count, g.name)))


@functools.lru_cache(maxsize=2)
def _article_sql(postgresql: bool) -> sa.TextClause:
    """One article by :id with its feed's name and its tags (JSON): one statement."""
    columns = [sa.column(c.name, c.type) for c in _ARTICLES.columns]
    names = ", ".join(f'a."{c.name}"' for c in columns)
    return _typed(f"SELECT {names}, f.name AS feed_name, "  # noqa: S608
                  f"{_tags_json(postgresql, 'a.id')} FROM articles a "
                  "JOIN feeds f ON f.id = a.feed_id WHERE a.id = :id",
                  *columns, sa.column("feed_name"), sa.column("tags"), sa.column("watches"))


def _json(value: Any) -> list[Any]:
    """A JSON aggregate as a list: psycopg decodes json itself, SQLite returns text, and
    no rows aggregate to NULL (PostgreSQL) or '[]' (SQLite)."""
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str) else value)


_TAGS_AND_WATCHES = _typed(
    'SELECT article_id, tag_id, kind, name, "count", evidence, evidence_start, evidence_end '
    "FROM article_tags WHERE article_id IN :ids UNION ALL "
    "SELECT article_id, watch, 'watch', NULL, NULL, NULL, NULL, NULL "
    "FROM watch_matches WHERE article_id IN :ids")


def _tags_and_watches(
    conn: Connection, ids: Sequence[int],
) -> tuple[dict[int, tuple[Tag, ...]], dict[int, tuple[str, ...]]]:
    """Tags and watch names of many articles in one round trip (a UNION ALL)."""
    rows = conn.execute(_TAGS_AND_WATCHES, {"ids": list(ids)}).all()
    tags: dict[int, list[Tag]] = {}
    watches: dict[int, list[str]] = {}
    for aid, key, kind, name, count, ev, start, end in rows:
        if kind == "watch":
            watches.setdefault(aid, []).append(key)
        else:
            tags.setdefault(aid, []).append(Tag(id=key, kind=kind, name=name, count=count,
                                                evidence=Evidence(ev, start, end)))
    return ({k: tuple(sorted(v, key=lambda g: (-g.count, g.name))) for k, v in tags.items()},
            {k: tuple(sorted(v)) for k, v in watches.items()})


def _watches_of(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    return _tags_and_watches(conn, ids)[1]


def _feed_counts(conn: Connection) -> tuple[FeedCount, ...]:
    f = _FEEDS.c
    per_feed = (sa.select(sa.func.count()).select_from(_ARTICLES)
                .where(_ARTICLES.c.feed_id == f.id).scalar_subquery())
    rows = conn.execute(sa.select(f.name, f.enabled, f.last_polled, f.consecutive_errors,
                                  f.last_success, per_feed).order_by(f.name)).all()
    return tuple(FeedCount(name, bool(enabled), polled is not None, int(errors),
                           _aware(success), int(n))
                 for name, enabled, polled, errors, success, n in rows)


def _aware(value: Any) -> Any:
    """Datetimes from raw column reads (no TypeDecorator on aggregates) as aware UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, str):  # SQLite max() over a DateTime column returns text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value
