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
from monitor.errors import BlockedAddressError, FetchError
from monitor.fetch.guard import is_allowed
from monitor.fetch.http import GuardedClient
from monitor.store import Store

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]
BACKSLASH = "http:\\\\127.0.0.3:18999/"  # http:\\127.0.0.3:18999/
BAD_LOCATIONS = [BACKSLASH, "https:\\\\127.0.0.3/x", "http:/", "http://[::1/"]
runner = CliRunner()


@pytest.mark.parametrize("location", BAD_LOCATIONS)
async def test_malformed_redirect_is_a_fetch_error(
    http_server: HTTPTestServer, location: str
) -> None:
    """A redirect whose Location httpx cannot resolve is a FetchError naming the fetched URL,
    not an httpx.InvalidURL."""
    http_server.route("/r", status=302, headers={"location": location})
    async with GuardedClient(LOOPBACK) as client:
        with pytest.raises(FetchError, match="invalid redirect location") as caught:
            await client.get(http_server.url("/r"))
    assert caught.value.status == 302
    assert caught.value.url == http_server.url("/r")


async def test_backslash_redirect_is_recorded_in_feed_health(
    tmp_path: Path, store: Store, http_server: HTTPTestServer
) -> None:
    """A feed and an article page redirecting to `http:\\\\host/` are recorded failures: the
    feed's health names the bad location, the item falls back to its teaser, the cycle goes
    on."""
    http_server.route("/bad.xml", status=301, headers={"location": BACKSLASH})
    http_server.route(
        "/good.xml",
        headers=RSS,
        body=rss("Good", [Entry("g-1", http_server.url("/story"), "Story", "The teaser.")]),
    )
    http_server.route("/story", status=302, headers={"location": BACKSLASH})
    report = await once(
        tmp_path,
        store,
        [("bad", http_server.url("/bad.xml")), ("good", http_server.url("/good.xml"))],
    )
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
    tmp_path: Path, store: Store, http_server: HTTPTestServer
) -> None:
    """Retry-After, Cache-Control max-age and <ttl> too large for a timedelta, and a
    Retry-After of `nan`, end in recorded polls with bounded next polls: a week for
    Retry-After, an hour for max-age and TTL (the policy caps), backoff for garbage."""
    huge = "99999999999999999999"
    feed = rss("Hinted", [Entry("h-1", "http://example.invalid/x", "Item")])
    http_server.route("/after.xml", status=503, headers={"retry-after": huge})
    http_server.route("/nan.xml", status=429, headers={"retry-after": "nan"})
    http_server.route(
        "/age.xml", body=feed, headers={**RSS, "cache-control": f"public, max-age={huge}"}
    )
    http_server.route(
        "/ttl.xml",
        headers=RSS,
        body=feed.replace(b"<channel>", b"<channel><ttl>99999999999999999</ttl>"),
    )
    http_server.route(
        "/digits.xml",
        headers=RSS,
        body=feed.replace(b"<channel>", b"<channel><ttl>" + b"9" * 5000 + b"</ttl>"),
    )
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


# IPv6 forms of non-public IPv4 addresses: 6to4 (2002:AABB:CCDD::), Teredo (2001:0::/32 with
# the client's address inverted in the last 32 bits), NAT64 (64:ff9b::/96 and the local-use
# 64:ff9b:1::/48).
TUNNELLED = [
    "2002:7f00:3::",
    "2002:a9fe:a9fe::",
    "2002:a00:1::1",
    "2002:c0a8:101::",
    "2001:0:4136:e378:8000:63bf:80ff:fffc",  # Teredo, client 127.0.0.3
    "2001:0:7f00:1::1",  # Teredo, server 127.0.0.1
    "64:ff9b::7f00:3",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::10.0.0.1",
    "64:ff9b:1::7f00:3",
    "64:ff9b:1:abcd::1",
]


@pytest.mark.parametrize("address", TUNNELLED)
def test_tunnelled_non_public_addresses_are_refused(address: str) -> None:
    """6to4, Teredo and NAT64 spellings of loopback, metadata and private addresses are not
    public; the 6to4 and NAT64 forms of an allowed network are allowed like it."""
    ip = ipaddress.ip_address(address)
    assert not is_allowed(ip)
    if address in ("2002:7f00:3::", "64:ff9b::7f00:3"):
        assert is_allowed(ip, LOOPBACK)


def test_tunnelled_public_addresses_pass() -> None:
    """6to4 and NAT64 forms of a public address stay public (DNS64 networks need them)."""
    for address in ("2002:5db8:d822::", "64:ff9b::5db8:d822", "2606:4700::1111"):
        assert is_allowed(ipaddress.ip_address(address)), address


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:3::",
        "2002:a9fe:a9fe::",
        "64:ff9b::7f00:3",
        "2001:0:4136:e378:8000:63bf:80ff:fffc",
    ],
)
async def test_fetching_a_tunnelled_address_is_blocked(address: str) -> None:
    """A fetch of such an address is refused by the guard before any connection is tried."""
    async with GuardedClient(deadline=5) as client:
        with pytest.raises(BlockedAddressError, match="not public"):
            await client.get(f"http://[{address}]:18999/latest/meta-data/")
