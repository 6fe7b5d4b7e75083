"""Throughput of the daemon's cycle on loopback: pages/s vs raw trafilatura, and a 304 cycle.

    python bench/bench_throughput.py [--feeds 1000] [--page-feeds 200] [--items 20] [--hosts 16]

Serves `--feeds` RSS feeds from `--hosts` loopback addresses (127.0.0.1 ... 127.0.0.N, distinct
hosts so the client's per-host limit of 2 is exercised), in a separate process. `--page-feeds`
of them carry `--items` items each with a linked article page; the rest are empty in the first
cycle. Cycle 1 (`monitor run --once` in-process on a fresh SQLite database) fetches, extracts,
tags and stores every page; then the same pages go through raw `trafilatura.extract` in a
process pool of the same size, the baseline. Cycle 2 polls every feed again and each answers
304. Prints a table and refreshes the "Throughput" section of BENCHMARKS.md.
"""

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.app import Tuning, prepare, running  # noqa: E402 - after the path tweak
from monitor.config import Settings, load_config  # noqa: E402
from monitor.daemon import Daemon  # noqa: E402
from monitor.pipeline import PipelineOptions  # noqa: E402
from monitor.store import Database, Store  # noqa: E402
from monitor.store.migrate import upgrade  # noqa: E402

WORDS = [
    "minister",
    "talks",
    "trade",
    "export",
    "controls",
    "chips",
    "beijing",
    "washington",
    "london",
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
    "officials",
    "said",
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
]
ACTORS = ["Wang Yi", "Antony Blinken", "Gina Raimondo", "He Lifeng", "Nick Burns"]
ISSUES = ["Taiwan", "fentanyl", "export controls", "Hong Kong", "Xinjiang", "TikTok"]
SECTION = "## Throughput (ingestion)"


CORPUS = ROOT.parent / "shared" / "corpus" / "aeb"
_REAL: list[bytes] = []


def load_real_pages() -> list[bytes]:
    """Real article pages (../shared/corpus/aeb, gzipped HTML), when the corpus is there."""
    import gzip

    if not _REAL and CORPUS.is_dir():
        _REAL.extend(gzip.decompress(p.read_bytes()) for p in sorted(CORPUS.glob("*.html.gz")))
    return _REAL


def page_html(feed: int, item: int, items: int) -> bytes:
    """The page of one item: a real corpus page when available, else a synthetic one."""
    real = load_real_pages()
    if real:
        return real[(feed * items + item) % len(real)]
    return article_html(feed, item)


def article_html(feed: int, item: int) -> bytes:
    """A deterministic article page of about 600 words inside nav, sidebar and footer."""
    rng = random.Random(feed * 1000 + item)
    paras = []
    for _ in range(8):
        words = [rng.choice(WORDS) for _ in range(70)]
        words[rng.randrange(70)] = rng.choice(ACTORS)
        words[rng.randrange(70)] = rng.choice(ISSUES)
        paras.append("<p>" + " ".join(words).capitalize() + ".</p>")
    title = f"Story {feed}-{item}: {rng.choice(ACTORS)} on {rng.choice(ISSUES)}"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<main><article><h1>{title}</h1>{''.join(paras)}</article></main>"
        "<aside><h3>Most read</h3><ul><li>Nick Burns interview</li></ul></aside>"
        "<footer>Copyright Example News</footer></body></html>"
    ).encode()


