"""QueryStore.find_matches and friends: every filter, keyset pages, articles, counts."""

from datetime import UTC, datetime, timedelta

import pytest
from matches_seed import T0, Seed, add

from monitor.store import Database, Store
from monitor.store.queries import FilterError, MatchFilter, decode_cursor, parse_when


def _ids(store: Store, flt: MatchFilter) -> list[int]:
    return [m.article_id for m in store.find_matches(flt).items]


def _all_pages(store: Store, **kw: object) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = store.find_matches(MatchFilter(cursor=cursor, **kw))  # type: ignore[arg-type]
        seen += [m.article_id for m in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.fixture
def corpus(db: Database) -> dict[str, int]:
    """Five articles over five days: four tagged, one untagged."""
    h = timedelta(days=1)
    return {
        "old_taiwan": add(
            db,
            Seed(
                "Old", "Wang Yi on Taiwan.", T0, tags={"wang-yi": 2, "taiwan": 1}, watches=["desk"]
            ),
        ),
        "untagged": add(db, Seed("Weather", "Rain in London.", T0 + h)),
        "blinken_trade": add(
            db,
            Seed(
                "Trade",
                "Antony Blinken on trade.",
                T0 + 2 * h,
                feed="other",
                tags={"antony-blinken": 1, "trade": 3},
            ),
        ),
        "wang_trade": add(
            db,
            Seed(
                "Talks",
                "Wang Yi and trade.",
                T0 + 3 * h,
                tags={"wang-yi": 1, "trade": 1},
                watches=["desk", "trade"],
            ),
        ),
        "wang_taiwan": add(
            db,
            Seed(
                "Strait",
                "Wang Yi warns on Taiwan.",
                T0 + 4 * h,
                tags={"wang-yi": 1, "taiwan": 2},
                watches=["desk"],
            ),
        ),
    }


def test_matches_are_tagged_articles_newest_first(store: Store, corpus: dict[str, int]) -> None:
    """An article without tags is not a match; matches come newest first."""
    assert _ids(store, MatchFilter()) == [
        corpus["wang_taiwan"],
        corpus["wang_trade"],
        corpus["blinken_trade"],
        corpus["old_taiwan"],
    ]


def test_match_row_carries_tags_watches_and_times(store: Store, corpus: dict[str, int]) -> None:
    """Each row has actors and issues with counts, its watches, feed and matched_at."""
    row = store.find_matches(MatchFilter(limit=1)).items[0]
    assert row.article_id == corpus["wang_taiwan"]
    assert [(t.id, t.count) for t in row.actors] == [("wang-yi", 1)]
    assert [(t.id, t.count) for t in row.issues] == [("taiwan", 2)]
    assert row.watches == ("desk",)
    assert row.feed == "wire"
    assert row.matched_at == T0 + timedelta(days=4)
    assert row.matched_at.tzinfo is not None


def test_actor_and_issue_must_all_hold(store: Store, corpus: dict[str, int]) -> None:
    """--actor and --issue combine with AND, and repeats of either must all hold too."""
    assert _ids(store, MatchFilter(actors=("wang-yi",), issues=("taiwan",))) == [
        corpus["wang_taiwan"],
        corpus["old_taiwan"],
    ]
    assert _ids(store, MatchFilter(issues=("taiwan", "trade"))) == []
    assert _ids(store, MatchFilter(actors=("wang-yi", "antony-blinken"))) == []
    assert _ids(store, MatchFilter(issues=("trade",))) == [
        corpus["wang_trade"],
        corpus["blinken_trade"],
    ]


def test_watch_and_feed_filters(store: Store, corpus: dict[str, int]) -> None:
    """--watch keeps the watch's matches; --feed the feed's; an unknown name matches nothing."""
    assert _ids(store, MatchFilter(watch="trade")) == [corpus["wang_trade"]]
    assert _ids(store, MatchFilter(watch="desk", issues=("trade",))) == [corpus["wang_trade"]]
    assert _ids(store, MatchFilter(feed="other")) == [corpus["blinken_trade"]]
    assert _ids(store, MatchFilter(feed="other", watch="desk")) == []
    assert _ids(store, MatchFilter(feed="nope")) == []
    assert _ids(store, MatchFilter(watch="nope")) == []


def test_since_and_until_bound_matched_at(store: Store, corpus: dict[str, int]) -> None:
    """--since is inclusive, --until exclusive, on the match time."""
    since = T0 + timedelta(days=2)
    until = T0 + timedelta(days=4)
    assert _ids(store, MatchFilter(since=since, until=until)) == [
        corpus["wang_trade"],
        corpus["blinken_trade"],
    ]
    assert _ids(store, MatchFilter(actors=("wang-yi",), since=since)) == [
        corpus["wang_taiwan"],
        corpus["wang_trade"],
    ]


def test_text_filter_combines_with_tags(store: Store, corpus: dict[str, int]) -> None:
    """--text narrows the other filters by full-text search."""
    assert _ids(store, MatchFilter(text="warns")) == [corpus["wang_taiwan"]]
    assert _ids(store, MatchFilter(text="trade", actors=("wang-yi",))) == [corpus["wang_trade"]]
    assert _ids(store, MatchFilter(text="London")) == []  # the untagged article is no match


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"actors": ("wang-yi",)},
        {"actors": ("wang-yi",), "issues": ("taiwan",)},
        {"watch": "w"},
        {"feed": "wire"},
        {"text": "story"},
    ],
)
def test_pages_walk_every_match_once(db: Database, store: Store, kw: dict[str, object]) -> None:
    """Following next_cursor visits every match exactly once, even with equal match times."""
    expected = []
    for i in range(23):
        at = T0 + timedelta(minutes=i // 3)  # three articles share each time
        tags = {"wang-yi": 1, "taiwan": 1} if i % 2 == 0 else {"wang-yi": 1}
        aid = add(db, Seed(f"t{i}", "a story", at, tags=tags, watches=["w"]))
        expected.append((at, aid, "taiwan" in tags))
    want = [
        aid for at, aid, taiwan in sorted(expected, reverse=True) if taiwan or "issues" not in kw
    ]
    got = _all_pages(store, limit=4, **kw)
    assert got == want
    assert len(set(got)) == len(got)


def test_last_page_has_no_cursor(store: Store, corpus: dict[str, int]) -> None:
    """A page that reaches the end says so with next_cursor None."""
    page = store.find_matches(MatchFilter(limit=4))
    assert len(page.items) == 4
    assert page.next_cursor is None
    page = store.find_matches(MatchFilter(limit=3))
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor)[1] == page.items[-1].article_id


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"since": datetime(2026, 1, 1)}, "since"),
        ({"text": "-only -exclusions"}, "text"),
        ({"text": '""'}, "text"),
    ],
)
def test_bad_filters_name_the_field(kw: dict[str, object], field: str) -> None:
    """An unusable filter value raises FilterError naming the field and the reason."""
    with pytest.raises(FilterError) as err:
        MatchFilter(**kw)  # type: ignore[arg-type]
    assert err.value.field == field
    assert err.value.reason


