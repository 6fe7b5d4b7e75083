"""Nothing stranded: a real `monitor run` killed with SIGKILL mid-poll, SIGHUP, and the
extraction workers of a daemon that is gone."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import marked_processes
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, STORY, Entry, page, rss, write_config

from monitor.store import Database
from monitor.store.models import ArticleRow

MARK = "MONITOR_TEST_DAEMON"


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1 whose one story page is slow."""
    with HTTPTestServer("127.0.0.1") as server:
        server.route(
            "/news.xml",
            headers=RSS,
            body=rss("News", [Entry("n-1", server.url("/slow"), "Minister warns")]),
        )
        server.route("/slow", body=page("Minister warns", STORY), headers=HTML, delay=60.0)
        yield server


def start(config: Path, db_url: str, log: Path, mark: str) -> subprocess.Popen[bytes]:
    """`monitor -v run` as a real process, its output in `log`, `mark` in its environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(
        MONITOR_CONFIG=str(config),
        MONITOR_DATABASE_URL=db_url,
        MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
        **{MARK: mark},
    )
    if "MONITOR_TEST_SESSION" in os.environ:
        environ["MONITOR_TEST_SESSION"] = os.environ["MONITOR_TEST_SESSION"]
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "-v", "run"],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait(predicate: Callable[[], object], timeout: float) -> bool:
    """Poll `predicate()` until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())


def articles(db_url: str) -> int:
    """How many articles are stored."""
    db = Database(db_url)
    try:
        with db.read() as s:
            return int(
                s.connection()
                .execute(sa.select(sa.func.count()).select_from(ArticleRow.__table__))
                .scalar_one()
            )
    finally:
        db.dispose()


@pytest.mark.slow
def test_sigkill_mid_poll_then_restart_polls_at_once_and_leaves_no_worker(
    tmp_path: Path, site: HTTPTestServer, db_url: str
) -> None:
    """A daemon killed with SIGKILL while its page is being fetched leaves no extraction
    worker running, and its 15-minute lease does not hold the next start: it polls the
    feed in its first tick and stores the article. On SQLite and PostgreSQL."""
    config = write_config(tmp_path / "feeds.toml", [("news", site.url("/news.xml"))])
    first_mark, log1, log2 = uuid.uuid4().hex, tmp_path / "first.log", tmp_path / "second.log"
    first = start(config, db_url, log1, first_mark)
    try:
        assert wait(lambda: site.hits("/slow"), 60), log1.read_text(errors="replace")[-3000:]
        workers = [p for p in marked_processes(first_mark, MARK) if p != first.pid]
        assert workers, "the daemon started no extraction worker"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert wait(lambda: not marked_processes(first_mark, MARK), 10), [
        Path(f"/proc/{p}/cmdline").read_bytes() for p in marked_processes(first_mark, MARK)
    ]

    site.route("/slow", body=page("Minister warns", STORY), headers=HTML)
    restarted = time.monotonic()
    second = start(config, db_url, log2, uuid.uuid4().hex)
    try:
        # well inside the 15-minute lease, with room for a slow start on a loaded machine
        assert wait(lambda: articles(db_url) == 1, 120), log2.read_text(errors="replace")[-3000:]
        assert time.monotonic() - restarted < 120
        assert len(site.hits("/news.xml")) == 2
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()


@pytest.mark.slow
def test_sighup_leaves_the_daemon_running(tmp_path: Path) -> None:
    """SIGHUP reloads the configuration and the daemon keeps running; it prints one start
    line, and on SIGTERM a line saying it stops, then exits 0."""
    with HTTPTestServer("127.0.0.1") as server:
        server.route("/news.xml", headers=RSS, body=rss("News", []))
        config = write_config(tmp_path / "feeds.toml", [("news", server.url("/news.xml"))])
        log = tmp_path / "daemon.log"
        proc = start(config, f"sqlite:///{tmp_path / 'm.db'}", log, uuid.uuid4().hex)
        try:
            assert wait(lambda: server.hits("/news.xml"), 60), log.read_text()[-3000:]
            proc.send_signal(signal.SIGHUP)
            assert wait(lambda: "config.reloaded source=SIGHUP" in log.read_text(), 30), (
                log.read_text()[-3000:]
            )
            assert proc.poll() is None, log.read_text()[-3000:]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text()
    starts = [line for line in text.splitlines() if line.startswith("monitor: 1 feed,")]
    assert len(starts) == 1, text
    assert "0 watches, 0 channels; database sqlite:///" in starts[0]
    assert "monitor: stopping (SIGTERM)" in text
    assert "alembic" not in text
    assert "apscheduler" not in text


