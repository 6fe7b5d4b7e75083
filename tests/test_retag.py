"""`monitor retag`: stored tags and watch matches recomputed after a vocabulary change."""

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from monitor import stories
from monitor.app import compile_config
from monitor.cli import app
from monitor.config import load_config
from monitor.match.watches import satisfied_watches
from monitor.retag import retag
from monitor.store import Store
from monitor.store.models import ArticleTagRow, OutboxRow, WatchMatchRow
from monitor.types import FeedSpec, NewArticle, WatchHit

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=10)
RECENT = NOW - timedelta(hours=2)

# Each article is about both issues (headline and several mentions), so a watch on either
# matches whatever level a watch query asks of it.
MAGNETS = (
    "Rare earths and fentanyl top the port agenda\n\nFactories that build electric "
    "motors said on Tuesday that rare earths from a single refiner had become scarce, "
    "while customs officers reported more fentanyl seized at the port. Buyers of rare "
    "earths asked regulators for help; police said fentanyl shipments had doubled."
)
POWDER = (
    "Fentanyl seizures and rare earths prices rise\n\nA conference of refiners "
    "discussed rare earths and the price of fentanyl seized at ports. Delegates said "
    "fentanyl now funds smugglers who also move rare earths, and agreed to meet again."
)
WEATHER = "Storm warning\n\nHeavy rain is expected across the region on Sunday night."

EXTRA_VOCAB = """[[issue]]
id = "rare-earths"
name = "Rare earths"
aliases = ["rare earths", "rare-earth magnets"]
"""
# A user file replaces the bundled entry with its id: fentanyl now needs a longer phrase.
NARROW_FENTANYL = """[[issue]]
id = "fentanyl"
name = "Fentanyl and opioids"
aliases = ["fentanyl precursors"]
"""


WATCH = '[[watch]]\nname = "{name}"\nquery = "{query}"\nnotify = ["hook"]\n'


def _feeds_toml(folder: Path, vocab: dict[str, str]) -> Path:
    """feeds.toml with these vocabulary files; the minerals watch only when its id exists."""
    for name, text in vocab.items():
        (folder / name).write_text(text, encoding="utf-8")
    watches = [WATCH.format(name="drugs", query="issue:fentanyl")]
    if any("rare-earths" in text for text in vocab.values()):
        watches.append(WATCH.format(name="minerals", query="issue:rare-earths"))
    path = folder / "feeds.toml"
    path.write_text(
        "\n".join(
            [
                f"vocabulary = [{', '.join(repr(name) for name in vocab)}]",
                '[[feed]]\nname = "wire"\nurl = "https://wire.example/rss.xml"\n',
                *watches,
                '[channel.hook]\ntype = "webhook"\nurl = "https://hooks.example.org/monitor"\n',
            ]
        ),
        encoding="utf-8",
    )
    return path


@functools.lru_cache(maxsize=1)
def _compiled(config: Path, version: tuple[int, int]) -> tuple[Any, Any]:
    """`config` compiled as the daemon compiles it (monitor.app.compile_config), once for the
    articles a test stores with it (each test has its own files; `version`: its mtime, size)."""
    return compile_config(load_config(config))


def _store_as_daemon(store: Store, config: Path, text: str, at: datetime, guid: str) -> int:
    """Tag and store an article the way the daemon does with `config` (alerts included)."""
    stat = config.stat()
    tagger, watches = _compiled(config, (stat.st_mtime_ns, stat.st_size))
    title, _, body = text.partition("\n\n")
    tags = tagger.tag_document(title, body, published=at.date())
    url = f"https://wire.example/{guid}"
    article = NewArticle(
        feed="wire",
        guid=guid,
        url=url,
        canonical_url=url,
        title=title,
        author=None,
        published=at,
        language="en",
        text=body,
        fingerprint=stories.fingerprint(body),
        tags=tags,
    )
    hits = [
        WatchHit(w.spec.name, w.spec.notify, {"watch": w.spec.name})
        for w in satisfied_watches(watches, tags, feed="wire", title=title, text=body)
    ]
    stored = store.add_article(article, hits, now=at)
    assert stored is not None
    return stored.id


def _rows(store: Store, model: type, *columns: str) -> set[tuple[object, ...]]:
    table = model.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        return {
            tuple(r)
            for r in s.connection().execute(sa.select(*(table.c[c] for c in columns))).all()
        }


