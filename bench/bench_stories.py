"""Stories: edited copies joined, false joins between different stories, cost per article.

    python bench/bench_stories.py [--stored 100000] [--articles 300] [--dialects sqlite,postgresql]

Quality (pure, monitor.stories with the default StoryRules): each AEB body of at least six
paragraphs is stored as the original and every edit kind of tests/story_copies.py is checked
against it (a shared LSH band key, then the join rules); the cnn-2024 captures of one story
(provenance `story`) are real edited copies; every pair of captures of different stories of
cnn-2024 and every pair of AEB bodies counts a false join when it would join.
Cost: CPU time of monitor.stories.sketch per article (the pipeline's share), and the store's
add_article per article into a database already holding `--stored` articles (each with a
sketch and its 40 band keys) and into one holding 1,000, against the same add_article with the
similarity search switched off (the baseline, same process, same articles), in six
interleaved parts each (the median part is reported). On SQLite the
database works in this process, so its CPU time is counted; on PostgreSQL the wall time is
what the client sees. Refreshes the "Stories" section of BENCHMARKS.md unless --no-write.
"""

import argparse
import collections
import itertools
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from story_copies import EDITS, aeb_bodies, cnn_docs, edited  # noqa: E402

from monitor import stories  # noqa: E402
from monitor.store import Database, Store  # noqa: E402
from monitor.store.migrate import upgrade  # noqa: E402
from monitor.types import FeedSpec, NewArticle  # noqa: E402

