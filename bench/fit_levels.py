"""Fit the weights of the `about` level on the TUNING part of tests/gold, with k-fold
cross-validation by document (the held-out part is never read).

    python bench/fit_levels.py [--model grid|logistic] [--grid SPEC] [--features a,b]
                               [--floor P] [--folds 5] [--repeats 20] [--dump]

Every issue tag the tagger fires on a tuning document is one row: features of where and how
often the document names the issue, and the label `about` (the gold says about) or not (a
gold mention, or a tag the gold does not hold: both count against about precision). The rule's
four features are computed as salience() computes them (a headline-less text's first sentence
weighs as a headline, spread over blocks of sentences is full at BLOCK_SPREAD_FULL, a
one-paragraph text without a headline counts every mention and is all lede, a series label is
no headline), so the weights in force on them give the tagger's scores; the script warns when
they do not.

- `grid` (the method behind the weights in monitor/match/relevance.py): the level is
  `sum(weight * feature) >= ABOUT`, the rule's own form; on the training folds, every weight
  combination of the grid is scored and the one with the best about precision among those
  that find at least as many about rows as the rule in force is kept; it then labels the
  test fold. With `--floor P`, the kept combination is the one finding the most about rows
  among those at least P precise on the training folds (recall at a precision goal).
- `logistic`: an L2 logistic regression (numpy) on the features, its threshold chosen on the
  training folds to find as many about rows as the rule in force (for comparison).

The out-of-fold labels of all folds give the cross-validated about precision and recall
(recall over the tuning part's gold about items, those never tagged included), averaged over
`--repeats` random splits of the documents, beside the figures of the rule in force.
"""

import argparse
import itertools
import math
import random
import re
import sys
from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_relevance import load_gold, read_document

from monitor.match import Matcher, compile_matcher, relevance
from monitor.match.relevance import Layout
from monitor.vocab import load_vocabulary

# The rule's features, as relevance.salience() computes them, and the weights searched.
GRID = (
    "headline=0.45:0.5:0.6:0.7,lede=0:0.05:0.1:0.15:0.2:0.25,count=0.2:0.3:0.4:0.5:0.6,"
    "spread=0.1:0.2:0.3:0.4:0.5"
)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n")

LONG_ARTICLE = 10  # paragraphs: the long-article lede weight tried (not kept; BENCHMARKS.md)


def features(
    doc: str,
    spans: Sequence[tuple[int, int, object]],
    layout: Layout,
    confirmed: str | None,
    issues: Sequence[Sequence[int]],
    skip: Collection[int] = (),
    references: Sequence[int] = (),
) -> dict[str, float]:
    """The rule's features of an entry mentioned at `spans`, exactly as relevance.salience()
    computes them (headline or a headline-less text's first sentence, lede, references not
    counting `skip`, spread over paragraphs or blocks of sentences; a one-paragraph text
    without a headline counts every mention and is all lede), and the others that were tried
    (`issues`: the mention offsets of every issue of the document; `references`: the
    references, relevance.references(), of every entry tagged, actors too, this one first and
    the document's other issues next)."""
    starts = [span[0] for span in spans]
    total = len(layout.paragraph_starts)
    simple = layout.headline is None and total == 1
    paras = [layout.paragraph(p) for p in starts]
    body = {p for p in paras if p >= 0}
    count = len(starts)
    counted = count if simple else relevance.references(spans, skip)
    in_lede = simple or any(layout.body_start <= p < layout.lede_end for p in starts)
    lead = bool(starts) and (
        starts[0] < layout.lead_end
        if simple
        else any(layout.body_start <= p < min(layout.lede_end, layout.lead_end) for p in starts)
    )
    full = layout.spread_full
    in_body = [p for p in starts if p >= layout.body_start]
    size = max(1, len(doc) - layout.body_start)
    first = (in_body[0] - layout.body_start) / size if in_body else 1.0
    per_paragraph: dict[int, set[int]] = {}
    for k, offsets in enumerate(issues):
        for p in offsets:
            per_paragraph.setdefault(layout.paragraph(p), set()).add(k)
    crowd = [len(per_paragraph.get(p, ())) - 1 for p in body]  # other issues beside it
    lede_paragraphs = {i for i, at in enumerate(layout.paragraph_starts) if at < layout.lede_end}
    text_start = layout.body_start
    while text_start < len(doc) and doc[text_start].isspace():
        text_start += 1
    end = _SENTENCE_END.search(doc, text_start)
    first_end = end.start() if end is not None else len(doc)
    long = total > LONG_ARTICLE
    headline = layout.headline
    return {
        # the rule's
        "headline": float(
            lead
            or (
                headline is not None
                and any(headline[0] <= p < headline[1] and p not in skip for p in starts)
            )
        ),
        "lede": float(in_lede),
        "lede_short": float(in_lede and not long),
        "lede_long": float(in_lede and long),
        "count": min(1.0, max(0, counted - 1) / (relevance.COUNT_FULL - 1)),
        "spread": min(1.0, len(body) / total / full) if total > 1 else 0.0,
        # tried, not adopted (no cross-validated gain)
        "logcount": math.log(count),
        "share": len(body) / total,
        "early": 1.0 - first,
        "first_sentence": float(any(text_start <= p < first_end for p in starts)),
        "first_paragraph": float(0 in body),
        "weak": float(confirmed is not None and confirmed.startswith("context")),
        "listed": float(bool(crowd) and min(crowd) >= 3 and -1 not in paras),
        "crowd": min(crowd) / 5 if crowd else 0.0,
        "dominance": count / max(len(s) for s in issues),
        "issues": len(issues) / 10,
        "last_only": float(body == {total - 1} and total > 2 and -1 not in paras),
        "lede_only": float(bool(body) and body <= lede_paragraphs and -1 not in paras),
        "paragraphs": min(1.0, len(body) / 4),  # paragraphs naming it, full at 4
        "density": min(1.0, counted / max(1.0, size / 1000) / 2),  # full at 2 per 1,000 chars
        "short": float(size < 2000),
        "quoted": sum(_quoted(doc, layout, p) for p in in_body) / len(in_body) if in_body else 0.0,
        # its share of the references of every entry tagged; the most referred-to issue
        "refshare": references[0] / sum(references) if references else 0.0,
        "top": float(
            len(issues) > 1 and references[0] >= max(references[1 : len(issues)], default=0)
        ),
    }


