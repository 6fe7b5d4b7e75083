"""Fold text for matching while keeping every position mapped back to the original."""

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

_HOLE = "\uffff"  # marks a character that folds to nothing (combining mark, soft hyphen, ZWJ)
_EXTRA = {
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ø": "o",
    "Ø": "O",
    "ı": "i",
    "ß": "ß",
    "æ": "æ",
    "Æ": "Æ",
    "œ": "œ",
    "Œ": "Œ",
    "þ": "þ",
    "Þ": "Þ",
}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_FOLD = {i: (chr(i) if chr(i).isalnum() else " ") for i in range(128)}
_SQUEEZE = re.compile(r"(?<=\w)[.'’](?=\w)|(?<=\w)[.]$")
# The same fold for ASCII as bytes: bytes.translate is a plain table lookup, twice as fast.
_ASCII_FOLD_BYTES = bytes(ord(_ASCII_FOLD[i]) for i in range(128)) + bytes(range(128, 256))


@lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """One character folded: accents dropped, letters and digits kept, the rest a space."""
    if char.isascii():
        return char if char.isalnum() else " "
    if char in _EXTRA:
        return _EXTRA[char]
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return _HOLE
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if len(base) == 1 and base.isalnum():
        return base
    return char if char.isalnum() else " "


# Most frequent first; only characters whose fold is one ASCII character (offsets unchanged).
_COMMON = tuple(
    (char, fold_char(char))
    for char in "’“”‘—–…\u00a0‐‑−„‚′″«»·•\u2009\u202f"
    if len(fold_char(char)) == 1 and fold_char(char).isascii()
)


def _fold_match(match: re.Match[str]) -> str:
    return fold_char(match.group())


def _fold_non_ascii(text: str) -> str:
    """Every non-ASCII character folded: one replace per distinct character (news uses a
    handful: curly quotes, dashes), or one callback per character when folds could chain.

    Replacing one character at a time folds as one pass would unless a replacement is
    replaced again later: a fold that is itself a character of the text folding to
    something else, or the hole marker written in the text. A fold to a non-ASCII letter
    that folds to itself ("й" to "и", "が" to "か", Arabic presentation forms) does not
    chain: such texts (Cyrillic, Japanese, Arabic) keep the fast path (measured: fold() of
    a page of ~9,500 characters 2.6 ms with a callback per character, 1.0 ms without)."""
    chars = {char: fold_char(char) for char in set(_NON_ASCII.findall(text))}
    if _HOLE in chars or any(
        new != old and any(chars.get(c, c) != c for c in new) for old, new in chars.items()
    ):
        return _NON_ASCII.sub(_fold_match, text)
    for old, new in chars.items():
        if new != old:
            text = text.replace(old, new)
    return text


class Folded(NamedTuple):
    """`cased` keeps letter case, `lower` is for searching; `positions[i]` is where character i
    came from in the original (None: the identity). A NamedTuple: made once per document, at
    half the cost of a frozen dataclass."""

    cased: str
    lower: str
    positions: tuple[int, ...] | None

    def origin(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the folded range [start, end)."""
        if self.positions is None:
            return start, end
        return self.positions[start], self.positions[end - 1] + 1


def _fold_common(text: str) -> str:
    """The punctuation news is full of (curly quotes, dashes) replaced by its one-character
    fold: a memchr-fast `in` and replace per character, and most texts are ASCII after it."""
    for char, new in _COMMON:
        if char in text:
            text = text.replace(char, new)
            if text.isascii():
                break
    return text


def _fold_ascii(text: str) -> Folded:
    cased = text.encode("ascii").translate(_ASCII_FOLD_BYTES).decode("ascii")
    return Folded(cased, cased.lower(), None)


def fold(text: str) -> Folded:
    """Fold `text`: same length as the original unless some characters fold to nothing."""
    if text.isascii():
        return _fold_ascii(text)
    # Characters folded in advance fold to one ASCII character, which the general fold leaves
    # as it is: the result is the same as folding the original.
    text = _fold_common(text)
    if text.isascii():
        return _fold_ascii(text)
    cased = _fold_non_ascii(text).translate(_ASCII_FOLD)
    positions = None
    if _HOLE in cased:
        positions = tuple(i for i, c in enumerate(cased) if c != _HOLE)
        cased = cased.replace(_HOLE, "")
    lower = cased.lower()
    if len(lower) != len(cased):  # only U+0130 lowers to two characters, and it folds to "I"
        lower = "".join(c.lower()[:1] for c in cased)
    return Folded(cased, lower, positions)


def fold_alias(text: str) -> str:
    """An alias folded the way texts are, with runs of spaces kept (they must match as written)."""
    return fold(text).cased.strip()


def alias_variants(text: str) -> set[str]:
    """Case-preserving folded forms an alias may take: as written, with spaces collapsed, and
    with dots and apostrophes dropped ("U.S." also as "US")."""
    if text.isascii():  # most aliases: the same as below without the offset bookkeeping
        cased = text.translate(_ASCII_FOLD)
        out = {cased.strip(), " ".join(cased.split())}
        if "." in text or "'" in text:
            out.add(" ".join(_SQUEEZE.sub("", text).translate(_ASCII_FOLD).split()))
        out.discard("")
        return out
    out = {fold_alias(text)}
    out.add(" ".join(fold_alias(text).split()))
    squeezed = _SQUEEZE.sub("", text)
    out.add(" ".join(fold_alias(squeezed).split()))
    return {v for v in out if v}
