"""Test helpers for alerts: seeding outbox rows, a verifying webhook receiver, an SMTP server."""

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from sqlmodel import select
from standardwebhooks import Webhook, WebhookVerificationError

from monitor.alerts.payload import build_payload
from monitor.store import Database
from monitor.store.models import ArticleRow, FeedRow, OutboxRow
from monitor.types import Evidence, NewArticle, Tag

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def tags() -> tuple[Tag, ...]:
    """Two tags with evidence, as the matcher would give them."""
    return (
        Tag(
            "wang-yi",
            "actor",
            "Wang Yi",
            3,
            Evidence("Wang Yi met the delegation in Beijing.", 0, 38),
        ),
        Tag(
            "taiwan",
            "issue",
            "Taiwan",
            2,
            Evidence("Both sides discussed Taiwan at length.", 40, 78),
        ),
    )


def article(n: int, *, feed: str = "world", title: str | None = None) -> NewArticle:
    """A distinct article number `n` of `feed`."""
    return NewArticle(
        feed=feed,
        guid=f"guid-{n}",
        url=f"https://news.example.org/{n}",
        canonical_url=f"https://news.example.org/{n}",
        title=title or f"Story number {n}",
        author="A. Reporter",
        published=T0 - timedelta(hours=1),
        language="en",
        text="Wang Yi met the delegation in Beijing. Both sides discussed Taiwan at length.",
        fingerprint=f"{n:064x}",
        simhash=n,
        tags=tags(),
    )


def seed(
    db: Database,
    channels: Sequence[str],
    *,
    count: int = 1,
    watch: str = "desk",
    now: datetime = T0,
    feed: str = "world",
    title: str | None = None,
    stored_at: datetime | None = None,
) -> list[int]:
    """Store `count` articles, each with one pending outbox row per channel; the row ids."""
    ids: list[int] = []
    with db.write() as s:
        feed_row = s.exec(select(FeedRow).where(FeedRow.name == feed)).one_or_none()
        if feed_row is None:
            feed_row = FeedRow(
                name=feed, url=f"https://news.example.org/{feed}.xml", created_at=now
            )
            s.add(feed_row)
            s.flush()
        start = len(s.exec(select(ArticleRow.id)).all())
        for i in range(start, start + count):
            art = article(i, feed=feed, title=title)
            row = ArticleRow(
                feed_id=feed_row.id or 0,
                guid=art.guid,
                url=art.url,
                canonical_url=art.canonical_url,
                title=art.title,
                published=art.published,
                text=art.text,
                fingerprint=art.fingerprint,
                simhash=art.simhash,
                band0=0,
                band1=0,
                band2=0,
                band3=0,
                stored_at=stored_at or now,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            payload = json.dumps(build_payload(watch=watch, article=art, tags=art.tags, now=now))
            for channel in channels:
                out = OutboxRow(
                    channel=channel,
                    watch=watch,
                    article_id=row.id,
                    story_id=row.id,
                    dedup_key=f"{watch}|{channel}|{row.id}",
                    payload=payload,
                    state="pending",
                    next_attempt_at=now,
                    created_at=stored_at or now,
                )
                s.add(out)
                s.flush()
                assert out.id is not None
                ids.append(out.id)
    return ids


class Clock:
    """A settable clock for the relay: `now()` returns the current value."""

    def __init__(self, start: datetime = T0) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.value += timedelta(**delta)


# ---- a webhook receiver ---------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got, checked as a Standard Webhooks receiver would."""

    path: str
    msg_id: str
    timestamp: str
    verified: bool
    payload: Any
    at: float  # time.monotonic() on arrival


@dataclass
class Answer:
    """What the receiver answers: status, headers, and a stall before answering."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0


Script = Callable[[str, int], Answer]  # (path, how many earlier posts of this msg id) -> Answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.server.owner._receive(self.path, headers, body)
        if answer.stall:
            time.sleep(answer.stall)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()
        except OSError:  # the sender gave up (timeout, or it was killed)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "WebhookReceiver"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender that hung up mid-exchange is expected in these tests."""


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that verifies Standard Webhooks signatures with the
    `standardwebhooks` package and answers by a script (default: 204 at once)."""

    def __init__(self, secret: str = SECRET, script: Script | None = None) -> None:
        self.secret, self.script = secret, script or (lambda path, n: Answer())
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
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
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/hook") -> str:
        """The absolute URL of `path`."""
        return f"http://127.0.0.1:{self.port}{path}"

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, ValueError):  # HAZARDS 10: not only the first
            payload, verified = json.loads(body or b"null"), False
        msg_id = headers.get("webhook-id", "")
        with self._lock:
            seen = sum(1 for d in self.deliveries if d.msg_id == msg_id)
            self.deliveries.append(
                Delivery(
                    path,
                    msg_id,
                    headers.get("webhook-timestamp", ""),
                    verified,
                    payload,
                    time.monotonic(),
                )
            )
        return self.script(path, seen)

    def ids(self, path: str | None = None) -> list[str]:
        """The webhook-ids received (on `path`), in arrival order."""
        with self._lock:
            return [d.msg_id for d in self.deliveries if path is None or d.path == path]

    def wait_for(
        self, predicate: Callable[["WebhookReceiver"], bool], timeout: float = 20.0
    ) -> bool:
        """Poll until `predicate(self)` holds or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return predicate(self)


def receiver(script: Script | None = None) -> Iterator[WebhookReceiver]:
    """Generator body for fixtures: a started receiver, closed afterwards."""
    with WebhookReceiver(script=script) as rec:
        yield rec
