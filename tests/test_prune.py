"""Retention: `monitor prune` and `retention` delete old articles with their tags, matches and
delivered alerts, keep what a pending alert needs, and leave the surviving copies a story."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from ingest_site import settings
from test_daemon import TUNING, wait_for
from typer.testing import CliRunner

from monitor import stories
from monitor.app import prepare, running
from monitor.cli import app
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.prune import prune
from monitor.store import Store
from monitor.store.models import (
    ArticleRow,
    ArticleTagRow,
    OutboxRow,
    StoryBandRow,
    WatchMatchRow,
)
from monitor.types import Evidence, FeedSpec, NewArticle, Tag, WatchHit

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=400)
CUTOFF = NOW - timedelta(days=365)

REPORT = (
    "Customs officials announced new inspections of chemical shipments on Wednesday, "
    "saying that precursor chemicals used to make fentanyl had been found in several "
    "containers that arrived at west coast ports during the autumn, and that the agency "
    "would share the results with its counterparts."
)
OTHER = (
    "Heavy rain is expected across the region on Sunday night, and forecasters warned "
    "that rivers in the valleys could burst their banks before the weekend is over, "
    "closing roads and railway lines that carry commuters into the city every morning."
)
THIRD = (
    "The central bank held interest rates on Thursday and said inflation was falling "
    "more slowly than it had hoped, while officials said wage growth in the services "
    "sector remained strong and that they would watch the coming months closely."
)
FENTANYL = Tag("fentanyl", "issue", "Fentanyl", 1, Evidence("fentanyl found", 0, 14), "about", 0.9)


def _add(
    store: Store, guid: str, text: str, at: datetime, *, feed: str = "wire", alert: bool = True
) -> int:
    url = f"https://{feed}.example/{guid}"
    hits = [WatchHit("desk", ("hook",), {"data": {"watch": "desk"}})] if alert else []
    stored = store.add_article(
        NewArticle(
            feed=feed,
            guid=guid,
            url=url,
            canonical_url=url,
            title=guid,
            author=None,
            published=at,
            language="en",
            text=text,
            fingerprint=stories.fingerprint(text),
            tags=(FENTANYL,),
        ),
        hits,
        now=at,
    )
    assert stored is not None
    return stored.id


def _table(store: Store, model: type, *columns: str) -> list[tuple[object, ...]]:
    t = model.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        return [
            tuple(r)
            for r in s.connection().execute(
                sa.select(*(t.c[c] for c in columns)).order_by(*(t.c[c] for c in columns))
            )
        ]


def _deliver_all(store: Store) -> None:
    t = OutboxRow.__table__  # type: ignore[attr-defined]
    with store.db.write() as s:
        s.connection().execute(sa.update(t).values(state="delivered", delivered_at=NOW))


@pytest.fixture
def feeds(store: Store) -> Store:
    """The store with two feeds, `wire` and `paper`."""
    store.sync_feeds(
        [
            FeedSpec("wire", "https://wire.example/rss"),
            FeedSpec("paper", "https://paper.example/rss"),
        ],
        OLD,
    )
    return store


def test_old_articles_go_with_their_tags_matches_bands_and_delivered_alerts(feeds: Store) -> None:
    """Articles stored before the cutoff are deleted with every row that names them; the
    recent one stays whole."""
    old = _add(feeds, "old", OTHER, OLD)
    recent = _add(feeds, "recent", THIRD, NOW - timedelta(days=3))
    _deliver_all(feeds)
    counts = prune(feeds, CUTOFF)
    assert (counts.articles, counts.tags, counts.matches, counts.alerts) == (1, 1, 1, 1)
    assert _table(feeds, ArticleRow, "id") == [(recent,)]
    assert _table(feeds, ArticleTagRow, "article_id") == [(recent,)]
    assert _table(feeds, WatchMatchRow, "article_id") == [(recent,)]
    assert _table(feeds, OutboxRow, "article_id") == [(recent,)]
    assert {a for (a,) in _table(feeds, StoryBandRow, "article_id")} <= {recent}
    assert old != recent
    assert prune(feeds, CUTOFF).articles == 0  # nothing left to do


def test_an_article_with_an_alert_still_to_deliver_is_kept(feeds: Store) -> None:
    """Pending, failing and dead alerts keep their article (and themselves); it goes once
    its alert is delivered."""
    pending = _add(feeds, "pending", OTHER, OLD)
    assert feeds.count_prunable(CUTOFF) == 0
    assert prune(feeds, CUTOFF).articles == 0
    assert _table(feeds, ArticleRow, "id") == [(pending,)]
    assert _table(feeds, OutboxRow, "state") == [("pending",)]
    _deliver_all(feeds)
    assert feeds.count_prunable(CUTOFF) == 1
    assert prune(feeds, CUTOFF).articles == 1


def test_a_story_that_loses_its_first_copy_lives_on_in_the_others(feeds: Store) -> None:
    """The story's first (old) copy is pruned: the recent copy carries the story (its own id,
    shown in lists, its match and the story's delivered alert moved to it), and a copy
    arriving later joins that story and alerts nobody again."""
    first = _add(feeds, "first", REPORT, OLD)
    copy = _add(feeds, "copy", REPORT, NOW - timedelta(days=2), feed="paper")
    assert _table(feeds, ArticleRow, "id", "story_id", "is_copy") == [
        (first, first, False),
        (copy, first, True),
    ]
    _deliver_all(feeds)
    counts = prune(feeds, CUTOFF)
    assert (counts.articles, counts.alerts, counts.stories_reformed) == (1, 0, 1)
    assert _table(feeds, ArticleRow, "id", "story_id", "is_copy") == [(copy, copy, False)]
    assert _table(feeds, WatchMatchRow, "article_id", "story_id") == [(copy, copy)]
    assert _table(feeds, OutboxRow, "article_id", "story_id", "dedup_key", "state") == [
        (copy, copy, f"desk|hook|{copy}", "delivered")
    ]
    later = _add(feeds, "later", REPORT, NOW - timedelta(hours=1))
    assert _table(feeds, ArticleRow, "id", "story_id", "is_copy") == [
        (copy, copy, False),
        (later, copy, True),
    ]
    assert len(_table(feeds, OutboxRow, "id")) == 1  # the story alerted once, before


def test_batches_cover_everything(feeds: Store) -> None:
    """A batch of one deletes all old articles, one transaction each, reporting each."""
    for i in range(4):
        _add(feeds, f"g{i}", f"{OTHER} {i}", OLD + timedelta(hours=i), alert=False)
    seen: list[int] = []
    counts = prune(feeds, CUTOFF, batch=1, progress=lambda c: seen.append(c.articles))
    assert counts.articles == 4
    assert seen == [1, 1, 1, 1]
    assert _table(feeds, ArticleRow, "id") == []


def test_sqlite_search_index_follows(tmp_path: Path) -> None:
    """On SQLite the full-text index loses the pruned article (its delete trigger)."""
    from monitor.store import Database
    from monitor.store.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db)
    store = Store(db)
    store.sync_feeds([FeedSpec("wire", "https://wire.example/rss")], OLD)
    _add(store, "old", OTHER, OLD, alert=False)
    with db.read() as s:

        def found() -> int:
            return int(
                s.connection()
                .exec_driver_sql(
                    "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'forecasters'"
                )
                .scalar_one()
            )

        assert found() == 1
    prune(store, CUTOFF)
    with db.read() as s:
        assert found() == 0
    db.dispose()


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on the test database."""
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[[feed]]\nname = "wire"\nurl = "https://wire.example/rss"\n', encoding="utf-8"
    )
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    return CliRunner()


