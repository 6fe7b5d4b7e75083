"""Chaos: three `monitor run` daemons on one PostgreSQL database, SIGKILLed and restarted at
random, the PostgreSQL server itself restarted once (`pg_ctlcluster ... restart`), a webhook
receiver that fails at random; no alert is lost, none is delivered under two ids, every feed
is polled again in time.

The restart needs the local server's cluster tools and the right to use them (root or the
postgres user), as CI on this machine has; without them the test fails and says so.
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
from alerts_support import SECRET, Answer, WebhookReceiver
from conftest import PG_ADMIN_URL
from httpserver import HTTPTestServer, Recorded, Reply
from ingest_site import RSS, Entry, rss, write_config
from test_run_cli import stored as stored_rows

from monitor.store.models import ArticleRow, OutboxRow

FEEDS = 4
INTERVAL = 30.0  # the feeds' interval (the shortest feeds.toml allows)
TICK = 5.0  # the daemon's tick
CHAOS = 35.0  # seconds of kills, restarts and new items
SETTLE = 60.0  # seconds after the chaos for every alert to be delivered
ALLOWED = INTERVAL + TICK + 3.0  # a feed is polled again this soon after a kill or restart
WORDS = (
    "harbour",
    "grain",
    "satellite",
    "railway",
    "vaccine",
    "fishery",
    "lithium",
    "tariff",
    "pipeline",
    "glacier",
    "orchard",
    "turbine",
    "ferry",
    "copper",
    "drought",
    "archive",
)


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
            self.items[path].append(
                Entry(
                    f"item-{n}",
                    self.server.url(f"/story/{n}"),
                    f"Wang Yi on {words} ({n})",
                    f"Wang Yi spoke about {words} at meeting {n}.",
                    datetime.now(UTC),
                )
            )

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
            return subprocess.Popen(
                [sys.executable, "-m", "monitor", "run"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

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
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
            for p in sorted(self.logs.glob("daemon-*.log"))
        )


def restart_server(database: str) -> int:
    """Restart the PostgreSQL server the tests use (fast shutdown: every connection goes),
    and wait until it answers again; how many connections `database` had before."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
        port = admin.execute("SHOW port").fetchone()
    clusters = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    cluster = next(
        (
            line.split()[:2]
            for line in clusters
            if len(line.split()) > 2 and port and line.split()[2] == str(port[0])
        ),
        None,
    )
    assert cluster is not None, f"no local cluster on port {port}: {clusters}"
    done = subprocess.run(
        ["pg_ctlcluster", *cluster, "restart", "-m", "fast"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"cannot restart PostgreSQL here: {done.stderr.strip()}"
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(PG_ADMIN_URL, connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "PostgreSQL did not come back after restart"
            time.sleep(0.2)
    return int(row[0]) if row else 0


@pytest.mark.serial
@pytest.mark.slow
def test_three_daemons_survive_kills_a_server_restart_and_a_flaky_receiver(
    tmp_path: Path, pg_url: str
) -> None:
    """Kills every few seconds, one restart of the PostgreSQL server, a receiver failing a
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
            interval="30s",
            full_text=False,
            watches=(
                f'[[watch]]\nname = "desk"\nnotify = ["hook"]\n\n[channel.hook]\n'
                f'type = "webhook"\nurl = "{hook.url()}"\nsecret_env = "HOOK_SECRET"\n'
            ),
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env.update(
            MONITOR_CONFIG=str(config),
            MONITOR_DATABASE_URL=pg_url,
            MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
            HOOK_SECRET=SECRET,
            MONITOR_TEST_SESSION=os.environ.get("MONITOR_TEST_SESSION", ""),
        )
        daemons = Daemons(env, tmp_path)
        events: list[float] = []
        connected, restarted = 0, float("inf")
        try:
            start = time.monotonic()
            next_item, next_kill = start + 1.5, start + 6.0
            restart_at = start + CHAOS / 2
            while time.monotonic() - start < CHAOS:
                now = time.monotonic()
                if now >= next_item:
                    site.add(rng)
                    next_item = now + 1.5
                if now >= next_kill:
                    daemons.kill_and_restart(rng.randrange(3))
                    events.append(time.monotonic())
                    next_kill = now + rng.uniform(3.0, 7.0)
                if restart_at and now >= restart_at:
                    connected = restart_server(pg_url.rsplit("/", 1)[1])
                    restarted = time.monotonic()  # the server answers again
                    events.append(restarted)
                    restart_at = 0.0
                time.sleep(0.1)
            published = site.urls()
            deadline = time.monotonic() + SETTLE

            def settled() -> bool:
                stored = stored_rows(pg_url, ArticleRow)
                alerts = stored_rows(pg_url, OutboxRow)
                return (
                    len(stored) == len(published)
                    and len(alerts) == len(published)
                    and all(a.state == "delivered" for a in alerts)
                )

            while time.monotonic() < deadline and not settled():
                time.sleep(1.0)
            # the polls after every kill and the restart (a kill may fall after the restart)
            while time.monotonic() < max(events, default=restarted) + ALLOWED:
                time.sleep(0.5)
            watched_until = time.monotonic()
        finally:
            codes = daemons.stop()
        assert connected > 0  # the daemons were connected when the server restarted
        assert len(events) >= 6  # kills and the restart really happened
        assert daemons.started >= 8

        stored = stored_rows(pg_url, ArticleRow)
        alerts = stored_rows(pg_url, OutboxRow)
        # no alert lost: every published item stored, matched and delivered
        assert {a.url for a in stored} == published, daemons.tails()
        assert len(alerts) == len(published), daemons.tails()
        undelivered = [
            (a.id, a.state, a.attempts, a.last_error) for a in alerts if a.state != "delivered"
        ]
        assert not undelivered, daemons.tails()
        ids_of: dict[str, set[str]] = defaultdict(set)
        for delivery in hook.deliveries:
            assert delivery.verified
            ids_of[delivery.payload["data"]["article"]["url"]].add(delivery.msg_id)
        assert set(ids_of) == published
        assert len(hook.deliveries) > len(published)  # the receiver's failures were retried
        assert all(len(ids) == 1 for ids in ids_of.values()), ids_of  # never two ids
        # every feed polled again within one interval of each kill or the restart
        checked = [e for e in events if e + ALLOWED <= watched_until]
        assert restarted in checked
        assert checked == events  # every kill is checked, not only those before the restart
        for event in checked:
            for path, times in site.polls.items():
                assert any(event < t <= event + ALLOWED for t in times), (
                    path,
                    round(event - start, 1),
                    [round(t - start, 1) for t in times],
                )
        assert codes == [0, 0, 0], daemons.tails()
