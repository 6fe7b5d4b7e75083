"""ArticleStore: new-item detection, one-transaction storage, stories and once-per-story alerts."""

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from monitor import stories
from monitor.store import Store
from monitor.store.models import ArticleTagRow, OutboxRow, WatchMatchRow
from monitor.types import Evidence, FeedSpec, Item, NewArticle, Tag, WatchHit

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

BODY = (
    "Secretary of State Antony Blinken met Foreign Minister Wang Yi in Beijing on Monday for "
    "talks that both sides described as candid and constructive. The two men discussed the "
    "situation across the Taiwan Strait, the flow of fentanyl precursors, export controls on "
    "advanced chips and the detention of American citizens. Officials said the meeting lasted "
    "more than five hours and ended with an agreement to restore military communication "
    "channels that had been suspended for more than a year. Diplomats from both countries "
    "said working groups on counternarcotics and on climate would meet again before the end "
    "of the year, and that a further visit by a cabinet member was being prepared for the "
    "spring. Business groups welcomed the tone of the talks but said they were waiting for "
    "concrete steps on market access, data rules and the licensing of exports, which had "
    "weighed on investment decisions throughout the past two years. Analysts cautioned that "
    "the agreement on military channels had been reached before and had not always held, "
    "and that the real test would come during the next crisis at sea or in the air."
)
OTHER = (
    "The Bank of England held interest rates steady on Thursday, citing persistent services "
    "inflation and a labour market that has cooled more slowly than expected. Markets had "
    "priced in a small chance of a cut; sterling rose modestly after the announcement, while "
    "gilt yields edged higher across the curve as investors pushed back their expectations "
    "for the first reduction in borrowing costs until well into the next calendar year."
)
TAG = Tag("wang-yi", "actor", "Wang Yi", 1, Evidence("Foreign Minister Wang Yi", 43, 67))


def _article(feed: str, guid: str, url: str, text: str = BODY, **kw: object) -> NewArticle:
    return NewArticle(
        feed=feed,
        guid=guid,
        url=url,
        canonical_url=url,
        title=f"t {guid}",
        author=None,
        published=NOW - timedelta(hours=1),
        language="en",
        text=text,
        fingerprint=stories.fingerprint(text),
        tags=(TAG,),
        **kw,
    )  # type: ignore[arg-type]


def _hit(watch: str = "desk", channels: tuple[str, ...] = ("hook", "mail")) -> WatchHit:
    return WatchHit(watch, channels, {"type": "match.created", "data": {"watch": watch}})


def _setup(store: Store) -> None:
    store.sync_feeds(
        [
            FeedSpec("wire", "https://wire.example/rss"),
            FeedSpec("paper", "https://paper.example/rss"),
        ],
        NOW,
    )


def _count(store: Store, model: type, **where: object) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    query = sa.select(sa.func.count()).select_from(table)
    for key, value in where.items():
        query = query.where(table.c[key] == value)
    with store.db.read() as s:
        return int(s.connection().execute(query).scalar_one())


def test_add_article_writes_article_tags_matches_and_outbox(store: Store) -> None:
    """One call stores the article, its tags with evidence, its match and one row per channel."""
    _setup(store)
    stored = store.add_article(_article("wire", "g1", "https://wire.example/a"), [_hit()], now=NOW)
    assert stored is not None
    assert stored.story_id == stored.id
    assert stored.stored_at == NOW
    with store.db.read() as s:
        tag = s.get(ArticleTagRow, (stored.id, "wang-yi"))
        assert tag is not None
        assert (tag.evidence, tag.evidence_start, tag.matched_at) == (
            "Foreign Minister Wang Yi",
            43,
            NOW,
        )
        rows = (
            s.connection()
            .execute(
                sa.select(
                    OutboxRow.__table__.c.channel,
                    OutboxRow.__table__.c.state,  # type: ignore[attr-defined]
                    OutboxRow.__table__.c.dedup_key,
                )
            )
            .all()
        )  # type: ignore[attr-defined]
    assert sorted(rows) == [
        ("hook", "pending", f"desk|hook|{stored.id}"),
        ("mail", "pending", f"desk|mail|{stored.id}"),
    ]
    assert _count(store, WatchMatchRow, watch="desk") == 1


def test_same_guid_or_url_is_already_seen(store: Store) -> None:
    """A second insert of one (feed, guid) or one canonical URL returns None and alerts nothing."""
    _setup(store)
    assert store.add_article(_article("wire", "g1", "https://wire.example/a"), [], now=NOW)
    assert (
        store.add_article(
            _article("wire", "g1", "https://wire.example/b", text=OTHER), [_hit()], now=NOW
        )
        is None
    )
    assert (
        store.add_article(
            _article("paper", "p1", "https://wire.example/a", text=OTHER), [_hit()], now=NOW
        )
        is None
    )
    assert _count(store, OutboxRow) == 0


