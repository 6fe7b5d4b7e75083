"""The Trends counts kept on write (monitor/store/trends.py, revision 0010) give exactly what
the desk's queries gave when they counted the tag rows on every request: after plain ingests,
a copy joining a story (same day or a later one), stories merged by a bridging copy, a retag
that changes tags, concurrent writers, and the backfill of a database stored before 0010."""

import random
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from matches_seed import T0, Seed, add

from monitor import stories
from monitor.store import Database, Store, migrate
from monitor.store.desk import TagName
from monitor.store.models import ArticleRow, ArticleTagRow
from monitor.store.retag import Retagged
from monitor.types import Evidence, FeedSpec, NewArticle, Tag

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
FEEDS = [f"feed{i}" for i in range(4)]
_ARTICLES = ArticleRow.__table__  # type: ignore[attr-defined]
_TAGS = ArticleTagRow.__table__  # type: ignore[attr-defined]


# --- The oracle: the desk's queries before revision 0010 (monitor/store/desk.py at f7fa312),
# --- which counted the stored tag rows on every request.


def _day(column: Any, postgresql: bool) -> Any:
    if postgresql:
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.substr(column, 1, 10)


def _in_period(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    out = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


def old_tag_days(
    db: Database, tag_ids: Sequence[str], since: datetime, until: datetime
) -> dict[str, dict[date, int]]:
    day = _day(_TAGS.c.matched_at, db.dialect == "postgresql").label("day")
    story = sa.func.coalesce(_ARTICLES.c.story_id, _ARTICLES.c.id)
    stmt = (
        sa.select(_TAGS.c.tag_id, day, sa.func.count(sa.distinct(story)))
        .join(_ARTICLES, _ARTICLES.c.id == _TAGS.c.article_id)
        .where(_TAGS.c.tag_id.in_(list(tag_ids)), *_in_period(_TAGS.c.matched_at, since, until))
        .group_by(_TAGS.c.tag_id, day)
    )
    out: dict[str, dict[date, int]] = {t: {} for t in tag_ids}
    for tag, when, n in db.fetch(lambda conn: conn.execute(stmt).all()):
        out[tag][date.fromisoformat(when)] = int(n)
    return out


def old_top_tags(
    db: Database,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[TagName]:
    conds = _in_period(_TAGS.c.matched_at, since, until)
    if kind is not None:
        conds.append(_TAGS.c.kind == kind)
    n = sa.func.count().label("n")
    stmt = (
        sa.select(_TAGS.c.tag_id, _TAGS.c.kind, sa.func.max(_TAGS.c.name), n)
        .where(*conds)
        .group_by(_TAGS.c.tag_id, _TAGS.c.kind)
        .order_by(n.desc(), _TAGS.c.tag_id)
        .limit(limit)
    )
    return [
        TagName(t, k, name, int(c))
        for t, k, name, c in db.fetch(lambda conn: conn.execute(stmt).all())
    ]


def old_cooccurrence(
    db: Database, since: datetime, until: datetime, actors: Sequence[str], issues: Sequence[str]
) -> dict[tuple[str, str], int]:
    if not actors or not issues:
        return {}
    a, i = _TAGS.alias("a"), _TAGS.alias("i")
    story = sa.func.coalesce(_ARTICLES.c.story_id, _ARTICLES.c.id)
    stmt = (
        sa.select(a.c.tag_id, i.c.tag_id, sa.func.count(sa.distinct(story)))
        .join(i, i.c.article_id == a.c.article_id)
        .join(_ARTICLES, _ARTICLES.c.id == a.c.article_id)
        .where(
            a.c.tag_id.in_(list(actors)),
            i.c.tag_id.in_(list(issues)),
            *_in_period(a.c.matched_at, since, until),
        )
        .group_by(a.c.tag_id, i.c.tag_id)
    )
    return {(x, y): int(n) for x, y, n in db.fetch(lambda c: c.execute(stmt).all())}


# --- Helpers


def _tag(tag_id: str) -> Tag:
    kind = "actor" if tag_id.startswith("a-") else "issue"
    return Tag(tag_id, kind, tag_id.upper(), 1, Evidence(tag_id, 0, len(tag_id)))


def _text(first: int, n: int = 60) -> str:
    """A report of n made-up content words: two texts share no shingle when their ranges
    are apart, and one holding both ranges is a copy of each (containment)."""
    return " ".join(f"w{k}x" for k in range(first, first + n))


_urls = iter(range(10**9))


def _article(body: str, tags: Sequence[str], feed: str = "feed0") -> NewArticle:
    url = f"https://{feed}.example/{next(_urls)}"
    return NewArticle(
        feed=feed,
        guid=url,
        url=url,
        canonical_url=url,
        title="t",
        author=None,
        published=None,
        language="en",
        text=body,
        fingerprint=stories.fingerprint(body),
        tags=tuple(_tag(t) for t in tags),
        sketch=stories.sketch(body),
    )


def _setup(store: Store) -> None:
    store.sync_feeds([FeedSpec(f, f"https://{f}.example/rss") for f in FEEDS], NOW)


def _put(
    store: Store, body: str, tags: Sequence[str], now: datetime = NOW, feed: str = "feed0"
) -> tuple[int, int]:
    got = store.add_article(_article(body, tags, feed), [], now=now)
    assert got is not None
    return got.id, got.story_id


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def assert_as_before(store: Store, first: date | None = None, last: date | None = None) -> None:
    """The counts read give what the old queries give, for the whole span, every day and
    every two-day window (a story on two days of a window counts once), every tag stored."""
    first = first or NOW.date()
    last = last or first + timedelta(days=3)
    db = store.db
    with db.read() as s:
        ids = sorted(set(s.connection().execute(sa.select(_TAGS.c.tag_id)).scalars()))
    actors = [t for t in ids if t.startswith("a-")]
    issues = [t for t in ids if not t.startswith("a-")]
    span = (last - first).days + 1
    windows = [(first, last + DAY)] + [
        (first + k * DAY, first + (k + w) * DAY) for w in (1, 2) for k in range(span - w + 1)
    ]
    assert [(t.id, t.kind, t.articles) for t in store.top_tags()] == [
        (t.id, t.kind, t.articles) for t in old_top_tags(db)
    ]
    for lo_day, hi_day in windows:
        lo, hi = _midnight(lo_day), _midnight(hi_day)
        where = f"period {lo_day} .. {hi_day}"
        assert store.tag_days([*ids, "none"], lo, hi) == old_tag_days(db, [*ids, "none"], lo, hi), (
            where
        )
        for kind in (None, "actor", "issue"):
            assert store.top_tags(lo, hi, kind) == old_top_tags(db, lo, hi, kind), where
        assert store.cooccurrence(
            lo,
            hi,
            [TagName(a, "actor", a, 0) for a in actors],
            [TagName(i, "issue", i, 0) for i in issues],
        ).counts == old_cooccurrence(db, lo, hi, actors, issues), where


def _day_of(store: Store, tag: str, day: date) -> int:
    return store.tag_days([tag], _midnight(day), _midnight(day + DAY))[tag].get(day, 0)


def _pair(store: Store, actor: str, issue: str, first: date, days: int = 1) -> int:
    grid = store.cooccurrence(
        _midnight(first),
        _midnight(first + days * DAY),
        [TagName(actor, "actor", actor, 0)],
        [TagName(issue, "issue", issue, 0)],
    )
    return grid.counts.get((actor, issue), 0)


# --- Tests


def test_plain_ingests_count_articles_stories_and_pairs(store: Store) -> None:
    """Separate reports: one story each, per tag and day; pairs on one article only."""
    _setup(store)
    _put(store, _text(0), ["a-wang", "i-taiwan"])
    _put(store, _text(100), ["a-wang", "i-trade"])
    _put(store, _text(200), ["i-taiwan"], now=NOW + DAY)
    _put(store, _text(300), ["a-wang", "a-blinken", "i-taiwan", "i-trade"], now=NOW + DAY)
    today = NOW.date()
    assert _day_of(store, "a-wang", today) == 2
    assert _day_of(store, "i-taiwan", today + DAY) == 2
    assert _pair(store, "a-wang", "i-taiwan", today, days=2) == 2
    assert _pair(store, "a-blinken", "i-trade", today) == 0
    top = store.top_tags(_midnight(today), _midnight(today + 2 * DAY))
    assert [(t.id, t.articles) for t in top][:2] == [("a-wang", 3), ("i-taiwan", 3)]
    assert_as_before(store)


def test_a_copy_joining_a_story_counts_the_story_once_a_day(store: Store) -> None:
    """A copy (same text, another feed) the same day adds an article but no story; a copy a
    day later counts the story on that day too, and a two-day period counts its pair once."""
    _setup(store)
    _, story = _put(store, _text(0), ["a-wang", "i-taiwan"])
    copy, joined = _put(store, _text(0), ["a-wang", "i-taiwan", "i-trade"], feed="feed1")
    assert joined == story != copy
    today = NOW.date()
    assert _day_of(store, "a-wang", today) == 1
    assert store.top_tags(_midnight(today), _midnight(today + DAY))[0].articles == 2
    _, later = _put(store, _text(0), ["a-wang", "i-taiwan"], now=NOW + DAY, feed="feed2")
    assert later == story
    assert _day_of(store, "a-wang", today + DAY) == 1
    assert _pair(store, "a-wang", "i-taiwan", today) == 1
    assert _pair(store, "a-wang", "i-taiwan", today + DAY) == 1
    assert _pair(store, "a-wang", "i-taiwan", today, days=2) == 1  # one story, not two
    assert_as_before(store)


def test_merged_stories_count_once(store: Store) -> None:
    """Two reports opened apart and a copy of both that merges them: the tags they share
    count one story per day after the merge, on the days each was stored."""
    _setup(store)
    a, _ = _put(store, _text(0), ["a-wang", "i-taiwan"])
    b, sb = _put(store, _text(1000), ["a-wang", "i-taiwan", "i-trade"], now=NOW + DAY, feed="feed1")
    assert sb == b
    today = NOW.date()
    assert _pair(store, "a-wang", "i-taiwan", today, days=2) == 2
    _, merged = _put(
        store, _text(0) + " " + _text(1000), ["i-fentanyl"], now=NOW + DAY, feed="feed2"
    )
    assert merged == a
    assert _pair(store, "a-wang", "i-taiwan", today, days=2) == 1
    assert _day_of(store, "a-wang", today) == _day_of(store, "a-wang", today + DAY) == 1
    assert _day_of(store, "i-fentanyl", today + DAY) == 1
    assert_as_before(store)


def test_a_retag_that_changes_tags_moves_the_counts(store: Store) -> None:
    """`monitor retag` replacing an article's tags (one dropped, one added, one kept) moves
    the counts of its story, a copy's tags still counting."""
    _setup(store)
    a, _ = _put(store, _text(0), ["a-wang", "i-taiwan"])
    copy, _ = _put(store, _text(0), ["a-wang"], feed="feed1")
    b, _ = _put(store, _text(500), ["a-blinken", "i-trade"], now=NOW + DAY)
    counts = store.replace_tags(
        [
            Retagged(a, (_tag("a-wang"), _tag("i-fentanyl")), frozenset()),
            Retagged(copy, (), frozenset()),
            Retagged(b, (_tag("a-blinken"), _tag("i-trade")), frozenset()),
        ],
        [],
    )
    assert (counts.tags_added, counts.tags_removed) == (1, 2)
    today = NOW.date()
    assert _day_of(store, "i-taiwan", today) == 0
    assert _day_of(store, "i-fentanyl", today) == 1
    assert _day_of(store, "a-wang", today) == 1
    assert _pair(store, "a-wang", "i-fentanyl", today) == 1
    assert _pair(store, "a-wang", "i-taiwan", today) == 0
    assert [
        (t.id, t.articles) for t in store.top_tags(_midnight(today), _midnight(today + DAY))
    ] == [("a-wang", 1), ("i-fentanyl", 1)]
    assert_as_before(store)


def test_random_ingests_copies_merges_and_retags_agree_with_the_old_queries(store: Store) -> None:
    """Property: whatever sequence of new reports, copies (same or later day), bridging
    copies that merge stories and retags, the counts read equal the old queries' result."""
    _setup(store)
    rng = random.Random(15)
    tags = ["a-wang", "a-blinken", "a-he", "i-taiwan", "i-trade", "i-fentanyl"]
    bodies: list[str] = []
    stored: list[int] = []
    for step in range(36):
        now = NOW + rng.randrange(4) * DAY + timedelta(hours=rng.randrange(12))
        chosen = rng.sample(tags, rng.randint(0, 4))
        roll = rng.random()
        if roll < 0.35 or len(bodies) < 2:
            body = _text(1000 * len(bodies))
        elif roll < 0.65:
            body = rng.choice(bodies)  # an identical copy
        elif roll < 0.8:
            x, y = rng.sample(bodies[:8], 2)  # a copy of two reports: merges their stories
            body = x + " " + y
        else:
            picked = rng.sample(stored, min(3, len(stored)))
            store.replace_tags(
                [
                    Retagged(i, tuple(_tag(t) for t in rng.sample(tags, 2)), frozenset())
                    for i in picked
                ],
                [],
            )
            continue
        bodies.append(body)
        stored.append(_put(store, body, chosen, now, rng.choice(FEEDS))[0])
        if step % 9 == 8:
            assert_as_before(store)
    assert_as_before(store)


def test_trips_of_reports_copies_and_merges_agree_with_the_old_queries(store: Store) -> None:
    """The articles of one trip (add_articles: on SQLite one transaction, whose new stories'
    counts are applied once before its commit) count as if stored one at a time: copies
    and bridging copies of reports of the same trip, and an article that fails among them
    (its counts are not added)."""
    _setup(store)
    rng = random.Random(26)
    tags = ["a-wang", "a-blinken", "i-taiwan", "i-trade", "i-fentanyl"]
    bodies: list[str] = []
    for trip in range(8):
        now = NOW + rng.randrange(3) * DAY + timedelta(hours=rng.randrange(12))
        batch = []
        for _ in range(rng.randint(2, 9)):
            roll = rng.random()
            if roll < 0.4 or len(bodies) < 2:
                body = _text(1000 * len(bodies))
            elif roll < 0.7:
                body = rng.choice(bodies)  # a copy, maybe of a report of this very trip
            else:
                x, y = rng.sample(bodies[-8:], 2)  # bridges two stories: merges them
                body = x + " " + y
            bodies.append(body)
            chosen = rng.sample(tags, rng.randint(0, 4))
            batch.append((_article(body, chosen, rng.choice(FEEDS)), []))
        failing = trip % 2 == 1
        if failing:
            stray = _article(_text(10**6 + trip), ["a-wang", "i-trade"], "no-such-feed")
            batch.insert(rng.randrange(len(batch) + 1), (stray, []))
        outcomes = store.add_articles(batch, clock=lambda now=now: now)
        assert sum(isinstance(o, Exception) for o in outcomes) == int(failing)
        assert_as_before(store)


def test_concurrent_writers_keep_exact_counts(store: Store) -> None:
    """Writers storing tagged reports, copies and bridging copies at once (threads, each its
    own transaction): the counts equal a recount whatever order they commit in."""
    _setup(store)
    pool = [_text(0), _text(1000), _text(0) + " " + _text(1000), _text(2000), _text(3000)]
    tags = [["a-wang", "i-taiwan"], ["a-wang", "i-trade"], ["a-blinken", "i-taiwan"]]
    writers = 4
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(w: int) -> None:
        rng = random.Random(w)
        barrier.wait()
        try:
            for n in range(8):
                _put(store, rng.choice(pool), rng.choice(tags), NOW + (n % 2) * DAY, FEEDS[w])
        except BaseException as exc:  # reported below, with the thread's traceback
            failures.append(exc)
            raise

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert sum(t.articles for t in store.top_tags()) == writers * 8 * 2
    assert_as_before(store)


def test_periods_are_whole_utc_days(store: Store) -> None:
    """The counts have days only: a bound inside a day is refused with what to do."""
    with pytest.raises(ValueError, match="whole UTC days"):
        store.tag_days(["a-wang"], NOW, NOW + DAY)


def test_recount_repairs_rows_changed_around_the_store(store: Store, db: Database) -> None:
    """Rows written straight into the tables (a bulk load, a hand edit) are counted by
    recount_trends as the old queries count them."""
    _setup(store)
    add(db, Seed("x", "Wang Yi on Taiwan", T0, tags={"wang-yi": 1, "taiwan": 1}))
    assert store.top_tags() == []  # not counted: written around the store
    store.recount_trends()
    assert [(t.id, t.articles) for t in store.top_tags()] == [("taiwan", 1), ("wang-yi", 1)]


def _downgrade(db: Database, revision: str) -> None:
    cfg = migrate._config(db)
    with db.engine.execution_options(monitor_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_revision_0010_backfills_what_was_stored_before(store: Store, db: Database) -> None:
    """A database holding tags, copies (on another day) and stories carrying a pair on two
    days before revision 0010: the upgrade counts them as the old queries do; the downgrade
    drops the tables and the upgrade runs again."""
    _downgrade(db, "0009")
    try:
        with db.read() as s:
            names = set(sa.inspect(s.connection()).get_table_names())
        assert "trend_tag_days" not in names
        first = add(db, Seed("a", "Wang Yi on Taiwan", T0, tags={"wang-yi": 1, "taiwan": 1}))
        copy = add(
            db,
            Seed(
                "b",
                "Wang Yi on Taiwan",
                T0 + DAY,
                feed="other",
                tags={"wang-yi": 1, "taiwan": 1, "trade": 1},
            ),
        )
        add(db, Seed("c", "Blinken on trade", T0 + DAY, tags={"antony-blinken": 1, "trade": 1}))
        add(db, Seed("d", "Fentanyl", T0 + 2 * DAY, tags={"fentanyl": 1}))
        with db.write() as s:
            s.execute(
                sa.update(_ARTICLES)
                .where(_ARTICLES.c.id == copy)
                .values(story_id=first, is_copy=True)
            )
        migrate.upgrade(db)
        day = T0.date()
        assert _pair(store, "wang-yi", "taiwan", day, days=2) == 1
        assert _day_of(store, "wang-yi", day + DAY) == 1
        assert_as_before(store, day, day + 3 * DAY)
        _downgrade(db, "0009")
        with db.read() as s:
            names = set(sa.inspect(s.connection()).get_table_names())
        assert not names & {"trend_tag_days", "trend_pair_days", "trend_pair_spread"}
    finally:
        migrate.upgrade(db)
    assert_as_before(store, day, day + 3 * DAY)


def test_a_retag_running_beside_writers_keeps_exact_counts(store: Store) -> None:
    """`monitor retag` batches changing the tags of stories that writers are adding copies
    to at the same moment (each in its own transaction): the counts equal a recount."""
    _setup(store)
    pool = [_text(0), _text(1000), _text(2000)]
    ids = [_put(store, body, ["a-wang", "i-taiwan"])[0] for body in pool]
    tags = ["a-wang", "a-blinken", "i-taiwan", "i-trade"]
    barrier = threading.Barrier(3)
    failures: list[BaseException] = []

    def retag() -> None:
        rng = random.Random(1)
        barrier.wait()
        try:
            for _ in range(6):
                store.replace_tags(
                    [
                        Retagged(i, tuple(_tag(t) for t in rng.sample(tags, 2)), frozenset())
                        for i in ids
                    ],
                    [],
                )
        except BaseException as exc:
            failures.append(exc)
            raise

    def write(w: int) -> None:
        rng = random.Random(w)
        barrier.wait()
        try:
            for n in range(6):
                _put(store, rng.choice(pool), rng.sample(tags, 2), NOW + (n % 2) * DAY, FEEDS[w])
        except BaseException as exc:
            failures.append(exc)
            raise

    threads = [threading.Thread(target=retag)] + [
        threading.Thread(target=write, args=(w,)) for w in (1, 2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert_as_before(store)


def test_a_prune_takes_its_articles_out_of_the_counts(store: Store) -> None:
    """Retention (`monitor prune`) deleting a story's first copy, a report of its own and
    one copy of a merged story: the counts equal the old queries over what remains, the
    remaining copies counting under their re-formed story."""
    _setup(store)
    _put(store, _text(0), ["a-wang", "i-taiwan"])
    _put(store, _text(0), ["a-wang", "i-taiwan", "i-trade"], now=NOW + DAY, feed="feed1")
    _put(store, _text(500), ["a-blinken", "i-trade"])
    _put(store, _text(1000), ["a-wang", "i-fentanyl"], now=NOW + DAY)
    _put(store, _text(2000), ["a-he", "i-taiwan"], now=NOW + 2 * DAY, feed="feed2")
    _put(
        store,
        _text(1000) + " " + _text(2000),
        ["a-wang", "i-taiwan"],
        now=NOW + 2 * DAY,
        feed="feed3",
    )
    assert_as_before(store)
    counts = store.prune_batch(NOW + timedelta(hours=1))
    assert counts.articles == 2
    assert counts.stories_reformed == 1
    today = NOW.date()
    assert _day_of(store, "a-wang", today) == 0
    assert _day_of(store, "a-wang", today + DAY) == 2
    assert _pair(store, "a-wang", "i-taiwan", today, days=3) == 2
    assert_as_before(store)
    store.prune_batch(NOW + DAY + timedelta(hours=1))
    assert _day_of(store, "i-fentanyl", today + DAY) == 0
    assert_as_before(store)
    store.prune_batch(NOW + 3 * DAY)
    assert store.top_tags() == []
    assert_as_before(store)