def _quoted(doc: str, layout: Layout, position: int) -> bool:
    """Whether `position` stands inside a quotation in its paragraph (more opening than
    closing curly quotes before it, or an odd number of straight ones)."""
    start, _ = layout.bounds(layout.paragraph(position), len(doc))
    before = doc[start:position]
    opening, closing = before.count("\u201c"), before.count("\u201d")
    if opening or closing:
        return opening > closing
    return before.count('"') % 2 == 1


def document_rows(
    matcher: Matcher, title: str | None, text: str, day: date | None, official: str | None
) -> list[tuple[str, dict[str, float], float]]:
    """Per issue the tagger tags in one document: its id, its features() and the score the
    tagger gives it (salience() on the layout it weighs, weak mentions without context not
    counted)."""
    found = matcher._judged(title, text, day, official)
    if found is None:
        return []
    whole, _, layout, kept = found
    issue_spans = [[s[0] for s in spans] for entry, spans, _ in kept if entry.kind == "issue"]
    refs = {entry.id: relevance.references(spans) for entry, spans, _ in kept}
    issue_ids = [entry.id for entry, _, _ in kept if entry.kind == "issue"]
    out = []
    for entry, spans, confirmed in kept:
        if entry.kind != "issue":
            continue
        # as the tagger weighs it: past a series label, a short text by name (Matcher._weighed)
        weighed = matcher._weighed(entry, whole, spans, layout)
        skip = relevance.uncued(entry, whole, spans, layout)
        plain = relevance.salience(spans, weighed, skip)
        score = relevance.with_discussion(plain, entry, whole, spans, weighed, skip)
        row = features(
            whole,
            spans,
            weighed,
            confirmed,
            issue_spans,
            skip,
            [
                refs[entry.id],
                *(refs[i] for i in issue_ids if i != entry.id),
                *(n for i, n in refs.items() if i not in issue_ids),
            ],
        )
        # the discussion bonus (relevance.with_discussion()), outside the fitted weights
        row["discussed"] = float(score > plain)
        out.append((entry.id, row, score))
    return out


def rows() -> tuple[list[str], list[dict[str, float]], list[int], list[str], list[float], int]:
    """Per fired issue tag of the tuning part: (document, features, label, issue id, score
    of the rule in force); and the number of gold about items of the tuning part."""
    matcher = compile_matcher(load_vocabulary())
    docs, feats, labels, ids, scores = [], [], [], [], []
    gold_about = 0
    for doc in load_gold():
        if doc.part != "tuning":  # held-out and fresh documents are never read
            continue
        gold_about += sum(1 for level in doc.issues.values() if level == "about")
        title, text = read_document(doc)
        for issue, row, score in document_rows(matcher, title, text, doc.day, doc.official):
            feats.append(row)
            labels.append(1 if doc.issues.get(issue) == "about" else 0)
            docs.append(doc.file)
            ids.append(issue)
            scores.append(score)
    return docs, feats, labels, ids, scores, gold_about


def rule_score(row: dict[str, float]) -> float:
    """The weights in force (relevance.W_*) on a row's features: salience() again, with the
    discussion bonus (with_discussion(), not fitted) where the row has it."""
    score = (
        relevance.W_HEADLINE * row["headline"]
        + relevance.W_LEDE * row["lede"]
        + relevance.W_COUNT * row["count"]
        + relevance.W_SPREAD * row["spread"]
    )
    if score < relevance.ABOUT and row.get("discussed"):
        score += relevance.W_DISCUSSED
    return min(1.0, round(score, 3))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Logistic regression weights (intercept last) by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) * l2
    reg[-1, -1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-xb @ w))
        step = np.linalg.solve(xb.T @ (xb * (p * (1 - p))[:, None]) + reg, xb.T @ (p - y) + reg @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def logistic_labels(
    x: np.ndarray, y: np.ndarray, need: int, train: np.ndarray, l2: float
) -> np.ndarray:
    """About or not for every row, from a model fitted on the rows of `train` whose
    threshold finds `need` about rows among them."""
    w = fit_logistic(x[train], y[train], l2)
    p = 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))
    threshold = np.sort(p[train][y[train] == 1])[::-1][need - 1]
    return p >= threshold


