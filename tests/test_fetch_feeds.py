"""Conditional GET of feeds against a real server: 304, 301, 410, Retry-After, Cache-Control."""

import ipaddress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from httpserver import HTTPTestServer

from monitor.fetch.feeds import FeedFetch, fetch_feed
from monitor.fetch.http import GuardedClient

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]
RSS = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
LAST_MODIFIED = "Mon, 02 Nov 2026 10:00:00 GMT"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    """A fixed time: fetch_feed dates an answer by the clock it is given."""
    return NOW


async def _fetch(client: GuardedClient, url: str) -> FeedFetch:
    return await fetch_feed(client, url, etag=None, last_modified=None, clock=clock)


async def test_conditional_get_round_trip(http_server: HTTPTestServer) -> None:
    """The validators of a 200 are sent back; the 304 has no body and keeps them."""
    http_server.route("/feed", body=RSS, etag='"v1"', last_modified=LAST_MODIFIED)
    async with GuardedClient(LOOPBACK) as client:
        first = await _fetch(client, http_server.url("/feed"))
        second = await fetch_feed(
            client,
            http_server.url("/feed"),
            etag=first.etag,
            last_modified=first.last_modified,
            clock=clock,
        )
    assert (first.status, first.body, first.etag, first.last_modified) == (
        200,
        RSS,
        '"v1"',
        LAST_MODIFIED,
    )
    assert (second.status, second.body, second.not_modified) == (304, None, True)
    assert (second.etag, second.last_modified) == ('"v1"', LAST_MODIFIED)
    sent = http_server.hits("/feed")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == LAST_MODIFIED
    assert "if-none-match" not in http_server.hits("/feed")[0].headers


async def test_permanent_redirect_is_reported(http_server: HTTPTestServer) -> None:
    """A 301 (or 308) chain reports where the feed moved; a temporary 302 does not."""
    http_server.route("/old", status=301, headers={"location": "/older"})
    http_server.route("/older", status=308, headers={"location": "/new"})
    http_server.route("/tmp", status=302, headers={"location": "/new"})
    http_server.route("/mixed", status=301, headers={"location": "/tmp"})
    http_server.route("/new", body=RSS)
    async with GuardedClient(LOOPBACK) as client:
        moved = await _fetch(client, http_server.url("/old"))
        temp = await _fetch(client, http_server.url("/tmp"))
        mixed = await _fetch(client, http_server.url("/mixed"))
    assert moved.permanent_redirect == http_server.url("/new")
    assert moved.url == http_server.url("/new")
    assert moved.body == RSS
    assert temp.permanent_redirect is None
    assert mixed.permanent_redirect == http_server.url("/tmp")


async def test_gone_feed(http_server: HTTPTestServer) -> None:
    """410 means gone; no body is handed on."""
    http_server.route("/gone", status=410, body=b"bye")
    async with GuardedClient(LOOPBACK) as client:
        result = await _fetch(client, http_server.url("/gone"))
    assert (result.gone, result.body, result.ok) == (True, None, False)


async def test_retry_after_and_cache_control(http_server: HTTPTestServer) -> None:
    """Retry-After in seconds or as an HTTP date, and Cache-Control max-age, are parsed."""
    later = format_datetime(NOW + timedelta(hours=2), usegmt=True)
    http_server.route("/busy", status=429, headers={"retry-after": "120"})
    http_server.route("/down", status=503, headers={"retry-after": later})
    http_server.route("/cached", body=RSS, headers={"cache-control": "public, max-age=3600"})
    async with GuardedClient(LOOPBACK) as client:
        busy = await _fetch(client, http_server.url("/busy"))
        down = await _fetch(client, http_server.url("/down"))
        cached = await _fetch(client, http_server.url("/cached"))
    assert busy.retry_after == timedelta(seconds=120)
    assert busy.body is None
    assert down.retry_after is not None
    assert down.retry_after == timedelta(hours=2)  # from the injected clock, not the host's
    assert cached.cache_max_age == timedelta(hours=1)
