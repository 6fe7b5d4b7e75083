"""Server time of the desk's pages (monitor/web/) on generated matches, SQLite and PostgreSQL.

    python bench/bench_desk.py [--rows 1000000] [--reps 100] [--dialects sqlite,postgresql]
                               [--writes 300] [--reuse DIR] [--no-write]

Loads the corpus of bench/bench_queries.py (ROWS tagged articles over a year, 40 tags, one
watch; --reuse keeps and reuses the same databases as that script), counts the Trends counts
from the loaded rows (the load goes around the store: what revision 0010's backfill does),
then requests each page through the app in process (no network) and prints p50/p95 of the
whole request: the store's reads, the highlighting and the template. Then the write path:
add_article of `--writes` tagged articles (half of them copies of the other half) into the
loaded database, with the counts kept and, the baseline in the same process, with their
upkeep switched off, in interleaved parts (the median part is reported); the counts are
recounted afterwards. Refreshes the "Desk pages" section of
BENCHMARKS.md unless --no-write. Goals (issue 15): the matches page and an article under 50 ms,
a 90-day trend of 10 series under 200 ms.
"""

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_queries as corpus  # noqa: E402  (after the path setup above)

from monitor import stories  # noqa: E402
from monitor.api import create_app  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.store import Database, Store, trends  # noqa: E402
from monitor.types import Evidence, NewArticle, Tag  # noqa: E402

SECTION = "## Desk pages (issue 15)"
NOTE = (
    "Where the time goes. The matches pages and an article are the store's page and article "
    "reads (see Query latency) plus highlighting and the template. The trend used to count "
    "the period's tag rows (~500,000 for 90 days at 1M) three times per request: 1.1-2.0 s "
    "at p95 in the run this table replaces. It now reads counts the store keeps as it "
    "writes tags (monitor/store/trends.py, revision 0010): per (tag, UTC day) the tag rows "
    "and the distinct stories; per (actor, issue, day) the stories with an article tagged "
    "with both; and, for the few stories that carry a pair on two days or more, those days, "
    "so a period counts such a story once, as the old distinct count did. A 90-day page "
    "reads at most tags x 90 plus pairs x 90 rows whatever the number of matches (here 40 "
    "tags, 100 pairs in the table: ~3,600 + ~9,000 rows). Measured alone at 1M, the three "
    "reads take 5.3 ms together on SQLite and 8.4 ms on PostgreSQL, once the tables' "
    "statistics are gathered (revision 0010 and this bench run ANALYZE; from default "
    "estimates PostgreSQL read the pairs by the actor alone, 8 ms instead of 3 for that "
    "read). The other ~20-30 ms of the request build the chart's 900 linked points, the "
    "900-cell table and the template; its p95 follows the load of this shared machine (an "
    "earlier run of this code at load average 4.8: 237 ms on SQLite, 137 on PostgreSQL). "
    "The cost moved to the write path: a new story's counts are upserts from the rows just "
    "written (no read); a copy joining a story reads that story's rows of the copy's tags "
    "once, a merge all the stories' rows twice, a retag batch the stories it changes "
    "before and after; the difference is added with upserts that increment, in key order, "
    "as the transaction's last statements "
    "(writers on PostgreSQL queue on a counter row of the day, never deadlock on two). "
    "add_article cost 1.14-1.21x on SQLite and 1.12-1.15x on PostgreSQL with the counts "
    'kept, over three runs at 1M. On PostgreSQL "matches, actor + issue" took '
    "170-250 ms at p95 in the previous run: the two commonest tags (~200,000 rows each), "
    "whose join on (matched_at, article_id) the planner estimates at one row, were read "
    "whole by a parallel hash join and sorted, instead of the merge join of two backward "
    "index scans that stops at the page's end (EXPLAIN ANALYZE: 130 ms against 0.5 ms). "
    "The read pool now starts no parallel workers (monitor/store/db.py, "
    "max_parallel_workers_per_gather=0), which leaves the merge join: 17 ms at p95 here."
)


