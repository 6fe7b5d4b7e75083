"""The SSRF guard: an httpcore network backend that vets every address after DNS, then dials it."""

import asyncio
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import anyio
import anyio.abc
import httpcore
from httpcore._backends.anyio import AnyIOBackend
from httpcore._utils import is_socket_readable

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(Exception):  # not an httpcore error, so httpx lets it through unmapped
    """A name resolved (at least partly) to an address that is neither public nor allowed."""

    def __init__(self, host: str, address: str) -> None:
        self.host, self.address = host, address
        super().__init__(f"address {address} of host {host} is not public and not allowed")


# NAT64 (RFC 6052): the well-known prefix carries an IPv4 address in its last 32 bits (and
# is what DNS64 answers on IPv6-only networks, so a public one must pass); the local-use
# prefix (RFC 8215) is never public.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _spelled_v4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one is only another spelling of (IPv4-mapped, NAT64)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _tunnelled_v4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses a 6to4 (2002::/16) or Teredo (2001::/32) address leads to."""
    if address.sixtofour is not None:
        return (address.sixtofour,)
    return address.teredo or ()


def _listed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in allowed)


def _public(address: IPAddress) -> bool:
    return bool(address.is_global and not address.is_multicast and not address.is_reserved)


def is_allowed(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> bool:
    """True when `address` is public (global unicast), or lies in one of `allowed`.

    An IPv6 address that embeds an IPv4 one gets that address's verdict: IPv4-mapped and
    NAT64 spellings are judged as the IPv4 address; 6to4 and Teredo addresses pass only when
    the IPv4 addresses they tunnel to pass too (2002:7f00:3:: is 127.0.0.3).
    """
    if _listed(address, allowed):
        return True
    v4 = _spelled_v4(address)
    if v4 is not None:
        return _listed(v4, allowed) or _public(v4)
    if not isinstance(address, ipaddress.IPv6Address):
        return _public(address)
    if address in _NAT64_LOCAL:
        return False
    return _public(address) and all(
        _listed(inner, allowed) or _public(inner) for inner in _tunnelled_v4(address)
    )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses the whole answer if any address is refused, dials an IP.

    httpcore then runs TLS over the returned stream with the original host name, so certificate
    verification still checks the name and not the IP.
    """

    def __init__(self, allowed: Sequence[IPNetwork] = ()) -> None:
        self._allowed = tuple(allowed)
        self._inner = AnyIOBackend()

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, each vetted; AddressRefused on the first bad one."""
        name = host.strip("[]")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                name, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {name}: {exc}") from exc
        addresses = _unique(str(info[4][0]) for info in infos)
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not is_allowed(address, self._allowed):
                log.warning("fetch.blocked host=%s address=%s", name, text)
                raise AddressRefused(name, text)
        if not addresses:
            raise httpcore.ConnectError(f"{name} has no address")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Dial the first vetted address that answers."""
        addresses = await self.resolve(host, port)
        options = list(socket_options) if socket_options is not None else None
        last: Exception | None = None
        for address in addresses:
            try:
                return _Stream(
                    await self._inner.connect_tcp(
                        address,
                        port,
                        timeout=timeout,
                        local_address=local_address,
                        socket_options=options,
                    )
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # addresses is never empty here
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never a fetch target."""
        raise httpcore.ConnectError("unix sockets are refused by the fetch guard")

    async def sleep(self, seconds: float) -> None:
        """Delegate to anyio."""
        await self._inner.sleep(seconds)


# httpcore reads 64 KiB at a time; asyncio's transport receives up to 256 KiB at once, and
# anyio hands such a chunk back in 64 KiB slices, each a trip through anyio, httpcore, h11 and
# the caller's loop (a 170 KB page took ~4 reads). Reading what arrived in one go costs no
# memory that was not already received; the body caps still apply to every chunk.
READ_SIZE = 256 * 1024


class _Stream(httpcore.AsyncNetworkStream):
    """anyio's stream with a cheap `is_readable`, and reads and writes without a timeout of
    their own that skip httpcore's per-call wrapper.

    httpcore's pool asks every pooled connection `is_readable` on every request (has it been
    closed by the server?); anyio answers by building its whole attribute table, a
    getpeername() call included, each time: with a few dozen pooled connections that was
    ~10% of the daemon's CPU. The raw socket is looked up once instead; the answer is the same
    (a TLS stream's raw socket is its transport's).

    httpcore wraps every read and write in `anyio.fail_after(timeout)`, a cancel scope even
    when the timeout is None (~12% of a request's CPU on loopback). The client sends no read
    or write timeout (its total deadline, `asyncio.timeout` around the whole request, bounds
    every read and write already), so those calls go to anyio's stream directly, with
    httpcore's mapping of anyio's errors; a call with a timeout still goes through httpcore.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")
        # the anyio stream under httpcore's AnyIOStream (None if httpcore ever stops keeping
        # it there: every call then takes httpcore's own path)
        raw = getattr(inner, "_stream", None)
        self._raw: anyio.abc.ByteStream | None = (
            raw if isinstance(raw, anyio.abc.ByteStream) else None
        )

    async def read(
        self,
        max_bytes: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> bytes:
        """What has arrived, up to `max_bytes` or READ_SIZE; b"" at the end of the stream."""
        size = max(max_bytes, READ_SIZE)
        if timeout is not None or self._raw is None:
            return await self._inner.read(size, timeout)
        try:
            return await self._raw.receive(size)
        except anyio.EndOfStream:
            return b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise httpcore.ReadError(exc) from exc

    async def write(
        self,
        buffer: bytes,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> None:
        """Send all of `buffer` (h11 hands over b"" twice a GET: nothing to do)."""
        if not buffer:
            return
        if timeout is not None or self._raw is None:
            await self._inner.write(buffer, timeout)
            return
        try:
            await self._raw.send(buffer)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise httpcore.WriteError(exc) from exc

    async def aclose(self) -> None:
        """Delegate."""
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        """TLS over this stream (verifying `server_hostname`), wrapped the same way."""
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        """`is_readable` from the cached socket; anything else from anyio."""
        if info == "is_readable":
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)