def test_parse_when_dates_datetimes_and_durations() -> None:
    """--since/--until take ISO dates, ISO datetimes and durations back from now."""
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert parse_when("7d", now) == now - timedelta(days=7)
    assert parse_when("90m", now) == now - timedelta(minutes=90)
    assert parse_when("2026-11-20", now) == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_when("2026-11-20", now, end=True) == datetime(2026, 11, 21, tzinfo=UTC)
    assert parse_when("2026-11-20T08:30:00Z", now) == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert parse_when("2026-11-20T10:30:00+02:00", now) == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="neither an ISO date"):
        parse_when("last tuesday", now)


def test_get_article_with_tags_and_evidence(store: Store, corpus: dict[str, int]) -> None:
    """get_article returns the article, its tags with evidence offsets; None when absent."""
    art = store.get_article(corpus["wang_taiwan"])
    assert art is not None
    assert art.title == "Strait"
    assert art.feed == "wire"
    wang = next(t for t in art.tags if t.id == "wang-yi")
    assert art.text[wang.evidence.start : wang.evidence.end] == "Wang Yi"
    assert store.get_article(999_999) is None
    assert store.article_id_for_url(art.url) == art.id
    assert store.article_watches(art.id) == ("desk",)


def test_list_watches_and_metrics_counts(store: Store, corpus: dict[str, int]) -> None:
    """Watches come with counts and newest match; metrics count articles, matches, feeds."""
    watches = {w.name: w for w in store.list_watches()}
    assert watches["desk"].matches == 3
    assert watches["desk"].last_match == T0 + timedelta(days=4)
    assert watches["trade"].matches == 1
    counts = store.metrics_counts()
    assert counts.articles == 5
    assert counts.matches == 4
    assert counts.watch_matches == {"desk": 3, "trade": 1}
    assert {f.name: f.articles for f in counts.feeds} == {"wire": 4, "other": 1}


