"""`monitor run` and `monitor feeds` as real processes against a real local HTTP server."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, STORY, STORY2, Entry, page, rss, write_config
from late_door import LateDoor

from monitor.store import Database
from monitor.store.models import ArticleRow, OutboxRow

FEED_FIELDS = {
    "name",
    "url",
    "enabled",
    "last_status",
    "last_error",
    "consecutive_errors",
    "last_success",
    "next_poll",
    "next_poll_reason",
}


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1."""
    with HTTPTestServer("127.0.0.1") as server:
        yield server


def env(config: Path, db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `monitor` process for this test."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    out.update(
        MONITOR_CONFIG=str(config),
        MONITOR_DATABASE_URL=db_url,
        MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
        **extra,
    )
    return out


def monitor(
    args: list[str],
    environ: dict[str, str],
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m monitor ARGS` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=environ,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def stored(db_url: str, model: type) -> list[sa.Row[tuple[object, ...]]]:
    """Every row of `model`'s table."""
    db = Database(db_url)
    try:
        with db.read() as s:
            return list(s.connection().execute(sa.select(model.__table__)).all())  # type: ignore[attr-defined]
    finally:
        db.dispose()


@pytest.mark.slow
def test_run_once_then_feeds_json(tmp_path: Path, db_url: str, site: HTTPTestServer) -> None:
    """`run --once` polls, stores, writes alerts and exits 0; `feeds` prints CONTRACT lines."""
    site.route(
        "/news.xml",
        body=rss(
            "News",
            [
                Entry("n-1", site.url("/taiwan"), "Minister warns"),
                Entry("n-2", site.url("/chemicals"), "Inspections"),
            ],
        ),
        headers=RSS,
        etag='"v1"',
    )
    site.route("/taiwan", body=page("Minister warns", STORY), headers=HTML)
    site.route("/chemicals", body=page("Inspections", STORY2), headers=HTML)
    site.route("/down.xml", status=500)
    site.route("/hook", status=204)
    config = write_config(
        tmp_path / "feeds.toml",
        [("news", site.url("/news.xml")), ("down", site.url("/down.xml"))],
        watches=(
            '[[watch]]\nname = "desk"\nquery = "actor:wang-yi"\nnotify = ["hook"]\n\n'
            f'[channel.hook]\ntype = "webhook"\nurl = "{site.url("/hook")}"\n'
        ),
    )
    environ = env(config, db_url)
    done = monitor(["run", "--once"], environ)
    assert done.returncode == 0, done.stderr
    assert "polled 2 feeds (1 failed), stored 2 articles, 1 match, 1 alert attempt in " in (
        " ".join(done.stderr.split())
    )
    assert len(stored(db_url, ArticleRow)) == 2
    [alert] = stored(db_url, OutboxRow)
    assert alert.watch == "desk"
    assert json.loads(alert.payload)["data"]["article"]["url"] == site.url("/taiwan")

    shown = monitor(["feeds", "--format", "json"], environ)
    assert shown.returncode == 0, shown.stderr
    lines = {d["name"]: d for d in map(json.loads, shown.stdout.splitlines())}
    assert set(lines) == {"news", "down"}
    for line in lines.values():
        assert set(line) == FEED_FIELDS
    assert lines["news"]["last_status"] == 200
    assert lines["news"]["enabled"] is True
    assert lines["news"]["last_error"] is None
    assert lines["news"]["last_success"].endswith("Z")
    assert (lines["down"]["last_status"], lines["down"]["consecutive_errors"]) == (500, 1)
    assert lines["down"]["last_success"] is None
    assert (lines["news"]["next_poll_reason"], lines["down"]["next_poll_reason"]) == (
        "interval",
        "backoff",
    )
    table = monitor(["feeds"], {**environ, "COLUMNS": "300"})
    assert table.returncode == 0
    assert "news" in table.stdout
    assert "backoff" in table.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("watches", "extra", "expected"),
    [
        ('[[watch]]\nname = "w"\nquery = "actor:wang-yi AND (issue:taiwan"\n', {}, "position"),
        ('[[watch]]\nname = "w"\nquery = "actor:nobody-at-all"\n', {}, "nobody-at-all"),
        ('[[watch]]\nname = "w"\nquery = "actor:taiwan"\n', {}, "write issue:taiwan"),
        (
            '[[watch]]\nname = "w"\nnotify = ["m"]\n\n[channel.m]\ntype = "email"\n'
            'to = ["desk@example.org"]\n',
            {},
            "MONITOR_SMTP_HOST",
        ),
    ],
)
def test_run_refuses_bad_configuration(
    tmp_path: Path, watches: str, extra: dict[str, str], expected: str
) -> None:
    """A malformed query, an unknown id or mail without SMTP host stops `run` with a reason."""
    config = write_config(
        tmp_path / "feeds.toml", [("f", "http://127.0.0.1:9/feed.xml")], watches=watches
    )
    done = monitor(["run", "--once"], env(config, f"sqlite:///{tmp_path / 'm.db'}", **extra))
    assert done.returncode == 1
    assert expected in done.stderr
    assert "feeds.toml" in done.stderr or "MONITOR_SMTP_HOST" in done.stderr


@pytest.mark.slow
def test_sigterm_drains_in_flight_work(tmp_path: Path, site: HTTPTestServer) -> None:
    """SIGTERM while a page is being fetched: the article is still stored and the exit is 0."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    site.route(
        "/news.xml", body=rss("News", [Entry("n-1", site.url("/slow"), "Slow")]), headers=RSS
    )
    site.route("/slow", body=page("Minister warns", STORY), headers=HTML, delay=3.0)
    config = write_config(tmp_path / "feeds.toml", [("news", site.url("/news.xml"))])
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run"],
        env=env(config, db_url),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not site.hits("/slow"):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the page was never requested"
            time.sleep(0.05)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert time.monotonic() - sent < 30
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    [article] = stored(db_url, ArticleRow)
    assert "red line" in article.text


@contextlib.contextmanager
def daemon(environ: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    """`monitor run` as a process writing its output to `log`; killed if it outlives the
    block."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=environ,
            text=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _wait_for(text: str, log: Path, proc: subprocess.Popen[str], seconds: float = 60) -> str:
    """The daemon's output once `text` is in it (failing if it exits or takes too long)."""
    deadline = time.monotonic() + seconds
    while text not in (said := log.read_text()):
        assert proc.poll() is None, said
        assert time.monotonic() < deadline, said
        time.sleep(0.05)
    return said


@pytest.mark.slow
def test_run_waits_for_a_database_that_does_not_answer_yet(
    tmp_path: Path, pg_url: str, site: HTTPTestServer
) -> None:
    """A daemon started before its PostgreSQL server answers says so, tries again, and once
    the server answers polls as usual; SIGTERM then exits 0."""
    site.route("/news.xml", body=rss("News", [Entry("n-1", site.url("/a"), "A")]), headers=RSS)
    site.route("/a", body=page("Minister warns", STORY), headers=HTML)
    config = write_config(tmp_path / "feeds.toml", [("news", site.url("/news.xml"))])
    real = sa.make_url(pg_url)
    door = LateDoor((real.host or "127.0.0.1", real.port or 5432))
    late = real.set(port=door.port).render_as_string(hide_password=False)
    log = tmp_path / "daemon.log"
    try:
        with daemon(env(config, late, MONITOR_DATABASE_WAIT="120"), log) as proc:
            said = _wait_for("trying again in 2s", log, proc)
            assert "the database does not answer yet" in said
            assert "Connection refused" in said
            assert not site.hits("/news.xml")
            door.open()
            _wait_for("monitor: 1 feed", log, proc)
            deadline = time.monotonic() + 60
            while not stored(pg_url, ArticleRow):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0, log.read_text()
    finally:
        door.close()
    [article] = stored(pg_url, ArticleRow)
    assert article.url == site.url("/a")


@pytest.mark.slow
def test_run_stops_on_sigterm_while_waiting_for_the_database(tmp_path: Path) -> None:
    """SIGTERM while the daemon waits for its database ends it at once with 0."""
    door = LateDoor(("127.0.0.1", 9))  # never opened: the port refuses
    config = write_config(tmp_path / "feeds.toml", [("f", "http://127.0.0.1:9/feed.xml")])
    log = tmp_path / "daemon.log"
    with daemon(env(config, f"postgresql://postgres@127.0.0.1:{door.port}/test"), log) as proc:
        _wait_for("the database does not answer yet", log, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, log.read_text()
    assert "stopping (SIGTERM) while waiting for the database" in log.read_text()


@pytest.mark.parametrize(
    ("database", "wait", "waits"),
    [
        ("refused", "2", True),  # nothing listens: wait, then give up naming the wait
        ("refused", "0", False),  # MONITOR_DATABASE_WAIT=0: no wait at all
        ("missing", "120", False),  # a database that does not exist is not worth a wait
    ],
)
def test_run_gives_up_on_a_database_it_cannot_open(
    tmp_path: Path, pg_database: str, database: str, wait: str, waits: bool
) -> None:
    """A wrong database fails at once; a refusing server fails after MONITOR_DATABASE_WAIT;
    either way one line saying what to check, and exit 1."""
    base = sa.make_url(pg_database)
    if database == "refused":
        url = base.set(port=LateDoor(("127.0.0.1", 9)).port)
    else:
        url = base.set(database=f"{base.database}_missing")
    config = write_config(tmp_path / "feeds.toml", [("f", "http://127.0.0.1:9/feed.xml")])
    began = time.monotonic()
    done = monitor(
        ["run", "--once"],
        env(config, url.render_as_string(hide_password=False), MONITOR_DATABASE_WAIT=wait),
    )
    took = time.monotonic() - began
    assert done.returncode == 1
    *notes, last = done.stderr.strip().splitlines()
    assert last.startswith("error: cannot open the database"), done.stderr
    assert "check MONITOR_DATABASE_URL" in last
    assert bool(notes) is waits, done.stderr
    assert ("waited 2s for it (MONITOR_DATABASE_WAIT)" in last) is waits
    if waits:
        assert all("does not answer yet" in note for note in notes)
        assert took >= 2
    assert "Traceback" not in done.stderr
