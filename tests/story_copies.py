"""Edited copies of real article bodies, made the way desks edit wire copy (tests and bench).

The bodies are read from ../shared/corpus at run time; nothing of them is kept here.
"""

import json
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
AEB_TRUTH = CORPUS / "aeb" / "ground-truth.json"
CNN = CORPUS / "cnn-2024"
MIN_PARAGRAPHS = 6


def paragraphs(text: str) -> list[str]:
    """The non-empty paragraphs of a body (one per line)."""
    return [p.strip() for p in text.split("\n") if p.strip()]


def aeb_bodies(min_paragraphs: int = MIN_PARAGRAPHS) -> list[list[str]]:
    """The AEB article bodies with at least `min_paragraphs` paragraphs, as paragraphs."""
    truth = json.loads(AEB_TRUTH.read_text(encoding="utf-8"))
    out = [paragraphs(truth[key]["articleBody"]) for key in sorted(truth)]
    return [p for p in out if len(p) >= min_paragraphs]


def _join(paras: list[str]) -> str:
    return "\n\n".join(paras)


def _lede(paras: list[str], other: list[str]) -> str:
    # The desk's own first paragraph: new words of about the same length (another report's)
    return _join([other[0], *paras[1:]])


def _words_changed(paras: list[str], other: list[str]) -> str:
    # House style: every 25th word changed (spelling, titles, numbers)
    words = _join(paras).split(" ")
    return " ".join(w + "s" if i % 25 == 7 else w for i, w in enumerate(words))


EDITS: dict[str, Callable[[list[str], list[str]], str]] = {
    "exact copy": lambda p, o: _join(p),
    "headline changed": lambda p, o: _join(p),  # the body is the same; the title differs
    "republished next day": lambda p, o: _join(p),
    "dateline added": lambda p, o: "WASHINGTON, Nov 23 (Wire) - " + _join(p),
    "credit line added": lambda p, o: _join(
        [*p, "(Reporting by Jane Roe and John Doe; Editing by Alex Poe)"]
    ),
    "last paragraph cut": lambda p, o: _join(p[:-1]),
    "last two paragraphs cut": lambda p, o: _join(p[:-2]),
    "first two paragraphs only": lambda p, o: _join(p[:2]),
    "first half only": lambda p, o: _join(p[: max(2, len(p) // 2)]),
    "lede rewritten": _lede,
    "update paragraph added": lambda p, o: _join([*p, o[1]]),
    "words changed": _words_changed,
    "dateline and credit, last cut": lambda p, o: (
        "LONDON (Wire) - " + _join([*p[:-1], "Reporting by Jane Roe"])
    ),
}


def edited(kind: str, paras: list[str], other: list[str]) -> str:
    """The `kind` copy of a body (`other`: a different report, source of new words)."""
    return EDITS[kind](paras, other)


def cnn_docs() -> list[tuple[str, int, str, str]]:
    """(file, story number, date, body) of every cnn-2024 capture; the title line and the
    "Published" line dropped."""
    prov = json.loads((CNN / "provenance.json").read_text(encoding="utf-8"))
    out = []
    for name in sorted(prov):
        lines = (CNN / "docs" / name).read_text(encoding="utf-8").split("\n")
        body = [
            ln
            for ln in lines
            if ln.strip()
            and not ln.startswith("# ")
            and not ln.startswith("Published :")
            and ln.strip() != "---"
        ]
        out.append((name, int(prov[name]["story"]), prov[name]["date"], "\n".join(body)))
    return out