def test_articles_stored_by_ingestion_are_found(store: Store) -> None:
    """An article stored through add_article is a match: tags, watch, matched_at, text index."""
    from monitor.types import Evidence, FeedSpec, NewArticle, Tag, WatchHit

    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    store.sync_feeds([FeedSpec("wire", "https://example.org/wire.xml")], now)
    text = "Wang Yi met his counterpart and discussed the Taiwan Strait at length."
    tags = (
        Tag("wang-yi", "actor", "Wang Yi", 1, Evidence(text, 0, 7)),
        Tag("taiwan", "issue", "Taiwan", 1, Evidence(text, 46, 52)),
    )
    stored = store.add_article(
        NewArticle(
            feed="wire",
            guid="g-1",
            url="https://example.org/x",
            canonical_url="https://example.org/x",
            title="Talks",
            author=None,
            published=None,
            language="en",
            text=text,
            fingerprint="f" * 16,
            simhash=12345,
            tags=tags,
        ),
        [WatchHit("desk", (), {})],
        now=now,
    )
    assert stored is not None
    rows = store.find_matches(
        MatchFilter(
            actors=("wang-yi",), issues=("taiwan",), watch="desk", text="counterpart strait"
        )
    ).items
    assert [r.article_id for r in rows] == [stored.id]
    assert rows[0].matched_at == now
    assert rows[0].watches == ("desk",)


# ---- the merged page query against a plain reading of the filter ---------------------------

_WORDS = ("harbour", "tariff", "summit", "ferry")


@pytest.fixture
def mixed(db: Database) -> list[tuple[datetime, int, set[str], set[str], str, set[str]]]:
    """Sixty random articles whose ids do not follow their (often tied) times."""
    import random

    rng = random.Random(6)
    out = []
    for i in range(60):
        at = T0 + timedelta(hours=rng.randrange(20))  # many ties; ids unrelated to time
        tags = {t for t in ("wang-yi", "antony-blinken", "taiwan", "trade") if rng.random() < 0.5}
        watches = {w for w in ("desk", "night") if rng.random() < 0.4}
        feed = rng.choice(["wire", "other"])
        words = {w for w in _WORDS if rng.random() < 0.5} or {"harbour"}
        aid = add(
            db,
            Seed(
                f"n{i}",
                " ".join(sorted(words)),
                at,
                feed=feed,
                tags=dict.fromkeys(tags, 1),
                watches=sorted(watches),
            ),
        )
        out.append((at, aid, tags, watches, feed, words))
    return out


_FILTERS = [
    {"actors": ("wang-yi",), "issues": ("taiwan",)},
    {"actors": ("wang-yi", "antony-blinken"), "issues": ("trade",)},
    {"issues": ("taiwan",), "watch": "desk"},
    {"watch": "night", "feed": "other"},
    {"feed": "wire"},
    {"actors": ("wang-yi",), "since": T0 + timedelta(hours=5), "until": T0 + timedelta(hours=15)},
    {"since": T0 + timedelta(hours=10)},
    {"text": "tariff"},
    {"text": "tariff summit", "actors": ("wang-yi",)},
    {"text": "ferry -summit", "issues": ("trade",), "since": T0 + timedelta(hours=3)},
    {"text": "harbour OR ferry", "watch": "desk", "feed": "other"},
]


def _sweep(filters: list[dict[str, object]], fast: set[int]) -> list[object]:
    """`filters` as parameters; all but the `fast` ones only in the full run (`slow`): each
    case stores its own articles, and a few cases cover every path of the fast loop."""
    return [
        kw if i in fast else pytest.param(kw, marks=pytest.mark.slow)
        for i, kw in enumerate(filters)
    ]


