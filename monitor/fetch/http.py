"""Guarded HTTP client: SSRF guard on every hop, total deadline, bounded inflation, size cap."""

import asyncio
import contextlib
import functools
import logging
import time
import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self

import httpcore
import httpx

from monitor.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    ResponseTooLargeError,
)
from monitor.fetch.guard import AddressRefused, GuardedBackend, IPNetwork
from monitor.fetch.hints import bounded_int

if TYPE_CHECKING:
    from zlib import _Decompress

log = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_USER_AGENT = "monitor/0.1 (+https://github.com/monitor)"
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Only what we can decompress with a bound on the output; br/zstd are never advertised.
ACCEPT_ENCODING = "gzip, deflate"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One completed fetch: the final URL, its status, headers and (decompressed) body."""

    url: str
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    redirects: tuple[tuple[int, str], ...] = ()  # (status, absolute location) for each hop
    elapsed: float = 0.0


def quiet_http_loggers() -> None:
    """Raise httpx's and httpcore's loggers to WARNING: they log full URLs at INFO (HAZARDS 8)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def origin(url: str) -> str:
    """scheme://host[:port] of `url`: what a log line may show (paths and queries can be secret)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


class _Inflater:
    """Streaming gzip/deflate decoder whose output per call is bounded by `limit` (HAZARDS 3)."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._wbits: int | None = 31 if encoding in ("gzip", "x-gzip") else None
        self._d: _Decompress | None = None

    def _start(self, first: bytes) -> "_Decompress":
        if self._wbits is None:  # "deflate" is zlib-wrapped by the spec, raw by some servers
            zlib_header = (
                len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
            )
            self._wbits = 15 if zlib_header else -15
        return zlib.decompressobj(self._wbits)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decompress `data`, producing at most `limit` (>= 1) bytes."""
        parts: list[bytes] = []
        produced = 0
        while data and produced < limit:
            if self._d is None:
                self._d = self._start(data)
            chunk = self._d.decompress(data, limit - produced)
            parts.append(chunk)
            produced += len(chunk)
            if self._d.eof:  # a gzip stream may hold several members
                data = self._d.unused_data
                self._d = None
                if not data.strip(b"\0"):
                    break
            else:
                data = self._d.unconsumed_tail
        return b"".join(parts)

    def flush(self) -> bytes:
        """What the decoder still holds once the input has ended."""
        return self._d.flush() if self._d is not None else b""


async def _read_capped(
    response: httpcore.Response, headers: Mapping[str, str], cap: int, url: str
) -> bytes:
    """The body of `response`, decompressed by hand so that the cap binds on the output."""
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        inflater = None
        declared = headers.get("content-length", "")
        size = bounded_int(declared, cap + 1)  # 5,000 digits must not reach int()
        if size is not None and size > cap:
            raise ResponseTooLargeError(f"body of {declared[:24]} bytes exceeds {cap}", url=url)
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater(encoding)
    else:
        raise FetchError(
            f"unsupported content-encoding {encoding!r}", url=url, status=response.status
        )
    # the chunks are joined once at the end (one copy; none for a body read in one chunk),
    # not grown in a bytearray and copied out again
    parts: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_stream():
            chunk = inflater.feed(raw, cap - size + 1) if inflater else raw
            parts.append(chunk)
            size += len(chunk)
            if size > cap:
                raise ResponseTooLargeError(f"body exceeds {cap} bytes", url=url)
        if inflater is not None:
            tail = inflater.flush()
            parts.append(tail)
            size += len(tail)
    except zlib.error as exc:
        raise FetchError(
            f"corrupt {encoding} body: {exc}", url=url, status=response.status
        ) from exc
    if size > cap:
        raise ResponseTooLargeError(f"body exceeds {cap} bytes", url=url)
    return b"".join(parts)


def _text_headers(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """Response headers by lower-case name, decoded and joined as httpx's Headers do: ASCII,
    else UTF-8, else Latin-1 for all of them; a repeated name's values joined with ", "."""
    for codec in ("ascii", "utf-8", "iso-8859-1"):
        try:
            pairs = [(k.decode(codec).lower(), v.decode(codec)) for k, v in raw]
        except UnicodeDecodeError:
            continue
        break
    found: dict[str, str] = {}
    for key, value in pairs:
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found


KEEPALIVE = 5.0  # seconds an idle pooled connection is kept
# httpcore's failures with an answer never received (httpx maps the same ones to its own)
_HTTPCORE_ERRORS = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
)


class _Origin:
    """One origin's httpcore pool and the number of its requests whose responses are open."""

    def __init__(self, pool: httpcore.AsyncConnectionPool) -> None:
        self.pool, self.open = pool, 0


