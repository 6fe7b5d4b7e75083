"""Reproduce the selection of the fresh held-out relevance set (tests/gold/cnn-2024-seen.jsonl).

    python bench/select_fresh.py [--hits 60] [--misses 15]

The rule does not look at the tagger. Take the files of the cnn-2024 corpus whose story
(`story` in the corpus's provenance.json: the archive holds several captures of one story)
is not the story of any file named in tests/gold/*.jsonl (the fresh file itself excepted), so
that no fresh text is a re-capture of a labelled one. Sort them by the sha1 of the file name
and walk that order, keeping only the first capture met of each story: the first `--hits`
documents whose text contains (case-insensitive, as a plain substring, so "trade" also
matches "traders") at least one word of WORDS, and the first `--misses` documents that
contain none. Prints the chosen file names, hits first, each group in that order.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"
DOCS = ROOT.parent / "shared" / "corpus" / "cnn-2024" / "docs"
FRESH = "cnn-2024-seen.jsonl"

WORDS = (
    "china",
    "chinese",
    "beijing",
    "taiwan",
    "hong kong",
    "tiktok",
    "trade",
    "tariff",
    "surveillance",
    "spy",
    "cyber",
    "hack",
    "pandemic",
    "covid",
    "ukraine",
    "human rights",
    "xinjiang",
    "uyghur",
    "fentanyl",
    "export",
    "huawei",
    "climate",
    "artificial intelligence",
    "detained",
    "dissident",
    "south china sea",
)


def labelled(gold: Path = GOLD) -> set[str]:
    """File names already in a gold file other than the fresh one."""
    names: set[str] = set()
    for path in sorted(gold.glob("*.jsonl")):
        if path.name == FRESH:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                names.add(json.loads(line)["file"])
    return names


def select(docs: Path = DOCS, hits: int = 60, misses: int = 15) -> tuple[list[str], list[str]]:
    provenance = json.loads((docs.parent / "provenance.json").read_text(encoding="utf-8"))
    story = {name: entry["story"] for name, entry in provenance.items()}
    seen = {story[name] for name in labelled() if name in story}
    names = sorted(
        (p.name for p in docs.glob("*.txt") if story[p.name] not in seen),
        key=lambda n: hashlib.sha1(n.encode("utf-8")).hexdigest(),  # noqa: S324
    )
    with_word: list[str] = []
    without: list[str] = []
    for name in names:
        if len(with_word) >= hits and len(without) >= misses:
            break
        if story[name] in seen:
            continue
        seen.add(story[name])
        text = (docs / name).read_text(encoding="utf-8").lower()
        if any(w in text for w in WORDS):
            if len(with_word) < hits:
                with_word.append(name)
        elif len(without) < misses:
            without.append(name)
    return with_word, without


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=60)
    parser.add_argument("--misses", type=int, default=15)
    args = parser.parse_args()
    with_word, without = select(hits=args.hits, misses=args.misses)
    for name in with_word + without:
        print(name)


if __name__ == "__main__":
    main()