def pages(rows: int) -> dict[str, str]:
    """The requests timed: name -> path (dates inside the generated year)."""
    end = corpus.START + corpus.SPAN
    last = end.date().isoformat()
    ninety = (end - 90 * (corpus.SPAN / 365)).date().isoformat()
    series = "&".join(f"tag={t}" for t in (corpus.ACTORS[:5] + corpus.ISSUES[:5]))
    return {
        "matches, newest": "/",
        "matches, actor + issue": "/?actor=actor-00&issue=issue-00",
        "matches, watch, second page": "/?watch=desk&cursor=",
        "matches, text": "/?text=kaka",
        "article": f"/desk/articles/{rows // 2}",
        "trends, 10 series x 90 days": f"/desk/trends?{series}&since={ninety}&until={last}",
        "watches": "/desk/watches",
        "feeds": "/desk/feeds",
        "alerts": "/desk/alerts",
    }


PARTS = 6


def recount(url: str) -> float:
    """Seconds to count the Trends counts of the loaded rows (revision 0010's backfill),
    then their planner statistics gathered."""
    store = Store(Database(url))
    t0 = time.perf_counter()
    store.recount_trends()
    seconds = time.perf_counter() - t0
    with store.db.engine.connect() as conn:  # as revision 0010 does after its backfill
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("trend_tag_days", "trend_pair_days", "trend_pair_spread"):
            conn.exec_driver_sql(f"ANALYZE {table}")
    store.db.dispose()
    return seconds


def _new_articles(n: int, data: corpus.Data, salt: str) -> list[NewArticle]:
    """n tagged articles of the corpus' words: pairs of a report and an identical copy (it
    joins the report's story) on another feed."""
    rng = random.Random(salt)
    out = []
    for i in range(n):
        if i % 2 == 0:
            body = " ".join(rng.choices(data.vocab, data.word_w, k=80))
            tags = list(dict.fromkeys(rng.choices(data.tags, data.tag_w, k=rng.randint(1, 3))))
        url = f"https://example.org/w/{salt}/{i}"
        out.append(
            NewArticle(
                feed=f"feed-{1 + i % 20:02d}",
                guid=url,
                url=url,
                canonical_url=url,
                title="w",
                author=None,
                published=None,
                language="en",
                text=body,
                fingerprint=stories.fingerprint(body),
                sketch=stories.sketch(body),
                tags=tuple(
                    Tag(
                        t,
                        "actor" if t.startswith("actor") else "issue",
                        t.title(),
                        1,
                        Evidence("evidence", 0, 8),
                    )
                    for t in tags
                ),
            )
        )
    return out


@contextlib.contextmanager
def _counts_off() -> Iterator[None]:
    kept = trends.count_added
    trends.count_added = lambda *args: None
    try:
        yield
    finally:
        trends.count_added = kept


