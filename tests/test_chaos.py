"""Chaos: three `monitor run` daemons on one PostgreSQL database, SIGKILLed and restarted at
random, their database connections cut once, a webhook receiver that fails at random; no
alert is lost, none is delivered under two ids, every feed is polled again in time.

The PostgreSQL server itself is not restarted: other test sessions share it on this
machine, so the server restart is simulated by terminating every backend of the daemons'
database (pg_terminate_backend), which is what a restart does to their connections.
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alerts_support import SECRET, Answer, WebhookReceiver
from conftest import PG_ADMIN_URL, _truncate_all
from httpserver import HTTPTestServer, Recorded, Reply
from ingest_site import RSS, Entry, rss, write_config

from monitor.store import Database
from monitor.store.models import ArticleRow, OutboxRow

FEEDS = 4
INTERVAL = 30.0  # the feeds' interval (the shortest feeds.toml allows)
TICK = 5.0  # the daemon's tick
CHAOS = 35.0  # seconds of kills, restarts and new items
SETTLE = 60.0  # seconds after the chaos for every alert to be delivered
WORDS = ("harbour", "grain", "satellite", "railway", "vaccine", "fishery", "lithium", "tariff",
         "pipeline", "glacier", "orchard", "turbine", "ferry", "copper", "drought", "archive")


class Site:
    """Feeds whose items grow while the test runs; each poll's time is recorded."""

    def __init__(self, server: HTTPTestServer) -> None:
        self.server, self.lock = server, threading.Lock()
        self.items: dict[str, list[Entry]] = {f"/feed{i}.xml": [] for i in range(FEEDS)}
        self.polls: dict[str, list[float]] = defaultdict(list)
        self.count = 0
        for path in self.items:
            server.route(path, handler=self._answer)

    def _answer(self, req: Recorded) -> Reply:
        path = req.path.split("?")[0]
        with self.lock:
            self.polls[path].append(time.monotonic())
            body = rss(path, list(reversed(self.items[path])))
        return Reply(200, RSS, body)

    def add(self, rng: random.Random) -> None:
        """One new item naming Wang Yi on a random feed, its text unlike every other's."""
        with self.lock:
            self.count += 1
            n = self.count
            path = rng.choice(list(self.items))
            words = " ".join(rng.sample(WORDS, 4))
            self.items[path].append(Entry(
                f"item-{n}", self.server.url(f"/story/{n}"), f"Wang Yi on {words} ({n})",
                f"Wang Yi spoke about {words} at meeting {n}.", datetime.now(UTC)))

    def urls(self) -> set[str]:
        """The link of every item published so far."""
        with self.lock:
            return {e.link for entries in self.items.values() for e in entries}


class Daemons:
    """Three `monitor run` processes; any one can be SIGKILLed and started again."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.started = env, logs, 0
        self.procs: list[subprocess.Popen[bytes]] = [self._start() for _ in range(3)]

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        with (self.logs / f"daemon-{self.started}.log").open("wb") as out:
            return subprocess.Popen([sys.executable, "-m", "monitor", "run"], env=self.env,
                                    stdout=out, stderr=subprocess.STDOUT)

    def kill_and_restart(self, index: int) -> None:
        proc = self.procs[index]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.procs[index] = self._start()

    def stop(self) -> list[int | None]:
        """SIGTERM every daemon; their exit codes (None: had to be killed)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(40))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                codes.append(None)
        return codes

    def tails(self) -> str:
        """The end of every daemon log, for failure messages."""
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                         for p in sorted(self.logs.glob("daemon-*.log")))


