"""Credit lines (bylines, contributor and photo credits): spans of a text that name the people
who wrote or photographed it, not the people it is about. Nothing in them is a mention."""

import re
from typing import Any, TypeVar

from monitor.match.normalize import Folded

HitT = TypeVar("HitT", bound=tuple[Any, ...])

# A capitalised name word ("Hui", "O'Brien", "Jean-Pierre", "J."), never one in capitals
# ("LONDON" of a dateline ends the byline before it).
_WORD = r"(?:[A-Z][a-z][\w'’.-]*|[A-Z]\.(?:[A-Z]\.)*|(?:de|van|von|der|da|del|bin|al|la|le))"
_NAME = rf"{_WORD}(?:[ \t]+{_WORD}){{0,4}}"
_NAMES = rf"{_NAME}(?:(?:[ \t]*,[ \t]*(?:and[ \t]+)?|[ \t]+(?:and|&)[ \t]+){_NAME}){{0,7}}"
_AGENCY = (r"(?:The[ \t]+)?(?:Associated[ \t]+Press|AP|Reuters|AFP|Agence[ \t]+France-Presse|"
           r"Bloomberg|CNN|BBC|Xinhua|Kyodo|Yonhap|dpa|DPA|EFE|ANSA|PA|Press[ \t]+Association)")
_ROLE = r"(?:writers?|reporters?|correspondents?|journalists?|photographers?|producers?|staff)"
_SEP = r"[ \t]*(?:,|\||—|–|-)[ \t]*"
_CREDITS = re.compile("|".join((
    # "By Sylvia Hui and Jill Lawless", "By Jane Doe, Associated Press", "By J. Doe | CNN";
    # on a line of its own, or before a dateline in capitals ("By Jane Doe LONDON (AP) —")
    rf"^[ \t]*By[ \t]+{_NAMES}(?:{_SEP}(?:{_AGENCY}|[A-Z][\w&'’.-]*(?:[ \t]+[A-Z][\w&'’.-]*)"
    rf"{{0,3}})(?:[ \t]+{_ROLE})?)?[ \t]*(?:$|(?=[ \t]+[A-Z]{{2,}}\b))",
    # "Jill Lawless, Associated Press", "Jane Doe and John Roe | Reuters"
    rf"^[ \t]*{_NAMES}{_SEP}{_AGENCY}(?:[ \t]+{_ROLE})?[ \t]*$",
    # "Associated Press writers X in Taipei, Taiwan, and Y in London contributed to this
    # report." and "Reporting by X; Editing by Y"
    rf"^[ \t]*{_AGENCY}(?:[’']s)?[ \t]+(?:[\w-]+[ \t]+){{0,2}}{_ROLE}\b[^\n]*?\bcontributed\b"
    r"[^\n]*$",
    r"^[ \t]*\(?[ \t]*(?:Additional[ \t]+)?(?:Reporting|Writing|Editing|Compiled)[ \t]+by\b"
    r"[^\n]*$",
    # "(AP Photo/Andy Wong, Pool)", "(Photo by Jane Doe/Getty Images)"
    rf"\((?:{_AGENCY}[ \t]+)?Photos?(?:[ \t]+by)?[ \t]*[/:]?[ \t]*[^)\n]*\)",
)), re.MULTILINE)
# A credit line holds one of these; most texts hold none, and are not scanned further.
_HINTS = ("By ", "Press", "Reuters", "AFP", "contributed", " by", "Photo", "AP", "CNN", "|")


def credit_spans(text: str) -> list[tuple[int, int]]:
    """The [start, end) spans of `text` that are credit lines, in order."""
    if not any(hint in text for hint in _HINTS):
        return []
    return [m.span() for m in _CREDITS.finditer(text) if m.end() > m.start()]


def outside(hits: list[HitT], spans: list[tuple[int, int]], folded: Folded) -> list[HitT]:
    """The hits (folded offsets) that lie outside every span (offsets of the text)."""
    origin = folded.origin if folded.positions is not None else None
    keep = []
    for hit in hits:
        start, stop = (hit[0], hit[1]) if origin is None else origin(hit[0], hit[1])
        if not any(s <= start and stop <= e for s, e in spans):
            keep.append(hit)
    return keep
