"""A real, threaded HTTP/1.1 test server on a loopback address with routes and a request log.

Usage (the `http_server` fixture in conftest.py yields one on 127.0.0.1):

    http_server.route("/feed.xml", body=rss, headers={"content-type": "application/rss+xml"},
                      etag='"v1"')                # answers 304 to If-None-Match: "v1"
    http_server.route("/old", status=301, headers={"location": "/feed.xml"})
    http_server.route("/slow", body=b"x" * 100, drip=0.5)     # one byte every 0.5 s
    http_server.route("/late", body=b"ok", delay=3.0)          # waits before the headers
    http_server.route("/dyn", handler=lambda req: Reply(200, {}, req.path.encode()))
    url = http_server.url("/feed.xml")
    http_server.requests        # [Recorded(method, path, headers), ...] in arrival order
    http_server.hits("/feed.xml")

Start one on another loopback address with `with HTTPTestServer("127.0.0.2") as srv: ...`.
"""

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str  # with the query string
    headers: Mapping[str, str]  # lower-case names


@dataclass(frozen=True)
class Reply:
    """What a dynamic handler answers."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Route:
    """A canned answer for one path (query ignored when matching)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before the status line
    drip: float | None = None  # seconds between single body bytes
    etag: str | None = None  # 304 when If-None-Match matches
    last_modified: str | None = None  # 304 when If-Modified-Since equals it
    handler: Callable[[Recorded], Reply] | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self._answer(body_in=self.rfile.read(length) if length else b"")

    def _answer(self, *, send_body: bool = True, body_in: bytes = b"") -> None:
        owner = self.server.owner
        req = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        owner._record(req, body_in)
        route = owner.routes.get(urlsplit(self.path).path)
        if route is None:
            reply = Reply(404, {"content-type": "text/plain"}, b"not found")
        elif route.handler is not None:
            reply = route.handler(req)
        else:
            reply = _canned(route, req)
        if route is not None and route.delay:
            time.sleep(route.delay)
        self.send_response(reply.status)
        names = {k.lower() for k in reply.headers}
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("content-length", str(len(reply.body)))
        self.end_headers()
        if not send_body or reply.status in (204, 304):
            return
        if route is not None and route.drip:
            for i in range(len(reply.body)):
                self.wfile.write(reply.body[i : i + 1])
                self.wfile.flush()
                time.sleep(route.drip)
        else:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def _canned(route: Route, req: Recorded) -> Reply:
    headers = dict(route.headers)
    if route.etag:
        headers.setdefault("etag", route.etag)
    if route.last_modified:
        headers.setdefault("last-modified", route.last_modified)
    if route.etag and req.headers.get("if-none-match") == route.etag:
        return Reply(304, headers, b"")
    if route.last_modified and req.headers.get("if-modified-since") == route.last_modified:
        return Reply(304, headers, b"")
    return Reply(route.status, headers, route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "HTTPTestServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up mid-body (deadline tests) is expected, not an error."""


class HTTPTestServer:
    """A threaded HTTP/1.1 server on `host` (any free port) serving registered routes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.owner = self
        self.host, self.port = host, self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, kwargs={"poll_interval": 0.05}
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        """http://host:port"""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return self.base + path

    def route(self, path: str, **kwargs: Any) -> Route:
        """Register (or replace) the answer for `path`; keywords are Route's fields."""
        route = Route(**kwargs)
        self.routes[path] = route
        return route

    def hits(self, path: str) -> list[Recorded]:
        """The requests received for `path` (query ignored)."""
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]

    def _record(self, req: Recorded, body: bytes) -> None:
        with self._lock:
            self.requests.append(req)
            self.bodies.append(body)
