"""SQL text of match pages: shapes, arms, and the page, chunk, details and article SQL."""

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.store.base import table_of
from monitor.store.filters import MatchFilter
from monitor.store.models import ArticleRow, UTCDateTime

_ARTICLES = table_of(ArticleRow)

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

PageKey = tuple[datetime, int]  # a page position: (matched_at, article_id)


@dataclass(frozen=True, slots=True)
class PageShape:
    """Which conditions a page query has (not their values): one SQL text per shape."""

    postgresql: bool
    tags: int
    watch: bool
    feed: bool
    since: bool
    until: bool
    before: bool
    pg_text: int = 0  # PostgreSQL search: 0 none, else which stretch (PG_NEWEST ...)
    fold: bool = False  # one entry per story: later copies (is_copy) skipped
    story: bool = False  # one story's copies only


PG_NEWEST, PG_BUCKETS, PG_OLDER = 1, 2, 3
FTS_MORE_THAN = sa.text(
    "SELECT EXISTS (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q LIMIT 1 OFFSET :k)"
)
# SQLite: whether no unread hit (all have ids below {below}) can belong on the page. With no
# break of id order recorded at or above {below} (revision 0005), none is newer than a read
# one: the page is done when {full}, or when the hit at {below} is older than {since}.
# Otherwise look for an article below {below} as new as {t} (the page's last row's time, or
# {since}). "+id": compare, but read the stored_at index (from {t} up), never the id range.
_ENOUGH = (
    "WHEN NOT EXISTS (SELECT 1 FROM article_order_breaks WHERE at_id >= {below}) "
    "THEN {full} OR coalesce((SELECT stored_at FROM articles WHERE id = {below}) < {since}, 0) "
    "WHEN {t} IS NULL THEN 0 "
    "ELSE NOT EXISTS (SELECT 1 FROM articles WHERE stored_at >= {t} AND +id < {below})"
)
ENOUGH_BELOW = sa.text(
    "SELECT CASE " + _ENOUGH.format(below=":below", full=":full", since=":since", t=":t") + " END"
).bindparams(sa.bindparam("t", type_=UTCDateTime()), sa.bindparam("since", type_=UTCDateTime()))
_HAS_TAG = "EXISTS (SELECT 1 FROM article_tags h WHERE h.article_id = {id})"
_FEED = "{feed_id} = (SELECT id FROM feeds WHERE name = :feed)"
_STORY = "{table}.story_id = :story"
# Folded pages skip the later copies of a story. SQLite: they are taken away from the arms'
# intersection (EXCEPT), read newest first by ix_articles_is_copy_stored; PostgreSQL: a
# condition on the articles arm.
_COPIES_ARM = "SELECT stored_at AS matched_at, id AS article_id FROM articles WHERE is_copy = 1"
_PG_NOT_COPY = "(SELECT x.is_copy FROM articles x WHERE x.id = {id}) IS NOT TRUE"
# A watch's folded page keeps one match of the watch per story: the story's earliest copy when
# it matched, else the copy that matched first (a `feed:` watch may match only a later copy,
# on another outlet: skipping copies would lose the story). One probe of the story's few
# matches per row.
_FIRST_OF_STORY = (
    "NOT EXISTS (SELECT 1 FROM watch_matches e JOIN articles x ON x.id = e.article_id "
    "WHERE e.story_id = {w}.story_id AND e.watch = {w}.watch AND e.article_id <> {w}.article_id "
    "AND (NOT x.is_copy OR ((SELECT y.is_copy FROM articles y WHERE y.id = {w}.article_id) "
    "AND (e.matched_at < {w}.matched_at OR (e.matched_at = {w}.matched_at "
    "AND e.article_id < {w}.article_id)))))"
)
# The same for PostgreSQL, checked by article id on the sorted rows until the page is full
# (as a condition of the watch arm the planner reads every match of the watch: 50 ms).
_PG_FIRST_OF_STORY = (
    # most rows are a story's earliest copy (most stories have one): one probe by key decides
    "(SELECT x.is_copy FROM articles x WHERE x.id = {id}) IS NOT TRUE OR "
    "NOT EXISTS (SELECT 1 FROM watch_matches m JOIN watch_matches e ON e.story_id = m.story_id "
    "AND e.watch = m.watch JOIN articles x ON x.id = e.article_id WHERE m.article_id = {id} "
    "AND m.watch = :watch AND e.article_id <> m.article_id AND (NOT x.is_copy OR ("
    "(SELECT y.is_copy FROM articles y WHERE y.id = m.article_id) AND (e.matched_at < "
    "m.matched_at OR (e.matched_at = m.matched_at AND e.article_id < m.article_id)))))"
)
_PG_TEXT = "doc.search_vector @@ websearch_to_tsquery('english'::regconfig, :q)"


