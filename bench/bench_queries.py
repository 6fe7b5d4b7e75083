"""Latency of the read-side queries on generated matches, SQLite and PostgreSQL.

    python bench/bench_queries.py [--rows 1000000] [--reps 300] [--dialects sqlite,postgresql]

Generates ROWS tagged articles (1-3 tags each from a skewed set of 40, spread over a year,
short texts from a skewed 3000-word vocabulary), bulk-loads them into a fresh SQLite file and
a fresh PostgreSQL database (both migrated to head, so FTS5 / tsvector are the real ones),
then times typical queries through the Store and prints p50/p95 per query, with the ratio to
a primary-key lookup timed in the same process. Refreshes the "Query latency" section of
BENCHMARKS.md unless --no-write.
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
NOTE = (
    'Against the goal (p95 < 5 ms for filtered queries) on this loaded machine: not met at '
    '1M. Single-tag, unfiltered and combined tag+time pages stay within a few ms of the '
    'primary-key baseline, but (1) a pair of independent rare tags makes the nested-loop '
    'probe thousands of candidates (PostgreSQL p95 ~50 ms): a merge of the two (tag, time) '
    'index scans would read them sequentially instead; (2) on SQLite a text search is the set'
    " of all FTS5 rowids matching, so one common word costs ~0.2-0.3 s at 1M (PostgreSQL's "
    'GIN plan stays ~6 ms). Both are the next steps; see the issue 6 report.')


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1 / (r + 1) ** s for r in range(n)]


def _words(n: int, rng: random.Random) -> list[str]:
    syll = ["ka", "lo", "mi", "ten", "sur", "pa", "dor", "vi", "sen", "tra", "mon", "el",
            "qui", "ba", "ros", "fen", "tal", "nu", "gri", "zo"]
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


ART_COLS = ("id", "feed_id", "guid", "url", "canonical_url", "title", "text", "fingerprint",
            "simhash", "published", "stored_at", "story_id")
TAG_COLS = ("article_id", "tag_id", "kind", "name", "count", "evidence", "evidence_start",
            "evidence_end", "matched_at")
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
    triggers = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'articles_fts%'")]
    for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO feeds (id, name, url, created_at, enabled, in_config, "
                     "full_text, interval_seconds, consecutive_errors) "
                     "VALUES (?, ?, ?, ?, 1, 1, 1, 900, 0)",
                     [(i, n, u, _naive(t)) for i, n, u, t in _feeds()])

    def naive_rows(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
        for row in rows:
            yield tuple(_naive(v) if isinstance(v, datetime) else v for v in row)

    cols = (*ART_COLS, "band0", "band1", "band2", "band3")
    # Column lists below are this module's constants, never input: S608 does not apply.
    conn.executemany(f"INSERT INTO articles ({', '.join(cols)}) "  # noqa: S608
                     f"VALUES ({', '.join('?' * len(cols))})",
                     ((*r, 0, 0, 0, 0) for r in naive_rows(data.articles())))
    conn.executemany(f"INSERT INTO article_tags ({', '.join(TAG_COLS)}) VALUES "  # noqa: S608
                     f"({', '.join('?' * len(TAG_COLS))})", naive_rows(data.tag_rows()))
    conn.executemany(f"INSERT INTO watch_matches ({', '.join(WM_COLS)}) "  # noqa: S608
                     "VALUES (?, ?, ?, ?)",
                     naive_rows(data.watch_rows()))
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


def load_postgres(data: Data) -> tuple[str, str]:
    """A fresh, migrated PostgreSQL database holding `data`, loaded with COPY."""
    name = f"monitor_bench_{uuid.uuid4().hex[:8]}"
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
            with cur.copy("COPY feeds (id, name, url, created_at, enabled, in_config, "
                          "full_text, interval_seconds, consecutive_errors) FROM STDIN") as cp:
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
            cur.execute("SELECT setval(pg_get_serial_sequence('articles', 'id'), %s)",
                        (data.rows,))
        conn.execute("CREATE INDEX articles_fts_search_vector ON articles "
                     "USING gin (search_vector)")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url, name


def drop_postgres(name: str) -> None:
    """Drop the bench database."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                      .format(sql.Identifier(name)))


