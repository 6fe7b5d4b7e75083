"""`monitor serve` as a real server process on loopback, and its refusal to bind openly."""

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
import sqlalchemy as sa
from late_door import LateDoor
from matches_seed import T0, Seed, add
from serve_support import serving
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import Database

TOKEN = "loopback-test-token"
FEEDS_TOML = """
[[feed]]
name = "wire"
url = "https://example.org/wire.xml"

[[watch]]
name = "desk"
query = "issue:taiwan"
"""


@pytest.fixture
def server(db_url: str, db: Database, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A `monitor serve` process with a token, on a free loopback port, over seeded data."""
    article = add(
        db,
        Seed(
            "Wang Yi on Taiwan",
            "Wang Yi spoke on Taiwan.",
            T0,
            tags={"wang-yi": 1, "taiwan": 1},
            watches=["desk"],
        ),
    )
    config = tmp_path / "feeds.toml"
    config.write_text(FEEDS_TOML, encoding="utf-8")
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": db_url,
        "MONITOR_CONFIG": str(config),
        "MONITOR_API_TOKEN": TOKEN,
    }
    with serving(tmp_path, env) as base:
        yield base, article


@pytest.mark.slow
def test_real_server_answers_with_the_token(server: tuple[str, int]) -> None:
    """Over real HTTP the API requires the token and then serves matches and Atom."""
    base, article = server
    assert httpx.get(f"{base}/matches").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = httpx.get(f"{base}/matches", params={"issue": "taiwan"}, headers=auth).json()
    assert [m["id"] for m in body["items"]] == [article]
    feed = httpx.get(f"{base}/watches/desk.atom", headers=auth)
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == ["Wang Yi on Taiwan"]
    assert httpx.get(f"{base}/metrics", headers=auth).text.startswith("# HELP")
    bad = httpx.get(f"{base}/matches", params={"limit": "-1"}, headers=auth)
    assert bad.status_code == 422
    assert "limit" in bad.json()["message"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.org", "::"])
def test_serve_refuses_open_bind_without_token(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Binding anywhere but loopback without MONITOR_API_TOKEN exits 1 with the reason."""
    monkeypatch.delenv("MONITOR_API_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", host])
    assert result.exit_code == 1
    assert "MONITOR_API_TOKEN" in result.stderr
    assert "without a token" in " ".join(result.stderr.split())


def test_loopback_names_are_allowed_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """127.0.0.1, ::1 and localhost need no token; any host is allowed with one."""
    from monitor.cli.query import _check_bind
    from monitor.config import Settings

    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        _check_bind(host, Settings(api_token=None))
    from pydantic import SecretStr

    _check_bind("0.0.0.0", Settings(api_token=SecretStr("t")))


@pytest.mark.slow
def test_serve_waits_for_a_database_that_does_not_answer_yet(
    pg_database: str, tmp_path: Path
) -> None:
    """`monitor serve` started before its PostgreSQL server answers says so, waits, and
    serves once the server answers (compose starts it beside a restarting database)."""
    real = sa.make_url(pg_database)
    door = LateDoor((real.host or "127.0.0.1", real.port or 5432))
    config = tmp_path / "feeds.toml"
    config.write_text(FEEDS_TOML, encoding="utf-8")
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": real.set(port=door.port).render_as_string(hide_password=False),
        "MONITOR_CONFIG": str(config),
        "MONITOR_API_TOKEN": TOKEN,
        "MONITOR_DATABASE_WAIT": "60",
    }
    log = tmp_path / "serve.log"  # serving()'s
    stop = threading.Event()

    def open_once_refused() -> None:
        """Open the door once the server has said it waits (however slow its start)."""
        while not stop.wait(0.05):
            if log.exists() and "does not answer yet" in log.read_text():
                door.open()
                return

    opener = threading.Thread(target=open_once_refused, daemon=True)
    opener.start()
    try:
        with serving(tmp_path, env, wait=60) as base:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert httpx.get(f"{base}/matches", headers=auth).status_code == 200
    finally:
        stop.set()
        opener.join(5)
        door.close()
    said = (tmp_path / "serve.log").read_text()
    assert "the database does not answer yet" in said
    assert "Connection refused" in said


def test_serve_gives_up_naming_the_wait(tmp_path: Path) -> None:
    """A server that never answers: `monitor serve` gives up after MONITOR_DATABASE_WAIT with
    one line naming what to check and how long it waited."""
    config = tmp_path / "feeds.toml"
    config.write_text(FEEDS_TOML, encoding="utf-8")
    door = LateDoor(("127.0.0.1", 9))  # never opened
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{door.port}/test",
        "MONITOR_CONFIG": str(config),
        "MONITOR_DATABASE_WAIT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    *notes, last = done.stderr.strip().splitlines()
    assert notes
    assert all("does not answer yet" in note for note in notes)
    assert last.startswith("error: cannot open the database")
    assert "waited 1s for it (MONITOR_DATABASE_WAIT)" in last