@pytest.fixture
def old_config(tmp_path: Path) -> Path:
    """feeds.toml of the daemon before the change: bundled vocabulary only."""
    folder = tmp_path / "before"
    folder.mkdir()
    return _feeds_toml(folder, {})


@pytest.fixture
def new_config(tmp_path: Path) -> Path:
    """feeds.toml after the change: rare earths added, fentanyl narrowed."""
    folder = tmp_path / "after"
    folder.mkdir()
    return _feeds_toml(folder, {"minerals.toml": EXTRA_VOCAB, "narrow.toml": NARROW_FENTANYL})


@pytest.fixture
def seeded(store: Store, old_config: Path) -> dict[str, int]:
    """Three articles stored by the old configuration: two old ones and a recent one."""
    store.sync_feeds([FeedSpec("wire", "https://wire.example/rss.xml")], OLD)
    return {
        "magnets": _store_as_daemon(store, old_config, MAGNETS, OLD, "g1"),
        "weather": _store_as_daemon(store, old_config, WEATHER, OLD, "g2"),
        "powder": _store_as_daemon(store, old_config, POWDER, RECENT, "g3"),
    }


@pytest.fixture
def cli(db_url: str, new_config: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line pointed at the database and the new feeds.toml."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_CONFIG", str(new_config))
    monkeypatch.setenv("COLUMNS", "120")
    return CliRunner()


def test_a_vocabulary_change_adds_tags_and_matches_without_alerts(
    cli: CliRunner, store: Store, seeded: dict[str, int]
) -> None:
    """An added issue is tagged on stored articles and matches its watch; no outbox row."""
    before = _rows(store, ArticleTagRow, "article_id", "tag_id")
    assert (seeded["magnets"], "fentanyl") in before
    assert not any(tag == "rare-earths" for _, tag in before)
    assert _rows(store, WatchMatchRow, "watch", "article_id") == {
        ("drugs", seeded["magnets"]),
        ("drugs", seeded["powder"]),
    }
    alerts = _rows(store, OutboxRow, "id")
    result = cli.invoke(app, ["retag"])
    assert result.exit_code == 0, result.output
    tags = _rows(store, ArticleTagRow, "article_id", "tag_id", "matched_at")
    assert (seeded["magnets"], "rare-earths", OLD) in tags
    assert (seeded["powder"], "rare-earths", RECENT) in tags
    matches = _rows(store, WatchMatchRow, "watch", "article_id", "story_id", "matched_at")
    assert ("minerals", seeded["magnets"], seeded["magnets"], OLD) in matches
    assert ("minerals", seeded["powder"], seeded["powder"], RECENT) in matches
    assert _rows(store, OutboxRow, "id") == alerts


def test_a_removed_tag_disappears_with_its_watch_match(
    cli: CliRunner, store: Store, seeded: dict[str, int]
) -> None:
    """Fentanyl, no longer matched by the narrowed entry, loses its tags and its matches."""
    result = cli.invoke(app, ["retag"])
    assert result.exit_code == 0, result.output
    tags = _rows(store, ArticleTagRow, "article_id", "tag_id")
    assert not any(tag == "fentanyl" for _, tag in tags)
    assert not any(
        watch == "drugs" for watch, _ in _rows(store, WatchMatchRow, "watch", "article_id")
    )
    assert (seeded["weather"], "rare-earths") not in tags


def test_since_limits_the_articles(cli: CliRunner, store: Store, seeded: dict[str, int]) -> None:
    """--since 1d retags only the article stored two hours ago."""
    result = cli.invoke(app, ["retag", "--since", "1d"])
    assert result.exit_code == 0, result.output
    tags = _rows(store, ArticleTagRow, "article_id", "tag_id")
    assert (seeded["powder"], "rare-earths") in tags
    assert (seeded["magnets"], "rare-earths") not in tags
    assert (seeded["magnets"], "fentanyl") in tags
    assert "retagged 1 article:" in result.stderr


