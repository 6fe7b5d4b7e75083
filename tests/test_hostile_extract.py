"""Pages trafilatura is slow on time out alone: other feeds' pages are extracted, every feed
keeps its health, the cycle ends normally (a real loopback site, real worker processes)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, STORY, STORY2, Entry, page, rss, settings, write_config

from monitor.app import Tuning, prepare, running
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.pipeline import PipelineOptions
from monitor.store import Store
from monitor.store.models import ArticleRow

# 300,000 <br> (1.2 MB): trafilatura needs over 10 s on it here (4.8 MB of them: about a
# minute), far over the test's 1 s page timeout.
SLOW_PAGE = b"<html><body><p>start</p>" + b"<br>" * 300_000 + b"</body></html>"
TUNING = Tuning(extract_workers=2, fetch_deadline=5.0, pipeline=PipelineOptions(page_timeout=1.0))


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1."""
    with HTTPTestServer("127.0.0.1") as server:
        yield server


@pytest.mark.slow
async def test_slow_pages_time_out_alone(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """Two feeds each link a page trafilatura is slow on, beside three feeds of normal
    pages: the slow pages fall back to their teasers, every normal page is extracted, and
    every feed's poll is recorded as a success."""
    feeds = []
    for f in range(5):
        entries = [
            Entry(f"{f}-{i}", site.url(f"/f{f}/story-{i}"), f"Story {f}.{i}") for i in range(4)
        ]
        if f < 2:
            entries.append(Entry(f"{f}-slow", site.url(f"/f{f}/slow"), f"Slow {f}"))
            site.route(f"/f{f}/slow", body=SLOW_PAGE, headers=HTML)
        for i in range(4):
            site.route(
                f"/f{f}/story-{i}",
                headers=HTML,
                body=page(f"Story {f}.{i}", STORY if i % 2 else STORY2),
            )
        site.route(f"/f{f}.xml", body=rss(f"Feed {f}", entries), headers=RSS)
        feeds.append((f"feed-{f}", site.url(f"/f{f}.xml")))
    path = write_config(tmp_path / "feeds.toml", feeds)
    prepared = prepare(settings(path, store.db.url), load_config(path))
    async with running(prepared, store, TUNING) as rt:
        report = await Daemon(rt).run_once()
    assert (report.feeds, report.failed, report.stored) == (5, 0, 22)
    art = ArticleRow.__table__.c  # type: ignore[attr-defined]
    with store.db.read() as s:
        texts = dict(s.connection().execute(sa.select(art.url, art.text)).all())
    for f in range(5):
        for i in range(4):
            assert "Most read" not in texts[site.url(f"/f{f}/story-{i}")]
            assert (
                STORY2[0] in texts[site.url(f"/f{f}/story-{i}")]
                or STORY[0] in texts[site.url(f"/f{f}/story-{i}")]
            )
    for f in range(2):
        assert texts[site.url(f"/f{f}/slow")] == "Read the full story on our website."
    health = {h.name: h for h in store.feed_health()}
    assert all(h.last_status == 200 and h.consecutive_errors == 0 for h in health.values())


@pytest.mark.slow
def test_run_once_with_pages_over_the_page_timeout(tmp_path: Path, site: HTTPTestServer) -> None:
    """`monitor run --once` (a real process, a worker per core, MONITOR_EXTRACT_TIMEOUT=2)
    with two pages of 1.2 MB of `<br>` (over ten seconds of trafilatura each) ahead of six
    normal ones: exit 0, no traceback, every feed's health recorded, every normal page
    extracted."""
    from test_run_cli import env, monitor, stored

    db_url = f"sqlite:///{tmp_path / 'monitor.db'}"  # the database plays no part here
    feeds = []
    for f in range(3):
        entries = [
            Entry(f"{f}-{i}", site.url(f"/f{f}/story-{i}"), f"Story {f}.{i}") for i in range(2)
        ]
        if f < 2:  # one slow page per worker: the normal pages queue behind them
            entries.append(Entry(f"{f}-slow", site.url(f"/slow-{f}"), "Slow"))
        for i in range(2):  # served late, so that the slow pages hold the workers first
            site.route(
                f"/f{f}/story-{i}",
                headers=HTML,
                delay=1.0,
                body=page(f"Story {f}.{i}", STORY if i % 2 else STORY2),
            )
        site.route(f"/f{f}.xml", body=rss(f"Feed {f}", entries), headers=RSS)
        feeds.append((f"feed-{f}", site.url(f"/f{f}.xml")))
    for f in range(2):
        site.route(
            f"/slow-{f}",
            headers=HTML,
            body=b"<html><body><p>start</p>" + b"<br>" * 300_000 + b"</body></html>",
        )
    environ = env(write_config(tmp_path / "feeds.toml", feeds), db_url)
    environ["MONITOR_EXTRACT_TIMEOUT"] = "2"
    done = monitor(["run", "--once"], environ, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "never retrieved" not in done.stderr
    assert "polled 3 feeds (0 failed), stored 8 articles" in " ".join(done.stderr.split())
    texts = {row.url: row.text for row in stored(db_url, ArticleRow)}
    assert (
        texts[site.url("/slow-0")]
        == texts[site.url("/slow-1")]
        == ("Read the full story on our website.")
    )
    assert sum(STORY[0] in t or STORY2[0] in t for t in texts.values()) == 6
    shown = monitor(["feeds", "--format", "json"], environ)
    health = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [(h["last_status"], h["consecutive_errors"]) for h in health] == [(200, 0)] * 3