def grid_pick(chosen: np.ndarray, y: np.ndarray, need: int, floor: float | None = None) -> int:
    """The column of `chosen` (rows x weight combinations) with the best precision among
    those finding at least `need` about rows (ties: the most found, then the first); with
    `floor`, the one finding the most about rows among those at least that precise (ties:
    the best precision, then the first)."""
    found = (chosen & (y == 1)[:, None]).sum(0)
    precision = found / np.maximum(1, chosen.sum(0))
    if floor is not None:
        return int(np.argmax(np.where(precision >= floor, found + precision * 1e-3, -1.0)))
    return int(np.argmax(np.where(found >= need, precision + found * 1e-4, -1.0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["grid", "logistic"], default="grid")
    parser.add_argument("--grid", default=GRID, help="name=v1:v2,... (grid model)")
    parser.add_argument(
        "--features", default="headline,lede,count,spread", help="logistic model's features"
    )
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--dump", action="store_true", help="print every row")
    parser.add_argument(
        "--floor",
        type=float,
        default=None,
        help="grid: keep the weights finding the most about rows at this about precision or "
        "more on the training folds (default: the best precision at the rule's recall)",
    )
    args = parser.parse_args()
    docs, feats, labels, ids, scores, gold_about = rows()
    y = np.array(labels)
    current = np.array(scores) >= relevance.ABOUT
    differ = sum(abs(rule_score(f) - s) > 0.002 for f, s in zip(feats, scores, strict=True))
    if differ:  # the features must be the rule's: fit on what the tagger scores
        print(
            f"warning: the rule's weights on the features differ from salience() in {differ} rows"
        )

    def figures(chosen: np.ndarray) -> str:
        found = int((chosen & (y == 1)).sum())
        return (
            f"about precision {found / max(1, chosen.sum()):.3f} ({found}/{chosen.sum()}), "
            f"about recall {found / gold_about:.3f} ({found}/{gold_about})"
        )

    print(
        f"{len(y)} issue tags, {int(y.sum())} about in the gold; rule in force: {figures(current)}"
    )
    if args.dump:
        for d, f, label, i, s in zip(docs, feats, labels, ids, scores, strict=True):
            print(label, f"{s:.2f}", i, d[:40], " ".join(f"{k}={v:.2f}" for k, v in f.items()))
    if args.model == "grid":
        spec = [
            (name, [float(v) for v in values.split(":")])
            for name, values in (part.split("=") for part in args.grid.split(","))
        ]
        names = [name for name, _ in spec]
        combos = np.array(list(itertools.product(*(values for _, values in spec))))
    else:
        names = args.features.split(",")
    x = np.array([[f[n] for n in names] for f in feats])
    outcomes = []
    unique = sorted(set(docs))
    labelled = x @ combos.T >= relevance.ABOUT - 1e-9 if args.model == "grid" else None
    for repeat in range(args.repeats):
        order = unique[:]
        random.Random(repeat).shuffle(order)
        fold_of = {d: k % args.folds for k, d in enumerate(order)}
        chosen = np.zeros(len(y), dtype=bool)
        for k in range(args.folds):
            test = np.array([fold_of[d] == k for d in docs])
            need = int((current[~test] & (y[~test] == 1)).sum())
            if labelled is not None:
                chosen[test] = labelled[
                    test, grid_pick(labelled[~test], y[~test], need, args.floor)
                ]
            else:
                chosen[test] = logistic_labels(x, y, need, ~test, args.l2)[test]
        found = int((chosen & (y == 1)).sum())
        outcomes.append((found / max(1, chosen.sum()), found / gold_about))
    mean, sd = np.mean(outcomes, axis=0), np.std(outcomes, axis=0)
    print(
        f"cross-validated ({args.repeats} x {args.folds}-fold by document): about precision "
        f"{mean[0]:.3f} (sd {sd[0]:.3f}), about recall {mean[1]:.3f} (sd {sd[1]:.3f})"
    )
    everything = np.ones(len(y), dtype=bool)
    need = int((current & (y == 1)).sum())
    if labelled is not None:
        best = grid_pick(labelled, y, need, args.floor)
        print(
            "weights on the whole tuning part:",
            {n: float(v) for n, v in zip(names, combos[best], strict=True)},
            figures(labelled[:, best]),
        )
    else:
        w = fit_logistic(x, y, args.l2)
        print(
            "weights on the whole tuning part:",
            {n: round(float(v), 3) for n, v in zip(names, w, strict=False)},
            f"intercept {w[-1]:.3f}",
            figures(logistic_labels(x, y, need, everything, args.l2)),
        )


if __name__ == "__main__":
    main()
