"""Relevance: which mentions are in their entry's sense, and how strongly a document concerns
each tag: `about` (a headline or lede topic, or substantive discussion) or `mention`, with a
score in [0, 1] and the reasons behind it.

Modelled on the weighted category rules of monitoring desks: per entry, anchor terms (the
aliases), `weak` anchors that count only with a context cue near them (a place, a brand or a
common word: "Taiwan", "TikTok", "trade"), `anticues` that argue for another sense, blockers
(longer names that contain an alias) and vetoes (in the vocabulary); then salience from the
headline, the lede, the spread over paragraphs and the count. Pure and explainable.
"""

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from monitor.types import TagLevel
from monitor.vocab.model import Entry

ABOUT = 0.45  # a score at or above this is `about`
CUE_WINDOW = 350  # characters each side of a weak mention searched for cues (within its paragraph)
LEDE_CHARS = 320  # the lede: the text's first paragraphs up to at least this many characters
# Salience weights (tuned on the tuning part of tests/gold; see BENCHMARKS.md).
W_HEADLINE = 0.6
W_LEDE = 0.1
W_COUNT = 0.4  # at COUNT_FULL mentions and more
COUNT_FULL = 5
W_SPREAD = 0.3  # at SPREAD_FULL of the paragraphs and more
SPREAD_FULL = 0.25

# Head nouns that end the name of an institution, a company, a brand or an event: an alias
# inside such a name ("Hong Kong Express", "Federal Trade Commission", "Taiwan Semiconductor
# Manufacturing Company") names that thing, not the place or the issue.
INSTITUTION_NOUNS = frozenset({
    "Academy", "Airlines", "Airline", "Airport", "Airways", "Association", "Bank", "Bancorp",
    "Ballet", "Bureau", "Centre", "Center", "Club", "College", "Commission", "Company", "Corp",
    "Corporation", "Disneyland", "Exchange", "Express", "Factcheck", "Festival", "Fund", "Group",
    "Holdings", "Hospital", "Hotel", "Inc", "Institute", "Limited", "Ltd", "Marathon", "Museum",
    "Open", "Orchestra", "Philharmonic", "Polytechnic", "Press", "Resort", "Semiconductor",
    "Sevens", "Society", "Stadium", "Studios", "Symphony", "Times", "University", "Zoo"
})
_BEFORE_NAME = re.compile(
    r"(?:University|College|Bank|Museum|Port|Zoo|Polytechnic|Academy|Institute|Republic|"
    r"Council)\s+of\s+(?:the\s+)?(?:[A-Z][\w'’.-]*\s+){0,2}\Z")
_WORD = re.compile(r"[ \t]*([A-Za-z][\w&'’.-]*)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True, slots=True)
class Assessment:
    """How strongly a document concerns one entry, and why."""

    level: TagLevel
    score: float
    count: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a document's headline, lede and paragraphs are (offsets into the document)."""

    headline: tuple[int, int] | None
    lede_end: int
    paragraph_starts: tuple[int, ...]
    body_start: int

    @staticmethod
    def of(doc: str, headline: tuple[int, int] | None) -> "Layout":
        """The layout of `doc`, whose headline (if any) is doc[headline[0]:headline[1]]."""
        body = headline[1] if headline is not None else 0
        starts = [body]
        starts += [m.end() for m in _PARAGRAPH.finditer(doc, body)]
        lede_end = len(doc)
        for start in starts[1:]:
            if start - body >= LEDE_CHARS:
                lede_end = start
                break
        return Layout(headline, lede_end, tuple(starts), body)

    def paragraph(self, position: int) -> int:
        """The index of the paragraph holding `position` (-1: the headline)."""
        if self.headline is not None and self.headline[0] <= position < self.headline[1]:
            return -1
        return bisect_right(self.paragraph_starts, position) - 1

    def bounds(self, index: int, size: int) -> tuple[int, int]:
        """Start and end of paragraph `index` (the headline for -1)."""
        if index < 0 and self.headline is not None:
            return self.headline
        start = self.paragraph_starts[index]
        end = (self.paragraph_starts[index + 1] if index + 1 < len(self.paragraph_starts)
               else size)
        return start, end


def inside_name(doc: str, start: int, end: int) -> bool:
    """Whether doc[start:end] is part of the name of an institution, company or event: the
    capitalised words after it (at most three) end in an institution noun, or it follows
    "University of", "Bank of" and the like."""
    position, words = end, 0
    while words < 4:
        found = _WORD.match(doc, position)
        if found is None:
            break
        word = found.group(1)
        if not word[0].isupper():
            break
        if word.rstrip(".") in INSTITUTION_NOUNS:
            return True
        position, words = found.end(), words + 1
    return _BEFORE_NAME.search(doc, max(0, start - 80), start) is not None


@lru_cache(maxsize=1024)
def cue_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One expression finding any of `terms` on word boundaries; a term written with a
    capital matches as written, the others in any case."""
    if not terms:
        return None
    parts = []
    for term in sorted(terms, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in term.split())
        parts.append(body if term != term.lower() else f"(?i:{body})")
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


def cue_balance(entry: Entry, doc: str, start: int, end: int, layout: Layout) -> tuple[int, str]:
    """Cues minus anticues around doc[start:end] (within its paragraph and CUE_WINDOW), and a
    few words saying which were found."""
    lo, hi = layout.bounds(layout.paragraph(start), len(doc))
    lo, hi = max(lo, start - CUE_WINDOW), min(hi, end + CUE_WINDOW)
    cues = cue_pattern(entry.cues)
    anti = cue_pattern(entry.anticues)
    found = [] if cues is None else [m.group() for m in cues.finditer(doc, lo, hi)
                                     if not (m.start() < end and start < m.end())]
    against = [] if anti is None else [m.group() for m in anti.finditer(doc, lo, hi)
                                       if not (m.start() < end and start < m.end())]
    words = ", ".join(dict.fromkeys(found)) or "no cue"
    if against:
        words += "; against: " + ", ".join(dict.fromkeys(against))
    return len(set(map(str.lower, found))) - len(set(map(str.lower, against))), words


def salience(positions: Sequence[int], layout: Layout) -> tuple[float, list[str]]:
    """The score of an entry mentioned at `positions` (document offsets) and its reasons."""
    paragraphs = {layout.paragraph(p) for p in positions}
    in_headline = -1 in paragraphs
    in_lede = any(layout.body_start <= p < layout.lede_end for p in positions)
    body = [p for p in paragraphs if p >= 0]
    count = len(positions)
    total = max(len(layout.paragraph_starts), 1)
    share = len(body) / total
    score = 0.0
    reasons = []
    if in_headline:
        score += W_HEADLINE
        reasons.append("in the headline")
    if in_lede:
        score += W_LEDE
        reasons.append("in the lede")
    score += W_COUNT * min(1.0, (count - 1) / (COUNT_FULL - 1))
    reasons.append(f"{count} mention{'s' if count != 1 else ''}")
    if total > 1:
        score += W_SPREAD * min(1.0, share / SPREAD_FULL)
        reasons.append(f"in {len(body)} of {total} paragraphs")
    return min(score, 1.0), reasons


def assess(entry: Entry, positions: Sequence[int], layout: Layout,
           confirmed: str | None) -> Assessment:
    """The level and score of `entry` from where it is mentioned."""
    score, reasons = salience(positions, layout)
    if confirmed is not None:
        reasons.append(confirmed)
    level: TagLevel = "about" if score >= ABOUT else "mention"
    return Assessment(level, round(score, 3), len(positions), tuple(reasons))
