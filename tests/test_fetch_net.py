"""httpcore's streams on asyncio transports: bounded buffering, timeouts, a closed peer."""

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import httpcore
import pytest

from monitor.fetch.net import AsyncioStream, connect_tcp

MiB = 1024 * 1024


@pytest.fixture
def tcp_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """serve(handler) -> port: a loopback listener that hands its first connection to
    `handler` on a thread (the test's peer)."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def serve(handler: Callable[[socket.socket], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def accept() -> None:
            conn, _ = listener.accept()
            with conn:
                handler(conn)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        threads.append(thread)
        return int(listener.getsockname()[1])

    yield serve
    for listener in listeners:
        listener.close()
    for thread in threads:
        thread.join(5)


async def _read_all(stream: AsyncioStream) -> bytes:
    parts = []
    while chunk := await stream.read(65536, timeout=5):
        parts.append(chunk)
    return b"".join(parts)


async def test_a_fast_server_waits_in_its_socket_not_in_our_memory(
    tcp_server: Callable[[Callable[[socket.socket], None]], int],
) -> None:
    """While nobody reads, the stream stops taking bytes past its high-water mark: a server
    sending 32 MiB cannot finish until they are read, and then all of them arrive in order."""
    payload = bytes(range(256)) * (32 * MiB // 256)
    sent = threading.Event()

    def flood(conn: socket.socket) -> None:
        conn.sendall(payload)
        sent.set()

    stream = await connect_tcp("127.0.0.1", tcp_server(flood), timeout=5)
    try:
        await asyncio.sleep(0.5)
        assert not sent.is_set()
        assert await _read_all(stream) == payload
        assert sent.wait(5)
    finally:
        await stream.aclose()


async def test_reads_are_bounded_by_max_bytes_and_end_with_the_peer(
    tcp_server: Callable[[Callable[[socket.socket], None]], int],
) -> None:
    """A read returns at most `max_bytes` of what arrived; once the peer has closed and the
    buffer is empty, reads return b"" and the idle connection reports itself readable (httpcore
    then drops it from its pool)."""
    stream = await connect_tcp(
        "127.0.0.1", tcp_server(lambda conn: conn.sendall(b"abcdef")), timeout=5
    )
    try:
        assert await stream.read(4, timeout=5) == b"abcd"
        assert await stream.read(100, timeout=5) == b"ef"
        assert await stream.read(100, timeout=5) == b""
        assert stream.get_extra_info("is_readable") is True
    finally:
        await stream.aclose()


async def test_a_silent_server_times_out_the_read(
    tcp_server: Callable[[Callable[[socket.socket], None]], int],
) -> None:
    """A read waits at most its timeout (httpcore's ReadTimeout); the connection stays usable."""
    release = threading.Event()

    def silent(conn: socket.socket) -> None:
        release.wait(5)
        conn.sendall(b"late")

    stream = await connect_tcp("127.0.0.1", tcp_server(silent), timeout=5)
    try:
        assert stream.get_extra_info("is_readable") is False
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(100, timeout=0.2)
        release.set()
        assert await stream.read(100, timeout=5) == b"late"
    finally:
        await stream.aclose()


async def test_dialing_a_closed_port_is_a_connect_error() -> None:
    """Nothing listening: httpcore's ConnectError (the client maps it to a FetchError)."""
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(httpcore.ConnectError):
        await connect_tcp("127.0.0.1", port, timeout=5)
