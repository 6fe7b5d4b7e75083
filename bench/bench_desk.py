"""Server time of the desk's pages (monitor/web/) on generated matches, SQLite and PostgreSQL.

    python bench/bench_desk.py [--rows 1000000] [--reps 100] [--dialects sqlite,postgresql]
                               [--reuse DIR] [--no-write]

Loads the corpus of bench/bench_queries.py (ROWS tagged articles over a year, 40 tags, one
watch; --reuse keeps and reuses the same databases as that script), then requests each page
through the app in process (no network) and prints p50/p95 of the whole request: the store's
reads, the highlighting and the template. Refreshes the "Desk pages" section of
BENCHMARKS.md unless --no-write. Goals (issue 15): the matches page and an article under 50 ms,
a 90-day trend of 10 series under 200 ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_queries as corpus  # noqa: E402  (after the path setup above)

from monitor.api import create_app  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.store import Database, Store  # noqa: E402

SECTION = "## Desk pages (issue 15)"
NOTE = (
    "Where the time goes. The matches pages and an article are the store's page and article "
    "reads (see Query latency) plus highlighting and the template, a few ms. The trend misses "
    "its goal by 6-10x: on every request it counts the period's tag rows (here ~90 days of "
    "1M articles with 1-3 tags each from 40, about 500,000 rows) three times: the period's "
    "most tagged ids (a scan by time: article_tags has no index that leads with matched_at), "
    "the stories per tag and day (the (tag_id, matched_at) index, joined to articles to fold "
    "copies into stories as the matches page does), and the actor x issue table (a self-join "
    "of those rows). Measured alone on SQLite at 1M: the top ids ~0.95 s, the per-day "
    "counts ~1.0 s (0.25 s without the fold into stories). Reading that from a table of "
    "counts per (tag, day) and (actor, issue, day), kept by the store when it writes tags "
    "and by retag, would make the page a few hundred rows at most; that needs a migration "
    "and the write path (store/articles.py, store/retag.py), so it is left for a change "
    "there.")


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
    return {name: (statistics.median(v), statistics.quantiles(v, n=20)[18])
            for name, v in times.items()}


def report(rows: int, reps: int, results: dict[str, dict[str, tuple[float, float]]],
           load: float) -> str:
    dialects = list(results)
    head = "| page | " + " | ".join(f"{d} p50 / p95 ms" for d in dialects) + " |"
    lines = [SECTION, "",
             f"`python bench/bench_desk.py --rows {rows} --reps {reps}`: {rows:,} generated "
             f"matches (bench/bench_queries.py's corpus), each page requested {reps} times "
             "through the app in process, the requests interleaved; the time is the whole "
             "request (reads, highlighting, template). Goals: matches and article < 50 ms, "
             f"the 90-day trend of 10 series < 200 ms. Load average at the start {load:.1f} on "
             f"{os.cpu_count()} cores.", "", head,
             "| --- |" + " --- |" * len(dialects)]
    for name in next(iter(results.values())):
        cells = " | ".join(f"{results[d][name][0]:.1f} / {results[d][name][1]:.1f}"
                           for d in dialects)
        lines.append(f"| {name} | {cells} |")
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--reuse", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = corpus.Data(args.rows)
    load = os.getloadavg()[0]
    results: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialects.split(","):
            url, drop, _ = corpus._database(dialect, data, Path(tmp), args.reuse)
            try:
                print(f"timing {dialect}", flush=True)
                results[dialect] = run(url, args.rows, args.reps)
            finally:
                if drop:
                    corpus.drop_postgres(drop)
            for name, (p50, p95) in results[dialect].items():
                print(f"  {name:32s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms", flush=True)
    text = report(args.rows, args.reps, results, load)
    print(text)
    if not args.no_write:
        corpus.write_section(text, SECTION)


if __name__ == "__main__":
    main()
