"""Benchmark the matcher against raw pyahocorasick on the same generated news-like text.

    python bench/bench_matcher.py [--mb 10] [--sizes 100,1000,10000,100000] [--no-write]

Both sides tag the same documents (about 4 KB each, like articles) one by one, in one process on
one core. Raw = lower-case the text and iterate pyahocorasick over the lower-cased aliases (no
word boundaries, no case rules, no resolution); the goal is measured against it. Raw+b = the same
with a word-boundary check on each hit (the least any real tagger must do), shown for reference.
Ours = `Matcher.tag` with every rule applied: folding with offset maps, word boundaries, case
checks, vetoes, short-form resolution, counts and evidence sentences. Results go into the
matcher section of BENCHMARKS.md.
"""

import argparse
import os
import platform
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import ahocorasick

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.match import compile_matcher  # after the path tweak above
from monitor.match.normalize import fold
from monitor.vocab import build_vocabulary, parse_text

SYLLABLES = [
    "ba",
    "bei",
    "ben",
    "chen",
    "da",
    "deng",
    "fa",
    "fei",
    "gao",
    "han",
    "he",
    "hu",
    "jia",
    "jin",
    "kai",
    "kang",
    "lan",
    "lei",
    "li",
    "lin",
    "liu",
    "long",
    "ma",
    "mei",
    "min",
    "na",
    "ning",
    "pan",
    "peng",
    "qi",
    "qian",
    "ran",
    "ren",
    "sa",
    "shen",
    "tai",
    "tang",
    "wa",
    "wei",
    "xi",
    "xin",
    "ya",
    "yan",
    "zha",
    "zhou",
    "ar",
    "el",
    "on",
    "ka",
    "to",
    "mi",
    "ro",
    "ve",
    "sa",
    "lu",
]
FILLER = [
    "the",
    "minister",
    "said",
    "on",
    "tuesday",
    "that",
    "talks",
    "between",
    "the",
    "two",
    "governments",
    "would",
    "continue",
    "despite",
    "tensions",
    "over",
    "trade",
    "technology",
    "and",
    "security",
    "officials",
    "added",
    "that",
    "a",
    "meeting",
    "was",
    "planned",
    "for",
    "next",
    "month",
    "in",
    "the",
    "capital",
    "where",
    "delegations",
    "will",
    "discuss",
    "climate",
    "finance",
    "supply",
    "chains",
    "and",
    "regional",
    "stability",
    "according",
    "to",
    "a",
    "statement",
]
MARK = ("<!-- bench_matcher:start -->", "<!-- bench_matcher:end -->")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def make_vocab(size: int, rng: random.Random) -> tuple[str, list[str]]:
    """TOML for `size` aliases (people with surnames, organisations, issue phrases)."""
    parts, aliases, seen = [], [], set()
    while len(aliases) < size:
        kind = rng.random()
        if kind < 0.6:
            name = f"{_word(rng).title()} {_word(rng).title()}"
            section, extra = "person", ""
            if len(aliases) + 2 <= size:
                extra = f'short = [{{ text = "{name.split()[1]}", standalone = false }}]\n'
        elif kind < 0.8:
            name = f"{_word(rng).title()} {rng.choice(['Council', 'Ministry', 'Institute'])}"
            section, extra = "organization", ""
        else:
            name = f"{_word(rng)} {rng.choice(['controls', 'talks', 'crisis', 'dispute'])}"
            section, extra = "issue", ""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower())
        if slug in seen:
            continue
        seen.add(slug)
        parts.append(f'[[{section}]]\nid = "{slug}"\nname = "{name}"\n{extra}')
        aliases.append(name)
        if extra:
            aliases.append(name.split()[1])
    return "\n".join(parts), aliases


def make_docs(aliases: list[str], megabytes: float, rng: random.Random) -> list[str]:
    """News-like documents of ~4 KB with a mention every ~25 words, curly quotes, U.S."""
    docs, total = [], 0
    while total < megabytes * 1_000_000:
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < 4000:
            sentence = [rng.choice(FILLER) for _ in range(rng.randint(8, 22))]
            if rng.random() < 0.8:
                sentence.insert(rng.randrange(len(sentence)), rng.choice(aliases))
            if rng.random() < 0.2:
                sentence.insert(0, "“U.S. officials’")
                sentence.append("”")
            joined = " ".join(sentence)
            words.append(joined[0].upper() + joined[1:] + ".")
        doc = " ".join(words)
        docs.append(doc)
        total += len(doc)
    return docs