def _expected(
    rows: list[tuple[datetime, int, set[str], set[str], str, set[str]]], kw: dict[str, object]
) -> list[int]:
    from monitor.store.textsearch import parse_text_query

    want_tags = {*kw.get("actors", ()), *kw.get("issues", ())}  # type: ignore[misc]
    query = parse_text_query(kw["text"]) if "text" in kw else None  # type: ignore[arg-type]
    keep = []
    for at, aid, tags, watches, feed, words in rows:
        if not want_tags <= tags or not (tags or "watch" in kw):  # a watch's hit counts
            continue
        if "watch" in kw and kw["watch"] not in watches:
            continue
        if "feed" in kw and kw["feed"] != feed:
            continue
        if "since" in kw and at < kw["since"]:  # type: ignore[operator]
            continue
        if "until" in kw and at >= kw["until"]:  # type: ignore[operator]
            continue
        if query is not None and not any(
            set(g.must) <= words and not set(g.must_not) & words for g in query.groups
        ):
            continue
        keep.append((at, aid))
    return [aid for _, aid in sorted(keep, reverse=True)]


@pytest.mark.parametrize("kw", _sweep(_FILTERS, {0, 4, 9}))
def test_pages_equal_a_plain_reading_of_the_filter(
    db: Database,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    mixed: list[tuple[datetime, int, set[str], set[str], str, set[str]]],
    kw: dict[str, object],
) -> None:
    """Any mix of filters, walked page by page, gives exactly the matches, newest first."""
    # Ids do not follow time in `mixed`; on SQLite the search is also forced through the
    # chunked paths (words with many hits) with tiny chunks.
    from monitor.store import pages as queries

    expected = _expected(mixed, kw)
    assert len(expected) >= 3  # the filter really selects something to page through
    for limit in (1, 7, 500):
        assert _all_pages(store, limit=limit, **kw) == expected
    if db.dialect == "sqlite" and "text" in kw:
        monkeypatch.setattr(queries, "_TEXT_SET_MAX", 0)  # every search has "many hits"
        monkeypatch.setattr(queries, "_TEXT_CHUNK_MIN", 2)  # several chunks per page
        for limit in (1, 3, 500):
            assert _all_pages(store, limit=limit, **kw) == expected


# ---- searches over a long stretch of time, every strategy -----------------------------------


@pytest.fixture
def spread(db: Database) -> list[tuple[datetime, int, set[str], set[str], str, set[str]]]:
    """Ninety articles over ~600 days, stored in shuffled order (ids do not follow time),
    some sharing a time."""
    import random

    rng = random.Random(60)
    times = [T0 - timedelta(days=rng.randrange(600), hours=rng.randrange(3)) for _ in range(80)]
    times += times[:10]  # ties
    rng.shuffle(times)
    out = []
    for i, at in enumerate(times):
        tags = {t for t in ("wang-yi", "taiwan") if rng.random() < 0.6} or {"trade"}
        watches = {"desk"} if rng.random() < 0.5 else set()
        feed = rng.choice(["wire", "other"])
        words = {w for w in _WORDS if rng.random() < 0.4} or {"ferry"}
        aid = add(
            db,
            Seed(
                f"s{i}",
                " ".join(sorted(words)),
                at,
                feed=feed,
                tags=dict.fromkeys(tags, 1),
                watches=sorted(watches),
            ),
        )
        out.append((at, aid, tags, watches, feed, words))
    return out


_SPREAD_FILTERS = [
    {"text": "tariff"},
    {"text": "harbour summit"},
    {"text": "ferry", "actors": ("wang-yi",)},
    {"text": "tariff OR summit", "watch": "desk"},
    {"text": "summit -ferry", "feed": "other", "since": T0 - timedelta(days=300)},
    {"text": "harbour", "issues": ("taiwan",), "until": T0 - timedelta(days=100)},
    {"text": "tariff OR ferry", "actors": ("wang-yi",), "issues": ("taiwan",), "watch": "desk"},
]


