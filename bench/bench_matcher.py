"""Benchmark the matcher against raw pyahocorasick on the same generated news-like text.

    python bench/bench_matcher.py [--mb 10] [--sizes 100,1000,10000,100000] [--no-write]

Both sides tag the same documents (about 4 KB each, like articles) one by one, in one process on
one core. Raw = lower-case the text and iterate pyahocorasick over the lower-cased aliases (no
word boundaries, no case rules, no resolution); the goal is measured against it. Raw+b = the same
with a word-boundary check on each hit (the least any real tagger must do), shown for reference.
Ours = `Matcher.tag` with every rule applied: folding with offset maps, word boundaries, case
checks, vetoes, short-form resolution, counts and evidence sentences, returned as the Tag values
the pipeline stores. Times are CPU time of this process, best of five. Results go into the
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
# CPU time of this process: the time per core, which other work on a shared machine does not
# inflate the way it inflates the wall clock (both sides are measured with the same clock).
_clock = time.process_time
RUNS = 5  # best of five: the least disturbed run of each side


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
    for _ in range(RUNS):  # best of RUNS, alternating, like the scans below
        start = _clock()
        matcher = compile_matcher(vocab)
        ours_compile = min(ours_compile, _clock() - start)
        start = _clock()
        raw = ahocorasick.Automaton()
        for alias in aliases:
            raw.add_word(alias.lower(), alias)
        raw.make_automaton()
        raw_compile = min(raw_compile, _clock() - start)
    best_raw = best_ours = best_scan = best_bounded = float("inf")
    # scan-only column: folding + automaton, none of the rules (private on purpose)
    automaton = matcher._automaton
    found_raw = found_ours = found_bounded = 0
    for _ in range(RUNS):
        start = _clock()
        found_raw = sum(1 for doc in docs for _ in raw.iter(doc.lower()))
        best_raw = min(best_raw, _clock() - start)
        start = _clock()
        found_bounded = sum(1 for doc in docs for hit in _bounded_hits(raw, doc.lower()))
        best_bounded = min(best_bounded, _clock() - start)
        start = _clock()
        found_ours = sum(t.count for doc in docs for t in matcher.tag(doc))
        best_ours = min(best_ours, _clock() - start)
        start = _clock()
        for doc in docs:
            for _ in automaton.iter(" " + fold(doc).lower + " "):
                pass
        best_scan = min(best_scan, _clock() - start)
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
        "a time on one core, in one process with raw pyahocorasick on the same documents and "
        "the same aliases. Times are CPU time of the process (`time.process_time`, so MB/s is "
        "per core, and other work on the shared machine does not inflate one side more than "
        f"the other), best of {RUNS} runs. Raw = `text.lower()` and iterating the automaton of "
        "lower-cased aliases, counting hits (substring hits, no word boundaries, no rules): the "
        "goal is measured against this. Raw+b = the same plus a word-boundary check per hit "
        "(what any real tagger must at least do), for reference. Ours = `Matcher.tag` with "
        "every rule (folding, word boundaries, case checks, vetoes, short-form resolution, "
        "dated roles, counts, evidence sentences), returning the `Tag` values the pipeline "
        "stores; scan only = our folding and our boundary-padded automaton without any rule. "
        "Compile = building from an already loaded Vocabulary (ours) or from the alias strings "
        f"(raw), best of {RUNS}. Goal: ours within 1.5x of raw.\n\n"
        f"**Goal {verdict}: ours takes {low:.2f}x to {high:.2f}x the raw time; compile takes "
        f"up to {compile_high:.1f}x raw at 10k-100k aliases.** Before this round the same "
        "benchmark and clock gave 2.0x-2.4x, and 4.3x-5.0x to compile; before the first fast "
        "paths, 4.7x-5.9x (wall clock).\n\n"
        "What was done, first round: every automaton value is a flat tuple precomputed at "
        "compile time, and the common hit (one full form, no veto) costs a case check and an "
        "append, without a call; leftmost-longest is kept on the fly (hits arrive in end "
        "order); Mention/Span objects are built only by `mentions()`/`spans()`; offsets are "
        "mapped back only for first mentions; sentence boundaries come from one literal-led "
        "regular expression per end mark with the abbreviation rule as lookbehinds; compile "
        "pauses the cyclic garbage collector. This round: folding replaces the punctuation "
        "news is full of (curly quotes, dashes, no-break spaces: one character each, so offsets "
        "need no map) by a fast `in` and `replace` per character, after which most texts are "
        "ASCII and fold by one `bytes.translate` (other characters keep the general path); "
        "`Tag` and `Evidence` (same public fields and frozen behaviour) are built by filling "
        "plain slots and then taking their frozen class, a third of the generated frozen "
        "`__init__`'s cost, and their public constructors set slots through descriptors "
        "(half); evidence needs one binary search per tag; texts without a line break use "
        "sentence expressions without the line-break alternative; a short form with one "
        "pattern is resolved inline; the scan checks case against the forms of the hit's "
        "length only (a string when there is one); compile adds most aliases (ASCII words "
        "with single spaces) without computing variants and builds the common value without "
        "calls. Property tests (`tests/test_match_fast_path.py`) check the fast paths against "
        "the general rules and the previous implementation (`tests/match_reference.py`, which "
        "now folds one character at a time) on random vocabularies and texts, the fold on "
        "random Unicode, batch evidence against the reference for random spans, and the fast "
        "constructors against the public ones.\n\n"
        "Why it still misses: the goal compares every rule with a loop that does nothing per "
        "hit. Measured at 1k aliases (CPU time per ~4 KB document with ~40 automaton hits and "
        "~18 distinct tags): raw takes ~55 us (`lower()` ~10, iterating ~45); ours ~80 us: "
        "iterating our automaton ~27 (raw pays as much), folding ~5, per-hit rules ~7, "
        "resolution ~5, sentence boundaries ~11 (one regular-expression pass, ~34 boundaries), "
        "evidence for 18 first mentions ~8, counting and first mentions ~3, building the tags "
        "~4, calls and lists between the steps the rest. At 100 aliases raw is faster (fewer "
        "hits) while our per-tag work stays; at 10k and "
        "100k the per-hit rules and resolution read values spread over a large heap and cost "
        "2-3x more, while raw only iterates. Finding boundaries only around each first mention "
        "was tried outside the tree: walking back over full stops and searching forward once "
        "per mention found the sentences in ~14 us against ~17 us for the pass and lookups "
        "(making the Evidence values costs the same either way), but only for text "
        "without line breaks and with one kind of end mark (like these documents, unlike "
        "extracted articles); the general case (line breaks that do or do not end a sentence, "
        "several marks, trimming) was not worth the risk for ~3 us of ~80. What remains is "
        "one Python step per hit and per tag; going further would need a C extension or "
        "dropping a rule. Compile misses for the same reason: raw "
        "only adds strings, and our `add_word` and `make_automaton` calls alone take ~1.3x "
        "its whole compile (padded keys, larger values); the rest is folding each alias into "
        "its variants, case forms and rule tuple in Python.\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other work, so "
        "single numbers are noisy by 10-15% even in CPU time, most at 100k aliases, where "
        "both sides depend on the cache), Python "
        f"{platform.python_version()}.\n\n{result}\n"
    )
    write_section(markdown, Path(__file__).resolve().parents[1] / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