def _bounded_hits(automaton: ahocorasick.Automaton, lower: str) -> Iterator[int]:
    """Raw hits that start and end at word boundaries (alnum on neither side)."""
    size = len(lower)
    for end, alias in automaton.iter(lower):
        start = end - len(alias) + 1
        if (start == 0 or not lower[start - 1].isalnum()) and (
                end + 1 == size or not lower[end + 1].isalnum()):
            yield start


def run(size: int, megabytes: float) -> dict[str, float]:
    """One row of the table."""
    rng = random.Random(size)
    toml, aliases = make_vocab(size, rng)
    docs = make_docs(aliases, megabytes, rng)
    mb = sum(len(d) for d in docs) / 1_000_000
    vocab = build_vocabulary(parse_text(toml, "bench.toml"))
    ours_compile = raw_compile = float("inf")
    for _ in range(3):  # best of three, alternating, like the scans below
        start = time.perf_counter()
        matcher = compile_matcher(vocab)
        ours_compile = min(ours_compile, time.perf_counter() - start)
        start = time.perf_counter()
        raw = ahocorasick.Automaton()
        for alias in aliases:
            raw.add_word(alias.lower(), alias)
        raw.make_automaton()
        raw_compile = min(raw_compile, time.perf_counter() - start)
    best_raw = best_ours = best_scan = best_bounded = float("inf")
    # scan-only column: folding + automaton, none of the rules (private on purpose)
    automaton = matcher._automaton
    found_raw = found_ours = found_bounded = 0
    for _ in range(3):
        start = time.perf_counter()
        found_raw = sum(1 for doc in docs for _ in raw.iter(doc.lower()))
        best_raw = min(best_raw, time.perf_counter() - start)
        start = time.perf_counter()
        found_bounded = sum(1 for doc in docs for hit in _bounded_hits(raw, doc.lower()))
        best_bounded = min(best_bounded, time.perf_counter() - start)
        start = time.perf_counter()
        found_ours = sum(t.count for doc in docs for t in matcher.tag(doc))
        best_ours = min(best_ours, time.perf_counter() - start)
        start = time.perf_counter()
        for doc in docs:
            for _ in automaton.iter(" " + fold(doc).lower + " "):
                pass
        best_scan = min(best_scan, time.perf_counter() - start)
    return {
        "aliases": size,
        "patterns": matcher.pattern_count,
        "mb": mb,
        "ours_compile": ours_compile,
        "raw_compile": raw_compile,
        "ours_mbs": mb / best_ours,
        "raw_mbs": mb / best_raw,
        "bounded_mbs": mb / best_bounded,
        "compile_ratio": ours_compile / raw_compile,
        "ratio": best_ours / best_raw, "scan_ratio": best_scan / best_raw,
        "ours_found": found_ours,
        "raw_found": found_raw,
        "bounded_found": found_bounded,
    }


def table(rows: list[dict[str, float]]) -> str:
    """Markdown table of the results."""
    lines = [
        "| aliases | text MB | compile ours (s) | compile raw (s) | compile ours / raw | "
        "ours MB/s | raw MB/s | raw+b MB/s | ours / raw time | scan only / raw | "
        "mentions ours | raw hits | raw+b hits |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['aliases']:,.0f} | {r['mb']:.1f} | {r['ours_compile']:.2f} | "
            f"{r['raw_compile']:.2f} | {r['compile_ratio']:.1f}x | {r['ours_mbs']:.1f} | "
            f"{r['raw_mbs']:.1f} | {r['bounded_mbs']:.1f} | {r['ratio']:.2f}x | "
            f"{r['scan_ratio']:.2f}x | {r['ours_found']:,.0f} | {r['raw_found']:,.0f} | "
            f"{r['bounded_found']:,.0f} |"
        )
    return "\n".join(lines)


