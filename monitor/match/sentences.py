"""Find the sentence around a position: the evidence shown with a tag."""

import re
from bisect import bisect_left, bisect_right

from monitor.types import Evidence

MAX_EVIDENCE = 400
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9\u00c0-\u024f])|\n\s*")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Sen|Rep|Gen|Lt|Col|Capt|Gov|Prof|Sgt|Adm|Corp|Inc|Ltd|Co|"
    r"Jr|Sr|No|vs|etc|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|U\.S|U\.K|U\.N|a\.m|p\.m))\.$")
_SPAN = 600


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    if text[match.start()] == "\n" or "\n" in match.group():
        return True
    head = text[max(0, match.start() - 8):match.start()].rstrip("\"'”’)]")
    return _ABBREVIATION.search(head) is None


def sentence_at(text: str, start: int, end: int) -> Evidence:
    """The sentence holding text[start:end], trimmed to at most MAX_EVIDENCE characters."""
    lo = max(0, start - _SPAN)
    begin = lo
    for found in _BOUNDARY.finditer(text, lo, start):
        if found.end() <= start and _is_boundary(text, found):
            begin = found.end()
    finish = min(len(text), end + _SPAN)
    for found in _BOUNDARY.finditer(text, end, finish):
        if _is_boundary(text, found):
            finish = found.start()
            break
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
    return Evidence(text[begin:finish], begin, finish)


class Sentences:
    """Sentence boundaries of one document, found once and looked up by position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] = []  # where a sentence begins (after a boundary)
        self._ends: list[int] = []  # where a sentence ends (the boundary's start)
        for found in _BOUNDARY.finditer(text):
            if _is_boundary(text, found):
                self._ends.append(found.start())
                self._starts.append(found.end())

    def around(self, start: int, end: int) -> Evidence:
        """The sentence holding text[start:end] (see sentence_at)."""
        i = bisect_right(self._starts, start)
        begin = self._starts[i - 1] if i else 0
        j = bisect_left(self._ends, end)
        finish = self._ends[j] if j < len(self._ends) else len(self.text)
        return _trim(self.text, begin, finish, start, end)
