"""Reload: a real `monitor run` re-reads feeds.toml on `monitor reload` and SIGHUP while a
poll is in flight; a bad file is refused and the running configuration goes on."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alerts_support import SECRET, WebhookReceiver
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, STORY, STORY2, Entry, page, rss, settings
from test_crash import STORY3
from test_daemon import TUNING, wait_for
from test_stranded import start, wait

from monitor.app import prepare, running
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.store import Database, Store
from monitor.store.models import ArticleRow, FeedRow, OutboxRow, WatchMatchRow


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """Three feeds: `fast` (Taiwan), `slow` whose one page takes 15 s (fentanyl), and
    `later` (export controls), which only the reloaded configuration names."""
    with HTTPTestServer("127.0.0.1") as server:
        server.route(
            "/fast.xml",
            headers=RSS,
            body=rss("Fast", [Entry("f-1", server.url("/taiwan"), "Minister warns on Taiwan")]),
        )
        server.route("/taiwan", headers=HTML, body=page("Minister warns on Taiwan", STORY))
        server.route(
            "/slow.xml",
            headers=RSS,
            body=rss(
                "Slow", [Entry("s-1", server.url("/fentanyl"), "Customs checks for fentanyl")]
            ),
        )
        server.route("/fentanyl", headers=HTML, body=page("Customs checks", STORY2), delay=15.0)
        server.route(
            "/later.xml",
            headers=RSS,
            body=rss("Later", [Entry("l-1", server.url("/chips"), "New export controls on chips")]),
        )
        server.route("/chips", headers=HTML, body=page("New export controls", STORY3))
        yield server


def _config(
    path: Path, site: HTTPTestServer, feeds: list[str], watches: str, head: str = ""
) -> None:
    path.write_text(
        head
        + "".join(f'[[feed]]\nname = "{n}"\nurl = "{site.url(f"/{n}.xml")}"\n\n' for n in feeds)
        + watches,
        encoding="utf-8",
    )


def _rows(db_url: str, query: sa.Select[tuple[object, ...]]) -> list[tuple[object, ...]]:
    db = Database(db_url)
    try:
        with db.read() as s:
            return [tuple(r) for r in s.connection().execute(query).all()]
    finally:
        db.dispose()


def _matches(db_url: str) -> set[tuple[str, str]]:
    """(watch, feed) of every stored match."""
    m, a, f = (
        WatchMatchRow.__table__,
        ArticleRow.__table__,  # type: ignore[attr-defined]
        FeedRow.__table__,
    )  # type: ignore[attr-defined]
    return {
        (str(w), str(n))
        for w, n in _rows(
            db_url,
            sa.select(m.c.watch, f.c.name)
            .join(a, a.c.id == m.c.article_id)
            .join(f, f.c.id == a.c.feed_id),
        )
    }


def _enabled(db_url: str) -> dict[str, bool]:
    f = FeedRow.__table__  # type: ignore[attr-defined]
    return {str(n): bool(e) for n, e in _rows(db_url, sa.select(f.c.name, f.c.enabled))}


def _reload_cli(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "reload", "--wait", "40"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.mark.slow
def test_reload_refuses_a_bad_file_then_takes_a_good_one_while_a_poll_runs(
    tmp_path: Path, site: HTTPTestServer, db_url: str
) -> None:
    """While the slow feed's page is being fetched: `monitor reload` with an unknown id in a
    watch is refused (file, line and key in the daemon's log and the command's error, exit
    1); then SIGHUP with a good file adds a feed and two watches and drops a feed. The poll
    in flight ends and stores its article; the new feed is polled and matched by its new
    watch; the new fentanyl watch fills from the stored article without alerting. On SQLite
    and PostgreSQL."""
    config, log = tmp_path / "feeds.toml", tmp_path / "daemon.log"
    _config(config, site, ["fast", "slow"], '[[watch]]\nname = "taiwan"\nquery = "issue:taiwan"\n')
    proc = start(config, db_url, log, uuid.uuid4().hex)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(MONITOR_CONFIG=str(config), MONITOR_DATABASE_URL=db_url)

    def text() -> str:
        return log.read_text(errors="replace")

    try:
        assert wait(lambda: site.hits("/fentanyl"), 60), text()[-3000:]
        assert wait(lambda: ("taiwan", "fast") in _matches(db_url), 30), text()[-3000:]

        _config(
            config,
            site,
            ["fast", "slow"],
            '[[watch]]\nname = "taiwan"\n'
            'query = "issue:taiwan"\n\n[[watch]]\nname = "bad"\n'
            'query = "actor:nobody-at-all"\n',
        )
        refused = _reload_cli(environ)
        assert refused.returncode == 1, refused
        assert "refused" in refused.stderr
        assert "nobody-at-all" in refused.stderr
        assert f"{config}:" in refused.stderr
        assert "watch[1].query" in refused.stderr
        assert "config.reload_refused" in text()
        assert "watch[1].query" in text()
        assert proc.poll() is None

        (tmp_path / "extra.toml").write_text(
            '[[issue]]\nid = "chipmaking"\nname = "Chipmaking"\naliases = ["semiconductors"]\n',
            encoding="utf-8",
        )
        _config(
            config,
            site,
            ["slow", "later"],
            '[[watch]]\nname = "taiwan"\n'
            'query = "issue:taiwan"\n\n[[watch]]\nname = "chips"\n'
            'query = "issue:export-controls"\n\n[[watch]]\nname = "drugs"\n'
            'query = "issue:fentanyl"\nbackfill = "30d"\n\n[[watch]]\nname = "semis"\n'
            'query = "mention:chipmaking"\n',
            head='vocabulary = ["extra.toml"]\n\n',
        )
        assert not any(w == "drugs" for w, _ in _matches(db_url))
        assert len(site.hits("/fentanyl")) == 1  # still the first fetch, in flight
        proc.send_signal(signal.SIGHUP)
        assert wait(lambda: "config.reloaded source=SIGHUP" in text(), 30), text()[-3000:]

        assert wait(lambda: ("chips", "later") in _matches(db_url), 40), text()[-3000:]
        assert wait(lambda: ("drugs", "slow") in _matches(db_url), 40), text()[-3000:]
        assert ("semis", "later") in _matches(db_url)  # the new vocabulary file tags it
        assert _enabled(db_url) == {"fast": False, "slow": True, "later": True}
        assert len(site.hits("/fentanyl")) == 1  # the poll in flight was not restarted
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _rows(db_url, sa.select(sa.func.count()).select_from(OutboxRow.__table__)) == [(0,)]  # type: ignore[attr-defined]
    assert "monitor: reloaded" in text()
    assert "(added later, removed fast)" in text()


@pytest.mark.slow
def test_reload_without_a_daemon_says_so(tmp_path: Path, db_url: str) -> None:
    """`monitor reload` with no daemon on the database waits, then says what to check."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(MONITOR_DATABASE_URL=db_url, MONITOR_CONFIG=str(tmp_path / "feeds.toml"))
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "reload", "--wait", "0.5"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "no daemon answered" in done.stderr
    assert "Traceback" not in done.stderr


