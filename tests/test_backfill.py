"""Watches see the past: a new or changed watch fills from stored articles (no alert unless
asked), and `monitor watches test` shows what a query would have matched, storing nothing."""

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from ingest_site import settings
from test_daemon import TUNING
from typer.testing import CliRunner

from monitor import stories
from monitor.app import compile_config, prepare, running
from monitor.backfill import backfill_watches, definition, try_query
from monitor.cli import app
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.match.query import parse_query
from monitor.match.watches import CompiledWatch, Tagger
from monitor.store import Store
from monitor.store.models import OutboxRow, WatchMatchRow
from monitor.types import FeedSpec, NewArticle, WatchSpec

NOW = datetime.now(UTC).replace(microsecond=0)

FENTANYL = (
    "Customs checks for fentanyl at the ports\n\nCustoms officials announced new "
    "inspections of chemical shipments on Wednesday, saying that precursor chemicals "
    "used to make fentanyl had been found in several containers that arrived at west "
    "coast ports. The agency said fentanyl seizures had doubled."
)
TAIWAN = (
    "Wang Yi warns on Taiwan\n\nChinese Foreign Minister Wang Yi warned on Tuesday that "
    "any move towards independence for Taiwan would meet a firm response, speaking "
    "after a long meeting with a visiting delegation in Beijing. Taiwan, he said, was "
    "the first red line."
)
WEATHER = "Storm warning\n\nHeavy rain is expected across the region on Sunday night."


@cache
def _bundled() -> Tagger:
    from monitor.match import compile_matcher
    from monitor.vocab import load_vocabulary

    return compile_matcher(load_vocabulary([]))


def _config_of(folder: Path, watches: str) -> Path:
    path = folder / "feeds.toml"
    path.write_text(
        '[[feed]]\nname = "wire"\nurl = "https://wire.example/rss.xml"\n\n'
        + watches
        + '\n[channel.hook]\ntype = "webhook"\n'
        'url = "https://hooks.example.org/monitor"\n',
        encoding="utf-8",
    )
    return path


def _store(store: Store, text: str, at: datetime, guid: str) -> int:
    """Store an article as a daemon without watches would (no match, no alert)."""
    title, _, body = text.partition("\n\n")
    url = f"https://wire.example/{guid}"
    stored = store.add_article(
        NewArticle(
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
            tags=_bundled().tag_document(title, body, published=at.date()),
        ),
        [],
        now=at,
    )
    assert stored is not None
    return stored.id


def _watches(tmp_path: Path, text: str) -> list[CompiledWatch]:
    return list(compile_config(load_config(_config_of(tmp_path, text)))[1])


def _matches(store: Store, watch: str) -> set[int]:
    t = WatchMatchRow.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        return {
            int(r[0])
            for r in s.connection().execute(sa.select(t.c.article_id).where(t.c.watch == watch))
        }


def _outbox(store: Store) -> list[tuple[str, str, int, str]]:
    t = OutboxRow.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        return [
            (r.channel, r.watch, int(r.article_id), r.payload)
            for r in s.connection().execute(
                sa.select(t.c.channel, t.c.watch, t.c.article_id, t.c.payload)
            )
        ]


@pytest.fixture
def seeded(store: Store) -> dict[str, int]:
    """Four stored articles: fentanyl 10 days ago and 2 hours ago, Taiwan a day ago, weather."""
    store.sync_feeds([FeedSpec("wire", "https://wire.example/rss.xml")], NOW - timedelta(30))
    return {
        "old": _store(store, FENTANYL, NOW - timedelta(days=10), "g1"),
        "drugs": _store(
            store, FENTANYL.replace("Wednesday", "Friday"), NOW - timedelta(hours=2), "g2"
        ),
        "taiwan": _store(store, TAIWAN, NOW - timedelta(days=1), "g3"),
        "weather": _store(store, WEATHER, NOW - timedelta(hours=1), "g4"),
    }


def test_a_new_watch_fills_from_its_window_without_alerting(
    store: Store, seeded: dict[str, int], tmp_path: Path
) -> None:
    """The default window is 7 days: the recent fentanyl article matches, the 10-day-old one
    does not; no outbox row is written; a second start changes nothing."""
    watches = _watches(
        tmp_path, '[[watch]]\nname = "drugs"\nquery = "issue:fentanyl"\nnotify = ["hook"]\n'
    )
    done = backfill_watches(store, watches, now=NOW)
    assert [(b.watch, b.changed, b.counts.added) for b in done] == [("drugs", False, 1)]
    assert _matches(store, "drugs") == {seeded["drugs"]}
    assert _outbox(store) == []
    assert store.watch_definitions() == {"drugs": definition(watches[0].spec)}
    assert backfill_watches(store, watches, now=NOW) == []
    # the Atom feed and `monitor matches --watch` read these rows
    assert [m.article_id for m in store.watch_matches("drugs")] == [seeded["drugs"]]


