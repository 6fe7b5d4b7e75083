"""Publication-to-alert latency of a real daemon on a loopback feed with interval = "30s".

    python bench/bench_latency.py [--trials 20] [--interval 30s] [--no-write]

Starts `monitor run` as a real process on a fresh SQLite database, with one feed (served by
this process on 127.0.0.1), a watch on `actor:wang-yi` and a webhook channel whose receiver
is this process too. New items (each its own story naming Wang Yi) are published at random
moments, 10 to 40 s apart, independent of the daemon's polls; each one's time from
publication to the arrival of its webhook is measured on one clock. Stored-to-delivered
comes from the database (outbox.delivered_at - articles.stored_at). Prints the figures and
refreshes the "Publication to alert" section of BENCHMARKS.md.
Goals (issue 13): p50 <= 20 s and p95 <= 35 s for a 30 s interval (half the interval plus the
pipeline); stored-to-delivered p95 < 0.5 s.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402 - after the path tweak

from monitor.store import Database  # noqa: E402

SECTION = "## Publication to alert (issue 13)"
WORDS = [
    "officials",
    "talks",
    "trade",
    "delegation",
    "visit",
    "summit",
    "agreement",
    "tariffs",
    "shipping",
    "strait",
    "security",
    "dialogue",
    "economy",
    "statement",
    "meeting",
    "week",
    "government",
    "policy",
    "pressure",
    "relations",
    "sanctions",
    "companies",
    "market",
    "technology",
    "investment",
    "cooperation",
    "concerns",
    "response",
    "ministry",
    "capital",
    "analysts",
    "region",
    "allies",
    "partners",
    "negotiators",
    "envoy",
    "border",
    "exports",
    "imports",
    "supply",
    "chain",
    "factories",
    "ports",
    "customs",
    "inspections",
    "rules",
    "review",
    "measures",
    "industry",
    "growth",
    "forecast",
]


class Site:
    """The feed, its pages and the webhook receiver, with publication and arrival times."""

    def __init__(self) -> None:
        self.items: list[tuple[int, datetime]] = []
        self.published: dict[str, float] = {}  # path -> monotonic publication time
        self.arrived: dict[str, float] = {}  # path -> monotonic webhook arrival
        self.pages: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.port = 0

    def publish(self, n: int, rng: random.Random) -> None:
        """Add item `n` to the feed now."""
        words = [" ".join(rng.choice(WORDS) for _ in range(45)) for _ in range(4)]
        body = "".join(f"<p>{w}.</p>" for w in words)
        path = f"/story/{n}"
        lead = (
            f"<p>Chinese Foreign Minister Wang Yi said on day {n} that talks with the "
            f"visiting delegation had been frank, and that both sides would meet again.</p>"
        )
        html = (
            f'<html lang="en"><head><title>Story {n}</title></head><body><article>'
            f"<h1>Wang Yi meets delegation, round {n}</h1>{lead}{body}</article></body>"
            f"</html>"
        ).encode()
        with self.lock:
            self.pages[path] = html
            self.items.append((n, datetime.now(UTC)))
            self.published[path] = time.monotonic()

    def feed(self) -> bytes:
        """The RSS document with the latest 20 items."""
        base = f"http://127.0.0.1:{self.port}"
        with self.lock:
            items = "".join(
                f"<item><title>Wang Yi meets delegation, round {n}</title>"
                f"<link>{base}/story/{n}</link><guid>story-{n}</guid>"
                f"<pubDate>{format_datetime(when)}</pubDate></item>"
                for n, when in self.items[-20:]
            )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
            f"<link>{base}/</link><description>bench</description>{items}</channel>"
            f"</rss>"
        ).encode()

    def serve(self) -> ThreadingHTTPServer:
        """Start the server on 127.0.0.1 in a thread."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith("/feed.xml"):
                    self._answer(200, site.feed(), "application/rss+xml")
                elif self.path in site.pages:
                    self._answer(200, site.pages[self.path], "text/html; charset=utf-8")
                else:
                    self._answer(404, b"", "text/plain")

            def do_POST(self) -> None:
                now = time.monotonic()
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                url = json.loads(body)["data"]["article"]["url"]
                path = "/" + url.split("/", 3)[3]
                with site.lock:
                    site.arrived.setdefault(path, now)
                self._answer(204, b"", "text/plain")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def stored_to_delivered(db_url: str) -> list[float]:
    """Seconds from article stored to alert delivered, per delivered alert."""
    db = Database(db_url)
    try:
        with db.read() as s:
            rows = (
                s.connection()
                .execute(
                    sa.text(
                        "SELECT a.stored_at, o.delivered_at FROM outbox o JOIN articles a "
                        "ON a.id = o.article_id WHERE o.state = 'delivered'"
                    )
                )
                .all()
            )
    finally:
        db.dispose()
    parse = datetime.fromisoformat
    return [(parse(str(d)) - parse(str(s))).total_seconds() for s, d in rows]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the trials; the figures."""
    rng = random.Random(args.seed)
    site = Site()
    server = site.serve()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "feeds.toml"
        config.write_text(
            f'[[feed]]\nname = "bench"\nurl = "http://127.0.0.1:{site.port}/feed.xml"\n'
            f'interval = "{args.interval}"\n\n'
            '[[watch]]\nname = "desk"\nquery = "actor:wang-yi"\nnotify = ["hook"]\n\n'
            f'[channel.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:{site.port}/hook"\n',
            encoding="utf-8",
        )
        db_url = f"sqlite:///{tmp}/bench.db"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        environ.update(
            MONITOR_CONFIG=str(config),
            MONITOR_DATABASE_URL=db_url,
            MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
        )
        log = Path(tmp) / "daemon.log"
        with log.open("wb") as out:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "monitor", "-v", "run"],
                env=environ,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            time.sleep(args.warmup)  # started, migrated, first poll of the empty feed done
            for n in range(args.trials):
                site.publish(n, rng)
                print(f"published {n + 1}/{args.trials}", file=sys.stderr)
                time.sleep(rng.uniform(10, 40))
            deadline = time.monotonic() + 120
            while len(site.arrived) < args.trials and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            daemon.terminate()
            daemon.wait(60)
            server.shutdown()
        spans = stored_to_delivered(db_url)
    latencies = [site.arrived[p] - site.published[p] for p in site.published if p in site.arrived]
    return {
        "trials": args.trials,
        "delivered": len(latencies),
        "p50": statistics.median(latencies),
        "p95": pct(latencies, 0.95),
        "max": max(latencies),
        "min": min(latencies),
        "s2d_p50": statistics.median(spans),
        "s2d_p95": pct(spans, 0.95),
        "s2d_max": max(spans),
    }


def write_section(figures: dict[str, Any], args: argparse.Namespace) -> None:
    """Replace (or append) this benchmark's section of BENCHMARKS.md, keeping its notes."""
    from mdsections import replace_section

    f = figures
    body = (
        f"{SECTION}\n\n`python bench/bench_latency.py --trials {args.trials} --interval "
        f"{args.interval}` on {datetime.now(UTC):%Y-%m-%d} ({os.cpu_count()} cores): a real "
        f'`monitor run` on SQLite, one loopback feed with `interval = "{args.interval}"`, a '
        "new item (its own story, naming Wang Yi) published every 10 to 40 s at random, a watch "
        "on `actor:wang-yi` and a loopback webhook.\n\n"
        "| measure | p50 | p95 | max | goal |\n| --- | --- | --- | --- | --- |\n"
        f"| publication to webhook | {f['p50']:.1f} s | {f['p95']:.1f} s | {f['max']:.1f} s | "
        "p50 <= 20 s, p95 <= 35 s |\n"
        f"| stored to delivered | {f['s2d_p50']:.3f} s | {f['s2d_p95']:.3f} s | "
        f"{f['s2d_max']:.3f} s | p95 < 0.5 s |\n\n"
        f"{f['delivered']} of {f['trials']} items alerted. Publication to webhook is the wait "
        "for the next poll (uniform over the interval: the feed keeps its 30 s, on its own "
        "slot) plus the poll, the page, extraction, tagging and the store; the relay is woken "
        "by the write, so delivery adds only the webhook's own round trip.\n"
    )
    replace_section(body, SECTION)


def main() -> None:
    """Parse arguments, run, print and record."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--interval", default="30s")
    ap.add_argument("--warmup", type=float, default=8.0, help="seconds before the first item")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = ap.parse_args()
    figures = run(args)
    print(json.dumps(figures, indent=1))
    if not args.no_write:
        write_section(figures, args)


if __name__ == "__main__":
    main()
