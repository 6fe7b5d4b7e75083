"""Hostile servers on loopback: malformed redirects and huge numeric hints end in a clean,
recorded fetch error or a bounded value, never in an uncaught exception."""

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from httpserver import HTTPTestServer
from ingest_site import RSS, Entry, rss
from test_pipeline import once
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import FetchError
from monitor.fetch.http import GuardedClient
from monitor.store import Store

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]
BACKSLASH = "http:\\\\127.0.0.3:18999/"  # http:\\127.0.0.3:18999/
BAD_LOCATIONS = [BACKSLASH, "https:\\\\127.0.0.3/x", "http:/", "http://[::1/"]
runner = CliRunner()


@pytest.mark.parametrize("location", BAD_LOCATIONS)
async def test_malformed_redirect_is_a_fetch_error(http_server: HTTPTestServer,
                                                   location: str) -> None:
    """A redirect whose Location httpx cannot resolve is a FetchError naming the fetched URL,
    not an httpx.InvalidURL."""
    http_server.route("/r", status=302, headers={"location": location})
    async with GuardedClient(LOOPBACK) as client:
        with pytest.raises(FetchError, match="invalid redirect location") as caught:
            await client.get(http_server.url("/r"))
    assert caught.value.status == 302
    assert caught.value.url == http_server.url("/r")


async def test_backslash_redirect_is_recorded_in_feed_health(
        tmp_path: Path, store: Store, http_server: HTTPTestServer) -> None:
    """A feed and an article page redirecting to `http:\\\\host/` are recorded failures: the
    feed's health names the bad location, the item falls back to its teaser, the cycle goes
    on."""
    http_server.route("/bad.xml", status=301, headers={"location": BACKSLASH})
    http_server.route("/good.xml", headers=RSS, body=rss("Good", [
        Entry("g-1", http_server.url("/story"), "Story", "The teaser.")]))
    http_server.route("/story", status=302, headers={"location": BACKSLASH})
    report = await once(tmp_path, store, [("bad", http_server.url("/bad.xml")),
                                          ("good", http_server.url("/good.xml"))])
    assert (report.feeds, report.failed, report.stored) == (2, 1, 1)
    health = {h.name: h for h in store.feed_health()}
    assert health["bad"].consecutive_errors == 1
    assert "invalid redirect location" in (health["bad"].last_error or "")
    assert health["good"].last_status == 200


@pytest.mark.parametrize("command", ["tag", "extract"])
def test_cli_backslash_redirect_is_one_line(http_server: HTTPTestServer, command: str) -> None:
    """`monitor tag URL` / `monitor extract URL` on a backslash redirect name the URL and the
    fault on one line and exit 1."""
    http_server.route("/r", status=302, headers={"location": BACKSLASH})
    url = http_server.url("/r")
    result = runner.invoke(app, [command, url], env={"MONITOR_ALLOWED_NETWORKS": "127.0.0.1/32"})
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert url in lines[0]
    assert "invalid redirect location" in lines[0]


async def test_hostile_cache_hints_are_clamped_through_a_poll(
        tmp_path: Path, store: Store, http_server: HTTPTestServer) -> None:
    """Retry-After, Cache-Control max-age and <ttl> too large for a timedelta, and a
    Retry-After of `nan`, end in recorded polls with bounded next polls: a week for
    Retry-After, an hour for max-age and TTL (the policy caps), backoff for garbage."""
    huge = "99999999999999999999"
    feed = rss("Hinted", [Entry("h-1", "http://example.invalid/x", "Item")])
    http_server.route("/after.xml", status=503, headers={"retry-after": huge})
    http_server.route("/nan.xml", status=429, headers={"retry-after": "nan"})
    http_server.route("/age.xml", body=feed,
                      headers={**RSS, "cache-control": f"public, max-age={huge}"})
    http_server.route("/ttl.xml", headers=RSS, body=feed.replace(
        b"<channel>", b"<channel><ttl>99999999999999999</ttl>"))
    http_server.route("/digits.xml", headers=RSS, body=feed.replace(
        b"<channel>", b"<channel><ttl>" + b"9" * 5000 + b"</ttl>"))
    names = ["after", "nan", "age", "ttl", "digits"]
    started = datetime.now(UTC)
    report = await once(tmp_path, store, [(n, http_server.url(f"/{n}.xml")) for n in names])
    ended = datetime.now(UTC)
    assert (report.feeds, report.failed) == (5, 2)
    health = {h.name: h for h in store.feed_health()}

    def within(name: str, delay: timedelta) -> bool:
        when = health[name].next_poll
        return when is not None and started + delay <= when <= ended + delay

    assert health["after"].next_poll_reason == "retry-after"
    assert within("after", timedelta(days=7))
    assert health["after"].last_status == 503
    assert health["nan"].next_poll_reason == "backoff"
    assert health["nan"].last_status == 429
    for name in ("age", "ttl", "digits"):
        assert health[name].next_poll_reason == "ttl", name
        assert within(name, timedelta(hours=1)), name
        assert health[name].consecutive_errors == 0