def test_prune_command_with_a_duration_and_a_date(cli: CliRunner, feeds: Store) -> None:
    """`--before 365d` and `--before DATE` delete what is older, say what they did on
    stderr; `--dry-run` only counts."""
    _add(feeds, "old", OTHER, OLD, alert=False)
    _add(feeds, "older", THIRD, OLD - timedelta(days=30), alert=False)
    dry = cli.invoke(app, ["prune", "--before", "365d", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 articles" in dry.stderr
    assert len(_table(feeds, ArticleRow, "id")) == 2
    by_date = cli.invoke(app, ["prune", "--before", (OLD - timedelta(days=1)).date().isoformat()])
    assert by_date.exit_code == 0, by_date.output
    assert "pruned 1 article" in by_date.stderr
    done = cli.invoke(app, ["prune", "--before", "365d"])
    assert done.exit_code == 0, done.output
    assert "pruned 1 article" in done.stderr
    assert _table(feeds, ArticleRow, "id") == []


@pytest.mark.parametrize("before", ["soon", "2999-01-01", "2d-ago"])
def test_prune_command_refuses_a_bad_before(cli: CliRunner, before: str) -> None:
    """A --before that is not a date or a duration, or in the future, is one line, exit 1."""
    result = cli.invoke(app, ["prune", "--before", before])
    assert result.exit_code == 1
    assert "--before" in result.stderr
    assert "Traceback" not in result.output


def test_retention_in_feeds_toml(tmp_path: Path) -> None:
    """`retention` is a duration of at least a day, or "0" for keep everything."""
    path = tmp_path / "feeds.toml"
    path.write_text('retention = "365d"\n', encoding="utf-8")
    assert load_config(path).retention == timedelta(days=365)
    path.write_text('retention = "0"\n', encoding="utf-8")
    assert load_config(path).retention is None
    path.write_text("", encoding="utf-8")
    assert load_config(path).retention is None
    from monitor.errors import ConfigError

    path.write_text('retention = "2h"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="retention must be at least 1d"):
        load_config(path)


async def test_the_daemon_applies_retention_soon_after_start(tmp_path: Path, feeds: Store) -> None:
    """With `retention = "365d"` a running daemon prunes the 400-day-old article by itself
    (its first pass comes `retention_first` after start) and keeps the recent one."""
    old = _add(feeds, "old", OTHER, OLD, alert=False)
    recent = _add(feeds, "recent", THIRD, NOW - timedelta(days=1), alert=False)
    path = tmp_path / "feeds.toml"
    path.write_text(
        'retention = "365d"\n\n[[feed]]\nname = "wire"\n'
        'url = "https://wire.example/rss"\nenabled = false\n',
        encoding="utf-8",
    )
    prepared = prepare(settings(path, feeds.db.url), load_config(path))
    stop = asyncio.Event()
    async with running(
        prepared, feeds, replace(TUNING, retention_first=timedelta(seconds=0.3))
    ) as rt:
        task = asyncio.create_task(Daemon(rt).run(stop))
        await wait_for(lambda: _table(feeds, ArticleRow, "id") == [(recent,)])
        stop.set()
        await asyncio.wait_for(task, 15)
    assert old != recent


def test_postgresql_prune_waits_for_a_copy_being_stored(pg_database: str) -> None:
    """On PostgreSQL a prune takes the fingerprint lock a copy being stored holds (as
    add_article takes it before looking for its story), so it waits for that copy's commit
    instead of deleting the story under it."""
    import threading

    from conftest import _truncate_all

    from monitor.store import Database
    from monitor.store.articles import _lock

    db = Database(pg_database)
    _truncate_all(db)
    store = Store(db)
    store.sync_feeds([FeedSpec("wire", "https://wire.example/rss")], OLD)
    _add(store, "old", REPORT, OLD, alert=False)
    done = threading.Event()
    with db.write() as s:  # a writer mid-transaction, holding the copy's fingerprint lock
        _lock(s.connection(), [stories.fingerprint_key(stories.fingerprint(REPORT))])
        worker = threading.Thread(target=lambda: (prune(store, CUTOFF), done.set()))
        worker.start()
        assert not done.wait(1.0)  # the prune waits for the writer
    assert done.wait(20)
    worker.join()
    assert _table(store, ArticleRow, "id") == []
    db.dispose()