@pytest.mark.parametrize("strategy", ["walk", "stretches", "all-at-once"])
@pytest.mark.parametrize("kw", _sweep(_SPREAD_FILTERS, {3, 6}))
def test_searches_over_years_equal_a_plain_reading(
    db: Database,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    spread: list[tuple[datetime, int, set[str], set[str], str, set[str]]],
    kw: dict[str, object],
    strategy: str,
) -> None:
    """A search over ~600 days, walked page by page, gives exactly the matches newest
    first, whichever way the store reads it: on PostgreSQL the newest rows checked one by
    one, stretches of days found through the time buckets, or all hits at once; on SQLite
    the FTS5 hits in chunks."""
    from monitor.store import pages as queries
    from monitor.store import pagesql

    expected = _expected(spread, kw)
    assert len(expected) >= 3
    if db.dialect == "postgresql":
        share = {"walk": (1e6, 1.0), "stretches": (1e6, 0.01), "all-at-once": (0.0, 0.0)}
        monkeypatch.setattr(queries, "_pg_share", lambda conn, q: share[strategy])
        monkeypatch.setattr(queries, "_PG_NEWEST_N", 3)  # a few rows, then stretches
        monkeypatch.setattr(queries, "_PG_RATE_ROWS", 2)
        monkeypatch.setattr(queries, "_PG_MAX_DAYS", 200)  # then all older ones at once
    else:
        monkeypatch.setattr(queries, "_TEXT_CHUNK_MIN", 2)
        monkeypatch.setattr(
            queries, "_TEXT_SET_MAX", {"walk": 0, "stretches": 5, "all-at-once": 2000}[strategy]
        )
    used: set[int] = set()
    page_sql = queries.page_sql

    def recording(shape: pagesql.PageShape) -> object:
        used.add(shape.pg_text)
        return page_sql(shape)

    monkeypatch.setattr(queries, "page_sql", recording)
    for limit in (1, 4, 500):
        assert _all_pages(store, limit=limit, **kw) == expected
    if db.dialect == "postgresql":  # the strategy under test did read rows
        assert {
            "walk": queries.PG_NEWEST,
            "stretches": queries.PG_BUCKETS,
            "all-at-once": queries.PG_OLDER,
        }[strategy] in used


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_records_articles_stored_out_of_order(db: Database) -> None:
    """SQLite: an article stored with an older time than one before it is recorded as a
    break in id order (so searches read newest id first keep checking); in order, none."""
    import sqlalchemy as sa

    def breaks() -> list[int]:
        with db.read() as s:
            return list(
                s.connection().exec_driver_sql("SELECT at_id FROM article_order_breaks").scalars()
            )

    first = add(db, Seed("a", "x", T0, tags={"trade": 1}))
    add(db, Seed("b", "x", T0 + timedelta(hours=1), tags={"trade": 1}))
    add(db, Seed("c", "x", T0 + timedelta(hours=1), tags={"trade": 1}))  # a tie is in order
    assert breaks() == []
    late = add(db, Seed("d", "x", T0 - timedelta(hours=1), tags={"trade": 1}))
    assert breaks() == [late]
    with db.write() as s:
        s.connection().execute(
            sa.text("UPDATE articles SET stored_at = stored_at WHERE id = :id"), {"id": first}
        )
    assert breaks() == [late, late]  # any change of stored_at counts, at the highest id
    with db.write() as s:
        s.connection().execute(sa.text("DELETE FROM article_order_breaks"))
    with db.write() as s:  # an id below the highest, whatever its time
        s.connection().exec_driver_sql(
            "INSERT INTO articles (id, feed_id, guid, url, canonical_url, title, text, "
            "fingerprint, simhash, band0, band1, band2, band3, stored_at) SELECT 1000, "
            "feed_id, 'g', 'u1', 'u1', 't', 'x', 'f', 0, 0, 0, 0, 0, '2030-01-01 00:00:00' "
            "FROM articles LIMIT 1"
        )
        s.connection().exec_driver_sql(
            "INSERT INTO articles (id, feed_id, guid, url, canonical_url, title, text, "
            "fingerprint, simhash, band0, band1, band2, band3, stored_at) SELECT 999, "
            "feed_id, 'g2', 'u2', 'u2', 't', 'x', 'f', 0, 0, 0, 0, 0, '2031-01-01 00:00:00' "
            "FROM articles LIMIT 1"
        )
    assert breaks() == [1000]
