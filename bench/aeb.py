"""Article Extraction Benchmark: loading, and scoring exactly as its README defines it."""

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

AEB = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "aeb"
_TOKEN = re.compile(r"\w+")


def load(root: Path = AEB) -> list[tuple[str, str, bytes, str]]:
    """(id, url, html bytes, expected articleBody) for every page of the benchmark."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, record in sorted(truth.items()):
        html = gzip.decompress((root / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, record["url"], html, record["articleBody"]))
    return pages


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Token 4-grams as a multiset; fewer than four tokens make one shingle of all of them."""
    tokens = _TOKEN.findall(text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def page_counts(predicted: str, expected: str) -> tuple[float, float, float]:
    """(TP, FP, FN) of one page, each divided by TP+FP+FN."""
    pred, true = shingles(predicted), shingles(expected)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def score(pairs: Iterable[tuple[str, str]]) -> tuple[float, float, float]:
    """(F1, precision, recall) over (predicted, expected) pairs, averaged the benchmark's way."""
    precisions, recalls = [], []
    for predicted, expected in pairs:
        tp, fp, fn = page_counts(predicted, expected)
        if tp + fp > 0:
            precisions.append(1.0 if fp == fn == 0 else tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(1.0 if fp == fn == 0 else tp / (tp + fn))
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return f1, p, r


def evaluate(
    extract: Callable[[bytes, str], str],
    pages: list[tuple[str, str, bytes, str]],
) -> tuple[float, float, float]:
    """Score `extract(html, url) -> text` over `pages`."""
    return score((extract(html, url), expected) for _, url, html, expected in pages)