async def test_reload_adds_a_channel_then_moves_it(
    tmp_path: Path, site: HTTPTestServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon started without channels gets one by reload and alerts through it; a second
    reload points the channel at another receiver, which gets the next alert (and the first
    receiver nothing more)."""
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    site.route("/fentanyl", headers=HTML, body=page("Customs checks", STORY2))  # not slow
    config = tmp_path / "feeds.toml"
    taiwan = '[[watch]]\nname = "taiwan"\nquery = "issue:taiwan"\n'
    _config(config, site, ["fast"], taiwan)
    prepared = prepare(settings(config, store.db.url), load_config(config))
    stop = asyncio.Event()
    with WebhookReceiver() as first, WebhookReceiver() as second:

        def hook(url: str) -> str:
            return (
                f'\n[channel.hook]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "HOOK_SECRET"\n'
            )

        async with running(prepared, store, TUNING) as rt:
            daemon = Daemon(rt)
            task = asyncio.create_task(daemon.run(stop))
            await wait_for(lambda: bool(store.watch_matches("taiwan")))
            _config(
                config,
                site,
                ["fast", "later"],
                taiwan + '\n[[watch]]\nname = "chips"\n'
                'query = "issue:export-controls"\nnotify = ["hook"]\n' + hook(first.url()),
            )
            daemon.request_reload("test")
            await wait_for(lambda: len(first.deliveries) >= 1, 30)
            _config(
                config,
                site,
                ["fast", "later", "slow"],
                taiwan + '\n[[watch]]\nname = "drugs"\nquery = "issue:fentanyl"\n'
                'notify = ["hook"]\n' + hook(second.url()),
            )
            daemon.request_reload("test")
            await wait_for(lambda: len(second.deliveries) >= 1, 30)
            stop.set()
            await asyncio.wait_for(task, 30)
    assert [d.payload["data"]["watch"] for d in first.deliveries] == ["chips"]
    assert [d.payload["data"]["watch"] for d in second.deliveries] == ["drugs"]
    assert all(d.verified for d in first.deliveries + second.deliveries)