def feed_xml(base: str, feed: int, items: int) -> bytes:
    """An RSS feed with `items` teaser items linking to pages on the same host."""
    entries = "".join(
        f"<item><title>Story {feed}-{j}</title><link>{base}/page/{feed}/{j}</link>"
        f"<guid isPermaLink='false'>f{feed}-{j}</guid><description>Teaser.</description>"
        f"<pubDate>Mon, 23 Nov 2026 {j % 24:02d}:00:00 GMT</pubDate></item>"
        for j in range(items)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {feed}</title>"
        f"<link>{base}/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if parts[0] == "feed":
            feed = int(parts[1].removesuffix(".xml"))
            etag = f'"f{feed}"'
            if self.headers.get("if-none-match") == etag:
                self._send(304, b"", {"etag": etag})
                return
            items = self.server.items if feed < self.server.page_feeds else 0
            self._send(
                200,
                feed_xml(self.server.base, feed, items),
                {"etag": etag, "content-type": "application/rss+xml"},
            )
        elif parts[0] == "page":
            self._send(
                200,
                page_html(int(parts[1]), int(parts[2]), self.server.items),
                {"content-type": "text/html; charset=utf-8"},
            )
        else:
            self._send(404, b"", {})

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


def serve(hosts: list[str], port: int, page_feeds: int, items: int, ready: Any) -> None:
    """Child process: one threaded server per loopback address, all on `port`."""
    load_real_pages()
    for host in hosts:
        srv = ThreadingHTTPServer((host, port), _Handler)
        srv.daemon_threads = True
        srv.base, srv.page_feeds, srv.items = f"http://{host}:{port}", page_feeds, items  # type: ignore[attr-defined]
        Thread(target=srv.serve_forever, daemon=True).start()
    ready.set()
    while True:
        time.sleep(3600)


def raw_extract(html: bytes) -> int:
    """Baseline: trafilatura alone on one page (in a worker process)."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False)
    return len(text or "")


def our_extract(html: bytes) -> int:
    """Second baseline: what the daemon's workers run (monitor.extract.extract_article)."""
    from monitor.extract import extract_article

    article = extract_article(html, "http://127.0.0.1/page")
    return len(article.text) if article else 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of live processes (Linux /proc; 0 where unreadable)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def worker_pids(extractor: Any) -> list[int]:
    """The extraction workers' pids: ExtractorPool.worker_pids(); older versions kept one
    process pool per slot (`_slots`) or one `_pool` (private attributes: measurement only)."""
    if callable(getattr(extractor, "worker_pids", None)):
        return list(extractor.worker_pids())
    pools = [getattr(extractor, "_pool", None), *(getattr(extractor, "_slots", None) or [])]
    return [
        pid
        for pool in pools
        if pool is not None
        for pid in (getattr(pool, "_processes", None) or {})
    ]


async def cycle(
    prepared: Any, store: Store, tuning: Tuning, server_pid: int, warm: Sequence[bytes] = ()
) -> tuple[float, float, Any, float, float]:
    """One `--once` cycle: (wall s, client CPU s, report, worker CPU s, test-server CPU s).

    With `warm` pages, the extraction workers are started and warmed on them first, as the
    baselines' pools are: both sides are then timed in steady state (a worker's start-up,
    imports and first calls, costs ~1 CPU-s once per process).
    """
    async with running(prepared, store, tuning) as rt:
        await asyncio.gather(*(rt.pipeline.extractor.extract(page, None) for page in warm))
        workers = worker_pids(rt.pipeline.extractor)
        worker0, server0 = cpu_seconds(workers), cpu_seconds([server_pid])
        cpu, wall = time.process_time(), time.perf_counter()
        report = await Daemon(rt).run_once()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        workers = worker_pids(rt.pipeline.extractor)
        return (
            wall,
            cpu,
            report,
            cpu_seconds(workers) - worker0,
            cpu_seconds([server_pid]) - server0,
        )


def baseline(pages: list[bytes], workers: int, target: Any = raw_extract) -> tuple[float, float]:
    """(pages/s, worker CPU s per page) of `target` over `pages` in a pool like
    ExtractorPool's (size, forkserver)."""
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("forkserver")) as pool:
        list(pool.map(target, pages[: workers * 2]))  # warm the workers' imports
        pids = list(getattr(pool, "_processes", {}) or {})
        cpu, wall = cpu_seconds(pids), time.perf_counter()
        list(pool.map(target, pages, chunksize=1))
        wall, cpu = time.perf_counter() - wall, cpu_seconds(pids) - cpu
        return len(pages) / wall, cpu / len(pages)


