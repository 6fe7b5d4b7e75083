"""The guarded client against real loopback servers: SSRF guard, deadline, inflation, size cap."""

import asyncio
import gzip
import ipaddress
import logging
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from httpserver import HTTPTestServer, Recorded, Reply

from monitor.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    ResponseTooLargeError,
)
from monitor.fetch.guard import AddressRefused, GuardedBackend, is_allowed
from monitor.fetch.http import DEFAULT_USER_AGENT, GuardedClient, origin, quiet_http_loggers

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]
MiB = 1024 * 1024


@pytest.fixture
def second_server() -> Iterator[HTTPTestServer]:
    """A server on 127.0.0.2: another loopback host."""
    with HTTPTestServer("127.0.0.2") as server:
        yield server


async def test_allowed_fetch_returns_result(http_server: HTTPTestServer) -> None:
    """With loopback allowed, a GET returns status, lower-case headers, body and the UA."""
    http_server.route("/a", body=b"hello", headers={"X-Thing": "1"})
    async with GuardedClient(LOOPBACK) as client:
        result = await client.get(http_server.url("/a"))
    assert (result.status, result.body, result.headers["x-thing"]) == (200, b"hello", "1")
    assert result.redirects == ()
    assert http_server.hits("/a")[0].headers["user-agent"].startswith("monitor/")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "0x7f.1",
        "2130706433",
        "017700000001",
        "[::ffff:127.0.0.1]",
    ],
)
async def test_loopback_spellings_are_refused(http_server: HTTPTestServer, host: str) -> None:
    """Every spelling of loopback is refused by default, and the server sees no request."""
    http_server.route("/secret", body=b"internal")
    async with GuardedClient(deadline=5) as client:
        with pytest.raises(BlockedAddressError):
            await client.get(f"http://{host}:{http_server.port}/secret")
    assert http_server.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "[fd00::1]",
        "[fe80::1]",
        "[::1]",
        "[fd00:ec2::254]",
        "224.0.0.1",
    ],
)
async def test_non_public_addresses_are_refused(address: str) -> None:
    """Metadata, private, CGNAT, link-local, unique-local and multicast addresses are refused."""
    async with GuardedClient(deadline=5) as client:
        with pytest.raises(BlockedAddressError):
            await client.get(f"http://{address}/latest/meta-data/")


def test_is_allowed_verdicts() -> None:
    """Public addresses pass; mapped loopback is loopback; an allow-list opens a range."""
    ip = ipaddress.ip_address
    assert is_allowed(ip("93.184.216.34"))
    assert not is_allowed(ip("::ffff:127.0.0.1"))
    assert not is_allowed(ip("127.0.0.1"))
    assert is_allowed(ip("::ffff:127.0.0.1"), LOOPBACK)
    assert not is_allowed(ip("10.0.0.1"), LOOPBACK)


