"""`monitor serve` as a real server process on loopback, and its refusal to bind openly."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from matches_seed import T0, Seed, add
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import Database

REPO = Path(__file__).resolve().parents[1]
TOKEN = "loopback-test-token"
FEEDS_TOML = """
[[feed]]
name = "wire"
url = "https://example.org/wire.xml"

[[watch]]
name = "desk"
query = "issue:taiwan"
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(db_url: str, db: Database, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A `monitor serve` process with a token, on a free loopback port, over seeded data."""
    article = add(db, Seed("Wang Yi on Taiwan", "Wang Yi spoke on Taiwan.", T0,
                           tags={"wang-yi": 1, "taiwan": 1}, watches=["desk"]))
    config = tmp_path / "feeds.toml"
    config.write_text(FEEDS_TOML, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "MONITOR_DATABASE_URL": db_url, "MONITOR_CONFIG": str(config),
           "MONITOR_API_TOKEN": TOKEN}
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "serve", "--port", str(port)],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    yield base, article
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=10) == 0, log.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


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
def test_serve_refuses_open_bind_without_token(host: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
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
