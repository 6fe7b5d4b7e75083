"""The interval is a promise: next polls and their reasons, `--once` and leases, on a real
local server and both databases."""

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, STORY, Entry, page, rss, settings

from monitor.app import Tuning, prepare, running
from monitor.clock import utcnow
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.owner import process_owner
from monitor.pipeline import PipelineOptions
from monitor.store import Store
from monitor.types import FeedHealth

TUNING = Tuning(
    extract_workers=1,
    fetch_deadline=2.0,
    tick=timedelta(seconds=0.2),
    drain_timeout=10.0,
    pipeline=PipelineOptions(page_timeout=10.0),
)


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1."""
    with HTTPTestServer("127.0.0.1") as server:
        yield server


def feeds_toml(path: Path, feeds: list[tuple[str, str, str]]) -> Path:
    """A feeds.toml of (name, url, extra TOML lines) feeds, pages not fetched."""
    path.write_text(
        "".join(
            f'[[feed]]\nname = "{n}"\nurl = "{u}"\nfull_text = false\n{x}\n\n' for n, u, x in feeds
        ),
        encoding="utf-8",
    )
    return path


async def once(
    tmp_path: Path, store: Store, feeds: list[tuple[str, str, str]], *, force: bool = False
) -> None:
    """One `--once` cycle over `feeds`."""
    path = feeds_toml(tmp_path / "feeds.toml", feeds)
    prepared = prepare(settings(path, store.db.url), load_config(path))
    async with running(prepared, store, TUNING) as rt:
        await Daemon(rt).run_once(force=force)


async def wait_for(check: Callable[[], bool], limit: float = 20.0) -> None:
    """Poll `check()` until true."""
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.05)


def health(store: Store, name: str) -> FeedHealth:
    """The feed's row in `monitor feeds`."""
    return next(h for h in store.feed_health() if h.name == name)


def hourly(site: HTTPTestServer, count: int = 5) -> bytes:
    """A feed whose items came an hour apart, the last just now."""
    now = utcnow()
    return rss(
        "Hourly",
        [
            Entry(f"h-{i}", site.url(f"/h{i}"), f"Item {i}", published=now - timedelta(hours=i))
            for i in range(count)
        ],
    )