def test_syndicated_copy_joins_story_and_alerts_once(store: Store) -> None:
    """A near-identical body on another feed and URL is the same story: one alert per watch."""
    _setup(store)
    first = store.add_article(_article("wire", "g1", "https://wire.example/a"), [_hit()], now=NOW)
    copy_text = "By our correspondent. " + BODY.replace("Monday", "Monday,")
    second = store.add_article(
        _article("paper", "p9", "https://paper.example/x", copy_text),
        [_hit(), _hit("other", ("hook",))],
        now=NOW + timedelta(1),
    )
    unrelated = store.add_article(
        _article("paper", "p10", "https://paper.example/y", OTHER), [_hit()], now=NOW
    )
    assert first is not None
    assert second is not None
    assert unrelated is not None
    assert second.story_id == first.id
    assert unrelated.story_id == unrelated.id
    assert _count(store, WatchMatchRow, watch="desk") == 3  # every copy is a match ...
    assert _count(store, OutboxRow, watch="desk", story_id=first.id) == 2  # ... alerting once
    assert _count(store, OutboxRow, watch="other") == 1  # a watch first hit by the copy alerts


def test_short_texts_join_only_an_identical_copy(store: Store) -> None:
    """Teasers too short to sketch join a story only when their fingerprint is identical."""
    _setup(store)
    a = store.add_article(
        _article("wire", "g1", "https://wire.example/a", "Wang Yi met."), [], now=NOW
    )
    b = store.add_article(
        _article("wire", "g2", "https://wire.example/b", "Wang Yi spoke."), [], now=NOW
    )
    c = store.add_article(
        _article("paper", "g3", "https://paper.example/c", "Wang Yi met."), [], now=NOW
    )
    assert a is not None
    assert b is not None
    assert c is not None
    assert b.story_id == b.id
    assert c.story_id == a.id


def test_unseen_items_by_guid_and_url(store: Store) -> None:
    """Items are new unless their (feed, guid) or URL was stored; batch duplicates collapse."""
    _setup(store)
    store.add_article(_article("wire", "g1", "https://wire.example/a"), [], now=NOW)
    items = [
        Item("wire", "g1", "https://wire.example/changed"),
        Item("wire", "g2", "https://wire.example/a"),
        Item("wire", "g3", "https://wire.example/c"),
        Item("wire", "g3", "https://wire.example/c2"),
        Item("wire", "g4", None),
    ]
    assert [i.guid for i in store.unseen_items("wire", items)] == ["g3", "g4"]
    assert [i.guid for i in store.unseen_items("paper", [Item("paper", "g1", None)])] == ["g1"]


def test_concurrent_inserts_of_one_guid_store_one(store: Store) -> None:
    """Eight threads adding one item at once: exactly one stored, one set of alerts."""
    _setup(store)
    results: list[object] = []
    lock = threading.Lock()

    def add() -> None:
        got = store.add_article(_article("wire", "g1", "https://wire.example/a"), [_hit()], now=NOW)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=add) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1
    assert _count(store, OutboxRow) == 2


def test_recent_entry_times_newest_first(store: Store) -> None:
    """The feed's stored publication times feed the adaptive interval, newest first."""
    _setup(store)
    for i in range(3):
        art = _article("wire", f"g{i}", f"https://wire.example/{i}", text=f"{OTHER} {i}")
        art = NewArticle(
            **{
                **{f: getattr(art, f) for f in art.__slots__},  # type: ignore[attr-defined]
                "published": NOW - timedelta(hours=i),
            }
        )
        store.add_article(art, [], now=NOW)
    times = store.recent_entry_times("wire")
    assert times == [NOW, NOW - timedelta(hours=1), NOW - timedelta(hours=2)]
    assert store.recent_entry_times("paper") == []


def test_a_batch_is_one_sqlite_transaction_and_a_bad_article_loses_only_itself(
    store: Store,
) -> None:
    """add_articles stores a batch in one transaction on SQLite (a savepoint per article; one
    per article on PostgreSQL), and an article that fails half-way (its alert payload cannot
    be serialised, after its row and tags were written) leaves nothing behind while the
    articles before and after it are stored with their tags, matches and alerts."""
    _setup(store)
    commits: list[object] = []

    def commit(conn: object) -> None:
        commits.append(conn)

    sa.event.listen(store.db.engine, "commit", commit)
    broken = WatchHit("desk", ("hook",), {"data": {"watch": "desk", "bad": object()}})
    batch = [
        (_article("wire", f"g{n}", f"https://wire.example/{n}", text=f"short note {n}"), [_hit()])
        for n in range(4)
    ]
    batch.insert(2, (_article("wire", "bad", "https://wire.example/bad", text=BODY), [broken]))
    outcomes = store.add_articles(batch, clock=lambda: NOW)
    sa.event.remove(store.db.engine, "commit", commit)
    assert len(commits) == (1 if store.db.dialect == "sqlite" else len(batch) - 1)
    assert isinstance(outcomes[2], TypeError)
    assert all(
        o is not None and not isinstance(o, Exception) for i, o in enumerate(outcomes) if i != 2
    )
    assert _count(store, WatchMatchRow) == 4
    assert _count(store, OutboxRow) == 8
    assert _count(store, ArticleTagRow) == 4
    assert [i.guid for i in store.unseen_items("wire", [Item("wire", "bad", None)])] == ["bad"]
    # the failed article can be stored once it is fixed
    again = store.add_articles([(batch[2][0], [_hit()])], clock=lambda: NOW)
    assert again[0] is not None
    assert not isinstance(again[0], Exception)