def timed(fn: Callable[[int], object], reps: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `fn(i)` over `reps` calls after a warm-up."""
    for i in range(min(20, reps)):
        fn(i)
    samples = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(samples, n=100)
    return q[49], q[94]


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
        return store.find_matches(MatchFilter(actors=(ACTORS[15 + i % 5],),
                                              issues=(ISSUES[12 + i % 8],)))

    def actor_page2(i: int) -> object:
        first = store.find_matches(MatchFilter(actors=(ACTORS[i % 10],), limit=50))
        return store.find_matches(MatchFilter(actors=(ACTORS[i % 10],), limit=50,
                                              cursor=first.next_cursor))

    def newest(i: int) -> object:
        return store.find_matches(MatchFilter(limit=50))

    def text_rare(i: int) -> object:
        return store.find_matches(MatchFilter(text=rare[i % len(rare)]))

    def text_common(i: int) -> object:
        return store.find_matches(MatchFilter(text=common[i % 40]))

    def text_two_words(i: int) -> object:
        return store.find_matches(MatchFilter(text=f"{common[i % 40]} {rare[i % 100]}"))

    def text_week_actor(i: int) -> object:
        return store.find_matches(MatchFilter(text=common[i % 40], actors=(ACTORS[i % 5],),
                                              since=week))

    def atom_feed(i: int) -> object:
        return atom.watch_feed("desk", store.watch_matches("desk", 50),
                               self_url="http://127.0.0.1:8000/watches/desk.atom", now=now)

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
    out = {name: timed(fn, reps) for name, fn in cases(store, data).items()}
    db.dispose()
    return out


def report(rows: int, results: dict[str, dict[str, tuple[float, float]]],
           load: dict[str, float], reps: int) -> str:
    """The BENCHMARKS.md section."""
    dialects = list(results)
    head = "| query | " + " | ".join(f"{d} p50 ms | {d} p95 ms | {d} p95/baseline"
                                     for d in dialects) + " |"
    lines = [SECTION, "",
             f"`python bench/bench_queries.py --rows {rows}`: {rows:,} generated matches "
             f"(articles with 1-3 of 40 skewed tags over one year, ~{rows * 2:,} tag rows), "
             f"{reps} timed calls per query through `Store.find_matches` (page of 50, rows "
             "materialised with tags and watches), on this 2-core shared machine. Load time: "
             + ", ".join(f"{d} {s:.0f} s" for d, s in load.items()) + ".", "",
             head, "| --- |" + " --- | --- | --- |" * len(dialects)]
    for name in next(iter(results.values())):
        cells = []
        for d in dialects:
            p50, p95 = results[d][name]
            base = results[d]["baseline: article by primary key"][1]
            cells.append(f"{p50:.2f} | {p95:.2f} | {p95 / base:.1f}x")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Filtered queries are driven by `article_tags (tag_id, matched_at, "
              "article_id)`: the rarest filter tag (counted up to 2000 rows in the window) is "
              "scanned newest first with a keyset, every other condition is an indexed probe "
              "by article id, and the scan stops at limit + 1. Text search runs through FTS5 "
              "(SQLite) or the GIN-indexed `search_vector` (PostgreSQL) as one of those "
              "conditions.", "", NOTE, ""]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace (or append) this bench's section of BENCHMARKS.md."""
    path = REPO / "BENCHMARKS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if SECTION in old:
        start = old.index(SECTION)
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[nxt + 1:] if nxt != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    """Generate, load, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = Data(args.rows)
    results: dict[str, dict[str, tuple[float, float]]] = {}
    load: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialects.split(","):
            t0 = time.perf_counter()
            print(f"loading {args.rows:,} matches into {dialect} ...", flush=True)
            pg_name = None
            if dialect == "sqlite":
                url = load_sqlite(Path(tmp) / "bench.db", data)
            else:
                url, pg_name = load_postgres(data)
            load[dialect] = time.perf_counter() - t0
            print(f"  loaded in {load[dialect]:.0f} s; timing", flush=True)
            try:
                results[dialect] = run(dialect, url, data, args.reps)
            finally:
                if pg_name:
                    drop_postgres(pg_name)
            for name, (p50, p95) in results[dialect].items():
                print(f"  {name:40s} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms", flush=True)
    text = report(args.rows, results, load, args.reps)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
