"""Guarded HTTP client: SSRF guard on every hop, total deadline, bounded inflation, size cap."""

import asyncio
import contextlib
import logging
import ssl
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


async def _read_capped(response: httpx.Response, cap: int, url: str) -> bytes:
    """The body of `response`, decompressed by hand so that the cap binds on the output."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        inflater = None
        declared = response.headers.get("content-length", "")
        size = bounded_int(declared, cap + 1)  # 5,000 digits must not reach int()
        if size is not None and size > cap:
            raise ResponseTooLargeError(f"body of {declared[:24]} bytes exceeds {cap}", url=url)
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater(encoding)
    else:
        raise FetchError(
            f"unsupported content-encoding {encoding!r}", url=url, status=response.status_code
        )
    body = bytearray()
    try:
        async for raw in response.aiter_raw():
            body += inflater.feed(raw, cap - len(body) + 1) if inflater else raw
            if len(body) > cap:
                raise ResponseTooLargeError(f"body exceeds {cap} bytes", url=url)
        if inflater is not None:
            body += inflater.flush()
    except zlib.error as exc:
        raise FetchError(
            f"corrupt {encoding} body: {exc}", url=url, status=response.status_code
        ) from exc
    if len(body) > cap:
        raise ResponseTooLargeError(f"body exceeds {cap} bytes", url=url)
    return bytes(body)


KEEPALIVE = 5.0  # seconds an idle pooled connection is kept


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over an httpcore pool that dials through the guard."""

    def __init__(
        self,
        backend: httpcore.AsyncNetworkBackend,
        max_connections: int,
        ssl_context: ssl.SSLContext,
    ) -> None:
        # verify=ssl_context: httpx would otherwise load the CA bundle again (~14 ms) per pool
        super().__init__(verify=ssl_context, trust_env=False, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=KEEPALIVE,
            network_backend=backend,
        )

    @property
    def connections(self) -> list[httpcore.AsyncConnectionInterface]:
        """The pool's connections."""
        return self._pool.connections


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its origin's pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, origin: "_Origin") -> None:
        self._stream, self._origin = stream, origin
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._open:
                self._open = False
                self._origin.done()


class _Origin:
    """One origin's pool and the number of its requests whose responses are still open."""

    def __init__(self, transport: _GuardedTransport) -> None:
        self.transport, self.open = transport, 0

    def done(self) -> None:
        self.open -= 1


class _PerOriginTransport(httpx.AsyncBaseTransport):
    """One small httpcore pool per origin (scheme, host, port), all dialing through the guard.

    httpcore's pool does work quadratic in its size on every request and every response (each
    idle connection counts the whole pool; encode/httpx#3215): a pool of a few dozen
    connections cost a third of the client's CPU per request. The client already lets at most
    `per_host` requests reach one host, so a pool per origin of that size loses nothing.
    Pools with no open response whose connections have all expired are closed by a sweep at
    most once per keep-alive period.
    """

    def __init__(self, backend: httpcore.AsyncNetworkBackend, per_host: int) -> None:
        self._backend, self._per_host = backend, per_host
        self._ssl = httpx.create_ssl_context(trust_env=False)
        self._origins: dict[tuple[bytes, bytes, int | None], _Origin] = {}
        self._swept = time.monotonic()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._sweep()  # before this request takes a pool: nothing of it can be cut off
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = _Origin(
                _GuardedTransport(self._backend, self._per_host, self._ssl)
            )
        origin.open += 1
        try:
            response = await origin.transport.handle_async_request(request)
        except BaseException:
            origin.done()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Counted(response.stream, origin)
        return response

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
            and all(c.is_closed() or c.has_expired() for c in origin.transport.connections)
        ]
        closing = [self._origins.pop(key).transport for key in idle]
        for transport in closing:
            try:
                await transport.aclose()
            except Exception as exc:  # a dead socket's close must not fail another request
                log.debug("fetch.pool_close_failed error=%s", type(exc).__name__)

    async def aclose(self) -> None:
        origins, self._origins = list(self._origins.values()), {}
        for origin in origins:
            await origin.transport.aclose()


def _check_target(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
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


async def _vet_location(response: httpx.Response) -> None:
    """Refuse a redirect to a non-http(s) or malformed location before httpx tries to build it."""
    location = response.headers.get("location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return
    url = str(response.request.url)
    try:
        target = redirect_target(response.request.url, location)
    except FetchError as exc:
        raise FetchError(exc.reason, url=url, status=response.status_code) from exc
    if target.scheme not in ("http", "https"):
        raise FetchError(
            f"redirect to refused scheme {target.scheme!r}", url=url, status=response.status_code
        )


class GuardedClient:
    """One shared httpx.AsyncClient behind the SSRF guard; `get` never leaves its limits.

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
        self._client: httpx.AsyncClient | None = None
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._in_flight = asyncio.Semaphore(max_connections)  # requests across all hosts

    async def __aenter__(self) -> Self:
        transport = _PerOriginTransport(GuardedBackend(self.allowed_networks), self.per_host)
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(self.deadline),
            headers={"user-agent": self.user_agent, "accept-encoding": ACCEPT_ENCODING},
            event_hooks={"response": [_vet_location]},
        )
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
        if self._client is not None:
            await self._client.aclose()
            self._client = None

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
                    current = str(redirect_target(target, location))
                except FetchError as exc:
                    raise FetchError(exc.reason, url=str(target), status=status) from exc
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
        if self._client is None:
            raise RuntimeError("GuardedClient used outside `async with`")
        url = str(target)
        try:
            async with (
                self._slot(target),
                self._client.stream("GET", target, headers=headers) as response,
            ):
                found = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code in REDIRECT_STATUSES and "location" in found:
                    return response.status_code, found, b""
                body = await _read_capped(response, cap, url)
                return response.status_code, found, body
        except AddressRefused as exc:
            raise BlockedAddressError(
                f"address {exc.address} of {exc.host} is not public and not allowed", url=url
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeoutError(f"timed out ({type(exc).__name__})", url=url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed ({type(exc).__name__}: {exc})", url=url) from exc
        except httpx.InvalidURL as exc:  # not an HTTPError; whatever httpx still refuses
            raise FetchError(f"invalid URL ({exc})", url=url) from exc