class _Pools:
    """One small httpcore pool per origin (scheme, host, port), all dialing through the guard.

    httpcore's pool does work quadratic in its size on every request and every response (each
    idle connection counts the whole pool; encode/httpx#3215): a pool of a few dozen
    connections cost a third of the client's CPU per request. The client already lets at most
    `per_host` requests reach one host, so a pool per origin of that size loses nothing.
    Pools with no open response whose connections have all expired are closed by a sweep at
    most once per keep-alive period.

    Requests go to httpcore directly, not through an httpx.AsyncClient: the client follows
    redirects, caps sizes and keeps time itself, and httpx's layers (request and response
    models, header merging, the cookie jar, auth and redirect generators, hooks) cost ~40% of
    a conditional GET's CPU on loopback (bench/bench_throughput.py).
    """

    def __init__(self, backend: httpcore.AsyncNetworkBackend, per_host: int) -> None:
        self._backend, self._per_host = backend, per_host
        # (httpx's, so the CA bundle is the one httpx would use; loaded once for all pools)
        self._ssl = httpx.create_ssl_context(trust_env=False)
        self._origins: dict[tuple[bytes, bytes, int | None], _Origin] = {}
        self._swept = time.monotonic()

    @contextlib.asynccontextmanager
    async def stream(self, request: httpcore.Request) -> AsyncIterator[httpcore.Response]:
        """The response to `request`, open until the block ends (its connection then goes
        back to its pool)."""
        await self._sweep()  # before this request takes a pool: nothing of it can be cut off
        url = request.url
        key = (url.scheme, url.host, url.port)
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = _Origin(
                httpcore.AsyncConnectionPool(
                    ssl_context=self._ssl,
                    max_connections=self._per_host,
                    max_keepalive_connections=self._per_host,
                    keepalive_expiry=KEEPALIVE,
                    network_backend=self._backend,
                )
            )
        origin.open += 1
        try:
            response = await origin.pool.handle_async_request(request)
            try:
                yield response
            finally:
                await response.aclose()
        finally:
            origin.open -= 1

    async def _sweep(self) -> None:
        """Close the pools that hold only expired connections (or none) and nothing open."""
        now = time.monotonic()
        if now - self._swept < KEEPALIVE:
            return
        self._swept = now
        idle = [
            key
            for key, origin in self._origins.items()
            if origin.open == 0
            and all(c.is_closed() or c.has_expired() for c in origin.pool.connections)
        ]
        closing = [self._origins.pop(key).pool for key in idle]
        for pool in closing:
            try:
                await pool.aclose()
            except Exception as exc:  # a dead socket's close must not fail another request
                log.debug("fetch.pool_close_failed error=%s", type(exc).__name__)

    async def aclose(self) -> None:
        origins, self._origins = list(self._origins.values()), {}
        for origin in origins:
            await origin.pool.aclose()


@functools.lru_cache(maxsize=8192)
def _parse(url: str) -> httpx.URL:
    """httpx's parse of `url`, kept for the next poll of the same feed (httpx.URL is
    immutable; parsing was ~8% of a 304 poll's CPU). A URL it refuses is not kept."""
    return httpx.URL(url)


def _check_target(url: str) -> httpx.URL:
    try:
        parsed = _parse(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(f"invalid URL ({exc})", url=url) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"refused scheme {parsed.scheme or '(none)'!r}", url=url)
    return parsed


def redirect_target(base: httpx.URL, location: str) -> httpx.URL:
    """The absolute URL a Location header names, as httpx itself resolves it.

    httpx builds the next request of every redirect (even when not following it) and raises
    httpx.InvalidURL on a location it cannot resolve, such as `http:\\\\host/` (a scheme
    without an authority, which browsers would read as `http://host/`): refused here first.
    """
    try:
        parsed = httpx.URL(location.strip())
        if parsed.scheme and not parsed.host:
            raise httpx.InvalidURL("a scheme without a host")
        return base.join(parsed)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"invalid redirect location ({exc})", url=str(base)) from exc


