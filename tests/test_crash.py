"""At least once across a crash: SIGKILL a real `monitor run` mid-delivery, restart it."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alerts_support import SECRET, Answer, WebhookReceiver
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, STORY, STORY2, Entry, page, rss, write_config

from monitor.store import Database
from monitor.store.models import OutboxRow

STORY3 = [
    "Secretary of State Antony Blinken said on Thursday that new export controls on advanced "
    "chips would take effect next month, after a review of how the technology could be used "
    "by the military.",
    "The department said allies had been consulted and that the rules were narrowly drawn, "
    "while officials in Beijing called the measures a blow to trade and promised a response.",
    "Companies that sell equipment for making semiconductors said they were still reading the "
    "rules and would say more about the effect on their sales once the details were clear.",
]


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site with three stories that each match the watch."""
    with HTTPTestServer("127.0.0.1") as server:
        server.route(
            "/news.xml",
            headers=RSS,
            body=rss(
                "News",
                [
                    Entry("s-1", server.url("/taiwan"), "Minister warns on Taiwan"),
                    Entry("s-2", server.url("/fentanyl"), "Customs checks for fentanyl"),
                    Entry("s-3", server.url("/chips"), "New export controls on chips"),
                ],
            ),
        )
        server.route("/taiwan", headers=HTML, body=page("Minister warns on Taiwan", STORY))
        server.route("/fentanyl", headers=HTML, body=page("Customs checks", STORY2))
        server.route("/chips", headers=HTML, body=page("New export controls", STORY3))
        yield server


def outbox(db_url: str) -> list[tuple[int, str, int]]:
    """(id, state, attempts) of every outbox row."""
    db = Database(db_url)
    try:
        with db.read() as s:
            rows = (
                s.connection()
                .execute(
                    sa.select(
                        OutboxRow.__table__.c.id,
                        OutboxRow.__table__.c.state,  # type: ignore[attr-defined]
                        OutboxRow.__table__.c.attempts,
                    )
                )
                .all()
            )  # type: ignore[attr-defined]
        return [(int(i), str(st), int(n)) for i, st, n in rows]
    finally:
        db.dispose()


def wait(predicate: object, timeout: float) -> bool:
    """Poll `predicate()` until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return bool(predicate())  # type: ignore[operator]


@pytest.mark.slow
def test_sigkill_mid_delivery_then_restart_delivers_every_match(
    tmp_path: Path, site: HTTPTestServer, db_url: str
) -> None:
    """The receiver holds the first deliveries; the daemon is SIGKILLed while waiting on
    them; a new daemon delivers every stored match, the held ones again under the same
    webhook-id, each with a signature the receiver verifies. On SQLite and PostgreSQL."""
    release = threading.Event()

    def script(path: str, seen: int) -> Answer:
        if not release.is_set():
            release.wait(120)  # hold the request: the daemon is mid-delivery
        return Answer(204)

    with WebhookReceiver(script=script) as rec:
        config = write_config(
            tmp_path / "feeds.toml",
            [("news", site.url("/news.xml"))],
            watches=f'[[watch]]\nname = "desk"\nnotify = ["hook"]\n\n'
            f'[channel.hook]\ntype = "webhook"\nurl = "{rec.url()}"\n'
            f'secret_env = "HOOK_SECRET"\n',
        )
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        environ.update(
            MONITOR_CONFIG=str(config),
            MONITOR_DATABASE_URL=db_url,
            MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
            HOOK_SECRET=SECRET,
        )
        log1, log2 = tmp_path / "first.log", tmp_path / "second.log"

        def start(log: Path) -> subprocess.Popen[bytes]:
            with log.open("wb") as out:
                return subprocess.Popen(
                    [sys.executable, "-m", "monitor", "-v", "run"],
                    env=environ,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )

        first = start(log1)
        try:
            held = wait(lambda: len(rec.deliveries) >= 1, 90)
            assert held, "no delivery started:\n" + log1.read_text(errors="replace")[-3000:]
            time.sleep(0.5)  # let every claimed row reach the receiver
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        before = outbox(db_url)
        assert len(before) == 3, before  # every match was stored with its alert
        assert not any(state == "delivered" for _, state, _ in before)
        held_ids = set(rec.ids())
        assert held_ids
        release.set()

        second = start(log2)
        try:
            # The killed daemon's leases (2 x timeout + 10 s) must run out first.
            done = wait(lambda: all(st == "delivered" for _, st, _ in outbox(db_url)), 120)
            assert done, (outbox(db_url), log2.read_text(errors="replace")[-3000:])
            second.send_signal(signal.SIGTERM)
            assert second.wait(60) == 0
        finally:
            if second.poll() is None:
                second.kill()

    after = outbox(db_url)
    expected = {f"msg_{i}" for i, _, _ in after}
    assert set(rec.ids()) == expected
    for msg_id in held_ids:  # the interrupted deliveries were retried under the same id
        assert rec.ids().count(msg_id) >= 2
    assert all(d.verified for d in rec.deliveries)
    assert all(attempts >= 1 for _, _, attempts in after)