def test_progress_and_summary_on_stderr(cli: CliRunner, seeded: dict[str, int]) -> None:
    """A progress bar and one summary line with every count go to stderr; stdout stays empty."""
    result = cli.invoke(app, ["retag"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "retagging" in result.stderr
    assert "3/3" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "retagged 3 articles: tags 2 added, 2 removed, 0 changed; watch matches 2 added, 2 removed"
    )


def test_a_second_retag_changes_nothing(cli: CliRunner, seeded: dict[str, int]) -> None:
    """Retagging with an unchanged vocabulary rewrites no row."""
    assert cli.invoke(app, ["retag"]).exit_code == 0
    result = cli.invoke(app, ["retag"])
    assert result.stderr.strip().splitlines()[-1] == (
        "retagged 3 articles: tags 0 added, 0 removed, 0 changed; watch matches 0 added, 0 removed"
    )


def test_empty_database_says_so(cli: CliRunner, store: Store) -> None:
    """With nothing stored the command says so and exits 0."""
    result = cli.invoke(app, ["retag"])
    assert result.exit_code == 0, result.output
    assert "no articles stored: nothing to retag" in result.stderr


def test_nothing_in_the_window_says_so(cli: CliRunner, seeded: dict[str, int]) -> None:
    """A --since after every article names the window."""
    result = cli.invoke(app, ["retag", "--since", "30m"])
    assert result.exit_code == 0, result.output
    assert "no articles stored since 30m: nothing to retag" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "yesterday"], "--since: 'yesterday' is neither an ISO date"),
    ],
)
def test_bad_since_is_one_line(cli: CliRunner, args: list[str], says: str) -> None:
    """A bad --since is refused with one line naming it, no traceback."""
    result = cli.invoke(app, ["retag", *args])
    assert result.exit_code == 1
    assert says in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_bad_vocabulary_file_is_refused_with_its_place(
    cli: CliRunner, new_config: Path, seeded: dict[str, int]
) -> None:
    """A broken vocabulary file stops retag before anything changes, naming file and key."""
    (new_config.parent / "minerals.toml").write_text(
        '[[issue]]\nid = "Rare Earths"\nname = "x"\n', encoding="utf-8"
    )
    result = cli.invoke(app, ["retag"])
    assert result.exit_code == 1
    assert "minerals.toml:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_unmigrated_database_is_refused(
    tmp_path: Path, new_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that is not at the newest migration is refused with what to run."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("MONITOR_CONFIG", str(new_config))
    result = CliRunner().invoke(app, ["retag"])
    assert result.exit_code == 1
    assert "monitor db upgrade" in result.stderr


def test_batches_cover_the_scope_and_skip_later_articles(
    store: Store, seeded: dict[str, int], new_config: Path, old_config: Path
) -> None:
    """Batches of one still visit every article once; one stored after the scope was taken
    (the running daemon's) is left alone."""
    tagger, watches = compile_config(load_config(new_config))
    scope = store.retag_scope()
    late = _store_as_daemon(store, old_config, MAGNETS.replace("Tuesday", "Friday"), NOW, "g4")
    seen: list[int] = []
    totals = retag(
        store, tagger, watches, scope, batch=1, progress=lambda counts: seen.append(counts.articles)
    )
    assert seen == [1, 1, 1]
    assert totals.articles == 3
    tags = _rows(store, ArticleTagRow, "article_id", "tag_id")
    assert (late, "fentanyl") in tags
    assert (late, "rare-earths") not in tags


def test_changed_tags_are_updated_in_place(
    store: Store, seeded: dict[str, int], old_config: Path
) -> None:
    """A tag whose count or evidence differs is rewritten, not duplicated."""
    tagger, watches = compile_config(load_config(old_config))
    columns = ("article_id", "tag_id", "count", "evidence", "evidence_start", "matched_at")
    fresh = _rows(store, ArticleTagRow, *columns)
    assert {row[:2] for row in fresh} == {
        (seeded["magnets"], "fentanyl"),
        (seeded["powder"], "fentanyl"),
    }
    with store.db.write() as s:
        s.connection().execute(
            sa.update(ArticleTagRow.__table__).values(count=99, evidence="stale")  # type: ignore[attr-defined]
        )
    totals = retag(store, tagger, watches, store.retag_scope())
    assert totals.tags_changed == 2
    assert (totals.tags_added, totals.tags_removed) == (0, 0)
    assert _rows(store, ArticleTagRow, *columns) == fresh


def test_watches_no_longer_configured_keep_their_matches(
    store: Store, seeded: dict[str, int], new_config: Path
) -> None:
    """Only configured watches are recomputed: another watch's rows stay."""
    with store.db.write() as s:
        s.add(
            WatchMatchRow(
                watch="retired",
                article_id=seeded["weather"],
                story_id=seeded["weather"],
                matched_at=OLD,
            )
        )
    tagger, watches = compile_config(load_config(new_config))
    retag(store, tagger, watches, store.retag_scope())
    assert ("retired", seeded["weather"]) in _rows(store, WatchMatchRow, "watch", "article_id")
