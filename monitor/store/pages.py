"""Reading one page of matches: the plain page, PostgreSQL search stretches, SQLite FTS5 chunks."""

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.filters import MatchFilter, decode_cursor
from monitor.store.pagesql import (
    DETAILS,
    ENOUGH_BELOW,
    FTS_MORE_THAN,
    PG_BUCKETS,
    PG_NEWEST,
    PG_OLDER,
    PageKey,
    chunk_sql,
    page_params,
    page_shape,
    page_sql,
    pg_edge_sql,
    text_chunk_sql,
)
from monitor.store.textsearch import bucket_cover, day_number, parse_text_query

# SQLite: with a tag or watch filter, a search with at most this many hits is read by its
# hits (_sqlite_text_first); one with more is checked chunk by chunk along the other
# filters (_sqlite_text_scan).
_TEXT_SET_MAX = 2000
_TEXT_CHUNK_MIN = 256
_TEXT_CHUNK_MAX = 8192

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


def read_page(conn: Connection, flt: MatchFilter, *, postgresql: bool) -> list[Any]:
    """limit + 1 rows (time, id, url, title, published, feed, tags, watches) in order."""
    before = decode_cursor(flt.cursor) if flt.cursor is not None else None
    wanted = flt.limit + 1
    pg = postgresql
    params = page_params(flt, before, wanted)
    if pg and flt.text is not None:
        return _pg_text_page(conn, flt, before, wanted)
    if flt.text is None:
        return list(conn.execute(page_sql(page_shape(flt, before, postgresql=pg)), params).all())
    fts = parse_text_query(flt.text).fts5()
    if not flt.tags and flt.watch is None:  # the search itself is the most selective
        return _sqlite_text_first(conn, flt, before, fts, wanted, max(4 * wanted, _TEXT_CHUNK_MIN))
    if not conn.execute(FTS_MORE_THAN, {"q": fts, "k": _TEXT_SET_MAX}).scalar():
        return _sqlite_text_first(conn, flt, before, fts, wanted, _TEXT_SET_MAX + 1)
    return _with_details_of(conn, _sqlite_text_scan(conn, flt, before, fts, wanted))


def _pg_text_page(
    conn: Connection, flt: MatchFilter, before: PageKey | None, wanted: int
) -> list[Any]:
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
    params = {**page_params(flt, before, wanted), "q": q, "n": _PG_NEWEST_N}
    hits_est, rate = _pg_share(conn, q)
    older = page_sql(page_shape(flt, before, postgresql=True, pg_text=PG_OLDER))
    if hits_est <= _PG_FEW * wanted:  # so few hits in all that reading them all is cheapest
        return list(
            conn.execute(older, {**params, "eat": _FAR, "elast": _NO_ID, "whi": _FAR}).all()
        )
    walked = rate * _PG_NEWEST_N >= wanted
    rows: list[Any] = []
    if walked:
        rows = list(
            conn.execute(
                page_sql(page_shape(flt, before, postgresql=True, pg_text=PG_NEWEST)), params
            ).all()
        )
        if len(rows) >= wanted:
            return rows
    # Where the first step ended (not walked: only the rows per day near the newest).
    n = _PG_NEWEST_N if walked else _PG_RATE_ROWS
    edge = conn.execute(
        pg_edge_sql(page_shape(flt, before, postgresql=True, pg_text=PG_NEWEST)), {**params, "n": n}
    ).first()
    if edge is None:  # fewer than n rows: read what the first step did not
        if walked:
            return rows
        return list(
            conn.execute(older, {**params, "eat": _FAR, "elast": _NO_ID, "whi": _FAR}).all()
        )
    at, last, newest = edge
    per_day = n / max((newest - at).total_seconds() / 86_400, 1 / 86_400)
    seen, hits = float(n), len(rows)
    if not walked:  # start from the newest row, with nothing seen yet
        at, last, seen = newest, _NO_ID, 0.0
    params.update(eat=at, elast=int(last), whi=at + timedelta(seconds=1))
    hi_day, hi_time, span = day_number(at.timestamp()) + 1, at, 0
    since_day = None if flt.since is None else day_number(flt.since.timestamp())
    buckets = page_sql(page_shape(flt, before, postgresql=True, pg_text=PG_BUCKETS))
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
        found = conn.execute(
            buckets, {**params, "lim": need, "wlo": wlo, "tq": bucket_cover(lo_day, hi_day)}
        ).all()
        rows += found
        if len(rows) >= wanted or done:
            return rows
        seen += max((hi_time - wlo).total_seconds(), 0.0) / 86_400 * per_day
        hits += len(found)
        hi_day, hi_time, span, params["whi"] = lo_day, wlo, days, wlo
    return [*rows, *conn.execute(older, {**params, "lim": wanted - len(rows)}).all()]


def _sqlite_text_first(
    conn: Connection, flt: MatchFilter, before: PageKey | None, fts: str, wanted: int, size: int
) -> list[Any]:
    """SQLite, a search with few hits or no tag/watch filter: read the hits newest id
    first in growing chunks, keep those that meet the other conditions (checked by key),
    and stop once no unread hit (all have smaller ids) can belong on the page: no
    article with a smaller id is as new as the page's last row. (Ids grow with time, so
    that check stops early; were they not, reading goes on, never wrong.) One statement
    per chunk reads the hits, checks them, returns the kept rows with their details, and
    says whether the first chunk is enough: usually the whole page is one statement."""
    shape = page_shape(flt, before, postgresql=False)
    params = {**page_params(flt, before, wanted), "q": fts}
    found: list[Any] = []
    below, first = _NO_ID, True
    while True:
        rows = conn.execute(text_chunk_sql(shape), {**params, "below": below, "k": size})
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
            more = not conn.execute(
                ENOUGH_BELOW,
                {
                    "below": below,
                    "full": full,
                    "since": flt.since,
                    "t": found[-1][0] if full else flt.since,
                },
            ).scalar()
        if not more:
            return found
        first = False
        size = min(2 * size, _TEXT_CHUNK_MAX)


def _sqlite_text_scan(
    conn: Connection, flt: MatchFilter, before: PageKey | None, fts: str, wanted: int
) -> list[PageKey]:
    """SQLite, a search with many hits and a tag or watch filter: read the other
    conditions' page in growing chunks and keep the rows FTS5 finds within each chunk's
    article-id range, all inside SQLite (one statement per chunk, returning the hits and
    the chunk's last row). Ids grow with time, so that range is narrow; were they not, it
    is only wider, never wrong."""
    found: list[PageKey] = []
    size = max(4 * wanted, _TEXT_CHUNK_MIN)
    while len(found) < wanted:
        shape = page_shape(flt, before, postgresql=False)
        rows = conn.execute(chunk_sql(shape), {**page_params(flt, before, size), "q": fts})
        last: PageKey | None = None
        hits: list[PageKey] = []
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


_PG_SHARE = sa.text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM articles WHERE search_vector @@ "
    "websearch_to_tsquery('english'::regconfig, :q) UNION ALL SELECT 1 FROM articles"
)


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


def _with_details_of(conn: Connection, keys: Sequence[PageKey]) -> list[Any]:
    """The rows of these keys, in their order: articles and feeds read by id."""
    if not keys:
        return []
    rows = conn.execute(DETAILS, {"ids": [aid for _, aid in keys]}).all()
    by_id = {int(row[0]): row for row in rows}
    return [(when, aid, *by_id[aid][1:]) for when, aid in keys if aid in by_id]