def main() -> None:
    """Run both cycles and the baseline; print and record the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--page-feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--hosts", type=int, default=16)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument(
        "--workers",
        type=int,
        default=max(1, os.cpu_count() or 1),
        help="extraction workers, for the cycle and both baselines (default: cores)",
    )
    ap.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    port = 18000 + os.getpid() % 1000
    ready = mp.get_context("fork").Event()
    server = mp.get_context("fork").Process(
        target=serve, args=(hosts, port, args.page_feeds, args.items, ready), daemon=True
    )
    server.start()
    ready.wait(10)
    workers = args.workers
    tuning = Tuning(
        feed_concurrency=args.concurrency,
        extract_workers=workers,
        max_connections=2 * len(hosts) + 8,
        tick=timedelta(seconds=5),
        pipeline=PipelineOptions(page_timeout=30.0),
    )
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "feeds.toml"
        config.write_text(
            "".join(
                f'[[feed]]\nname = "f{i}"\nurl = "http://{hosts[i % len(hosts)]}:{port}/feed/'
                f'{i}.xml"\n\n'
                for i in range(args.feeds)
            )
        )
        settings = Settings(
            config=config,
            database_url=f"sqlite:///{tmp}/bench.db",
            allowed_networks=("127.0.0.0/8",),
        )
        db = Database(settings.database_url)
        upgrade(db)
        store = Store(db)
        prepared = prepare(settings, load_config(config))
        assert server.pid is not None
        pages = [
            page_html(f, j, args.items) for f in range(args.page_feeds) for j in range(args.items)
        ]
        wall1, cpu1, rep1, wcpu1, scpu1 = asyncio.run(
            cycle(prepared, store, tuning, server.pid, pages[: workers * 2])
        )
        raw, raw_cpu = baseline(pages, workers)
        ours, ours_cpu = baseline(pages, workers, our_extract)
        wall2, cpu2, rep2, _, _ = asyncio.run(cycle(prepared, store, tuning, server.pid))
        db.dispose()
    server.kill()
    n_pages = args.page_feeds * args.items
    requests1 = args.feeds + n_pages
    rows = [
        (
            "feeds / feeds with pages / items each / hosts",
            f"{args.feeds} / {args.page_feeds} / {args.items} / {len(hosts)}",
        ),
        (
            "pages",
            "real pages of ../shared/corpus/aeb, reused in turn"
            if load_real_pages()
            else "synthetic (corpus absent)",
        ),
        ("cycle 1: articles stored", f"{rep1.stored} of {n_pages}"),
        ("cycle 1: wall time", f"{wall1:.1f} s"),
        ("cycle 1: pipeline pages/s (fetch+extract+tag+store)", f"{n_pages / wall1:.1f}"),
        (f"raw trafilatura pages/s, same pages, {workers} worker(s)", f"{raw:.1f}"),
        ("ratio raw / pipeline time per page (goal <= 1.2)", f"{raw / (n_pages / wall1):.2f}"),
        (
            f"extract_article (the workers' job) pages/s, same pool, {workers} worker(s)",
            f"{ours:.1f}",
        ),
        ("ratio extract_article / pipeline time per page", f"{ours / (n_pages / wall1):.2f}"),
        (
            "CPU ms per page: raw trafilatura / extract_article (in the baseline pools)",
            f"{raw_cpu * 1000:.1f} / {ours_cpu * 1000:.1f}",
        ),
        (
            "cycle 1: CPU ms per page: workers / daemon / test server",
            f"{wcpu1 / n_pages * 1000:.1f} / {cpu1 / n_pages * 1000:.1f} / "
            f"{scpu1 / n_pages * 1000:.1f}",
        ),
        (
            "cycle 1: CPU per page, all processes / raw trafilatura's (the 2-core bound on the "
            "ratio)",
            f"{(wcpu1 + cpu1 + scpu1) / n_pages / raw_cpu:.2f}",
        ),
        ("cycle 1: client CPU per request", f"{cpu1 / requests1 * 1000:.2f} ms"),
        (
            "cycle 1: client CPU per page (all requests' CPU / pages)",
            f"{cpu1 / n_pages * 1000:.2f} ms",
        ),
        (
            "cycle 1: CPU s: extraction workers / daemon / test server / cores x wall",
            f"{wcpu1:.1f} / {cpu1:.1f} / {scpu1:.1f} / {(os.cpu_count() or 1) * wall1:.1f}",
        ),
        ("cycle 2 (all 304): wall time (goal < 5 s)", f"{wall2:.2f} s"),
        ("cycle 2: feeds failed", f"{rep2.failed}"),
        ("cycle 2: requests/s", f"{args.feeds / wall2:.0f}"),
        ("cycle 2: client CPU per request (incl. DB)", f"{cpu2 / args.feeds * 1000:.2f} ms"),
        ("load average (1 min) before / after", f"{load0:.1f} / {os.getloadavg()[0]:.1f}"),
        (
            "peak RSS of the daemon process",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB",
        ),
    ]
    from mdsections import print_rows

    print_rows(rows)
    if not args.no_write:
        write_section(rows, args)


def write_section(rows: list[tuple[str, str]], args: argparse.Namespace) -> None:
    """Replace (or append) this benchmark's section of BENCHMARKS.md, keeping its notes."""
    from mdsections import replace_section, rows_table

    body = (
        f"{SECTION}\n\n`python bench/bench_throughput.py --feeds {args.feeds} --page-feeds "
        f"{args.page_feeds} --items {args.items} --hosts {args.hosts} "
        f"--workers {args.workers}` on this machine "
        f"({os.cpu_count()} cores, SQLite, Python {sys.version.split()[0]}).\n\n"
        + rows_table(rows)
        + "\n"
    )
    replace_section(body, SECTION)


if __name__ == "__main__":
    main()