def writes(url: str, n: int, data: corpus.Data) -> tuple[float, float]:
    """Median ms per add_article over PARTS interleaved parts: (counts kept, counts off)."""
    store = Store(Database(url))
    now = corpus.START + corpus.SPAN
    run = uuid.uuid4().hex[:8]  # new articles on every run, also into a reused database
    on: list[float] = []
    off: list[float] = []
    for part in range(PARTS):
        for kept, times in ((True, on), (False, off)):
            batch = _new_articles(max(2, n // PARTS), data, f"{run}-{part}-{kept}")
            with contextlib.nullcontext() if kept else _counts_off():
                t0 = time.perf_counter()
                stored = [store.add_article(article, [], now=now) for article in batch]
                times.append((time.perf_counter() - t0) * 1000 / len(batch))
            if any(s is None for s in stored):
                raise SystemExit("add_article found an article of the write batch stored")
    store.recount_trends()  # the part without upkeep left them behind
    store.db.dispose()
    return statistics.median(on), statistics.median(off)


def run(url: str, rows: int, reps: int) -> dict[str, tuple[float, float]]:
    """p50 / p95 ms of each page, requests interleaved."""
    warnings.simplefilter("ignore")  # starlette's TestClient deprecation notice
    from fastapi.testclient import TestClient

    store = Store(Database(url))
    client = TestClient(create_app(store, None, Settings(api_token=None)))
    wanted = pages(rows)
    first = client.get("/?watch=desk")
    cursor = first.text.split("cursor=")[1].split('"')[0] if "cursor=" in first.text else ""
    wanted["matches, watch, second page"] += cursor
    for path in wanted.values():  # warm caches, and fail loudly on a broken page
        answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}\n{answer.text[:500]}")
    times: dict[str, list[float]] = {name: [] for name in wanted}
    for _ in range(reps):
        for name, path in wanted.items():
            t0 = time.perf_counter()
            client.get(path)
            times[name].append((time.perf_counter() - t0) * 1000)
    store.db.dispose()
    return {
        name: (statistics.median(v), statistics.quantiles(v, n=20)[18]) for name, v in times.items()
    }


def report(
    rows: int,
    reps: int,
    results: dict[str, dict[str, tuple[float, float]]],
    load: float,
    extra: dict[str, tuple[float, float, float]],
    n_writes: int,
) -> str:
    dialects = list(results)
    head = "| page | " + " | ".join(f"{d} p50 / p95 ms" for d in dialects) + " |"
    lines = [
        SECTION,
        "",
        f"`python bench/bench_desk.py --rows {rows} --reps {reps}`: {rows:,} generated "
        f"matches (bench/bench_queries.py's corpus), each page requested {reps} times "
        "through the app in process, the requests interleaved; the time is the whole "
        "request (reads, highlighting, template). Goals: matches and article < 50 ms, "
        f"the 90-day trend of 10 series < 200 ms. Load average at the start {load:.1f} on "
        f"{os.cpu_count()} cores.",
        "",
        head,
        "| --- |" + " --- |" * len(dialects),
    ]
    for name in next(iter(results.values())):
        cells = " | ".join(
            f"{results[d][name][0]:.1f} / {results[d][name][1]:.1f}" for d in dialects
        )
        lines.append(f"| {name} | {cells} |")
    if extra:
        lines += [
            "",
            f"The counts the trend reads, kept on write (monitor/store/trends.py): "
            f"counting them from the {rows:,} loaded matches (revision 0010's backfill) "
            "took " + ", ".join(f"{extra[d][0]:.1f} s on {d}" for d in extra) + ". "
            f"add_article of {n_writes} tagged articles (1-3 tags, half of them copies "
            "joining a story) into that database, median of "
            f"{PARTS} interleaved parts, ms per article with the counts kept / with "
            "their upkeep switched off (same process): "
            + "; ".join(
                f"{d} {on:.2f} / {off:.2f} ({on / off:.2f}x)" for d, (_, on, off) in extra.items()
            )
            + ".",
        ]
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument(
        "--writes",
        type=int,
        default=300,
        help="articles add_article stores per measurement (0: none)",
    )
    parser.add_argument("--reuse", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = corpus.Data(args.rows)
    load = os.getloadavg()[0]
    results: dict[str, dict[str, tuple[float, float]]] = {}
    extra: dict[str, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialects.split(","):
            url, drop, _ = corpus._database(dialect, data, Path(tmp), args.reuse)
            try:
                counted = recount(url)
                print(f"counted the trend counts in {counted:.1f} s; timing {dialect}", flush=True)
                results[dialect] = run(url, args.rows, args.reps)
                if args.writes:
                    on, off = writes(url, args.writes, data)
                    extra[dialect] = (counted, on, off)
                    print(f"  add_article ms: counts kept {on:.2f}, off {off:.2f}", flush=True)
            finally:
                if drop:
                    corpus.drop_postgres(drop)
            for name, (p50, p95) in results[dialect].items():
                print(f"  {name:32s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms", flush=True)
    text = report(args.rows, args.reps, results, load, extra, args.writes)
    print(text)
    if not args.no_write:
        corpus.write_section(text, SECTION)


if __name__ == "__main__":
    main()
