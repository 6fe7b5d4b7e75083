"""How far two annotators agree on the same documents, and how the tagger stands against each.

    python bench/agreement.py tests/gold/second/news3-second-*.jsonl

The files named hold a second, independent labelling (by annotators who never saw the first
labels) of documents already in tests/gold/*.jsonl. For the documents in both, it prints:

- issue references: of the (document, issue) pairs either annotator labelled, how many both
  labelled (positive agreement, 2|A&B| / (|A|+|B|)), and Cohen's kappa over every (document,
  issue) pair of the vocabulary; the same for `about` alone, and for people;
- the tagger's wrong-sense share and mention recall measured against each labelling, and
  against their intersection (a tag counts as wrong only when both say it is not there) and
  union (a reference counts as missed only when both labelled it).

So the figures of bench_relevance.py can be read against the agreement of two careful readers:
a wrong-sense share far below the annotators' own disagreement is not measurable with one
labelling. The second labels live in tests/gold/second/, outside the benchmark's own gold.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_relevance import GOLD, load_gold, tag_gold

from monitor.match import compile_matcher
from monitor.vocab import load_vocabulary


def rows(paths: list[Path]) -> dict[str, dict[str, object]]:
    """file -> row of the JSON Lines files."""
    out: dict[str, dict[str, object]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[str(row["file"])] = row
    return out


def pairs(labels: dict[str, dict[str, str]], level: str | None = None) -> set[tuple[str, str]]:
    """(file, issue) pairs labelled (at `level` only, if given)."""
    return {
        (file, issue)
        for file, issues in labels.items()
        for issue, got in issues.items()
        if level is None or got == level
    }


def kappa(a: set[tuple[str, str]], b: set[tuple[str, str]], total: int) -> float:
    """Cohen's kappa of two yes/no labellings over `total` items (the rest are both no)."""
    both, only_a, only_b = len(a & b), len(a - b), len(b - a)
    neither = total - both - only_a - only_b
    observed = (both + neither) / total
    p_a, p_b = len(a) / total, len(b) / total
    expected = p_a * p_b + (1 - p_a) * (1 - p_b)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def agreement(name: str, a: set[tuple[str, str]], b: set[tuple[str, str]], total: int) -> str:
    positive = 2 * len(a & b) / (len(a) + len(b)) if a or b else 1.0
    return (
        f"| {name} | {len(a)} | {len(b)} | {len(a & b)} | {positive:.3f} | "
        f"{kappa(a, b, total):.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("second", nargs="+", type=Path)
    args = parser.parse_args()
    second = rows(args.second)
    first = {doc.file: doc for doc in load_gold(GOLD) if doc.file in second}
    missing = sorted(set(second) - set(first))
    if missing:
        sys.exit(f"error: {len(missing)} documents of the second labelling are not in the gold")
    vocabulary = load_vocabulary()
    issue_ids = [e.id for e in vocabulary if e.kind == "issue"]
    people_ids = {line.strip() for line in (GOLD / "people.txt").read_text().split()}
    matcher = compile_matcher(vocabulary)

    a_issues = {f: dict(d.issues) for f, d in first.items()}
    b_issues = {f: {str(k): str(v) for k, v in dict(second[f]["issues"]).items()} for f in first}  # type: ignore[call-overload]
    a_people = {(f, p) for f, d in first.items() for p in d.people}
    b_people = {(f, str(p)) for f in first for p in second[f]["people"]}  # type: ignore[attr-defined]
    n = len(first)
    print(f"{n} documents labelled twice\n")
    print("| what | first | second | both | positive agreement | kappa |")
    print("|---|---|---|---|---|---|")
    print(agreement("issue referred to", pairs(a_issues), pairs(b_issues), n * len(issue_ids)))
    print(
        agreement(
            "issue `about`", pairs(a_issues, "about"), pairs(b_issues, "about"), n * len(issue_ids)
        )
    )
    print(agreement("person referred to", a_people, b_people, n * len(people_ids)))

    tagged: set[tuple[str, str]] = set()
    for file, doc in first.items():
        tagged |= {(file, t.id) for t in tag_gold(matcher, doc) if t.kind == "issue"}
    a, b = pairs(a_issues), pairs(b_issues)
    print("\n| tagger against | wrong-sense share | mention recall |")
    print("|---|---|---|")
    for name, gold in (
        ("the first labelling", a),
        ("the second labelling", b),
        ("both (wrong only if neither has it; missed only if both have it)", None),
    ):
        if gold is None:
            wrong, truth = tagged - (a | b), a & b
        else:
            wrong, truth = tagged - gold, gold
        found = len(truth & tagged)
        print(
            f"| {name} | {len(wrong) / len(tagged):.3f} ({len(wrong)}/{len(tagged)}) | "
            f"{found / len(truth):.3f} ({found}/{len(truth)}) |"
        )


if __name__ == "__main__":
    main()
