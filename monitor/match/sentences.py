"""Find the sentence around a position: the evidence shown with a tag."""

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

# new_evidence()'s parts, for its loop without a call per span
from monitor.types import Evidence, _EvidenceSlots, _new, new_evidence

MAX_EVIDENCE = 400


def title_case(line: str) -> bool:
    """Whether a line is written in Title Case (a headline, a caption): at least three words
    of more than three letters, seven in ten of them capitalised."""
    words = [w for w in line.split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


# A full stop after these (or after a single capital, "J. Biden", "U.S.") ends no sentence.
ABBREVIATIONS = (
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "St",
    "Sen",
    "Rep",
    "Gen",
    "Lt",
    "Col",
    "Capt",
    "Gov",
    "Prof",
    "Sgt",
    "Adm",
    "Corp",
    "Inc",
    "Ltd",
    "Co",
    "Jr",
    "Sr",
    "No",
    "vs",
    "etc",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Aug",
    "Sept",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
    "U.S",
    "U.K",
    "U.N",
    "a.m",
    "p.m",
)
_CLOSERS = "\"'”’)\\]"
# One regular expression does all the work (no Python per candidate): a sentence ends after
# . ! ? or … and closing quotes, before white space and a capital, a digit or an opening quote,
# unless the full stop ends an abbreviation and the white space holds no line break; a line
# break always ends one. Lookbehinds are fixed-width, hence one per abbreviation length.
_NOT_ABBREVIATION = r"(?<!\b[A-Z]\.)" + "".join(
    rf"(?<!\b(?:{'|'.join(re.escape(w) for w in ABBREVIATIONS if len(w) == size)})\.)"
    for size in sorted({len(w) for w in ABBREVIATIONS})
)
_BOUNDARY = re.compile(
    rf"(?<=[.!?…])(?:(?=[{_CLOSERS}]*[^\S\n]*\n)|{_NOT_ABBREVIATION})"
    rf"[{_CLOSERS}]*\s+(?=[\"'“‘(\[]?[A-Z0-9\u00c0-\u024f])|\n\s*"
)
# _BOUNDARY split by the mark it follows, for texts with and without line breaks (the
# abbreviation lookbehinds first: they pass for most candidates, and never fail after ! ? …;
# without a line break the lookahead for one cannot pass).
_AFTER = rf"[{_CLOSERS}]*\s+(?=[\"'“‘(\[]?[A-Z0-9\u00c0-\u024f])"
_AFTER_MARK = (
    (
        ".",
        re.compile(rf"\.{_NOT_ABBREVIATION}{_AFTER}"),
        re.compile(rf"\.(?:{_NOT_ABBREVIATION}|(?=[{_CLOSERS}]*[^\S\n]*\n)){_AFTER}"),
    ),
    *(
        (mark, re.compile(re.escape(mark) + _AFTER), re.compile(re.escape(mark) + _AFTER))
        for mark in "!?…"
    ),
)
_LINE_BREAK = re.compile(r"\n\s*")
_START, _END = re.Match.start, re.Match.end
_SPAN = 600


def sentence_at(text: str, start: int, end: int) -> Evidence:
    """The sentence holding text[start:end], trimmed to at most MAX_EVIDENCE characters."""
    lo = max(0, start - _SPAN)
    begin = lo
    for found in _BOUNDARY.finditer(text, lo, start):
        if found.end() <= start:
            begin = found.end()
    finish = min(len(text), end + _SPAN)
    found_after = _BOUNDARY.search(text, end, finish)
    if found_after is not None:
        finish = found_after.start()
    return _trim(text, begin, finish, start, end)


def _trim(text: str, begin: int, finish: int, start: int, end: int) -> Evidence:
    begin, finish = min(begin, start), max(finish, end)
    if finish - begin > MAX_EVIDENCE:
        half = (MAX_EVIDENCE - (end - start)) // 2
        begin = max(begin, start - max(half, 0))
        finish = min(finish, max(end, begin + MAX_EVIDENCE))
    while begin < start and text[begin].isspace():
        begin += 1
    while finish > end and text[finish - 1].isspace():
        finish -= 1
    return new_evidence(text[begin:finish], begin, finish)


class Sentences:
    """Sentence boundaries of one document, found once and looked up by position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] = []  # where a sentence begins (after a boundary)
        self._ends: list[int] = []  # where a sentence ends (the boundary's start)
        # _BOUNDARY split by the mark it follows: a regular expression that opens with a
        # literal is found by a fast search, one that opens with a class is tried everywhere.
        marks = 0
        self._lines = lines = "\n" in text
        ends, starts = self._ends, self._starts
        for mark, in_line, across_lines in _AFTER_MARK:
            if mark in text:
                marks += 1
                # the matches' offsets by C-level maps, not a Python loop with two calls each
                found = list((across_lines if lines else in_line).finditer(text))
                ends += [at + 1 for at in map(_START, found)]
                starts += map(_END, found)
        if marks > 1:
            self._sort(list(zip(self._ends, self._starts, strict=True)))
        if lines:
            self._add_line_breaks(text)

    def _add_line_breaks(self, text: str) -> None:
        ends, starts = self._ends, self._starts
        for found in _LINE_BREAK.finditer(text):
            # a break inside a sentence end found above is part of it (one match of _BOUNDARY);
            # another is a boundary of its own, put in its place (a break's match takes the
            # white space after it, so no later break falls inside one put in)
            at = found.start()
            i = bisect_right(ends, at)
            if not (i and starts[i - 1] > at):
                ends.insert(i, at)
                starts.insert(i, found.end())

    def _sort(self, spans: list[tuple[int, int]]) -> None:
        spans.sort()
        self._ends = [span[0] for span in spans]
        self._starts = [span[1] for span in spans]

    def around(self, start: int, end: int) -> Evidence:
        """The sentence holding text[start:end] (see sentence_at)."""
        i = bisect_right(self._starts, start)
        begin = self._starts[i - 1] if i else 0
        j = bisect_left(self._ends, end)
        finish = self._ends[j] if j < len(self._ends) else len(self.text)
        return _trim(self.text, begin, finish, start, end)

    def evidence(
        self, spans: Iterable[tuple[int, int, object]] | Iterable[tuple[int, int]]
    ) -> list[Evidence]:
        """around() for many spans at once (the same results, with less overhead per span);
        a span's first two items are its start and end (a matcher hit's third is ignored)."""
        text, starts, ends = self.text, self._starts, self._ends
        size, count = len(text), len(ends)
        # Only the first sentence may open with white space (a sentence opens after white
        # space and a non-space); one that ends at a boundary ends after its mark unless the
        # boundary is a line break: only the text's end and line breaks need a look.
        lead, tail, lines = text[:1].isspace(), text[-1:].isspace(), self._lines
        new, slots, evidence = _new, _EvidenceSlots, Evidence
        out: list[Evidence] = []
        for span in spans:
            start, end = span[0], span[1]
            # Sentence i holds `start`; it ends at ends[i] unless the mention runs past it.
            i = bisect_right(starts, start)
            begin = starts[i - 1] if i else 0
            if i < count:
                finish = ends[i]
                if finish < end:
                    j = bisect_left(ends, end, i)
                    finish = ends[j] if j < count else size
            else:
                finish = size
            if (
                finish - begin > MAX_EVIDENCE
                or (lead and not i)
                or (
                    finish > end
                    and (tail if finish == size else lines and text[finish - 1].isspace())
                )
            ):
                out.append(_trim(text, begin, finish, start, end))
            else:  # new_evidence() without its call
                made = new(slots)
                made.text, made.start, made.end = text[begin:finish], begin, finish
                made.__class__ = evidence
                out.append(made)  # type: ignore[arg-type]  # it is an Evidence now
        return out
