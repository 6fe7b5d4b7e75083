"""Running text as clauses of words, with the stems and keys vocabulary suggestions compare."""

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

# A word: an initialism with its full stops ("U.S."), or letters and digits joined by hyphens
# or apostrophes ("planet-warming", "China's").
_WORD_PATTERN = r"(?:[A-Za-z]\.){2,}|[^\W_]+(?:[-'’][^\W_]+)*"
# What ends a clause: sentence marks, commas, brackets, quotation marks, dashes, line breaks.
_BREAK = r"[.!?;:,()\[\]{}\"“”«»…—–|/]|\s[-‐]\s|\n"
_SCAN = re.compile(rf"(?P<word>{_WORD_PATTERN})|(?P<stop>{_BREAK})")
_SQUEEZE = re.compile(r"(?<=\w)[.'’](?=\w)|(?<=\w)\.$")


def word_set(text: str) -> frozenset[str]:
    """The words of a text block: how word lists are written here."""
    return frozenset(text.split())


# Words that neither start nor end a phrase (articles, pronouns, prepositions, auxiliaries,
# reporting verbs, time words); a phrase may hold them inside ("freedom of the press").
FUNCTION = word_set("""
a about above according across after again against ago all also although am among an and
another any are around as at be because been before being below between both but by can
could did do does doing down during each either even ever every few first for former from
further had has have having he her here hers herself him himself his how however i if in
including into is it its itself just last late later least less many may me might more most
mr mrs ms much must my myself near neither new next no nor not now of off on once one only
onto or other others our ours out over own per same second several she should since so some
still such than that the their theirs them themselves then there these they third this those
though three through thus to today told too two under until up upon us very via was we were
what when where whether which while who whom whose why will with within without would yet you
your yours yesterday said says say saying tell tells week weeks year years month months day
days time times percent cent monday tuesday wednesday thursday friday saturday sunday
""")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a clause: as written, and where it is in the text."""

    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        """The word in lower case with a curly apostrophe made straight."""
        return self.text.lower().replace("’", "'")


def clauses(text: str) -> list[list[Word]]:
    """The words of `text`, split where punctuation or a line break ends a clause."""
    out: list[list[Word]] = [[]]
    for found in _SCAN.finditer(text):
        if found.lastgroup == "word":
            out[-1].append(Word(found.group(), found.start(), found.end()))
        elif out[-1]:
            out.append([])
    return [clause for clause in out if clause]


def is_function(word: str) -> bool:
    """Whether a (lower-case) word is a function word or a bare number."""
    return word in FUNCTION or word.replace(",", "").isdigit()


@lru_cache(maxsize=1 << 16)  # pure, and news repeats its words
def stem(word: str) -> str:
    """A crude English stem, enough to meet "technologies" with "technology", "spying" with
    "spy" and "intimidating" with "intimidation"; possessives dropped."""
    w = word.lower().replace("’", "'")
    w = w.removesuffix("'s").removesuffix("'")
    for suffix, repl, keep in (
        ("ies", "y", 2),
        ("ied", "y", 2),
        ("sses", "ss", 2),
        ("xes", "x", 2),
        ("ches", "ch", 2),
        ("shes", "sh", 2),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            w = w[: -len(suffix)] + repl
            break
    else:
        if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            w = w[:-1]
    for suffix, keep in (
        ("ations", 4),
        ("ation", 4),
        ("ating", 4),
        ("ated", 4),
        ("ate", 4),
        ("ing", 3),
        ("ed", 3),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            return w[: -len(suffix)]
    return w


def key(text: str) -> str:
    """A loose comparison key, as the matcher compares: case and accents folded, full stops
    and apostrophes inside words dropped ("U.S." is "us"), other punctuation a space."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()
    return " ".join(re.findall(r"[^\W_]+", _SQUEEZE.sub("", plain)))


class Spans:
    """Text spans that answer "does anything overlap [start, end)?" in O(log n): starts
    sorted, with the furthest end reached so far (spans may nest or overlap)."""

    __slots__ = ("_reach", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        self._reach = list(accumulate((e for _, e in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        """Whether a span begins before `end` and ends after `start`."""
        before = bisect_left(self._starts, end)  # spans starting before `end`
        return before > 0 and self._reach[before - 1] > start
