"""Side by side with lemon24/reader: CPU of a first ingestion and of an all-304 pass.

    python bench/bench_reader.py [--feeds 1000] [--items 20] [--hosts 16] [--rounds 1]

Serves `--feeds` RSS feeds of `--items` items each (title, link, guid, a two-sentence
description naming actors and issues of the bundled vocabulary, no article pages) from
`--hosts` loopback addresses, in a separate process. Each side runs in a fresh subprocess on a
fresh SQLite database and polls every feed twice: the first ingestion (every item new), then
an all-304 pass (each feed answers 304 to its ETag). The figure is the side's process CPU time
(`time.process_time`: every thread of the process, the database included since SQLite works
in-process) around each pass; start-up (imports, vocabulary, schema, feed registration) is
outside it.

monitor: `monitor run --once` in-process as the daemon runs it (`open_store` with the story
rules, `running`, `Daemon.run_once`): fetch, parse, normalise, tag (bundled vocabulary), story
sketch and fingerprint, watches (three queries), store; feeds have `full_text = false`.
reader: PyPI `reader` (`pip install -e '.[bench]'`), `make_reader` on a file, `add_feed` for
every URL, `update_feeds(scheduled=False)` with `--reader-workers` threads.

The sides take turns for `--rounds` rounds (each round a fresh database on both sides) and each
side's least CPU per pass is kept: other jobs on this shared machine come and go in bursts.
Refreshes the "Side by side with reader" section of BENCHMARKS.md unless --no-write.
"""

import argparse
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Side by side with reader (`bench/bench_reader.py`)"

WORDS = [
    "minister",
    "talks",
    "trade",
    "officials",
    "said",
    "statement",
    "meeting",
    "week",
    "government",
    "policy",
    "pressure",
    "relations",
    "companies",
    "market",
    "technology",
    "investment",
    "cooperation",
    "concerns",
    "response",
    "visit",
    "summit",
    "agreement",
]
ACTORS = [
    "Wang Yi",
    "Antony Blinken",
    "Gina Raimondo",
    "He Lifeng",
    "Xi Jinping",
    "Keir Starmer",
    "David Lammy",
    "Joe Biden",
]
ISSUES = [
    "Taiwan",
    "fentanyl",
    "export controls",
    "Hong Kong",
    "Xinjiang",
    "TikTok",
    "tariffs",
    "the South China Sea",
]
WATCHES = (
    ("taiwan", "issue:taiwan"),
    ("trade", "issue:trade OR issue:export-controls"),
    ("everything", None),
)


def _lexicon(size: int = 3000) -> list[str]:
    """WORDS and `size` made-up words (syllables): summaries of different stories share few
    word triples, as real ones do (a small word list makes every summary a near-copy of
    many others, and the story search would then weigh up to 200 candidates per item)."""
    rng = random.Random(7)
    syllables = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ru",
        "sa",
        "ti",
        "vo",
        "de",
        "pa",
        "gu",
        "ber",
        "tan",
        "sol",
        "mar",
        "qui",
        "zen",
        "hal",
        "dor",
        "fin",
    ]
    made = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return WORDS + sorted(made)


LEXICON = _lexicon()


def description(feed: int, item: int) -> str:
    """Two deterministic sentences naming an actor and an issue."""
    rng = random.Random(feed * 1000 + item)
    one = " ".join(rng.choice(LEXICON) for _ in range(14))
    two = " ".join(rng.choice(LEXICON) for _ in range(12))
    return (
        f"{rng.choice(ACTORS)} {one} over {rng.choice(ISSUES)}. "
        f"{two.capitalize()} about {rng.choice(ISSUES)}."
    )


