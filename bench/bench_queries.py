"""Latency of the read-side queries on generated matches, SQLite and PostgreSQL.

    python bench/bench_queries.py [--rows 1000000] [--reps 300] [--dialects sqlite,postgresql]
                                  [--reuse DIR] [--load-only] [--no-write]

Generates ROWS tagged articles (1-3 tags each from a skewed set of 40, spread over a year,
short texts from a skewed 3000-word vocabulary), bulk-loads them into a fresh SQLite file and
a fresh PostgreSQL database (both migrated to head, so FTS5 / tsvector are the real ones),
then times typical queries through the Store and prints p50/p95 per query, with the ratio to
a primary-key lookup timed in the same process. Refreshes the "Query latency" section of
BENCHMARKS.md unless --no-write.

With --reuse DIR the generated databases are kept between runs (SQLite: DIR/bench-ROWS.db,
PostgreSQL: database monitor_bench_ROWS) and, when already there, only migrated to head and
re-analysed instead of loaded again; --load-only stops after loading.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor import atom  # noqa: E402  (after the path setup above)
from monitor.store import Database, Store  # noqa: E402
from monitor.store.migrate import upgrade  # noqa: E402
from monitor.store.queries import MatchFilter  # noqa: E402

PG_ADMIN = os.environ.get("MONITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
START = datetime(2025, 11, 23, tzinfo=UTC)
SPAN = timedelta(days=365)
ACTORS = [f"actor-{i:02d}" for i in range(20)]
ISSUES = [f"issue-{i:02d}" for i in range(20)]
SECTION = "## Query latency (issue 6)"
METHOD = (
    "How. Reads (monitor/store/db.py) go through `Database.fetch`: on PostgreSQL a pool of "
    "autocommit, read-only connections with JIT off and a plan for each statement's own "
    "values, so a read costs its statements' round trips only (no pre-ping, no BEGIN or "
    "ROLLBACK; a connection found dead is discarded and the read run once more); SQLite "
    "reads the file through mmap. A page is one statement (its keys joined to articles and "
    "feeds, tags and watches aggregated as JSON), and so is one article (the baseline). "
    "Filters (monitor/store/pagesql.py, pages.py): every filter that lists articles in page order "
    "(matched_at, article_id) descending is an index arm (each tag's (tag_id, matched_at, "
    "article_id), the watch's (watch, matched_at, article_id), articles by stored_at); the "
    "page is their intersection read newest first and stopped at limit + 1 (SQLite: "
    "INTERSECT ... ORDER BY, a merge of the index scans; PostgreSQL: a join on (matched_at, "
    "article_id), a merge join of backward index-only scans). SQLite text search reads "
    "FTS5 hits newest id first in chunks, one statement per chunk that checks the hits, "
    "returns the kept rows with their details and says whether the page is complete: with "
    "no article ever stored out of id order (the `article_order_breaks` table, kept by "
    "triggers, revision 0005) that is one index probe, else a scan of the newer articles. "
    "PostgreSQL text search: the planner's estimate of the words' hits (EXPLAIN, cached for "
    "ten minutes) picks the path: a few pages of hits in all, one GIN bitmap statement "
    '("has a tag" checked on the sorted hits only); a common search, the newest 2,000 rows '
    "of the first arm checked one by one; otherwise stretches of whole days found by the "
    "GIN index itself through time-bucket lexemes that revision 0005 adds to each "
    "search_vector ('@1:N', '@4:N', ... '@256:N' of its stored_at), each stretch sized "
    "from the hit rate seen so far for 1.8 times the rows the page lacks. No path relies "
    "on ids following time for correctness."
)
NOTE = (
    "Before this change (the committed code of revision 0003 on the same data, same "
    "machine, same interleaved 300-call run, `--no-write`, load average 1.1-1.4), p50 / p95 "
    "ms, SQLite then PostgreSQL: baseline 0.62 / 0.77, 1.83 / 3.97; actor + issue + 7 days "
    "1.38 / 1.61, 2.60 / 4.56; rare actor + rare issue 2.05 / 2.39, 3.54 / 6.18; actor second "
    "page 2.18 / 2.36, 4.18 / 7.17; newest 50 0.90 / 1.04, 2.04 / 3.11; one rare word 3.70 / "
    "4.09, 7.82 / 14.21; one common word 2.37 / 2.63, 2.40 / 3.92; common + rare word 3.87 / "
    "4.90, 7.38 / 15.96; text + actor + 7 days 2.41 / 3.16, 4.58 / 8.05; Atom feed 2.56 / "
    '2.80, 3.74 / 5.64. "actor, second page" times two calls (it fetches page one for the '
    "cursor); the Atom row includes rendering the XML. Upgrading these 1M-article "
    "databases from 0004 to 0005 took 49 s on PostgreSQL (the articles table rewritten with "
    "the new search_vector, its GIN index rebuilt) and 2 s on SQLite (the id-order check)."
    " Run to run (six runs of this code at 10:36-10:39, load average 1.1-2.7, baseline "
    "p95 0.8-2.5 ms) the PostgreSQL p50s stayed within 0.4 ms while the p95s moved with "
    "bursts of the other sessions' work: actor + issue + 7 days 2.3-3.2 ms, rare actor + "
    "rare issue 3.3-6.0, actor second page 3.5-6.4, newest 50 1.6-3.2, one rare word "
    "2.8-5.0, one common word 2.3-3.8, common + rare word 4.2-12.1, text + actor + 7 days"
    " 4.2-6.0, Atom feed 3.3-6.6; two of the six (the one above among them) met the goal "
    "on every PostgreSQL query. SQLite's p95s stayed at or below 3.6 ms in all six."
)
CAUSES = (
    "Where the time goes (EXPLAIN ANALYZE and per-statement timings on this data). "
    "PostgreSQL's baseline is one round trip of ~0.4 ms (PK lookup and the tags as JSON) "
    "plus ~0.3 ms in Python; on this 2-core machine the client, the server backend and "
    "the other sessions' work share the cores, so every round trip also waits to be "
    "scheduled, and p95 follows the load average more than the plans. One rare word: the "
    "estimate (EXPLAIN, ~0.3 ms, then cached), the rate probe (~0.3 ms) and one stretch "
    '(~1.6-2.4 ms: the GIN scan of the word AND its buckets ~0.5 ms, ~90 heap rows, "has '
    'a tag" on ~51, the details). Common + rare word, the one miss: one GIN bitmap '
    "statement, ~1 ms when its pages are in shared_buffers (~0.4 ms intersecting the "
    "common word's posting list with the rare one's, ~150 heap rows, the details) but "
    "~2.5-3 ms here, because each of the 200 word pairs comes up once or twice in 300 "
    "calls and its ~150 heap pages, scattered over the 868 MB articles heap, are read "
    "from the OS cache into 128 MB of shared_buffers first. Text + actor + 7 days: the "
    "actor's newest rows, each article's search_vector checked (~2.3 ms for ~300 rows). "
    "Two tags: a merge join of two backward index-only scans (~0.6 ms) and the details "
    "(~0.6 ms). SQLite, common + rare word: FTS5 reads the AND of both doclists newest id"
    " first (~0.9 ms), then the ~220 hits are checked by key (~1 ms)."
)


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1 / (r + 1) ** s for r in range(n)]


def _words(n: int, rng: random.Random) -> list[str]:
    syll = [
        "ka",
        "lo",
        "mi",
        "ten",
        "sur",
        "pa",
        "dor",
        "vi",
        "sen",
        "tra",
        "mon",
        "el",
        "qui",
        "ba",
        "ros",
        "fen",
        "tal",
        "nu",
        "gri",
        "zo",
    ]
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))))
    return sorted(out, key=lambda w: (len(w), w))


class Data:
    """The generated corpus, produced row by row so it never sits in memory whole."""

    def __init__(self, rows: int, seed: int = 6) -> None:
        self.rows = rows
        rng = random.Random(seed)
        self.vocab = _words(3000, rng)
        self.word_w = _zipf_weights(len(self.vocab), 1.05)
        self.tags = ACTORS + ISSUES
        self.tag_w = _zipf_weights(20, 0.8) * 2
        self.seed = seed

    def when(self, i: int) -> datetime:
        return START + SPAN * (i / self.rows)

    def articles(self) -> Iterator[tuple[object, ...]]:
        rng = random.Random(self.seed)
        for i in range(1, self.rows + 1):
            at = self.when(i)
            text = " ".join(rng.choices(self.vocab, self.word_w, k=30))
            title = " ".join(rng.choices(self.vocab, self.word_w, k=6))
            url = f"https://example.org/a/{i}"
            yield (i, 1 + i % 20, f"g{i}", url, url, title, text, f"{i:016x}", i, at, at, i)

    def tags_of(self, i: int) -> list[str]:
        rng = random.Random(self.seed * 1_000_003 + i)
        return list(dict.fromkeys(rng.choices(self.tags, self.tag_w, k=rng.randint(1, 3))))

    def tag_rows(self) -> Iterator[tuple[object, ...]]:
        for i in range(1, self.rows + 1):
            at = self.when(i)
            for tag in self.tags_of(i):
                kind = "actor" if tag.startswith("actor") else "issue"
                yield (i, tag, kind, tag.title(), 1, "evidence", 0, 8, at)

    def watch_rows(self) -> Iterator[tuple[object, ...]]:
        for i in range(1, self.rows + 1):
            if "issue-01" in self.tags_of(i):
                yield ("desk", i, i, self.when(i))


ART_COLS = (
    "id",
    "feed_id",
    "guid",
    "url",
    "canonical_url",
    "title",
    "text",
    "fingerprint",
    "simhash",
    "published",
    "stored_at",
    "story_id",
)
TAG_COLS = (
    "article_id",
    "tag_id",
    "kind",
    "name",
    "count",
    "evidence",
    "evidence_start",
    "evidence_end",
    "matched_at",
)
WM_COLS = ("watch", "article_id", "story_id", "matched_at")


def _feeds() -> list[tuple[object, ...]]:
    return [(i, f"feed-{i:02d}", f"https://example.org/f{i}.xml", START) for i in range(1, 21)]


def load_sqlite(path: Path, data: Data) -> str:
    """A migrated SQLite file holding `data`, loaded with executemany."""
    import sqlite3

    url = f"sqlite:///{path}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    # A throwaway file: no journal, a big cache, and the FTS triggers swapped for one rebuild.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-500000")
    triggers = [
        r[0]
        for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'articles_fts%'"
        )
    ]
    for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO feeds (id, name, url, created_at, enabled, in_config, "
        "full_text, interval_seconds, consecutive_errors) "
        "VALUES (?, ?, ?, ?, 1, 1, 1, 900, 0)",
        [(i, n, u, _naive(START)) for i, n, u, _ in _feeds()],
    )

    def naive_rows(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
        for row in rows:
            yield tuple(_naive(v) if isinstance(v, datetime) else v for v in row)

    cols = (*ART_COLS, "band0", "band1", "band2", "band3")
    # Column lists below are this module's constants, never input: S608 does not apply.
    conn.executemany(
        f"INSERT INTO articles ({', '.join(cols)}) "  # noqa: S608
        f"VALUES ({', '.join('?' * len(cols))})",
        ((*r, 0, 0, 0, 0) for r in naive_rows(data.articles())),
    )
    conn.executemany(
        f"INSERT INTO article_tags ({', '.join(TAG_COLS)}) VALUES "  # noqa: S608
        f"({', '.join('?' * len(TAG_COLS))})",
        naive_rows(data.tag_rows()),
    )
    conn.executemany(
        f"INSERT INTO watch_matches ({', '.join(WM_COLS)}) "  # noqa: S608
        "VALUES (?, ?, ?, ?)",
        naive_rows(data.watch_rows()),
    )
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    for statement in triggers:
        conn.execute(statement)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return url


def _naive(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def load_postgres(data: Data, name: str | None = None) -> tuple[str, str]:
    """A fresh, migrated PostgreSQL database holding `data`, loaded with COPY."""
    name = name or f"monitor_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    with psycopg.connect(url) as conn:
        # Building the GIN index once after the load is far faster than maintaining it.
        conn.execute("DROP INDEX articles_fts_search_vector")
        with conn.cursor() as cur:
            with cur.copy(
                "COPY feeds (id, name, url, created_at, enabled, in_config, "
                "full_text, interval_seconds, consecutive_errors) FROM STDIN"
            ) as cp:
                for row in _feeds():
                    cp.write_row((*row, True, True, True, 900, 0))
            cols = ", ".join((*ART_COLS, "band0", "band1", "band2", "band3"))
            with cur.copy(f"COPY articles ({cols}) FROM STDIN") as cp:
                for row in data.articles():
                    cp.write_row((*row, 0, 0, 0, 0))
            with cur.copy(f"COPY article_tags ({', '.join(TAG_COLS)}) FROM STDIN") as cp:
                for row in data.tag_rows():
                    cp.write_row(row)
            with cur.copy(f"COPY watch_matches ({', '.join(WM_COLS)}) FROM STDIN") as cp:
                for row in data.watch_rows():
                    cp.write_row(row)
            cur.execute("SELECT setval(pg_get_serial_sequence('articles', 'id'), %s)", (data.rows,))
        conn.execute(
            "CREATE INDEX articles_fts_search_vector ON articles USING gin (search_vector)"
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url, name


def pg_exists(name: str) -> bool:
    """Whether database `name` exists on the bench server."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def refresh(url: str) -> None:
    """A kept database brought to the current schema head, with fresh planner statistics."""
    db = Database(url)
    upgrade(db)
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    db.dispose()