def page_shape(
    flt: MatchFilter, before: PageKey | None, *, postgresql: bool, pg_text: int = 0
) -> PageShape:
    return PageShape(
        postgresql,
        len(flt.tags),
        flt.watch is not None,
        flt.feed is not None,
        flt.since is not None,
        flt.until is not None,
        before is not None,
        pg_text,
        flt.folded,
        flt.story is not None,
    )


def page_params(flt: MatchFilter, before: PageKey | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {f"tag{i}": tag for i, tag in enumerate(flt.tags)}
    params.update(
        watch=flt.watch, feed=flt.feed, since=flt.since, until=flt.until, lim=limit, story=flt.story
    )
    if before is not None:
        params["at"], params["last"] = before
    return {k: v for k, v in params.items() if v is not None}


# The SQL texts below are put together from this module's constants and loop counters only;
# every value is a bind parameter (hence the S608 waivers).


def _window(shape: PageShape, when: str, aid: str) -> list[str]:
    """The since/until window and the keyset position on one arm's columns."""
    conds = []
    if shape.since:
        conds.append(f"{when} >= :since")
    if shape.until:
        conds.append(f"{when} < :until")
    if shape.before:  # a range plus a tie-break, so every dialect seeks the index on time
        conds.append(f"{when} <= :at AND ({when} < :at OR {aid} < :last)")
    return conds


def typed(sql: str, *columns: sa.ColumnClause[Any]) -> sa.TextClause:
    """`sql` with its datetime parameters bound through UTCDateTime, and typed columns."""
    binds = [
        sa.bindparam(name, type_=UTCDateTime())
        for name in ("since", "until", "at", "eat", "wlo", "whi")
        if f":{name}" in sql
    ]
    if ":ids" in sql:
        binds.append(sa.bindparam("ids", expanding=True))
    clause = sa.text(sql).bindparams(*binds)
    return clause.columns(*columns) if columns else clause  # type: ignore[return-value]


_KEY_COLUMNS = (sa.column("matched_at", UTCDateTime()), sa.column("article_id", sa.Integer()))


@functools.lru_cache(maxsize=256)
def _keys_text(shape: PageShape) -> str:
    """The SQL of the page's keys (matched_at, article_id), in page order, LIMIT :lim."""
    if shape.postgresql:
        return _pg_keys_text(shape)
    arms = []
    for i in range(shape.tags):
        arms.append(
            " AND ".join(
                [
                    f"SELECT matched_at, article_id FROM article_tags WHERE tag_id = :tag{i}",  # noqa: S608
                    *_window(shape, "matched_at", "article_id"),
                ]
            )
        )
    if shape.watch:
        arms.append(
            " AND ".join(
                [
                    "SELECT matched_at, article_id FROM watch_matches WHERE watch = :watch",
                    *_window(shape, "matched_at", "article_id"),
                    *([_FIRST_OF_STORY.format(w="watch_matches")] if shape.fold else []),
                ]
            )
        )
    doc = [_FEED.format(feed_id="feed_id")] if shape.feed else []
    if shape.story:
        doc.append(_STORY.format(table="articles"))
    if not arms:  # no tag or watch names the rows: only articles with a tag are matches
        doc.append(_HAS_TAG.format(id="articles.id"))
    if doc:
        arms.append(
            "SELECT stored_at AS matched_at, id AS article_id FROM articles WHERE "  # noqa: S608
            + " AND ".join([*doc, *_window(shape, "stored_at", "id")])
        )
    copies = (
        " EXCEPT " + " AND ".join([_COPIES_ARM, *_window(shape, "stored_at", "id")])
        if shape.fold and not shape.watch
        else ""
    )
    return (
        " INTERSECT ".join(arms) + copies + " ORDER BY matched_at DESC, article_id DESC LIMIT :lim"
    )


_PgArm = tuple[str, str, str, str, list[str], list[str]]


def _pg_arms(shape: PageShape) -> list[_PgArm]:
    """(table, alias, time column, id column, the arm's own conditions, further ones)."""
    arms: list[_PgArm] = [
        ("article_tags", f"t{i}", "matched_at", "article_id", [f"t{i}.tag_id = :tag{i}"], [])
        for i in range(shape.tags)
    ]
    if shape.watch:
        arms.append(("watch_matches", "w", "matched_at", "article_id", ["w.watch = :watch"], []))
    own = [_FEED.format(feed_id="doc.feed_id")] if shape.feed else []
    if shape.story:
        own.append(_STORY.format(table="doc"))
    more = [_PG_TEXT] if shape.pg_text else []
    if shape.pg_text in (PG_BUCKETS, PG_OLDER):  # below the edge (:eat, :elast) and :whi
        more += [
            "doc.stored_at < :whi",
            "doc.stored_at <= :eat AND (doc.stored_at < :eat OR doc.id < :elast)",
        ]
    if shape.pg_text == PG_BUCKETS:  # from :wlo on, found by its time buckets too
        more += ["doc.stored_at >= :wlo", "doc.search_vector @@ CAST(:tq AS tsquery)"]
    if not arms and not _pg_tag_after_sort(shape):
        more.append(_HAS_TAG.format(id="doc.id"))
    if shape.fold and not shape.watch and (own or more or not arms):  # else on joined rows
        own.append("NOT doc.is_copy")
    if own or more:
        arms.append(("articles", "doc", "stored_at", "id", own, more))
    return arms


def _pg_has_doc(shape: PageShape) -> bool:
    """Whether the articles table is one of the arms of this PostgreSQL page query."""
    return _pg_arms(shape)[-1][1] == "doc"


def _pg_tag_after_sort(shape: PageShape) -> bool:
    """Whether "has a tag" is checked only on the sorted hits, newest first, until the page
    is full: a search stretch without tag or watch filters sorts its hits anyway, and so
    checks about a page of them instead of every one."""
    return shape.pg_text in (PG_BUCKETS, PG_OLDER) and not shape.tags and not shape.watch


def _pg_arm_where(shape: PageShape, arm: _PgArm) -> tuple[str, str, str]:
    """An arm's time and id columns, and its own conditions with the window on them."""
    _, alias, when, aid, own, _ = arm
    w, a = f"{alias}.{when}", f"{alias}.{aid}"
    return w, a, " AND ".join([*own, *_window(shape, w, a)]) or "true"


def _pg_keys_text(shape: PageShape) -> str:
    arms = _pg_arms(shape)
    when, aid, _ = _pg_arm_where(shape, arms[0])
    source = ""
    conds: list[str] = []
    for i, arm in enumerate(arms):
        table, alias, _, _, _, more = arm
        w, a, where = _pg_arm_where(shape, arm)
        if i == 0 and shape.pg_text == PG_NEWEST:  # only the first arm's newest :n rows
            source = (
                f"(SELECT {alias}.* FROM {table} {alias} WHERE {where} "  # noqa: S608
                f"ORDER BY {w} DESC, {a} DESC LIMIT :n) {alias}"
            )
            conds += more
            continue
        if i and shape.pg_text == PG_NEWEST:  # looked up row by row (OFFSET 0: never
            # flattened), never merged with a scan of the whole table
            inner = " AND ".join([f"{a} = {aid}", f"{w} = {when}", where, *more])
            source += (
                f" CROSS JOIN LATERAL (SELECT {alias}.* FROM {table} {alias} "  # noqa: S608
                f"WHERE {inner} OFFSET 0) {alias}"
            )
            continue
        source += (
            f" JOIN {table} {alias} ON {a} = {aid} AND {w} = {when}" if i else (f"{table} {alias}")
        )
        conds += [where, *more]
    columns = ", doc.url, doc.title, doc.published, doc.feed_id" if _pg_has_doc(shape) else ""
    keys = (
        f"SELECT {when} AS matched_at, {aid} AS article_id{columns} FROM {source} "  # noqa: S608
        "WHERE " + (" AND ".join(conds) or "true") + f" ORDER BY {when} DESC, {aid} DESC"
    )
    if shape.fold and shape.watch:  # OFFSET 0: sorted first, then checked row by row
        return (
            f"SELECT s.* FROM ({keys} OFFSET 0) s WHERE ("  # noqa: S608
            + _PG_FIRST_OF_STORY.format(id="s.article_id")
            + ") ORDER BY s.matched_at DESC, s.article_id DESC LIMIT :lim"
        )
    if shape.fold and not _pg_has_doc(shape):
        # Later copies are skipped on the joined rows, in page order, until the page is full:
        # each row's is_copy read by key (a scalar subquery is never turned into a join).
        # Adding the articles as an arm instead, the planner misjudges the (id, stored_at)
        # join into a hash join and a sort of every row (125 ms for a watch at 200k rows);
        # a check on the first arm runs on every row a merge join reads (46 ms, rare pair).
        return (
            f"SELECT s.* FROM ({keys} OFFSET 0) s WHERE "  # noqa: S608
            + _PG_NOT_COPY.format(id="s.article_id")
            + " ORDER BY s.matched_at DESC, s.article_id DESC LIMIT :lim"
        )
    if _pg_tag_after_sort(shape):  # OFFSET 0: sorted first, never flattened into one join
        return (
            f"SELECT s.* FROM ({keys} OFFSET 0) s WHERE "  # noqa: S608
            + _HAS_TAG.format(id="s.article_id")
            + " ORDER BY s.matched_at DESC, s.article_id DESC LIMIT :lim"
        )
    return keys + " LIMIT :lim"


@functools.lru_cache(maxsize=256)
def pg_edge_sql(shape: PageShape) -> sa.TextClause:
    """PostgreSQL: the key of the first arm's :n-th newest row (no row: it has fewer), and
    its newest row's time: where the search's first step (PG_NEWEST) ends."""
    arm = _pg_arms(shape)[0]
    w, a, where = _pg_arm_where(shape, arm)
    table = f"{arm[0]} {arm[1]}"
    return typed(
        f"SELECT {w}, {a}, (SELECT {w} FROM {table} WHERE {where} "  # noqa: S608
        f"ORDER BY {w} DESC LIMIT 1) FROM {table} WHERE {where} "
        f"ORDER BY {w} DESC, {a} DESC OFFSET :n - 1 LIMIT 1",
        sa.column("at", UTCDateTime()),
        sa.column("last", sa.Integer()),
        sa.column("newest", UTCDateTime()),
    )


@functools.lru_cache(maxsize=256)
def page_sql(shape: PageShape) -> sa.TextClause:
    """The page in one statement: its keys joined to their articles and feeds, with each
    row's tags and watches aggregated as JSON (one round trip for the whole page)."""
    # PostgreSQL with the articles among the arms: the keys bring the article's columns
    # along, read once with the row that was checked (no second lookup by id).
    own = shape.postgresql and _pg_has_doc(shape)
    source = "k" if own else "a"
    return typed(
        f"SELECT k.matched_at, k.article_id, {source}.url, {source}.title, "  # noqa: S608
        f"{source}.published, f.name, {_tags_json(shape.postgresql, 'k.article_id')} "
        f"FROM ({_keys_text(shape)}) k "
        + ("" if own else "JOIN articles a ON a.id = k.article_id ")
        + f"JOIN feeds f ON f.id = {source}.feed_id "
        "ORDER BY k.matched_at DESC, k.article_id DESC",
        *_KEY_COLUMNS,
        *_DETAIL_COLUMNS,
    )


def _tags_json(postgresql: bool, article_id: str) -> str:
    """Two columns: the article's tags and its watch names, each a JSON array."""
    agg, row = (
        ("json_agg", "json_build_array") if postgresql else ("json_group_array", "json_array")
    )
    return (
        f'(SELECT {agg}({row}(t.tag_id, t.kind, t.name, t."count", t.evidence, '  # noqa: S608
        f"t.evidence_start, t.evidence_end, t.level, t.score)) FROM article_tags t "
        f"WHERE t.article_id = {article_id}) AS tags, "
        f"(SELECT {agg}(w.watch) FROM watch_matches w "
        f"WHERE w.article_id = {article_id}) AS watches"
    )


_DETAIL_COLUMNS: tuple[sa.ColumnClause[Any], ...] = (
    sa.column("url"),
    sa.column("title"),
    sa.column("published", UTCDateTime()),
    sa.column("name"),
    sa.column("tags"),
    sa.column("watches"),
)


@functools.lru_cache(maxsize=256)
def chunk_sql(shape: PageShape) -> sa.TextClause:
    """SQLite: one chunk of the page's keys (LIMIT :lim), its rows that match :q (hit 1;
    FTS5 read over the chunk's id range only), and its last row (hit = -rows in chunk)."""
    return typed(
        f"WITH chunk AS MATERIALIZED ({_keys_text(shape)}), "  # noqa: S608
        "bounds AS (SELECT min(article_id) AS lo, max(article_id) AS hi FROM chunk) "
        "SELECT matched_at, article_id, 1 AS hit FROM chunk WHERE article_id IN ("
        "SELECT articles_fts.rowid FROM bounds, articles_fts WHERE articles_fts MATCH :q "
        "AND articles_fts.rowid >= bounds.lo AND articles_fts.rowid <= bounds.hi) "
        "UNION ALL SELECT * FROM (SELECT matched_at, article_id, "
        "-(SELECT count(*) FROM chunk) AS hit FROM chunk "
        "ORDER BY matched_at, article_id LIMIT 1)",
        *_KEY_COLUMNS,
        sa.column("hit", sa.Integer()),
    )


def _probe_conds(shape: PageShape, when: str = "stored_at", aid: str = "id") -> list[str]:
    """SQLite: the conditions besides the search on one article of `articles`, by key."""
    conds = [
        f"EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = articles.id "  # noqa: S608
        f"AND t.tag_id = :tag{i})"
        for i in range(shape.tags)
    ]
    if shape.watch:
        first = f" AND {_FIRST_OF_STORY.format(w='w')}" if shape.fold else ""
        conds.append(
            "EXISTS (SELECT 1 FROM watch_matches w WHERE w.article_id = articles.id "  # noqa: S608
            f"AND w.watch = :watch{first})"
        )
    if shape.feed:
        conds.append(_FEED.format(feed_id="feed_id"))
    if shape.story:
        conds.append(_STORY.format(table="articles"))
    if shape.fold and not shape.watch:
        conds.append("articles.is_copy = 0")
    if not shape.tags and not shape.watch:
        conds.append(_HAS_TAG.format(id="articles.id"))
    return conds + _window(shape, when, aid)


@functools.lru_cache(maxsize=256)
def text_chunk_sql(shape: PageShape) -> sa.TextClause:
    """SQLite: the :k newest hits of :q below id :below; of those that meet every condition
    the :lim newest, with their details; and on every row the chunk's lowest id, its number
    of hits, and whether it is enough: no article with a smaller id is as new as the :lim-th
    kept row (or :since, with fewer kept), so no unread hit can belong on the page."""
    conds = _probe_conds(shape, "+stored_at", "+id")  # by the hits' ids, not a time range
    since = ":since" if shape.since else "NULL"
    where = " AND ".join(conds)
    enough = _ENOUGH.format(below="(SELECT min(id) FROM hits)", full="filled", since=since, t="t")
    return typed(
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
        sa.column("lo", sa.Integer()),
        sa.column("n", sa.Integer()),
        sa.column("enough", sa.Boolean()),
        *_KEY_COLUMNS,
        *_DETAIL_COLUMNS,
    )


DETAILS = typed(
    "SELECT a.id, a.url, a.title, a.published, f.name, "  # noqa: S608
    f"{_tags_json(False, 'a.id')} FROM articles a "
    "JOIN feeds f ON f.id = a.feed_id WHERE a.id IN :ids",
    sa.column("id", sa.Integer()),
    *_DETAIL_COLUMNS,
)


@functools.lru_cache(maxsize=2)
def article_sql(postgresql: bool) -> sa.TextClause:
    """One article by :id with its feed's name and its tags (JSON): one statement."""
    columns = [sa.column(c.name, c.type) for c in _ARTICLES.columns]
    names = ", ".join(f'a."{c.name}"' for c in columns)
    return typed(
        f"SELECT {names}, f.name AS feed_name, "  # noqa: S608
        f"{_tags_json(postgresql, 'a.id')} FROM articles a "
        "JOIN feeds f ON f.id = a.feed_id WHERE a.id = :id",
        *columns,
        sa.column("feed_name"),
        sa.column("tags"),
        sa.column("watches"),
    )