class GuardedClient:
    """One shared set of connection pools behind the SSRF guard; `get` never leaves its limits.

    Use as `async with GuardedClient(settings.allowed_networks) as client: await client.get(url)`.
    Non-2xx statuses come back as results; failures raise FetchError subclasses.
    """

    def __init__(
        self,
        allowed_networks: Sequence[IPNetwork] = (),
        *,
        max_bytes: int = 10 * MiB,
        deadline: float = 30.0,
        user_agent: str = DEFAULT_USER_AGENT,
        max_connections: int = 100,
        per_host: int = 2,
    ) -> None:
        self.allowed_networks = tuple(allowed_networks)
        self.max_bytes, self.deadline, self.per_host = max_bytes, deadline, per_host
        self.user_agent, self.max_connections = user_agent, max_connections
        self._pools: _Pools | None = None
        # no read or write timeout: the total deadline bounds them (and a timeout of their
        # own costs a cancel scope per call, see guard._Stream)
        self._timeouts = {"connect": deadline, "pool": deadline, "read": None, "write": None}
        # what every request carries (as httpx sent it), then the call's own headers
        self._base = {
            "accept": "*/*",
            "connection": "keep-alive",
            "user-agent": user_agent,
            "accept-encoding": ACCEPT_ENCODING,
        }
        # the cookie jar an httpx.AsyncClient keeps: a site's cookies go back to it (a cookie
        # check that redirects to itself works); touched only when a site sets cookies
        self._cookies = httpx.Cookies()
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._in_flight = asyncio.Semaphore(max_connections)  # requests across all hosts

    async def __aenter__(self) -> Self:
        self._pools = _Pools(GuardedBackend(self.allowed_networks), self.per_host)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        if self._pools is not None:
            pools, self._pools = self._pools, None
            await pools.aclose()

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        deadline: float | None = None,
    ) -> FetchResult:
        """GET `url`, following up to five redirects, each hop vetted, all within one deadline."""
        limit = self.deadline if deadline is None else deadline
        started = time.monotonic()
        try:
            async with asyncio.timeout(limit):
                result = await self._follow(
                    url, dict(headers or {}), self.max_bytes if max_bytes is None else max_bytes
                )
        except TimeoutError as exc:
            log.info("fetch.timeout origin=%s deadline=%s", origin(url), limit)
            raise FetchTimeoutError(f"no complete response within {limit:g}s", url=url) from exc
        elapsed = time.monotonic() - started
        if log.isEnabledFor(logging.DEBUG):  # origin() parses the URL: not for a dropped line
            log.debug(
                "fetch.done origin=%s status=%d bytes=%d ms=%d",
                origin(result.url),
                result.status,
                len(result.body),
                elapsed * 1000,
            )
        return FetchResult(
            result.url, result.status, result.headers, result.body, result.redirects, elapsed
        )

    async def _follow(self, url: str, headers: dict[str, str], cap: int) -> FetchResult:
        current, hops = url, list[tuple[int, str]]()
        for _ in range(MAX_REDIRECTS + 1):
            target = _check_target(current)
            status, response_headers, body = await self._hop(target, headers, cap)
            location = response_headers.get("location")
            if status in REDIRECT_STATUSES and location:
                try:
                    following = redirect_target(target, location)
                except FetchError as exc:
                    raise FetchError(exc.reason, url=str(target), status=status) from exc
                if following.scheme not in ("http", "https"):
                    raise FetchError(
                        f"redirect to refused scheme {following.scheme!r}",
                        url=str(target),
                        status=status,
                    )
                current = str(following)
                hops.append((status, current))
                continue
            return FetchResult(str(target), status, response_headers, body, tuple(hops))
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", url=url, status=hops[-1][0])

    @contextlib.asynccontextmanager
    async def _slot(self, target: httpx.URL) -> AsyncIterator[None]:
        key = f"{target.host}:{target.port or ''}"
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = asyncio.Semaphore(self.per_host)
        async with slot, self._in_flight:
            yield

    async def _hop(
        self, target: httpx.URL, headers: Mapping[str, str], cap: int
    ) -> tuple[int, dict[str, str], bytes]:
        if self._pools is None:
            raise RuntimeError("GuardedClient used outside `async with`")
        url = str(target)
        try:
            request = self._request(target, headers)
            async with self._slot(target), self._pools.stream(request) as response:
                found = _text_headers(response.headers)
                if "set-cookie" in found:
                    self._keep_cookies(target, response)
                if response.status in REDIRECT_STATUSES and "location" in found:
                    return response.status, found, b""
                body = await _read_capped(response, found, cap, url)
                return response.status, found, body
        except AddressRefused as exc:
            raise BlockedAddressError(
                f"address {exc.address} of {exc.host} is not public and not allowed", url=url
            ) from exc
        except httpcore.TimeoutException as exc:
            raise FetchTimeoutError(f"timed out ({type(exc).__name__})", url=url) from exc
        except _HTTPCORE_ERRORS as exc:
            raise FetchError(f"connection failed ({type(exc).__name__}: {exc})", url=url) from exc
        except httpx.InvalidURL as exc:  # whatever httpx's URL still refuses
            raise FetchError(f"invalid URL ({exc})", url=url) from exc

    def _request(self, target: httpx.URL, headers: Mapping[str, str]) -> httpcore.Request:
        """The GET of `target` as httpx would send it: Host first, then the client's headers,
        then the call's (a call's header replaces the client's of the same name)."""
        merged = {**self._base, **{k.lower(): v for k, v in headers.items()}}
        if len(self._cookies.jar) and "cookie" not in merged:
            shim = httpx.Request("GET", target)
            self._cookies.set_cookie_header(shim)
            if "cookie" in shim.headers:
                merged["cookie"] = shim.headers["cookie"]
        return httpcore.Request(
            b"GET",
            httpcore.URL(
                scheme=target.raw_scheme,
                host=target.raw_host,
                port=target.port,
                target=target.raw_path,
            ),
            headers=[
                (b"host", target.netloc),
                *((k.encode("ascii"), v.encode("ascii")) for k, v in merged.items()),
            ],
            extensions={"timeout": self._timeouts},
        )

    def _keep_cookies(self, target: httpx.URL, response: httpcore.Response) -> None:
        """Store the cookies `response` sets, under the rules httpx's jar applies."""
        request = httpx.Request("GET", target)
        self._cookies.extract_cookies(
            httpx.Response(response.status, headers=response.headers, request=request)
        )