def test_the_window_is_per_watch_and_zero_turns_it_off(
    store: Store, seeded: dict[str, int], tmp_path: Path
) -> None:
    """backfill = "30d" reaches the old article; backfill = "0" fills nothing but is
    recorded, so the watch is not new on the next start."""
    watches = _watches(
        tmp_path,
        '[[watch]]\nname = "long"\nquery = "issue:fentanyl"\n'
        'backfill = "30d"\n\n[[watch]]\nname = "off"\n'
        'query = "issue:fentanyl"\nbackfill = "0"\n',
    )
    backfill_watches(store, watches, now=NOW)
    assert _matches(store, "long") == {seeded["old"], seeded["drugs"]}
    assert _matches(store, "off") == set()
    assert set(store.watch_definitions()) == {"long", "off"}


def test_backfill_alerts_writes_one_alert_per_match(
    store: Store, seeded: dict[str, int], tmp_path: Path
) -> None:
    """backfill_alerts = true queues the backfilled matches for the watch's channels, with
    the CONTRACT payload."""
    watches = _watches(
        tmp_path,
        '[[watch]]\nname = "drugs"\nquery = "issue:fentanyl"\n'
        'notify = ["hook"]\nbackfill_alerts = true\n',
    )
    backfill_watches(store, watches, now=NOW)
    rows = _outbox(store)
    assert [(c, w, a) for c, w, a, _ in rows] == [("hook", "drugs", seeded["drugs"])]
    payload = json.loads(rows[0][3])
    assert payload["type"] == "match.created"
    assert payload["data"]["watch"] == "drugs"
    assert payload["data"]["article"]["feed"] == "wire"
    assert payload["data"]["story"] == seeded["old"]  # the recent copy joined its story
    assert any(e["id"] == "fentanyl" for e in payload["data"]["evidence"])


def test_a_changed_watch_redoes_its_window(
    store: Store, seeded: dict[str, int], tmp_path: Path
) -> None:
    """A new query (another hash) adds what it now takes and drops the matches in the window
    it no longer takes; notify changes alone do not count as a change."""
    first = _watches(tmp_path, '[[watch]]\nname = "desk"\nquery = "issue:fentanyl"\n')
    backfill_watches(store, first, now=NOW)
    assert _matches(store, "desk") == {seeded["drugs"]}
    renotified = _watches(
        tmp_path, '[[watch]]\nname = "desk"\nquery = "issue:fentanyl"\nnotify = ["hook"]\n'
    )
    assert backfill_watches(store, renotified, now=NOW) == []
    changed = _watches(tmp_path, '[[watch]]\nname = "desk"\nquery = "actor:wang-yi"\n')
    done = backfill_watches(store, changed, now=NOW)
    assert [(b.changed, b.counts.added, b.counts.removed) for b in done] == [(True, 1, 1)]
    assert _matches(store, "desk") == {seeded["taiwan"]}


def test_a_watch_removed_then_added_back_is_new_again(
    store: Store, seeded: dict[str, int], tmp_path: Path
) -> None:
    """A watch dropped from feeds.toml is forgotten; added back it fills again (the articles
    stored while it was gone included)."""
    drugs = '[[watch]]\nname = "drugs"\nquery = "issue:fentanyl"\n'
    other = '[[watch]]\nname = "other"\nquery = "actor:wang-yi"\n'
    backfill_watches(store, _watches(tmp_path, drugs + other), now=NOW)
    backfill_watches(store, _watches(tmp_path, other), now=NOW)
    assert set(store.watch_definitions()) == {"other"}
    done = backfill_watches(store, _watches(tmp_path, drugs + other), now=NOW)
    assert [b.watch for b in done] == ["drugs"]


def test_articles_stored_after_the_start_are_left_to_the_daemon(
    store: Store, seeded: dict[str, int]
) -> None:
    """The scan stops at the newest id when it started (later articles met the watch in
    the pipeline already)."""
    docs = store.stored_docs(since=NOW - timedelta(days=30), last_id=seeded["drugs"])
    assert [d.id for d in docs] == [seeded["old"], seeded["drugs"]]
    assert any(t.id == "fentanyl" for t in docs[0].tags)


def test_an_article_pruned_since_it_was_read_is_skipped(
    store: Store, seeded: dict[str, int]
) -> None:
    """fill_matches skips an article deleted between the read and the write (a prune)."""
    from monitor.prune import prune

    docs = store.stored_docs(since=NOW - timedelta(days=30))
    prune(store, NOW - timedelta(days=5))  # the 10-day-old article goes
    counts = store.fill_matches("desk", docs, now=NOW)
    assert counts.added == 3
    assert _matches(store, "desk") == set(seeded.values()) - {seeded["old"]}