def cut_connections(database: str) -> int:
    """Terminate every backend connected to `database` (what a server restart does to the
    daemons' connections); how many."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchone()
    return int(row[0]) if row else 0


def table(db_url: str, model: type) -> list[sa.Row[tuple[object, ...]]]:
    """Every row of `model`'s table."""
    db = Database(db_url)
    try:
        with db.read() as s:
            return list(s.connection().execute(
                sa.select(model.__table__)).all())  # type: ignore[attr-defined]
    finally:
        db.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, emptied."""
    db = Database(pg_database)
    _truncate_all(db)
    db.dispose()
    return pg_database


@pytest.mark.slow
def test_three_daemons_survive_kills_cut_connections_and_a_flaky_receiver(
        tmp_path: Path, pg_url: str) -> None:
    """Kills every few seconds, one cut of every database connection, a receiver failing a
    third of first attempts: every published item is stored and alerted exactly under one
    webhook-id, and after each kill every feed is polled within one interval (plus a tick
    and a margin)."""
    rng = random.Random(18)
    fail_lock = threading.Lock()

    def flaky(path: str, seen: int) -> Answer:
        with fail_lock:
            unlucky = rng.random() < 0.33
        return Answer(500 if seen == 0 and unlucky else 204)

    with HTTPTestServer("127.0.0.1") as server, WebhookReceiver(script=flaky) as hook:
        site = Site(server)
        for _ in range(FEEDS):
            site.add(rng)
        config = write_config(
            tmp_path / "feeds.toml",
            [(f"feed{i}", server.url(f"/feed{i}.xml")) for i in range(FEEDS)],
            interval="30s", full_text=False,
            watches=(f'[[watch]]\nname = "desk"\nnotify = ["hook"]\n\n[channel.hook]\n'
                     f'type = "webhook"\nurl = "{hook.url()}"\nsecret_env = "HOOK_SECRET"\n'))
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env.update(MONITOR_CONFIG=str(config), MONITOR_DATABASE_URL=pg_url,
                   MONITOR_ALLOWED_NETWORKS="127.0.0.0/8", HOOK_SECRET=SECRET,
                   MONITOR_TEST_SESSION=os.environ.get("MONITOR_TEST_SESSION", ""))
        daemons = Daemons(env, tmp_path)
        events: list[float] = []
        cut = 0
        try:
            start = time.monotonic()
            next_item, next_kill = start + 1.5, start + 6.0
            cut_at = start + CHAOS / 2
            while time.monotonic() - start < CHAOS:
                now = time.monotonic()
                if now >= next_item:
                    site.add(rng)
                    next_item = now + 1.5
                if now >= next_kill:
                    daemons.kill_and_restart(rng.randrange(3))
                    events.append(time.monotonic())
                    next_kill = now + rng.uniform(3.0, 7.0)
                if cut_at and now >= cut_at:
                    cut = cut_connections(pg_url.rsplit("/", 1)[1])
                    events.append(time.monotonic())
                    cut_at = 0.0
                time.sleep(0.1)
            published = site.urls()
            deadline = time.monotonic() + SETTLE

            def settled() -> bool:
                stored = table(pg_url, ArticleRow)
                alerts = table(pg_url, OutboxRow)
                return (len(stored) == len(published) and len(alerts) == len(published)
                        and all(a.state == "delivered" for a in alerts))

            while time.monotonic() < deadline and not settled():
                time.sleep(1.0)
            watched_until = time.monotonic()
        finally:
            codes = daemons.stop()
        assert cut > 0  # the daemons' connections were cut
        assert len(events) >= 6  # kills and the cut really happened
        assert daemons.started >= 8

        stored = table(pg_url, ArticleRow)
        alerts = table(pg_url, OutboxRow)
        # no alert lost: every published item stored, matched and delivered
        assert {a.url for a in stored} == published, daemons.tails()
        assert len(alerts) == len(published), daemons.tails()
        undelivered = [(a.id, a.state, a.attempts, a.last_error) for a in alerts
                       if a.state != "delivered"]
        assert not undelivered, daemons.tails()
        ids_of: dict[str, set[str]] = defaultdict(set)
        for delivery in hook.deliveries:
            assert delivery.verified
            ids_of[delivery.payload["data"]["article"]["url"]].add(delivery.msg_id)
        assert set(ids_of) == published
        assert len(hook.deliveries) > len(published)  # the receiver's failures were retried
        assert all(len(ids) == 1 for ids in ids_of.values()), ids_of  # never two ids
        # every feed polled again within one interval of each kill or cut
        allowed = INTERVAL + TICK + 3.0
        checked = [e for e in events if e + allowed <= watched_until]
        assert len(checked) >= 5
        for event in checked:
            for path, times in site.polls.items():
                assert any(event < t <= event + allowed for t in times), (
                    path, round(event - start, 1), [round(t - start, 1) for t in times])
        assert codes == [0, 0, 0], daemons.tails()