async def test_mixed_dns_answer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name resolving to one public and one private address is refused as a whole."""

    async def fake_getaddrinfo(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        return [(2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("10.1.2.3", port))]

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(AddressRefused) as caught:
        await GuardedBackend().resolve("rebind.example", 80)
    assert caught.value.address == "10.1.2.3"


async def test_redirect_hop_to_refused_address_is_blocked(
    http_server: HTTPTestServer, second_server: HTTPTestServer
) -> None:
    """An allowed server redirecting to a refused address fails; the second host is never hit."""
    second_server.route("/internal", body=b"secret")
    http_server.route("/go", status=302, headers={"location": second_server.url("/internal")})
    async with GuardedClient([ipaddress.ip_network("127.0.0.1/32")]) as client:
        with pytest.raises(BlockedAddressError) as caught:
            await client.get(http_server.url("/go"))
    assert "127.0.0.2" in caught.value.url
    assert second_server.requests == []


async def test_allow_list_opens_the_second_host(
    http_server: HTTPTestServer, second_server: HTTPTestServer
) -> None:
    """The same redirect succeeds when the allow-list covers both hosts."""
    second_server.route("/internal", body=b"fine")
    http_server.route("/go", status=307, headers={"location": second_server.url("/internal")})
    async with GuardedClient(LOOPBACK) as client:
        result = await client.get(http_server.url("/go"))
    assert result.body == b"fine"
    assert result.redirects == ((307, second_server.url("/internal")),)


async def test_redirect_to_javascript_is_refused(http_server: HTTPTestServer) -> None:
    """A redirect to a javascript: (or any non-http) URL is refused."""
    http_server.route("/js", status=302, headers={"location": "javascript:alert(1)"})
    async with GuardedClient(LOOPBACK) as client:
        with pytest.raises(FetchError, match="scheme"):
            await client.get(http_server.url("/js"))
        with pytest.raises(FetchError, match="scheme"):
            await client.get("file:///etc/passwd")


async def test_redirect_chain_is_reported_and_bounded(http_server: HTTPTestServer) -> None:
    """Relative redirects are followed and listed; a sixth hop is an error."""
    http_server.route("/one", status=301, headers={"location": "/two"})
    http_server.route("/two", status=302, headers={"location": "three"})
    http_server.route("/three", body=b"end")
    http_server.route("/loop", status=302, headers={"location": "/loop"})
    async with GuardedClient(LOOPBACK) as client:
        result = await client.get(http_server.url("/one"))
        with pytest.raises(FetchError, match="redirects"):
            await client.get(http_server.url("/loop"))
    assert result.url == http_server.url("/three")
    assert result.redirects == ((301, http_server.url("/two")), (302, http_server.url("/three")))
    assert len(http_server.hits("/loop")) == 6


async def test_total_deadline_stops_a_dripping_server(http_server: HTTPTestServer) -> None:
    """A server sending one byte every 0.5 s never trips a read timeout; the deadline stops it."""
    http_server.route("/drip", body=b"x" * 40, drip=0.5)
    async with GuardedClient(LOOPBACK, deadline=1.5) as client:
        with pytest.raises(FetchTimeoutError):
            await client.get(http_server.url("/drip"))
    assert len(http_server.hits("/drip")) == 1


async def test_per_call_deadline(http_server: HTTPTestServer) -> None:
    """`deadline=` on one call overrides the client's."""
    http_server.route("/late", body=b"ok", delay=2.0)
    async with GuardedClient(LOOPBACK, deadline=30) as client:
        with pytest.raises(FetchTimeoutError):
            await client.get(http_server.url("/late"), deadline=0.5)


BOMB = gzip.compress(b"\0" * (64 * MiB), compresslevel=9)


