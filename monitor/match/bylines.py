"""Credit lines (bylines, contributor and photo credits): spans of a text that name the people
who wrote or photographed it, not the people it is about; and web addresses, which name pages
("https://.../what-is-chinese-taipei"), not what the text says. Nothing in them is a mention."""

import re
from typing import Any, TypeVar

from monitor.match.normalize import Folded

HitT = TypeVar("HitT", bound=tuple[Any, ...])

# A capitalised name word ("Hui", "O'Brien", "Jean-Pierre", "J."), never one in capitals
# ("LONDON" of a dateline ends the byline before it).
_WORD = r"(?:[A-Z][a-z][\w'’.-]*|[A-Z]\.(?:[A-Z]\.)*|(?:de|van|von|der|da|del|bin|al|la|le))"
_NAME = rf"{_WORD}(?:[ \t]+{_WORD}){{0,4}}"
_NAMES = rf"{_NAME}(?:(?:[ \t]*,[ \t]*(?:and[ \t]+)?|[ \t]+(?:and|&)[ \t]+){_NAME}){{0,7}}"
_AGENCY = (
    r"(?:The[ \t]+)?(?:Associated[ \t]+Press|AP|Reuters|AFP|Agence[ \t]+France-Presse|"
    r"Bloomberg|CNN|BBC|Xinhua|Kyodo|Yonhap|dpa|DPA|EFE|ANSA|PA|Press[ \t]+Association)"
)
_ROLE = r"(?:writers?|reporters?|correspondents?|journalists?|photographers?|producers?|staff)"
_SEP = r"[ \t]*(?:,|\||—|–|-)[ \t]*"
_LINE_END = r"[ \t\r]*(?=\n|\Z)"
# "By Sylvia Hui and Jill Lawless", "By Jane Doe, Associated Press", "By J. Doe | CNN"; on a
# line of its own, or before a dateline in capitals ("By Jane Doe LONDON (AP) —")
_BYLINE = re.compile(
    rf"[ \t]*By[ \t]+{_NAMES}(?:{_SEP}(?:{_AGENCY}|[A-Z][\w&'’.-]*(?:[ \t]+[A-Z][\w&'’.-]*)"
    rf"{{0,3}})(?:[ \t]+{_ROLE})?)?(?:{_LINE_END}|(?=[ \t]+[A-Z]{{2,}}\b))"
)
# "Jill Lawless, Associated Press", "Jane Doe and John Roe | Reuters"
_SIGNED = re.compile(rf"[ \t]*{_NAMES}{_SEP}{_AGENCY}(?:[ \t]+{_ROLE})?{_LINE_END}")
# "Associated Press writers X in Taipei, Taiwan, and Y in London contributed to this report."
_CONTRIBUTED = re.compile(
    rf"[ \t]*{_AGENCY}(?:[’']s)?[ \t]+(?:[\w-]+[ \t]+){{0,2}}{_ROLE}\b"
    r"[^\n]*?\bcontributed\b[^\n]*"
)
# "Reporting by X; Editing by Y"
_REPORTING = re.compile(
    r"[ \t]*\(?[ \t]*(?:Additional[ \t]+)?(?:Reporting|Writing|Editing|"
    r"Compiled)[ \t]+by\b[^\n]*"
)
# A web address written out in the text (a link's target in Markdown ends at its ")").
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]]+")
# "(AP Photo/Andy Wong, Pool)", "(Photo by Jane Doe/Getty Images)"
_PHOTO = re.compile(rf"\((?:{_AGENCY}[ \t]+)?Photos?(?:[ \t]+by)?[ \t]*[/:]?[ \t]*[^)\n]*\)")
# Words a signed line ends with ("Jane Doe, Associated Press", "Jane Doe | AP writer").
_TAILS = (
    "Press",
    "AP",
    "Reuters",
    "AFP",
    "Agence France-Presse",
    "Bloomberg",
    "CNN",
    "BBC",
    "Xinhua",
    "Kyodo",
    "Yonhap",
    "dpa",
    "DPA",
    "EFE",
    "ANSA",
    "PA",
    "Association",
    "writer",
    "writers",
    "reporter",
    "reporters",
    "correspondent",
    "correspondents",
    "journalist",
    "journalists",
    "photographer",
    "photographers",
    "producer",
    "producers",
    "staff",
)
# A credit line is short; a longer line is one only when it starts with "By" (a byline run
# into the dateline of a one-paragraph summary).
SHORT_LINE = 400


def credit_spans(text: str) -> list[tuple[int, int]]:
    """The [start, end) spans of `text` that are credit lines, photo credits or web
    addresses, in order.

    A line is tried only when it starts with "By" or is short and holds a rule's fixed words
    (ends with an agency, "contributed", "Reporting by"), each rule anchored at the line's
    start: most lines cost a few comparisons of a short string."""
    spans: list[tuple[int, int]] = []
    if "://" in text or "www." in text:
        spans.extend(m.span() for m in _URL.finditer(text))
    if "Photo" in text:
        spans.extend(m.span() for m in _PHOTO.finditer(text))
    at = 0
    for line in text.split("\n") if "\n" in text else (text,):
        size = len(line)
        if size and (line[:2] == "By" or size <= SHORT_LINE or line.lstrip()[:2] == "By"):
            rule = _rule_for(line.strip())
            if rule is not None:
                found = rule.match(text, at)
                if found is not None and found.end() > found.start():
                    spans.append(found.span())
        at += size + 1
    return sorted(spans)


def _rule_for(line: str) -> re.Pattern[str] | None:
    """The one rule a (stripped) line may match, judged by its fixed words."""
    if line[:2] == "By":
        return _BYLINE
    if len(line) > SHORT_LINE:
        return None
    if line.endswith(_TAILS):
        return _SIGNED
    if "contributed" in line:
        return _CONTRIBUTED
    if "ing by" in line or "Compiled by" in line:
        return _REPORTING
    return None


def outside(hits: list[HitT], spans: list[tuple[int, int]], folded: Folded) -> list[HitT]:
    """The hits (folded offsets) that lie outside every span (offsets of the text)."""
    origin = folded.origin if folded.positions is not None else None
    keep = []
    for hit in hits:
        start, stop = (hit[0], hit[1]) if origin is None else origin(hit[0], hit[1])
        if not any(s <= start and stop <= e for s, e in spans):
            keep.append(hit)
    return keep