SECTION = "## Stories (`bench/bench_stories.py`)"
PG_ADMIN = os.environ.get("MONITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
RULES = stories.StoryRules()
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PARTS = 6
MEASURED = (
    "dateline added",
    "credit line added",
    "last paragraph cut",
    "lede rewritten",
    "last two paragraphs cut",
)


def joins(a: stories.Sketch, b: stories.Sketch) -> bool:
    """Whether `a`, stored after `b`, joins b's story as the store decides it."""
    if not set(a.bands) & set(b.bands):
        return False
    return stories.choose(a, [(1, b.signature, b.size)], RULES) == 1


def edit_shares() -> list[tuple[str, int, int]]:
    """(kind, joined, copies) per edit kind over the AEB bodies; teasers below min_words
    are counted apart (they never join by design)."""
    bodies = aeb_bodies()
    originals = [stories.sketch("\n\n".join(p)) for p in bodies]
    out = []
    for kind in EDITS:
        joined = total = 0
        for i, paras in enumerate(bodies):
            copy = stories.sketch(edited(kind, paras, bodies[(i + 1) % len(bodies)]))
            if copy.words < RULES.min_words:
                continue
            total += 1
            joined += joins(copy, originals[i])
        out.append((kind, joined, total))
    return out


def false_joins(sketches: list[stories.Sketch], stories_of: list[int]) -> tuple[int, int, int, int]:
    """(pairs of different stories, their false joins, same-story pairs, joined ones):
    candidates through an inverted index of band keys, as the store finds them."""
    by_key: dict[int, list[int]] = collections.defaultdict(list)
    for i, s in enumerate(sketches):
        if s.words >= RULES.min_words:
            for key in set(s.bands):
                by_key[key].append(i)
    candidates = {(a, b) for ids in by_key.values() for a, b in itertools.combinations(ids, 2)}
    false = true = 0
    for a, b in candidates:
        decided = (
            stories.choose(sketches[b], [(1, sketches[a].signature, sketches[a].size)], RULES) == 1
        )
        if decided and stories_of[a] != stories_of[b]:
            false += 1
        elif decided:
            true += 1
    size = collections.Counter(stories_of)
    same = sum(n * (n - 1) // 2 for n in size.values())
    total = len(sketches) * (len(sketches) - 1) // 2
    return total - same, false, same, true


def sketch_cpu(texts: list[str]) -> float:
    """CPU ms per text of monitor.stories.sketch (best of 3 passes)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for text in texts:
            stories.sketch(text)
        best = min(best, time.process_time() - start)
    return 1000 * best / len(texts)


# ---- the store ----


def _open(dialect: str, tmp: Path) -> tuple[Database, str | None]:
    if dialect == "sqlite":
        db = Database(f"sqlite:///{tmp / f'stories-{uuid.uuid4().hex[:6]}.db'}")
        upgrade(db)
        return db, None
    name = f"monitor_bench_stories_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}")
    upgrade(db)
    return db, name


def _drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


_FILL = {
    "sqlite": [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
        "INSERT INTO articles (feed_id, guid, url, canonical_url, title, text, fingerprint, "
        "simhash, band0, band1, band2, band3, story_id, stored_at, story_signature, "
        "story_shingles, is_copy) SELECT 1, 'f' || i, 'https://f.example/' || i, "
        "'https://f.example/' || i, 'filler ' || i, 'filler text ' || i, 'fp' || i, 0, 0, 0, "
        "0, 0, NULL, '2026-01-01 00:00:00', randomblob(640), 400, 0 FROM n",
        "UPDATE articles SET story_id = id",
        "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < :keys) "
        'INSERT INTO story_bands ("key", article_id) SELECT random(), id FROM articles, k',
        "ANALYZE",
    ],
    "postgresql": [
        "INSERT INTO articles (feed_id, guid, url, canonical_url, title, text, fingerprint, "
        "simhash, band0, band1, band2, band3, stored_at, story_signature, story_shingles, "
        "is_copy) SELECT 1, 'f' || i, 'https://f.example/' || i, 'https://f.example/' || i, "
        "'filler ' || i, 'filler text ' || i, 'fp' || i, 0, 0, 0, 0, 0, "
        "'2026-01-01 00:00:00+00', decode(repeat(md5(i::text), 20), 'hex'), 400, false "
        "FROM generate_series(1, :rows) AS i",
        "UPDATE articles SET story_id = id",
        'INSERT INTO story_bands ("key", article_id) SELECT '
        "(random() * 9.2e18 - 4.6e18)::bigint, id FROM articles, generate_series(1, :keys)",
        "VACUUM ANALYZE",
    ],
}


def _fill(db: Database, rows: int) -> None:
    """`rows` stored articles, each with a sketch and as many band keys as a real one
    (random: unrelated reports)."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in _FILL[db.dialect]:
            conn.execute(
                sa.text(statement), {"rows": rows, "keys": stories.BANDS + stories.LEAD_BANDS}
            )


def _articles(texts: list[str], feed: str) -> list[NewArticle]:
    out = []
    for i, text in enumerate(texts):
        url = f"https://{feed}.example/{uuid.uuid4().hex}/{i}"
        out.append(
            NewArticle(
                feed=feed,
                guid=url,
                url=url,
                canonical_url=url,
                title=f"t{i}",
                author=None,
                published=NOW,
                language="en",
                text=text,
                fingerprint=stories.fingerprint(text),
                sketch=stories.sketch(text),
            )
        )
    return out


def _timed_adds(store: Store, articles: list[NewArticle]) -> tuple[float, float]:
    """(CPU ms, wall ms) per add_article."""
    cpu, wall = time.process_time(), time.perf_counter()
    for art in articles:
        store.add_article(art, [], now=NOW)
    n = len(articles)
    return (1000 * (time.process_time() - cpu) / n, 1000 * (time.perf_counter() - wall) / n)


def store_cost(
    dialect: str, stored: int, texts: list[str], tmp: Path
) -> dict[str, tuple[float, float]]:
    """add_article per article (CPU, wall ms) with and without the similarity search, into
    a database of `stored` articles; half of `texts` are new reports, half their copies."""
    db, name = _open(dialect, tmp)
    try:
        store = Store(db)
        store.sync_feeds(
            [
                FeedSpec("filler", "https://f.example/rss"),
                FeedSpec("wire", "https://w.example/rss"),
                FeedSpec("off", "https://o.example/rss"),
            ],
            NOW,
        )
        _fill(db, stored)
        out: dict[str, tuple[float, float]] = {}
        # Interleaved parts (with, without, with, ...) so load bursts from the other sessions
        # on this shared machine fall on both; the median part of each is reported.
        runs: dict[str, list[tuple[float, float]]] = {"stories": [], "off": []}
        for part in range(PARTS):
            chunk = texts[part::PARTS]
            store.story_rules = RULES
            runs["stories"].append(_timed_adds(store, _articles(chunk, "wire")))
            store.story_rules = stories.StoryRules(min_words=10**9)  # no similarity search
            runs["off"].append(_timed_adds(store, _articles(chunk, "off")))
        for key, values in runs.items():
            out[key] = (
                statistics.median(v[0] for v in values),
                statistics.median(v[1] for v in values),
            )
        return out
    finally:
        db.dispose()
        if name is not None:
            _drop(name)


def cost_texts(n: int) -> list[str]:
    """n texts: real cnn-2024 reports and, for half of them, an edited copy."""
    docs = [d[3] for d in cnn_docs()]
    base = docs[: n // 2]
    kinds = sorted(EDITS)
    copies = [
        edited(kinds[i % len(kinds)], body.split("\n"), docs[-1 - i].split("\n"))
        for i, body in enumerate(base)
    ]
    return [t for pair in zip(base, copies, strict=True) for t in pair]


def write_section(body: str) -> None:
    """Replace (or append) this benchmark's section of BENCHMARKS.md, keeping its notes."""
    from mdsections import replace_section

    replace_section(body, SECTION)


def main() -> None:
    """Run the benchmark and print (and record) its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    lines = [
        SECTION,
        "",
        f"`python bench/bench_stories.py --stored {args.stored} --articles "
        f"{args.articles}` on this machine ({os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, datasketch MinHash, {stories.NUM_PERM} + "
        f"{stories.LEAD_PERM} permutations, {stories.BANDS} + {stories.LEAD_BANDS} bands; "
        f"default rules {RULES}).",
        "",
        "Edited copies joined to their original (AEB bodies of at least six paragraphs; "
        "goal >= 0.98 for the kinds the issue measured, marked *):",
        "",
        "| edit | joined | copies | share |",
        "| --- | --- | --- | --- |",
    ]
    for kind, joined, total in edit_shares():
        mark = " *" if kind in MEASURED else ""
        lines.append(f"| {kind}{mark} | {joined} | {total} | {joined / total:.3f} |")
        print(lines[-1], flush=True)

    docs = cnn_docs()
    cnn_sketches = [stories.sketch(d[3]) for d in docs]
    pairs, false, same, true = false_joins(cnn_sketches, [d[1] for d in docs])
    bodies = aeb_bodies(1)
    aeb = false_joins([stories.sketch("\n\n".join(p)) for p in bodies], list(range(len(bodies))))
    lines += [
        "",
        "False joins over all pairs of different stories, and real edited copies "
        "(goal: at most 1 false join in 10,000 pairs):",
        "",
        "| corpus | pairs of different stories | false joins | rate | same-story pairs | joined |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| cnn-2024 ({len(docs)} captures, {len(set(d[1] for d in docs))} stories) | "
        f"{pairs:,} | {false} | {false / pairs:.1e} | {same:,} | {true / same:.3f} |",
        f"| AEB ({len(bodies)} bodies) | {aeb[0]:,} | {aeb[1]} | {aeb[1] / aeb[0]:.1e} | - | - |",
    ]
    print("\n".join(lines[-2:]), flush=True)

    texts = cost_texts(args.articles)
    lines += [
        "",
        "Cost per article (goal: under 1 ms of CPU, no growth with the store):",
        "",
        f"- `stories.sketch` (shingles, MinHash, band keys), cnn-2024 bodies of "
        f"{statistics.mean(len(t.split()) for t in texts):.0f} words on average: "
        f"{sketch_cpu(texts):.2f} ms CPU.",
        "",
        "| database | stored | add_article CPU ms | wall ms | without the search: CPU "
        "ms | wall ms | search's share of the wall time |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialects.split(","):
            for stored in (1_000, args.stored):
                print(f"{dialect}: {stored:,} stored ...", flush=True)
                got = store_cost(dialect, stored, texts, Path(tmp))
                on, off = got["stories"], got["off"]
                lines.append(
                    f"| {dialect} | {stored:,} | {on[0]:.2f} | {on[1]:.2f} | "
                    f"{off[0]:.2f} | {off[1]:.2f} | {on[1] - off[1]:+.2f} ms |"
                )
                print(lines[-1], flush=True)
    body = "\n".join(lines) + "\n"
    print(body)
    if not args.no_write:
        write_section(body)


if __name__ == "__main__":
    main()
