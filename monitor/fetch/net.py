"""httpcore's network streams on asyncio's own transports (the guard dials through them)."""

import asyncio
import ssl
from collections import deque
from typing import Any

import httpcore
from httpcore._utils import is_socket_readable

# Bytes a connection may hold unread before the socket stops being read (the reader, capped
# by the client, takes them in chunks; a fast server must not fill memory meanwhile).
READ_HIGH_WATER = 256 * 1024
READ_LOW_WATER = 64 * 1024


class _Protocol(asyncio.Protocol):
    """Buffers what arrives for one stream and wakes its reader or writer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.error: Exception | None = None
        self.reader: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None
        self.write_paused = False
        self.read_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport (to pause and resume reading)."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Buffer `data`; stop reading the socket past the high-water mark."""
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > READ_HIGH_WATER and not self.read_paused and self.transport:
            self.read_paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        """The server finished sending: a read past the buffer returns b""."""
        self.eof = True
        self._wake_reader()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake whoever waits; a read past the buffer then fails (or returns b"")."""
        self.eof = True
        self.error = exc
        self._wake_reader()
        self._wake_writer()

    def pause_writing(self) -> None:
        """The transport's send buffer is full: writers wait."""
        self.write_paused = True

    def resume_writing(self) -> None:
        """The send buffer drained."""
        self.write_paused = False
        self._wake_writer()

    def take(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of what is buffered (the buffer is not empty)."""
        data = self.chunks.popleft()
        if len(data) > max_bytes:
            self.chunks.appendleft(data[max_bytes:])
            data = data[:max_bytes]
        self.buffered -= len(data)
        if self.read_paused and self.buffered <= READ_LOW_WATER and self.transport:
            self.read_paused = False
            self.transport.resume_reading()
        return data

    def _wake_reader(self) -> None:
        if self.reader is not None and not self.reader.done():
            self.reader.set_result(None)

    def _wake_writer(self) -> None:
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore's stream: reads, writes and TLS on the event loop's own
    transport, errors mapped to httpcore's (ReadError, WriteTimeout, ConnectError, ...).

    httpcore's anyio streams cost a cancel scope and an extra trip round the event loop
    (a checkpoint) on every read and write, ~a quarter of a conditional GET's CPU; here a
    read that finds data buffered returns at once and a timer exists only while waiting.
    """

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport, self._protocol = transport, protocol
        protocol.transport = transport
        self._socket = transport.get_extra_info("socket")

    async def read(
        self,
        max_bytes: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> bytes:
        """Up to `max_bytes` (b"" once the server closed); ReadTimeout after `timeout` s."""
        protocol = self._protocol
        if not protocol.chunks and not protocol.eof:
            protocol.reader = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await protocol.reader
            except TimeoutError as exc:
                raise httpcore.ReadTimeout("timed out reading") from exc
            finally:
                protocol.reader = None
        if protocol.chunks:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""

    async def write(
        self,
        buffer: bytes,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> None:
        """Send `buffer`; waits (WriteTimeout after `timeout` s) while the peer is not reading."""
        if not buffer:
            return
        protocol = self._protocol
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        try:
            self._transport.write(buffer)
        except (OSError, RuntimeError) as exc:
            raise httpcore.WriteError(str(exc)) from exc
        while protocol.write_paused and not protocol.eof:
            protocol.writable = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await protocol.writable
            except TimeoutError as exc:
                raise httpcore.WriteTimeout("timed out writing") from exc
            finally:
                protocol.writable = None
        if protocol.eof and protocol.error is not None:
            raise httpcore.WriteError(str(protocol.error) or type(protocol.error).__name__)

    async def aclose(self) -> None:
        """Close the connection (a TLS one says close_notify first, in the background)."""
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        """TLS over this connection, verifying the certificate for `server_hostname`."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                )
        except TimeoutError as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:  # (the connection closed during the handshake)
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a stream: is_readable (has the server sent anything or
        closed an idle connection?), ssl_object, client_addr, server_addr, socket."""
        if info == "is_readable":
            protocol = self._protocol
            return bool(protocol.chunks) or protocol.eof or is_socket_readable(self._socket)
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._socket
        return None


async def connect_tcp(
    address: str,
    port: int,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    local_address: str | None = None,
    socket_options: list[httpcore.SOCKET_OPTION] | None = None,
) -> AsyncioStream:
    """Dial `address` (an IP the guard vetted): ConnectTimeout or ConnectError on failure.
    asyncio sets TCP_NODELAY on its stream transports, as anyio did."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await loop.create_connection(
                _Protocol,
                address,
                port,
                local_addr=(local_address, 0) if local_address else None,
            )
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"timed out connecting to {address}") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    stream = AsyncioStream(transport, protocol)
    if socket_options:
        for option in socket_options:
            stream.get_extra_info("socket").setsockopt(*option)
    return stream