def drop_postgres(name: str) -> None:
    """Drop the bench database."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def timed(fns: dict[str, Callable[[int], object]], reps: int) -> dict[str, tuple[float, float]]:
    """p50 and p95 in milliseconds of each `fn(i)` over `reps` calls after a warm-up. The
    calls are interleaved (round i calls every fn once), so a burst of load from others on
    this shared machine falls on every query, the baseline included, not on one."""
    for i in range(min(20, reps)):
        for fn in fns.values():
            fn(i)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(reps):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn(i)
            samples[name].append((time.perf_counter() - t0) * 1000)
    out = {}
    for name, values in samples.items():
        q = statistics.quantiles(values, n=100)
        out[name] = (q[49], q[94])
    return out


def cases(store: Store, data: Data) -> dict[str, Callable[[int], object]]:
    """The queries to time, each varying its parameters by call number."""
    now = data.when(data.rows)
    week = now - timedelta(days=7)
    common = data.vocab[40:80]
    rare = data.vocab[1500:1600]
    pairs = [(a, i) for a in ACTORS[:5] for i in ISSUES[:6]]
    rows = max(1, data.rows)

    def pk(i: int) -> object:
        return store.get_article(1 + (i * 7919) % rows)

    def actor_issue_week(i: int) -> object:
        a, iss = pairs[i % len(pairs)]
        return store.find_matches(MatchFilter(actors=(a,), issues=(iss,), since=week))

    def actor_issue_rare(i: int) -> object:
        # a rarer pair over the whole year: the driver is the rarer of the two tags
        return store.find_matches(
            MatchFilter(actors=(ACTORS[15 + i % 5],), issues=(ISSUES[12 + i % 8],))
        )

    def actor_page2(i: int) -> object:
        first = store.find_matches(MatchFilter(actors=(ACTORS[i % 10],), limit=50))
        return store.find_matches(
            MatchFilter(actors=(ACTORS[i % 10],), limit=50, cursor=first.next_cursor)
        )

    def newest(i: int) -> object:
        return store.find_matches(MatchFilter(limit=50))

    def text_rare(i: int) -> object:
        return store.find_matches(MatchFilter(text=rare[i % len(rare)]))

    def text_common(i: int) -> object:
        return store.find_matches(MatchFilter(text=common[i % 40]))

    def text_two_words(i: int) -> object:
        return store.find_matches(MatchFilter(text=f"{common[i % 40]} {rare[i % 100]}"))

    def text_week_actor(i: int) -> object:
        return store.find_matches(
            MatchFilter(text=common[i % 40], actors=(ACTORS[i % 5],), since=week)
        )

    def atom_feed(i: int) -> object:
        return atom.watch_feed(
            "desk",
            store.watch_matches("desk", 50),
            self_url="http://127.0.0.1:8000/watches/desk.atom",
            now=now,
        )

    return {
        "baseline: article by primary key": pk,
        "actor + issue + last 7 days": actor_issue_week,
        "rare actor + rare issue, all time": actor_issue_rare,
        "actor, second page (cursor)": actor_page2,
        "newest 50 matches, no filter": newest,
        "text: one rare word": text_rare,
        "text: one common word": text_common,
        "text: common word + rare word": text_two_words,
        "text + actor + last 7 days": text_week_actor,
        "Atom feed of a watch (50 entries)": atom_feed,
    }


def run(dialect: str, url: str, data: Data, reps: int) -> dict[str, tuple[float, float]]:
    """Time every case on one database."""
    db = Database(url)
    store = Store(db)
    out = timed(cases(store, data), reps)
    db.dispose()
    return out


def report(
    rows: int,
    results: dict[str, dict[str, tuple[float, float]]],
    load: dict[str, float],
    reps: int,
    load_start: float,
) -> str:
    """The BENCHMARKS.md section."""
    dialects = list(results)
    head = (
        "| query | "
        + " | ".join(f"{d} p50 ms | {d} p95 ms | {d} p95/baseline" for d in dialects)
        + " |"
    )
    lines = [
        SECTION,
        "",
        f"`python bench/bench_queries.py --rows {rows}`: {rows:,} generated matches "
        f"(articles with 1-3 of 40 skewed tags over one year, ~{rows * 2:,} tag rows), "
        f"{reps} timed calls per query, interleaved, through `Store.find_matches` (page "
        "of 50, rows "
        "materialised with tags and watches), on this 2-core shared machine (load "
        f"average {load_start:.1f} at the start of the run, "
        f"{os.getloadavg()[0]:.1f} at the end). Load time: "
        + (", ".join(f"{d} {s:.0f} s" for d, s in load.items()) or "reused (--reuse)")
        + ".",
        "",
        head,
        "| --- |" + " --- | --- | --- |" * len(dialects),
    ]
    for name in next(iter(results.values())):
        cells = []
        for d in dialects:
            p50, p95 = results[d][name]
            base = results[d]["baseline: article by primary key"][1]
            cells.append(f"{p50:.2f} | {p95:.2f} | {p95 / base:.1f}x")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    over = {
        d: [n for n, (_, p95) in results[d].items() if p95 >= 5.0 and not n.startswith("baseline")]
        for d in dialects
    }
    lines += [
        "",
        "Goal (p95 < 5 ms for filtered queries) missed in this run by: "
        + "; ".join(f"{d}: {', '.join(names) or 'none'}" for d, names in over.items())
        + ".",
        "",
        METHOD,
        "",
        NOTE,
        "",
        CAUSES,
        "",
    ]
    return "\n".join(lines)


def write_section(text: str, section: str = SECTION) -> None:
    """Replace (or append) a bench's section of BENCHMARKS.md (this one's by default)."""
    path = REPO / "BENCHMARKS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if section in old:
        start = old.index(section)
        nxt = old.find("\n## ", start + len(section))
        rest = old[nxt + 1 :] if nxt != -1 else ""
        new = old[:start] + text.rstrip("\n") + ("\n\n" + rest if rest else "\n")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def _database(
    dialect: str, data: Data, tmp: Path, reuse: Path | None
) -> tuple[str, str | None, float | None]:
    """(url, database to drop afterwards, load seconds or None when reused) for `dialect`."""
    t0 = time.perf_counter()
    if dialect == "sqlite":
        path = (reuse / f"bench-{data.rows}.db") if reuse else tmp / "bench.db"
        url = f"sqlite:///{path}"
        if path.exists():
            print(f"reusing {path}; migrating to head", flush=True)
            refresh(url)
            return url, None, None
        if reuse:
            reuse.mkdir(parents=True, exist_ok=True)
        print(f"loading {data.rows:,} matches into sqlite ...", flush=True)
        partial = path.with_suffix(".loading")  # renamed once complete: never reuse half a load
        partial.unlink(missing_ok=True)
        load_sqlite(partial, data)
        partial.rename(path)
        drop = None
    else:
        name = f"monitor_bench_{data.rows}" if reuse else None
        if name and pg_exists(name):
            print(f"reusing database {name}; migrating to head", flush=True)
            url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
            refresh(url)
            return url, None, None
        print(f"loading {data.rows:,} matches into postgresql ...", flush=True)
        url, made = load_postgres(data)
        drop = made
        if name:  # renamed once complete: never reuse half a load
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(made), sql.Identifier(name)
                    )
                )
            url, drop = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", None
    seconds = time.perf_counter() - t0
    print(f"  loaded in {seconds:.0f} s", flush=True)
    return url, drop, seconds


def main() -> None:
    """Generate, load, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="keep the generated databases here and reuse them next time",
    )
    parser.add_argument("--load-only", action="store_true")
    args = parser.parse_args()
    data = Data(args.rows)
    load_start = os.getloadavg()[0]
    results: dict[str, dict[str, tuple[float, float]]] = {}
    load: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialects.split(","):
            url, pg_drop, seconds = _database(dialect, data, Path(tmp), args.reuse)
            if seconds is not None:
                load[dialect] = seconds
            if args.load_only:
                continue
            print(f"timing {dialect}", flush=True)
            try:
                results[dialect] = run(dialect, url, data, args.reps)
            finally:
                if pg_drop:
                    drop_postgres(pg_drop)
            for name, (p50, p95) in results[dialect].items():
                print(f"  {name:40s} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms", flush=True)
    if args.load_only:
        return
    text = report(args.rows, results, load, args.reps, load_start)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