def test_try_query_counts_per_day_and_keeps_the_newest(
    store: Store, seeded: dict[str, int]
) -> None:
    """try_query finds both fentanyl articles in 30 days, per day stored, newest first, with
    the stored evidence sentence; a word query gets the sentence holding the word."""
    trial = try_query(store, parse_query("issue:fentanyl"), since=NOW - timedelta(days=30))
    assert (trial.examined, trial.matched) == (4, 2)
    assert trial.per_day == {
        (NOW - timedelta(days=10)).date(): 1,
        (NOW - timedelta(hours=2)).date(): 1,
    }
    assert [h.doc.id for h in trial.newest] == [seeded["drugs"], seeded["old"]]
    assert "fentanyl" in trial.newest[0].evidence[0][1].lower()
    words = try_query(store, parse_query('"heavy rain"'), since=NOW - timedelta(days=30))
    assert [h.doc.id for h in words.newest] == [seeded["weather"]]
    assert words.newest[0].evidence == (
        ("heavy rain", "Heavy rain is expected across the region on Sunday night."),
    )


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on the test database and a feeds.toml without watches."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_CONFIG", str(_config_of(tmp_path, "")))
    monkeypatch.setenv("COLUMNS", "80")
    return CliRunner()


def test_watches_test_json_lines_and_nothing_stored(
    cli: CliRunner, store: Store, seeded: dict[str, int]
) -> None:
    """--json prints a line per day and per match with its evidence; no match row appears."""
    result = cli.invoke(
        app, ["watches", "test", "issue:fentanyl OR actor:wang-yi", "--since", "30d", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    days = [x for x in lines if x["type"] == "day"]
    matches = [x for x in lines if x["type"] == "match"]
    assert sum(d["matches"] for d in days) == 3
    assert [m["article"] for m in matches] == [seeded["drugs"], seeded["taiwan"], seeded["old"]]
    assert {e["id"] for e in matches[1]["evidence"]} == {"wang-yi"}
    with store.db.read() as s:
        count = (
            s.connection()
            .execute(sa.select(sa.func.count()).select_from(WatchMatchRow.__table__))
            .scalar_one()
        )  # type: ignore[attr-defined]
    assert count == 0


def test_watches_test_table_fits_80_columns(cli: CliRunner, seeded: dict[str, int]) -> None:
    """The table output: per-day counts and the newest matches, no line over 80 columns."""
    result = cli.invoke(app, ["watches", "test", "issue:fentanyl"])
    assert result.exit_code == 0, result.output
    assert "matches per day" in result.stdout
    assert "Customs checks" in result.stdout
    assert "1 of 3 articles" in result.stderr  # the default window is 7 days
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("actor:nobody-at-all", "unknown actor id 'nobody-at-all'"),
        ("issue:taiwan AND (", "query:"),
    ],
)
def test_watches_test_refuses_a_bad_query_in_one_line(
    cli: CliRunner, query: str, says: str
) -> None:
    """An unknown id or a malformed query is a one-line error with a hint, exit 1."""
    result = cli.invoke(app, ["watches", "test", query])
    assert result.exit_code == 1
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_definition_ignores_whitespace_and_notify() -> None:
    """The definition hash follows the query only."""
    assert definition(WatchSpec("w", "issue:taiwan  AND\nactor:wang-yi")) == definition(
        WatchSpec("w", "issue:taiwan AND actor:wang-yi", ("hook",))
    )
    assert definition(WatchSpec("w", "issue:taiwan")) != definition(WatchSpec("w", None))


async def test_run_once_backfills_a_new_watch_before_polling(
    store: Store, seeded: dict[str, int], tmp_path: Path
) -> None:
    """`monitor run --once` (Daemon.run_once) fills a new watch from stored articles at its
    start, with no feed to poll and no alert written."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feed]]\nname = "wire"\nurl = "https://wire.example/rss.xml"\n'
        'enabled = false\n\n[[watch]]\nname = "desk"\nquery = "actor:wang-yi"\n',
        encoding="utf-8",
    )
    prepared = prepare(settings(path, store.db.url), load_config(path))
    async with running(prepared, store, TUNING) as rt:
        report = await Daemon(rt).run_once()
    assert report.feeds == 0
    assert _matches(store, "desk") == {seeded["taiwan"]}
    assert _outbox(store) == []


def test_a_bad_backfill_is_refused_with_its_place(tmp_path: Path) -> None:
    """`backfill = "soon"` is a config error naming the file, line and key."""
    from monitor.errors import ConfigError

    path = _config_of(
        tmp_path, '[[watch]]\nname = "w"\nquery = "issue:taiwan"\nbackfill = "soon"\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.key == "watch[0].backfill"
    assert raised.value.line == 8
    assert "'soon' is not a duration" in str(raised.value)
    assert load_config(_config_of(tmp_path, '[[watch]]\nname = "w"\n')).watches[
        0
    ].backfill == timedelta(days=7)
