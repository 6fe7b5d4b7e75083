"""Full-text search: one user syntax, the same answers on SQLite FTS5 and PostgreSQL."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from matches_seed import T0, Seed, add

from monitor.errors import QueryError
from monitor.store import Database, Store
from monitor.store.models import ArticleRow, ArticleTagRow
from monitor.store.queries import MatchFilter
from monitor.store.textsearch import Group, parse_text_query

DOCS = {
    "tariffs": "New tariffs on electric vehicles announced by the Commerce Department.",
    "strait": "Warships crossed the Taiwan Strait while talks on trade stalled.",
    "kong": "Hong Kong activists were sentenced; Taiwan expressed concern.",
    "covid": "A covid-19 outbreak closed the port of Ningbo for a week.",
    "both": "Trade talks in Hong Kong covered tariffs and the Taiwan question.",
}


@pytest.fixture
def docs(db: Database) -> dict[str, int]:
    """Five tagged articles whose words differ."""
    return {
        key: add(db, Seed(f"Item {i}", text, T0 + timedelta(hours=i), tags={"taiwan": 1}))
        for i, (key, text) in enumerate(DOCS.items())
    }


def _search(store: Store, docs: dict[str, int], text: str) -> set[str]:
    names = {v: k for k, v in docs.items()}
    return {names[m.article_id] for m in store.find_matches(MatchFilter(text=text)).items}


def test_parse_words_phrases_or_and_exclusions() -> None:
    """Words AND together, OR splits groups, quotes make phrases, a leading - excludes."""
    q = parse_text_query('taiwan "hong kong" -tariffs OR covid')
    assert q.groups == (Group(("taiwan", "hong kong"), ("tariffs",)), Group(("covid",)))
    assert q.fts5() == '(("taiwan" AND "hong kong") NOT "tariffs") OR ("covid")'
    assert q.websearch() == '"taiwan" "hong kong" -"tariffs" or "covid"'


def test_parse_neutralises_engine_syntax() -> None:
    """Column filters, prefixes, NEAR, carets and stray quotes are plain words, not syntax."""
    q = parse_text_query('title:taiwan NEAR(a b) star* ^x "unterminated')
    # Punctuation inside a term splits it into a phrase of its words, on both engines.
    assert q.fts5() == (
        '("title taiwan" AND "NEAR a" AND "b" AND "star" AND "x" AND "unterminated")'
    )
    assert '"' not in "".join(t for g in q.groups for t in g.must)


@pytest.mark.parametrize("text", ["", "   ", "OR", "-taiwan", "a OR -b", "*** :::"])
def test_parse_refuses_queries_without_a_required_word(text: str) -> None:
    """A search needs at least one word that must occur in every OR-group."""
    with pytest.raises(QueryError):
        parse_text_query(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("taiwan", {"strait", "kong", "both"}),
        ("taiwan trade", {"strait", "both"}),
        ('"hong kong"', {"kong", "both"}),
        ('"kong hong"', set()),
        ("taiwan -trade", {"kong"}),
        ('taiwan -"hong kong"', {"strait"}),
        ("tariffs OR ningbo", {"tariffs", "covid", "both"}),
        ("tariff", {"tariffs", "both"}),  # stemming: tariff finds tariffs
        ("warship", {"strait"}),
        ("covid-19", {"covid"}),
        ("TAIWAN strait", {"strait"}),  # case does not matter
        ("title:taiwan", set()),  # no column filter: both words needed
        ("nothing-like-this", set()),
    ],
)
def test_search_gives_the_same_answer_on_both_databases(
    store: Store, docs: dict[str, int], text: str, expected: set[str]
) -> None:
    """Each query of the documented syntax finds the same articles on SQLite and PostgreSQL."""
    assert _search(store, docs, text) == expected


def test_index_follows_updates_and_deletes(
    db: Database, store: Store, docs: dict[str, int]
) -> None:
    """The full-text index stays in step when an article's text changes (triggers/generated)."""
    with db.write() as s:
        s.connection().execute(
            sa.update(ArticleRow)
            .where(ArticleRow.id == docs["covid"])
            .values(text="Shipping resumed at Ningbo.")
        )  # type: ignore[arg-type]
    assert _search(store, docs, "outbreak") == set()
    assert _search(store, docs, "shipping") == {"covid"}
    with db.write() as s:
        s.connection().execute(
            sa.delete(ArticleTagRow).where(ArticleTagRow.article_id == docs["covid"])
        )  # type: ignore[arg-type]
        s.connection().execute(sa.delete(ArticleRow).where(ArticleRow.id == docs["covid"]))  # type: ignore[arg-type]
    assert _search(store, docs, "shipping") == set()
    if db.dialect == "sqlite":  # the external-content index must not keep a stale row
        with db.read() as s:
            check = "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"
            s.connection().exec_driver_sql(check)


def test_search_covers_titles(db: Database, store: Store) -> None:
    """Words of the title are searched as well as the text."""
    aid = add(db, Seed("Raimondo visits Beijing", "Nothing else here.", T0, tags={"trade": 1}))
    assert [m.article_id for m in store.find_matches(MatchFilter(text="raimondo")).items] == [aid]


def test_bucket_cover_matches_exactly_the_days_asked() -> None:
    """The time-bucket query for a stretch of days names buckets that together hold exactly
    those days, bigger buckets where they fit."""
    from monitor.store.textsearch import BUCKET_DAYS, bucket_cover

    for lo, hi in [(20766, 20780), (0, 600), (-3, 2), (5, 6), (1000, 1000 + 256 * 3 + 17)]:
        days: list[int] = []
        for term in bucket_cover(lo, hi).split(" | "):
            size, n = (int(x) for x in term.strip("'@").split(":"))
            assert size in BUCKET_DAYS
            days += range(n * size, (n + 1) * size)
        assert sorted(days) == list(range(lo, hi))
    assert len(bucket_cover(0, 600).split(" | ")) <= 8


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_search_vectors_carry_the_time_buckets_python_computes(db: Database) -> None:
    """PostgreSQL: each article's search_vector holds the buckets of its stored_at that
    monitor/store/textsearch.py computes (revision 0005), across day and epoch edges."""
    from datetime import UTC, datetime

    from monitor.store.textsearch import BUCKET_DAYS, day_number

    times = [
        datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 0, tzinfo=UTC),
        T0,
    ]
    for at in times:
        aid = add(db, Seed("t", "bucketed words", at, tags={"trade": 1}))
        with db.read() as s:
            vector = (
                s.connection()
                .execute(
                    sa.text("SELECT search_vector::text FROM articles WHERE id = :id"), {"id": aid}
                )
                .scalar()
            )
        day = day_number(at.timestamp())
        for size in BUCKET_DAYS:
            assert f"'@{size}:{day // size}'" in vector
