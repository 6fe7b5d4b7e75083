"""Extraction quality and speed on the Article Extraction Benchmark: ours vs raw trafilatura.

Run: python bench/bench_extract.py [ROUNDS] [--no-write]
(prints a table and, without --no-write, refreshes its section of BENCHMARKS.md)
"""

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aeb import AEB, evaluate, load

from monitor.extract import extract_article

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Article extraction (AEB)"


def ours(html: bytes, url: str) -> str:
    """monitor.extract.extract_article's text."""
    article = extract_article(html, url)
    return article.text if article else ""


def raw_default(html: bytes, url: str) -> str:
    """trafilatura.extract with its defaults."""
    return trafilatura.extract(html, url=url) or ""


def precision_only(html: bytes, url: str) -> str:
    """trafilatura.extract with favor_precision and no comments (the issue's 0.964 baseline)."""
    return trafilatura.extract(html, url=url, favor_precision=True, include_comments=False) or ""


def timed(
    fn: Callable[[bytes, str], str], pages: list[tuple[str, str, bytes, str]], rounds: int
) -> tuple[tuple[float, float, float], float]:
    """Score once; time `rounds` passes and keep the fastest (least disturbed by neighbours).

    CPU time of this process, not the wall: the machine is shared, and a neighbour's load
    moved wall-clock ratios between the same extractors by up to 2x."""
    scores = evaluate(fn, pages)
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _, url, html, _ in pages:
            fn(html, url)
        best = min(best, time.process_time() - start)
    return scores, best


def main() -> None:
    """Run the three extractors interleaved in this process and write the table."""
    if not AEB.exists():
        sys.exit(f"{AEB} is absent: the benchmark needs ../shared/corpus/aeb")
    pages = load()
    args = [a for a in sys.argv[1:] if a != "--no-write"]
    rounds = int(args[0]) if args else 3
    raw_default(pages[0][2], pages[0][1])  # warm caches for everyone alike
    results = {
        name: timed(fn, pages, rounds)
        for name, fn in (
            ("trafilatura default", raw_default),
            ("trafilatura favor_precision, no comments", precision_only),
            ("monitor extract_article", ours),
        )
    }
    base_time = results["trafilatura default"][1]
    lines = [
        SECTION,
        "",
        f"`python bench/bench_extract.py`: {len(pages)} pages of scrapinghub's Article "
        "Extraction Benchmark, scored as its README defines (token 4-gram multisets; "
        "P and R averaged over pages, F1 of the averages). All extractors run in one "
        f"process, single-threaded, best of {rounds} timed passes of CPU time (the machine "
        "is shared: wall-clock ratios moved by up to 2x); time relative to trafilatura's "
        "default in the same run.",
        "",
        "| extractor | F1 | precision | recall | pages per CPU-s | time vs default |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, ((f1, p, r), seconds) in results.items():
        lines.append(
            f"| {name} | {f1:.4f} | {p:.4f} | {r:.4f} | {len(pages) / seconds:.1f} "
            f"| {seconds / base_time:.2f}x |"
        )
    lines += [
        "",
        "Published on this benchmark: AutoExtract 0.970, trafilatura 2.0.0 0.958. "
        "Our settings: `favor_precision=True, include_comments=False` in trafilatura's "
        "fast mode (no comparison with its readability/justext fallbacks), with the full "
        "cascade only for a page where fast mode finds no text; when that keeps under "
        "1,000 characters a `favor_recall` pass (fast mode) that finds at least twice as "
        "much wins; then short sharing/subscription/credit lines are dropped. The "
        "metadata (title, author, date) is trafilatura's own steps for those fields: "
        "the extract_article row includes it, the trafilatura rows do not. The recall "
        "pass, the line filter and the fast-mode choice were made by reading this "
        "benchmark's results, so the F1 here is an in-sample figure, not a held-out one.",
        "",
    ]
    table = "\n".join(lines)
    print(table)
    if "--no-write" not in sys.argv[1:]:
        _write_section(table)


def _write_section(table: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    # up to the next section or the next bench's marker comment (bench_matcher's block)
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |^<!-- |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: table + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