async def test_gzip_bomb_stops_at_the_cap_with_bounded_memory(http_server: HTTPTestServer) -> None:
    """A 64 KiB gzip body inflating to 64 MiB is cut at the cap without inflating it whole."""
    assert len(BOMB) < 128 * 1024
    http_server.route("/bomb", body=BOMB, headers={"content-encoding": "gzip"})
    async with GuardedClient(LOOPBACK, max_bytes=1 * MiB) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                await client.get(http_server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * MiB


async def test_the_cap_is_what_stops_the_bomb(http_server: HTTPTestServer) -> None:
    """With a cap above its size the same bomb inflates fully: the cap, not luck, stopped it."""
    http_server.route("/bomb", body=BOMB, headers={"content-encoding": "gzip"})
    async with GuardedClient(LOOPBACK, max_bytes=65 * MiB) as client:
        result = await client.get(http_server.url("/bomb"))
    assert len(result.body) == 64 * MiB


async def test_gzip_and_deflate_are_decoded(http_server: HTTPTestServer) -> None:
    """gzip, zlib-wrapped deflate and raw deflate bodies come back decoded; br is not offered."""
    text = b"<rss>" + b"news " * 1000 + b"</rss>"
    raw = zlib.compressobj(wbits=-15)
    http_server.route("/gz", body=gzip.compress(text), headers={"content-encoding": "gzip"})
    http_server.route("/zl", body=zlib.compress(text), headers={"content-encoding": "deflate"})
    http_server.route(
        "/raw", body=raw.compress(text) + raw.flush(), headers={"content-encoding": "deflate"}
    )
    async with GuardedClient(LOOPBACK) as client:
        bodies = [(await client.get(http_server.url(p))).body for p in ("/gz", "/zl", "/raw")]
    assert bodies == [text, text, text]
    assert "br" not in http_server.hits("/gz")[0].headers["accept-encoding"]


async def test_size_cap_on_plain_bodies(http_server: HTTPTestServer) -> None:
    """A body over the cap is refused (client-wide and per call)."""
    http_server.route("/big", body=b"a" * (2 * MiB))
    async with GuardedClient(LOOPBACK, max_bytes=1 * MiB) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.get(http_server.url("/big"))
        assert len((await client.get(http_server.url("/big"), max_bytes=3 * MiB)).body) == 2 * MiB
        with pytest.raises(ResponseTooLargeError):
            await client.get(http_server.url("/big"), max_bytes=1000)


@pytest.mark.parametrize("status", [304, 404, 410, 429, 500, 503])
async def test_non_2xx_statuses_are_results(http_server: HTTPTestServer, status: int) -> None:
    """Error statuses come back as results, not exceptions."""
    http_server.route("/s", status=status, body=b"" if status == 304 else b"nope")
    async with GuardedClient(LOOPBACK) as client:
        assert (await client.get(http_server.url("/s"))).status == status


async def test_connection_refused_is_a_fetch_error() -> None:
    """A closed port raises FetchError without a status."""
    async with GuardedClient(LOOPBACK) as client:
        with pytest.raises(FetchError) as caught:
            await client.get("http://127.0.0.1:1/")
    assert caught.value.status is None
    assert not isinstance(caught.value, BlockedAddressError)


def _peak_recorder() -> tuple[Any, list[int]]:
    """A handler that holds each request 0.2 s, and the most requests it saw at once."""
    lock, active, peak = threading.Lock(), [0], [0]

    def slow(req: Recorded) -> Reply:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return Reply(200, {}, b"ok")

    return slow, peak


async def test_per_host_concurrency_limit(http_server: HTTPTestServer) -> None:
    """At most `per_host` requests to one host are in flight at once."""
    slow, peak = _peak_recorder()

    http_server.route("/slow", handler=slow)
    async with GuardedClient(LOOPBACK, per_host=2) as client:
        results = await asyncio.gather(
            *(client.get(http_server.url(f"/slow?i={i}")) for i in range(6))
        )
    assert [r.status for r in results] == [200] * 6
    assert peak[0] == 2


async def test_connection_limit_spans_hosts(
    http_server: HTTPTestServer, second_server: HTTPTestServer
) -> None:
    """Each host has its own small pool, yet at most `max_connections` requests are in flight
    across all hosts together."""
    slow, peak = _peak_recorder()

    for server in (http_server, second_server):
        server.route("/slow", handler=slow)
    urls = [server.url(f"/slow?i={i}") for i in range(4) for server in (http_server, second_server)]
    async with GuardedClient(LOOPBACK, per_host=2, max_connections=3) as client:
        results = await asyncio.gather(*(client.get(url) for url in urls))
        again = await client.get(second_server.url("/slow?again"))  # pooled connections reused
    assert [r.status for r in results] == [200] * 8
    assert again.status == 200
    assert peak[0] == 3


async def test_idle_pools_are_swept_and_rebuilt(
    http_server: HTTPTestServer, second_server: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once its connections have expired, an origin's pool is closed by the next request's
    sweep; a later request to that origin gets a new pool and works."""
    import monitor.fetch.http as http

    monkeypatch.setattr(http, "KEEPALIVE", 0.2)
    for server in (http_server, second_server):
        server.route("/a", body=b"ok")
    async with GuardedClient(LOOPBACK) as client:
        first = await client.get(http_server.url("/a"))
        await asyncio.sleep(0.5)
        other = await client.get(second_server.url("/a"))  # sweeps the first origin's pool
        await asyncio.sleep(0.5)
        again = await client.get(http_server.url("/a"))  # and sweeps the second's
    assert [r.status for r in (first, other, again)] == [200, 200, 200]
    assert len(http_server.hits("/a")) == 2


async def test_no_secret_in_logs(
    http_server: HTTPTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    """With the composition root's quiet_http_loggers, no log line carries a URL path or query."""
    caplog.set_level(logging.DEBUG)
    quiet_http_loggers()
    http_server.route("/hook/s3cr3t-path", body=b"ok")
    http_server.route("/slow", body=b"x" * 10, drip=0.5)
    async with GuardedClient(LOOPBACK, deadline=1) as client:
        await client.get(http_server.url("/hook/s3cr3t-path?token=s3cr3t-query"))
        with pytest.raises(FetchTimeoutError):
            await client.get(http_server.url("/slow?token=s3cr3t-query"))
    async with GuardedClient() as client:
        with pytest.raises(BlockedAddressError):
            await client.get(http_server.url("/hook/s3cr3t-path?token=s3cr3t-query"))
    assert caplog.records, "the client logs its outcomes"
    assert "s3cr3t" not in caplog.text


async def test_the_debug_line_of_a_fetch_names_its_origin_only_when_debug_is_on(
    http_server: HTTPTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    """`fetch.done` (debug) names the answer's origin and status; below debug no line is
    made (nor its origin computed)."""
    http_server.route("/a", body=b"ok")
    caplog.set_level(logging.INFO, logger="monitor.fetch.http")
    async with GuardedClient(LOOPBACK) as client:
        await client.get(http_server.url("/a?token=s3cr3t"))
        assert "fetch.done" not in caplog.text
        caplog.set_level(logging.DEBUG, logger="monitor.fetch.http")
        await client.get(http_server.url("/a?token=s3cr3t"))
    [line] = [r.getMessage() for r in caplog.records if "fetch.done" in r.getMessage()]
    assert line.startswith(f"fetch.done origin={http_server.base} status=200 bytes=2")
    assert "s3cr3t" not in caplog.text


def test_origin_keeps_only_scheme_host_port() -> None:
    """origin() is what logs may show of a URL."""
    assert origin("https://u:p@Example.org:8443/x/y?token=1#f") == "https://example.org:8443"


async def test_tls_through_the_guard_verifies_the_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTPS goes through the guard's dialer: an untrusted certificate is refused, a trusted
    one for the requested name works (over the per-origin pools' shared TLS context)."""
    import ssl
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx
    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)

    class Hello(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    httpd.socket = server_ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"https://localhost:{httpd.server_address[1]}/"
    local = [*LOOPBACK, ipaddress.ip_network("::1/128")]  # localhost may also resolve to ::1
    try:
        async with GuardedClient(local, deadline=5) as client:
            with pytest.raises(FetchError, match=r"(?i)certificate|ssl"):
                await client.get(url)
        trusting = httpx.create_ssl_context(trust_env=False)
        ca.configure_trust(trusting)
        monkeypatch.setattr(httpx, "create_ssl_context", lambda **_: trusting)
        async with GuardedClient(local, deadline=5) as client:
            result = await client.get(url)
        assert (result.status, result.body) == (200, b"hello")
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_a_request_carries_the_headers_httpx_sent(http_server: HTTPTestServer) -> None:
    """Host (with its port), Accept (*/* unless the call names one), keep-alive, the user
    agent and the encodings we can bound; a call's header replaces the client's."""
    http_server.route("/a", body=b"ok")
    async with GuardedClient(LOOPBACK) as client:
        await client.get(http_server.url("/a"))
        await client.get(http_server.url("/a"), headers={"Accept": "text/html", "x-extra": "1"})
    plain, named = (hit.headers for hit in http_server.hits("/a"))
    assert plain["host"] == f"127.0.0.1:{http_server.port}"
    assert (plain["accept"], plain["connection"]) == ("*/*", "keep-alive")
    assert (plain["accept-encoding"], plain["user-agent"]) == ("gzip, deflate", DEFAULT_USER_AGENT)
    assert (named["accept"], named["x-extra"]) == ("text/html", "1")


async def test_a_cookie_set_on_a_redirect_goes_back_to_its_site_only(
    http_server: HTTPTestServer, second_server: HTTPTestServer
) -> None:
    """A cookie check (set a cookie, redirect to the page) works: the next hop and later
    requests to that site carry the cookie; another host never sees it."""
    http_server.route(
        "/check", status=302, headers={"location": "/feed", "set-cookie": "consent=yes; Path=/"}
    )
    http_server.route("/feed", body=b"feed")
    second_server.route("/feed", body=b"other")
    async with GuardedClient(LOOPBACK) as client:
        assert (await client.get(http_server.url("/check"))).body == b"feed"
        await client.get(http_server.url("/feed"))
        await client.get(second_server.url("/feed"))
    assert [hit.headers.get("cookie") for hit in http_server.hits("/check")] == [None]
    assert [hit.headers.get("cookie") for hit in http_server.hits("/feed")] == ["consent=yes"] * 2
    assert second_server.hits("/feed")[0].headers.get("cookie") is None


async def test_a_fetch_builds_no_httpx_models(
    http_server: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GET goes to httpcore's pool directly: no httpx Request or Response is built (their
    layers were ~40% of a 304 poll's CPU), unless a site sets cookies."""
    import httpx

    built: list[str] = []
    for model in (httpx.Request, httpx.Response):
        init = model.__init__

        def counting(self: Any, *args: Any, _init: Any = init, **kwargs: Any) -> None:
            built.append(type(self).__name__)
            _init(self, *args, **kwargs)

        monkeypatch.setattr(model, "__init__", counting)
    http_server.route("/feed", status=304, headers={"etag": '"v1"'})
    async with GuardedClient(LOOPBACK) as client:
        result = await client.get(http_server.url("/feed"), headers={"if-none-match": '"v1"'})
    assert (result.status, result.headers["etag"]) == (304, '"v1"')
    assert built == []


async def test_a_url_is_parsed_once_and_a_bad_one_refused_every_time(
    http_server: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polling the same feed again reuses its parsed URL; a URL httpx refuses is refused on
    every call, never remembered as valid."""
    import httpx

    from monitor.fetch import http

    parsed: list[str] = []

    class Counting(httpx.URL):
        def __init__(self, url: Any = "", **kwargs: Any) -> None:
            parsed.append(str(url))
            super().__init__(url, **kwargs)

    monkeypatch.setattr(httpx, "URL", Counting)
    http._parse.cache_clear()
    http_server.route("/once", body=b"ok")
    url = http_server.url("/once?feed=1")
    async with GuardedClient(LOOPBACK) as client:
        for _ in range(3):
            assert (await client.get(url)).body == b"ok"
        for _ in range(2):
            with pytest.raises(FetchError, match="invalid URL"):
                await client.get("http://example.org:port/")
    assert parsed.count(url) == 1
    assert parsed.count("http://example.org:port/") == 2
    assert len(http_server.hits("/once")) == 3


async def test_reads_and_writes_take_no_cancel_scope_of_their_own(
    http_server: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over an open connection a GET's reads and writes open no anyio timeout scope (~12% of
    a request's CPU; the total deadline bounds them): only dialing a connection does."""
    import anyio

    scopes: list[float | None] = []
    fail_after = anyio.fail_after

    def counting(delay: float | None, *args: Any, **kwargs: Any) -> Any:
        scopes.append(delay)
        return fail_after(delay, *args, **kwargs)

    monkeypatch.setattr(anyio, "fail_after", counting)
    http_server.route("/big", body=b"x" * (600 * 1024))
    async with GuardedClient(LOOPBACK, deadline=30) as client:
        first = await client.get(http_server.url("/big"))
        dialing = len(scopes)
        second = await client.get(http_server.url("/big"))
    assert len(first.body) == len(second.body) == 600 * 1024
    assert dialing == 1  # connect
    assert len(scopes) == dialing


async def test_a_body_cut_short_is_a_fetch_error() -> None:
    """A server that closes the connection before the declared length, or resets it
    mid-body, makes a FetchError (not an anyio error, not a short body)."""
    import socket as socketlib

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + b"x" * 70000)
        await writer.drain()
        if b"/reset" in request:  # RST instead of FIN
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socketlib.SOL_SOCKET, socketlib.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, GuardedClient(LOOPBACK, deadline=5) as client:
        for path in ("/short", "/reset"):
            with pytest.raises(FetchError, match="connection failed") as caught:
                await client.get(f"http://127.0.0.1:{port}{path}")
            assert not isinstance(caught.value, FetchTimeoutError)


def _fake_anyio_stream(failure: BaseException | None = None, silent: bool = False) -> Any:
    """An anyio byte stream that records its receive sizes, fails on demand or never answers."""
    import anyio.abc

    class Fake(anyio.abc.ByteStream):
        def __init__(self) -> None:
            self.sizes: list[int] = []

        async def receive(self, max_bytes: int = 65536) -> bytes:
            self.sizes.append(max_bytes)
            if silent:
                await asyncio.sleep(10)
            if failure is not None:
                raise failure
            return b"data"

        async def send(self, item: bytes) -> None:
            if failure is not None:
                raise failure

        async def send_eof(self) -> None:
            """Nothing to do."""

        async def aclose(self) -> None:
            """Nothing to do."""

    return Fake()


def _guarded_stream(raw: Any) -> Any:
    from httpcore._backends.anyio import AnyIOStream

    from monitor.fetch.guard import _Stream

    return _Stream(AnyIOStream(raw))


async def test_a_read_takes_up_to_asyncios_read_size_and_errors_keep_httpcores_types() -> None:
    """httpcore's 64 KiB reads ask for 256 KiB (what asyncio's transport receives at once);
    anyio's errors come out as httpcore's ReadError/WriteError, its end of stream as b""."""
    import anyio
    import httpcore

    from monitor.fetch.guard import READ_SIZE

    raw = _fake_anyio_stream()
    stream = _guarded_stream(raw)
    assert await stream.read(65536) == b"data"
    assert await stream.read(65536, timeout=1.0) == b"data"  # through httpcore, same size
    assert raw.sizes == [READ_SIZE, READ_SIZE]
    assert READ_SIZE == 256 * 1024
    assert await _guarded_stream(_fake_anyio_stream(anyio.EndOfStream())).read(10) == b""
    for failure in (anyio.BrokenResourceError(), anyio.ClosedResourceError()):
        with pytest.raises(httpcore.ReadError):
            await _guarded_stream(_fake_anyio_stream(failure)).read(10)
        with pytest.raises(httpcore.WriteError):
            await _guarded_stream(_fake_anyio_stream(failure)).write(b"GET")


async def test_a_read_with_a_timeout_still_times_out() -> None:
    """A read or write given a timeout of its own keeps it (httpcore's path)."""
    import httpcore

    stream = _guarded_stream(_fake_anyio_stream(silent=True))
    started = time.monotonic()
    with pytest.raises(httpcore.ReadTimeout):
        await stream.read(10, timeout=0.2)
    assert time.monotonic() - started < 5


async def test_a_body_read_in_one_chunk_is_not_copied() -> None:
    """The body is joined from its chunks once: one chunk comes back as itself, several in
    order, and the cap still counts every byte."""
    import httpcore

    from monitor.fetch.http import _read_capped

    def response(*chunks: bytes) -> httpcore.Response:
        async def stream() -> Any:
            for chunk in chunks:
                yield chunk

        return httpcore.Response(200, content=stream())

    one = b"a" * 70000
    assert await _read_capped(response(one), {}, 10 * MiB, "u") is one
    assert await _read_capped(response(b"ab", b"", b"cd"), {}, 10, "u") == b"abcd"
    with pytest.raises(ResponseTooLargeError):
        await _read_capped(response(b"ab", b"cd", b"e"), {}, 4, "u")