async def test_a_sparse_feed_keeps_its_interval(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """Items an hour apart do not stretch `interval = "1m"`: the next poll is within a minute
    of the last, for the reason "interval"."""
    site.route("/hourly.xml", body=hourly(site), headers=RSS)
    await once(tmp_path, store, [("hourly", site.url("/hourly.xml"), 'interval = "1m"')])
    h = health(store, "hourly")
    assert h.last_status == 200
    assert h.next_poll is not None
    assert h.last_success is not None
    assert timedelta(0) < h.next_poll - h.last_success <= timedelta(minutes=1)
    assert h.next_poll_reason == "interval"


async def test_auto_adapts_within_its_bounds(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """`interval = "auto"`: a feed publishing daily is polled within its max_interval (2h),
    one publishing every minute no faster than its min_interval (10m)."""
    now = utcnow()
    site.route(
        "/daily.xml",
        headers=RSS,
        body=rss(
            "Daily",
            [
                Entry(f"d-{i}", site.url(f"/d{i}"), "D", published=now - timedelta(days=i))
                for i in range(4)
            ],
        ),
    )
    site.route(
        "/busy.xml",
        headers=RSS,
        body=rss(
            "Busy",
            [
                Entry(f"b-{i}", site.url(f"/b{i}"), "B", published=now - timedelta(minutes=i))
                for i in range(20)
            ],
        ),
    )
    await once(
        tmp_path,
        store,
        [
            ("daily", site.url("/daily.xml"), 'interval = "auto"\nmax_interval = "2h"'),
            ("busy", site.url("/busy.xml"), 'interval = "auto"\nmin_interval = "10m"'),
        ],
    )
    daily, busy = health(store, "daily"), health(store, "busy")
    assert daily.next_poll is not None
    assert daily.last_success is not None
    assert busy.next_poll is not None
    assert busy.last_success is not None
    assert daily.next_poll - daily.last_success <= timedelta(hours=2)
    assert busy.next_poll - busy.last_success <= timedelta(minutes=10)
    assert (daily.auto, daily.max_interval, busy.interval) == (
        True,
        timedelta(hours=2),
        timedelta(minutes=10),
    )
    assert daily.next_poll_reason == busy.next_poll_reason == "interval"


async def test_cache_control_pushes_the_poll_later_up_to_its_cap(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """max-age=7200 on a 1m feed: the next poll is an hour out (the cap), reason "ttl"."""
    site.route(
        "/cached.xml", body=hourly(site), headers={**RSS, "cache-control": "public, max-age=7200"}
    )
    await once(tmp_path, store, [("cached", site.url("/cached.xml"), 'interval = "1m"')])
    h = health(store, "cached")
    assert h.next_poll is not None
    assert h.last_success is not None
    assert abs(h.next_poll - h.last_success - timedelta(hours=1)) < timedelta(seconds=5)
    assert h.next_poll_reason == "ttl"


async def test_once_honours_retry_after_and_backoff_unless_forced(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """A 429 with Retry-After: 3600 and a failing 500 are left alone by the next `--once`
    (reasons retry-after and backoff); `--force` polls them."""
    site.route("/limited.xml", status=429, headers={"retry-after": "3600"})
    site.route("/down.xml", status=500)
    feeds = [("limited", site.url("/limited.xml"), ""), ("down", site.url("/down.xml"), "")]
    await once(tmp_path, store, feeds)
    assert health(store, "limited").next_poll_reason == "retry-after"
    assert health(store, "down").next_poll_reason == "backoff"
    await once(tmp_path, store, feeds)
    assert (len(site.hits("/limited.xml")), len(site.hits("/down.xml"))) == (1, 1)
    await once(tmp_path, store, feeds, force=True)
    assert (len(site.hits("/limited.xml")), len(site.hits("/down.xml"))) == (2, 2)


async def test_a_poll_cut_off_by_the_drain_releases_its_feed(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """Stopped mid-poll with a drain shorter than the page, the daemon gives the feed back:
    the next `--once` polls it at once and stores the article."""
    site.route(
        "/news.xml", headers=RSS, body=rss("News", [Entry("n-1", site.url("/slow"), "Slow")])
    )
    site.route("/slow", body=page("Slow", STORY), headers=HTML, delay=4.0)
    path = tmp_path / "feeds.toml"
    path.write_text(f'[[feed]]\nname = "news"\nurl = "{site.url("/news.xml")}"\n', encoding="utf-8")
    prepared = prepare(settings(path, store.db.url), load_config(path))
    stop = asyncio.Event()
    async with running(prepared, store, replace(TUNING, drain_timeout=0.5)) as rt:
        task = asyncio.create_task(Daemon(rt).run(stop))
        await wait_for(lambda: bool(site.hits("/slow")))
        stop.set()
        await asyncio.wait_for(task, 15)
    assert health(store, "news").last_status is None  # the poll never finished
    site.route("/slow", body=page("Slow", STORY), headers=HTML)
    async with running(prepared, store, TUNING) as rt:
        report = await Daemon(rt).run_once()
    assert (report.feeds, report.stored) == (1, 1)


async def test_leases_of_a_dead_process_are_taken_over_and_live_ones_kept(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """A feed leased (for 15 minutes) by a process that has exited is polled by `--once`
    at once; one leased by a live process is left to it."""
    site.route("/a.xml", body=rss("A", []), headers=RSS)
    site.route("/b.xml", body=rss("B", []), headers=RSS)
    feeds = [("a", site.url("/a.xml"), ""), ("b", site.url("/b.xml"), "")]
    prepared = prepare(
        settings(feeds_toml(tmp_path / "feeds.toml", feeds), store.db.url),
        load_config(tmp_path / "feeds.toml"),
    )
    store.sync_feeds(prepared.config.feeds, utcnow())
    gone = await asyncio.create_subprocess_exec("true")
    await gone.wait()
    place = process_owner().rsplit(":", 2)[0]
    [a] = store.claim_due_feeds(utcnow(), 1, timedelta(minutes=15), owner=f"{place}:{gone.pid}:1/x")
    [b] = store.claim_due_feeds(
        utcnow(), 1, timedelta(minutes=15), owner=f"{process_owner()}/other"
    )
    assert (a.name, b.name) == ("a", "b")
    async with running(prepared, store, TUNING) as rt:
        report = await Daemon(rt).run_once()
    assert report.feeds == 1
    assert (len(site.hits("/a.xml")), len(site.hits("/b.xml"))) == (1, 0)


async def test_a_running_poll_keeps_its_short_lease(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """A 2 s lease is renewed every tick while its poll runs (5 s of slow page): no other
    process can claim the feed meanwhile, and it is polled once."""
    site.route(
        "/news.xml", headers=RSS, body=rss("News", [Entry("n-1", site.url("/slow"), "Slow")])
    )
    site.route("/slow", body=page("Slow", STORY), headers=HTML, delay=5.0)
    path = tmp_path / "feeds.toml"
    path.write_text(f'[[feed]]\nname = "news"\nurl = "{site.url("/news.xml")}"\n', encoding="utf-8")
    prepared = prepare(settings(path, store.db.url), load_config(path))
    stop = asyncio.Event()
    tuning = replace(TUNING, lease=timedelta(seconds=2), fetch_deadline=10.0)
    async with running(prepared, store, tuning) as rt:
        task = asyncio.create_task(Daemon(rt).run(stop))
        await wait_for(lambda: bool(site.hits("/slow")))
        await asyncio.sleep(3.0)  # past the first lease, the page not yet answered
        stolen = await asyncio.to_thread(
            store.claim_due_feeds, utcnow(), 5, timedelta(minutes=1), owner="elsewhere:1:1"
        )
        await wait_for(lambda: health(store, "news").last_status == 200)
        stop.set()
        await asyncio.wait_for(task, 15)
    assert stolen == []
    assert len(site.hits("/news.xml")) == 1


async def test_a_304_is_logged_at_info_as_unchanged(
    tmp_path: Path, store: Store, site: HTTPTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The second poll of an unchanged feed logs `feed.unchanged` at INFO (what -v shows)."""
    site.route("/news.xml", body=rss("News", []), headers=RSS, etag='"v1"')
    feeds = [("news", site.url("/news.xml"), "")]
    await once(tmp_path, store, feeds)
    with caplog.at_level(logging.INFO, logger="monitor"):
        await once(tmp_path, store, feeds)
    unchanged = [r for r in caplog.records if r.getMessage().startswith("feed.unchanged")]
    assert [r.levelno for r in unchanged] == [logging.INFO]
    assert health(store, "news").last_status == 304


@pytest.mark.slow
def test_force_without_once_is_a_one_line_error(tmp_path: Path) -> None:
    """`monitor run --force` is refused with one line naming the fix, exit 1."""
    path = feeds_toml(tmp_path / "feeds.toml", [])
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(MONITOR_CONFIG=str(path), MONITOR_DATABASE_URL=f"sqlite:///{tmp_path}/m.db")
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--force"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "--force goes with --once" in done.stderr
    assert "Traceback" not in done.stderr