def write_section(markdown: str, path: Path) -> None:
    """Replace (or append) the matcher section of BENCHMARKS.md."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = f"{MARK[0]}\n{markdown}\n{MARK[1]}"
    if MARK[0] in text and MARK[1] in text:
        head, rest = text.split(MARK[0], 1)
        text = head + section + rest.split(MARK[1], 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    """Run every size and print (and record) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(run(size, args.mb))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    result = table(rows)
    print(result)
    if args.no_write:
        return
    low, high = min(r["ratio"] for r in rows), max(r["ratio"] for r in rows)
    verdict = "met" if high <= 1.5 else "missed"
    compile_high = max(r["compile_ratio"] for r in rows if r["aliases"] >= 10_000)
    markdown = (
        "## Matcher (`bench/bench_matcher.py`)\n\n"
        f"{args.mb:g} MB of generated news-like text in ~4 KB documents, tagged one document at "
        "a time on one core (so MB/s is per core), best of three runs, in one process with raw "
        "pyahocorasick on the same documents and the same aliases. Raw = `text.lower()` and "
        "iterating the automaton of lower-cased aliases, counting hits (substring hits, no word "
        "boundaries, no rules): the goal is measured against this. Raw+b = the same plus a "
        "word-boundary check per hit (what any real tagger must at least do), for reference. "
        "Ours = `Matcher.tag` with every rule (folding with offset maps, word boundaries, case "
        "checks, vetoes, short-form resolution, dated roles, counts, evidence sentences); scan "
        "only = our folding and our boundary-padded automaton without any rule. Compile = "
        "building from an already loaded Vocabulary (ours) or from the alias strings (raw), "
        "best of three. Goal: ours within 1.5x of raw.\n\n"
        f"**Goal {verdict}: ours takes {low:.1f}x to {high:.1f}x the raw time; compile takes up "
        f"to {compile_high:.1f}x raw at 10k-100k aliases.** Before the fast paths the same "
        "benchmark gave 4.7x-5.9x (7.9-15 MB/s against raw 38-89 MB/s) and 2.30 s against "
        "0.20 s to compile 100k aliases.\n\n"
        "What was done: every automaton value is a flat tuple precomputed at compile time, and "
        "the common hit (one full form, no veto) costs a case check and an append, without a "
        "call; keys shared by several entries with the same case forms skip the general "
        "acceptance too; leftmost-longest is kept on the fly (hits arrive in end order) instead "
        "of objects and sorting; Mention/Span objects are built only by `mentions()`/`spans()`; "
        "offsets are mapped back only for first mentions; sentence boundaries come from one "
        "literal-led regular expression per end mark with the abbreviation rule as lookbehinds "
        "(no Python per candidate, 12x faster) and evidence is cut in one batch; non-ASCII "
        "folding replaces each distinct character once instead of a callback per character; "
        "compile folds ASCII aliases without the offset machinery and pauses the cyclic "
        "garbage collector (half the 100k compile time was repeated collections). A property "
        "test (`tests/test_match_fast_path.py`) checks that the fast paths, the general rules "
        "and the previous implementation agree on random vocabularies.\n\n"
        "Why it still misses: the goal compares every rule with a loop that does nothing per "
        "hit. A profile at 1k aliases (2 MB, 493 documents, ~29 mentions and ~18 distinct tags "
        "per document) splits our time roughly into folding 20% (two passes that keep case and "
        "map offsets, against raw's one `lower()`), automaton iteration 19%, per-hit rules 13%, "
        "resolution 6%, sentence boundaries 11%, evidence and counting 15%, and building the "
        "frozen `Tag`/`Evidence` dataclasses with the rest ~15%. The scan alone is already at "
        "raw speed; evidence for ~18 tags per 4 KB document and one Python step per hit are "
        "what remains, and going further would need a C extension or dropping a rule. Compile "
        "misses for the same reason: raw only adds strings, ours folds each alias into its "
        "variants, case forms and rule tuple in Python.\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared, so single numbers are "
        f"noisy by ~10%), Python {platform.python_version()}.\n\n{result}\n"
    )
    write_section(markdown, Path(__file__).resolve().parents[1] / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