def feed_xml(base: str, feed: int, items: int) -> bytes:
    """An RSS 2.0 feed of `items` items without article pages."""
    entries = "".join(
        f"<item><title>Story {feed}-{j}: {ACTORS[(feed + j) % len(ACTORS)]} on "
        f"{ISSUES[(feed * 7 + j) % len(ISSUES)]}</title><link>{base}/story/{feed}/{j}</link>"
        f"<guid isPermaLink='false'>f{feed}-{j}</guid>"
        f"<description>{description(feed, j)}</description>"
        f"<pubDate>Mon, 23 Nov 2026 {j % 24:02d}:{feed % 60:02d}:00 GMT</pubDate></item>"
        for j in range(items)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Feed {feed}</title><link>{base}/</link><description>d</description>"
        f"{entries}</channel></rss>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if parts[0] != "feed":
            self._send(404, b"", {})
            return
        feed = int(parts[1].removesuffix(".xml"))
        etag = f'"f{feed}"'
        if self.headers.get("if-none-match") == etag:
            self._send(304, b"", {"etag": etag})
            return
        body = self.server.cache.get(feed)
        if body is None:
            body = self.server.cache[feed] = feed_xml(self.server.base, feed, self.server.items)
        self._send(200, body, {"etag": etag, "content-type": "application/rss+xml"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def serve(hosts: list[str], port: int, items: int, ready: Any) -> None:
    """Child process: one threaded server per loopback address, all on `port`."""
    for host in hosts:
        srv = ThreadingHTTPServer((host, port), _Handler)
        srv.daemon_threads = True
        srv.base, srv.items, srv.cache = f"http://{host}:{port}", items, {}  # type: ignore[attr-defined]
        Thread(target=srv.serve_forever, daemon=True).start()
    ready.set()
    while True:
        time.sleep(3600)


def urls(args: argparse.Namespace) -> list[str]:
    """The feed URLs, spread over the hosts."""
    return [
        f"http://127.0.0.{i % args.hosts + 1}:{args.port}/feed/{i}.xml" for i in range(args.feeds)
    ]


def side_monitor(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """monitor's two passes, as `monitor run --once` runs them."""
    import asyncio
    from datetime import timedelta

    sys.path.insert(0, str(args.monitor_root or ROOT))
    import monitor
    from monitor.app import Tuning, open_store, prepare, running
    from monitor.config import Settings, load_config
    from monitor.daemon import Daemon
    from monitor.pipeline import PipelineOptions

    config = tmp / "feeds.toml"
    watches = "".join(
        f'[[watch]]\nname = "{name}"\n' + (f"query = '{q}'\n" if q else "") + "\n"
        for name, q in WATCHES
    )
    config.write_text(
        watches
        + "".join(
            f'[[feed]]\nname = "f{i}"\nurl = "{url}"\nfull_text = false\n\n'
            for i, url in enumerate(urls(args))
        )
    )
    settings = Settings(
        config=config, database_url=f"sqlite:///{tmp}/monitor.db", allowed_networks=("127.0.0.0/8",)
    )
    try:  # this tree's open_store migrates on request; older trees (--monitor-root) always did
        store = open_store(settings, schema="upgrade")
    except TypeError:
        store = open_store(settings)
    prepared = prepare(settings, load_config(config))
    tuning = Tuning(
        feed_concurrency=args.concurrency,
        max_connections=2 * args.hosts + 8,
        extract_workers=1,
        tick=timedelta(seconds=5),
        pipeline=PipelineOptions(max_items_per_poll=max(200, args.items)),
    )
    profile = args.profile

    threads: dict[str, dict[str, float]] = {}

    async def one_pass() -> tuple[float, float, Any]:
        async with running(prepared, store, tuning) as rt:
            start = thread_cpu()
            cpu, wall = time.process_time(), time.perf_counter()
            if profile:
                import cProfile

                prof = cProfile.Profile()
                prof.enable()
            report = await Daemon(rt).run_once()
            if profile:
                prof.disable()
                prof.dump_stats(f"{profile}.{passes}")
            spent = time.process_time() - cpu, time.perf_counter() - wall, report
            threads[passes] = {k: v - start.get(k, 0.0) for k, v in thread_cpu().items()}
            return spent

    out: dict[str, Any] = {"module": monitor.__file__}
    for passes in ("first", "304"):
        cpu, wall, report = asyncio.run(one_pass())
        out[passes] = {
            "cpu": cpu,
            "wall": wall,
            "failed": report.failed,
            "threads": threads[passes],
        }
        if passes == "first":
            out["stored"] = report.stored
            with store.db.read() as s:
                from sqlalchemy import text

                out["matched"] = s.execute(text("select count(*) from watch_matches")).scalar()
    getattr(store, "close", store.db.dispose)()
    return out


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads, summed by kind (the event loop, the SQLite
    writer, the default executor's workers, other), from /proc/self/task (Linux)."""
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    kinds = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        name = kinds.get(int(tid), "")
        kind = (
            "loop" if name == "MainThread"
            else "writer" if "writ" in name.lower()
            else "workers" if name.startswith(("asyncio", "ThreadPoolExecutor"))
            else "other"
        )  # fmt: skip
        out[kind] = out.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def side_reader(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """reader's two passes: update_feeds over every feed."""
    from reader import make_reader

    reader = make_reader(str(tmp / "reader.sqlite"))
    for url in urls(args):
        reader.add_feed(url)
    out: dict[str, Any] = {}
    for passes in ("first", "304"):
        cpu, wall = time.process_time(), time.perf_counter()
        reader.update_feeds(scheduled=False, workers=args.reader_workers)
        out[passes] = {
            "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall,
            "failed": sum(1 for f in reader.get_feeds() if f.last_exception),
        }
        if passes == "first":
            out["stored"] = reader.get_entry_counts().total
    reader.close()
    return out


def run_side(side: str, args: argparse.Namespace) -> dict[str, Any]:
    """One side in a fresh interpreter; its JSON result."""
    cmd = [
        sys.executable,
        __file__,
        "--side",
        side,
        "--port",
        str(args.port),
        "--feeds",
        str(args.feeds),
        "--items",
        str(args.items),
        "--hosts",
        str(args.hosts),
        "--concurrency",
        str(args.concurrency),
        "--reader-workers",
        str(args.reader_workers),
    ]
    if args.profile:
        cmd += ["--profile", args.profile]
    if args.monitor_root:
        cmd += ["--monitor-root", args.monitor_root]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{side} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Serve the feeds, run both sides in turn, print and record the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--hosts", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=64, help="monitor's feeds in flight")
    ap.add_argument("--reader-workers", type=int, default=1, help="reader's update threads")
    ap.add_argument("--sides", default="monitor,reader")
    ap.add_argument("--profile", help="monitor side: write cProfile stats to PATH.first/.304")
    ap.add_argument(
        "--monitor-root",
        help="import monitor from this checkout (before/after runs of the same script)",
    )
    ap.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        with tempfile.TemporaryDirectory() as tmp:
            fn = side_monitor if args.side == "monitor" else side_reader
            print(json.dumps(fn(args, Path(tmp))))
        return
    load0 = os.getloadavg()[0]
    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    args.port = 19000 + os.getpid() % 1000
    ready = mp.get_context("fork").Event()
    server = mp.get_context("fork").Process(
        target=serve, args=(hosts, args.port, args.items, ready), daemon=True
    )
    server.start()
    ready.wait(10)
    sides = args.sides.split(",")
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in sides}
    for r in range(args.rounds):
        for side in sides if r % 2 == 0 else sides[::-1]:
            res = run_side(side, args)
            results[side].append(res)
            where = f" ({res['module']})" if "module" in res else ""
            split = res["first"].get("threads")
            by_thread = (
                " [first, by thread: "
                + ", ".join(f"{k} {v:.2f}" for k, v in sorted(split.items()))
                + "]"
                if split
                else ""
            )
            print(
                f"round {r + 1} {side}{where}: first {res['first']['cpu']:.2f} CPU-s "
                f"({res['first']['wall']:.1f} s wall, {res['stored']} stored), 304 pass "
                f"{res['304']['cpu']:.2f} CPU-s ({res['304']['wall']:.1f} s wall){by_thread}",
                flush=True,
            )
    server.kill()
    best = {s: {p: min(r[p]["cpu"] for r in results[s]) for p in ("first", "304")} for s in sides}
    if set(sides) != {"monitor", "reader"}:
        return
    m, rd = best["monitor"], best["reader"]
    mres, rres = results["monitor"][0], results["reader"][0]
    items = args.feeds * args.items
    rows = [
        ("feeds / items each / hosts", f"{args.feeds} / {args.items} / {args.hosts}"),
        ("items stored: monitor / reader", f"{mres['stored']} / {rres['stored']}"),
        ("monitor: watch matches stored (3 watches)", f"{mres['matched']}"),
        ("first ingestion: CPU s, monitor / reader", f"{m['first']:.2f} / {rd['first']:.2f}"),
        (
            "first ingestion: CPU ms per item, monitor / reader",
            f"{m['first'] / items * 1000:.2f} / {rd['first'] / items * 1000:.2f}",
        ),
        (
            "**first ingestion: monitor / reader CPU (goal <= 1.5x)**",
            f"**{m['first'] / rd['first']:.2f}x**",
        ),
        ("all-304 pass: CPU s, monitor / reader", f"{m['304']:.2f} / {rd['304']:.2f}"),
        (
            "all-304 pass: CPU ms per poll, monitor (goal <= 1) / reader",
            f"{m['304'] / args.feeds * 1000:.2f} / {rd['304'] / args.feeds * 1000:.2f}",
        ),
        ("**all-304 pass: monitor / reader CPU**", f"**{m['304'] / rd['304']:.2f}x**"),
        (
            f"wall s, first / 304: monitor (concurrent); reader ({args.reader_workers} worker(s))",
            f"{mres['first']['wall']:.1f} / {mres['304']['wall']:.1f}; "
            f"{rres['first']['wall']:.1f} / {rres['304']['wall']:.1f}",
        ),
        (
            "feeds failed, 304 pass: monitor / reader",
            f"{mres['304']['failed']} / {rres['304']['failed']}",
        ),
        ("load average (1 min) before / after", f"{load0:.1f} / {os.getloadavg()[0]:.1f}"),
    ]
    from mdsections import print_rows

    print_rows(rows)
    if not args.no_write:
        write_section(rows, args)


def write_section(rows: list[tuple[str, str]], args: argparse.Namespace) -> None:
    """Replace (or append) this benchmark's section of BENCHMARKS.md, keeping its notes."""
    import importlib.metadata

    from mdsections import replace_section, rows_table

    body = (
        f"{SECTION}\n\n`python bench/bench_reader.py --feeds {args.feeds} --items "
        f"{args.items} --hosts {args.hosts} --rounds {args.rounds}` on this machine "
        f"({os.cpu_count()} cores, SQLite on both sides, Python {sys.version.split()[0]}, "
        f"reader {importlib.metadata.version('reader')}); process CPU seconds of each side "
        f"around each pass, least of {args.rounds} round(s).\n\n" + rows_table(rows) + "\n"
    )
    replace_section(body, SECTION)


if __name__ == "__main__":
    main()