BUSY_DAEMON = """
import asyncio, os, sys
from monitor.extract import ExtractorPool
from sleeper import nap

async def main():
    async with ExtractorPool(2, target=nap) as pool:
        jobs = [asyncio.ensure_future(pool.extract(b"<p>x</p>", None, timeout=300))
                for _ in range(2)]
        await asyncio.sleep(2)  # both workers are inside nap()
        print(" ".join(str(p) for p in pool.worker_pids()), flush=True)
        await asyncio.gather(*jobs)

asyncio.run(main())
"""


@pytest.mark.slow
def test_busy_extraction_workers_end_when_their_daemon_is_killed(tmp_path: Path) -> None:
    """Workers in the middle of a (long) extraction end within seconds of a SIGKILL of the
    process that owns the pool: they watch it."""
    (tmp_path / "sleeper.py").write_text(
        "import time\n\ndef nap(html, url):\n    time.sleep(120)\n", encoding="utf-8"
    )
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, "-c", BUSY_DAEMON], env=environ, stdout=subprocess.PIPE, text=True
    )
    workers: list[int] = []
    try:
        assert proc.stdout is not None
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert len(workers) == 2
        assert all(Path(f"/proc/{p}").exists() for p in workers)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        gone = wait(
            lambda: (
                not any(
                    Path(f"/proc/{p}/stat").exists()
                    and ") Z" not in Path(f"/proc/{p}/stat").read_text()
                    for p in workers
                )
            ),
            10,
        )
        assert gone, "extraction workers outlived their daemon"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        for pid in workers:  # ours: never leave them running, even when the test fails
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_ctrl_c_during_once_releases_the_feed_for_the_next_once(
    tmp_path: Path, site: HTTPTestServer
) -> None:
    """Ctrl-C while `run --once` waits on a slow page: one line, exit 130, no traceback;
    the next `--once` polls the feed at once and stores the article."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path / "feeds.toml", [("news", site.url("/news.xml"))])
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(
        MONITOR_CONFIG=str(config),
        MONITOR_DATABASE_URL=db_url,
        MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    command = [sys.executable, "-m", "monitor", "run", "--once"]
    proc = subprocess.Popen(
        command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert wait(lambda: site.hits("/slow"), 60)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    site.route("/slow", body=page("Minister warns", STORY), headers=HTML)
    again = subprocess.run(
        command, env=environ, capture_output=True, text=True, timeout=120, check=False
    )
    assert again.returncode == 0, again.stderr
    assert "polled 1 feed (0 failed), stored 1 article" in again.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_poll_cut_off_by_sigterm_or_ctrl_c_is_polled_by_the_next_once(
    tmp_path: Path, site: HTTPTestServer, sig: signal.Signals
) -> None:
    """SIGTERM or Ctrl-C while a page takes longer than the 20 s drain: the daemon exits 0
    with the poll cut off, and the next `--once` polls the feed at once and stores it."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path / "feeds.toml", [("news", site.url("/news.xml"))])
    log = tmp_path / "daemon.log"
    proc = start(config, db_url, log, uuid.uuid4().hex)
    try:
        assert wait(lambda: site.hits("/slow"), 60), log.read_text(errors="replace")[-3000:]
        proc.send_signal(sig)
        assert proc.wait(40) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert articles(db_url) == 0
    assert "waiting up to 20s for 1 poll" in log.read_text()
    site.route("/slow", body=page("Minister warns", STORY), headers=HTML)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(
        MONITOR_CONFIG=str(config),
        MONITOR_DATABASE_URL=db_url,
        MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    again = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "polled 1 feed (0 failed), stored 1 article" in again.stderr
