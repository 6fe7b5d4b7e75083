"""The rules applied to automaton hits: case, vetoes, leftmost-longest, short forms, roles."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import NamedTuple

from monitor.match.normalize import Folded
from monitor.match.sentences import title_case
from monitor.vocab.model import Entry, Role, within
from monitor.vocab.veto import GivenNameVeto, Veto, compile_veto

TITLE_GAP = 3  # "Secretary of State Antony Blinken", "his envoy, Wang Yi": the role is a title

# A role phrase after these words names someone else than the holder on the article's date.
ROLE_VETOES = (
    r"(?i:\b(?:former|ex|then|late|next|future|incoming|outgoing|acting|previous|"
    r"retired|would-be|a|another|any|every|whoever|whichever|become|becomes|became|"
    r"becoming|elected|be|if|run\s+for|running\s+for|ran\s+for|bid\s+for|"
    r"candidate\s+for|race\s+for)[\s-]+(?:the\s+)?)@",
    # a deputy's title ("Vice President of China's Poly Group"), not the office's holder
    r"(?i:\b(?:vice|deputy|assistant|associate|honorary)[\s-]+)@",
    # the post of a country's company or body ("the President of China's Poly Group")
    r"@(?:'s|’s)[ \t]+[A-Z]",
    # an office set against an institution: "it answers to Congress, not the US president"
    r"(?i:\b(?:not|nor)\s+(?:to\s+|by\s+)?the\s+)@",
    # "national security adviser John Kirby": the title of someone else, named next; not
    # where the office is the object of another title ("an envoy to the Russian President,
    # Ivan Petrov"): the name is that title's, and the office still names its holder
    r"(?<!\bto the )(?<!\bfor the )(?<!\bof the )"
    r"@,?[ \t]+(?!(?:On|In|At|Is|Was|Has|Had|Will|And|But|Or|Said|Says)\b)"
    r"[A-Z][a-z]+[ \t]+[A-Z][a-z]+",
    # "Vietnam's Communist Party chief": another country's post
    r"(?:Vietnam|Vietnamese|Laos|Lao|Cuba|Cuban|North\s+Korea|North\s+Korean|Soviet|"
    r"Taiwan|Taiwanese|Russia|Russian|Ukraine|Ukrainian|Japan|Japanese|Korean|Indian|"
    r"India|French|France|German|Germany|British|Israeli|Israel|Iranian|Iran|"
    r"Mexican|Mexico|Canadian|Canada|Australian|Australia)(?:'s|’s)?[\s-]+@",
)
_START = itemgetter(0)


class Pattern(NamedTuple):
    """One alias of one entry, as the automaton hands it back."""

    entry: int
    full: bool
    forms: tuple[str, ...] | None  # accepted case-preserving forms, as written first; None: any
    # True, False, or the (first, last) days of the documents in which a short form names
    # its entry on its own (Alias.alone)
    standalone: bool | tuple[date | None, date | None]
    vetoes: tuple[Veto | GivenNameVeto, ...]


class Choices(tuple[Pattern, ...]):
    """The patterns of a key that several entries own ("Wang", "Li"), with what choose() and
    choose_unvetoed() ask of them worked out once at compile time: resolving such a short
    form is then set operations in C instead of three comprehensions per hit."""

    entries: frozenset[int]
    full_entries: frozenset[int]  # entries with a full form among these patterns
    standalone: bool  # some pattern is standalone
    vetoed_shorts: dict[int, tuple[Pattern, ...]]  # entry -> its short forms that have vetoes
    # choose() picks nobody when no entry of these was named in full before: most hits of a
    # shared surname in a text that has not named its owner (resolve() skips them at once)
    unseen_none: bool

    def __new__(cls, patterns: Iterable[Pattern]) -> "Choices":
        made = super().__new__(cls, patterns)
        made.entries = frozenset(p.entry for p in made)
        made.full_entries = frozenset(p.entry for p in made if p.full)
        # a dated standalone (Alias.alone) is not standalone where several entries own a key
        made.standalone = any(p.standalone is True for p in made)
        shorts: dict[int, list[Pattern]] = {}
        for pattern in made:
            if not pattern.full and pattern.vetoes:
                shorts.setdefault(pattern.entry, []).append(pattern)
        made.vetoed_shorts = {entry: tuple(found) for entry, found in shorts.items()}
        made.unseen_none = (
            not made.full_entries and not made.standalone
            if len(made.entries) == 1
            else len(made.full_entries) != 1
        )
        return made


@dataclass(frozen=True, slots=True)
class RolePattern:
    """A role phrase and who held it when."""

    holders: tuple[tuple[int, Role], ...]
    vetoes: tuple[Veto, ...]


# The value's role of the automaton's credit words (automaton.CREDIT_WORDS), compared by
# identity: no role, only a sign that the text may hold a web address or a photo credit.
CREDIT_WORD = RolePattern((), ())
# What a hit names, per kind (actor or issue) of one automaton key:
#   None   no alias of this kind is written this way;
#   int    the fast path: one full-form alias of one entry and no veto, so once its case is
#          right (the forms next to it) the hit names that entry, with no further rule;
#   tuple  patterns for resolution: one short form (its case checked like the int's), or,
#          with forms GENERAL, whatever accept() keeps (several owners, full-form vetoes).
Rule = int | tuple[Pattern, ...] | None
# The case forms of a hit (its text must be one of them): a string (the only one), a tuple, or
# None for any case; GENERAL, compared by identity, sends the hit to accept() (which checks
# each pattern's own forms).
Forms = str | tuple[str, ...] | None
GENERAL: tuple[str, ...] = ("\x00 general rules",)
# Value of an automaton key, by the key's index: (what to add to the key's start in the padded
# text for the alias's start in the folded text, what to take from the key's end for the
# alias's end, actor rule, actor forms, issue rule, issue forms, role phrase). Flat so that the
# scan loop only unpacks it.
Value = tuple[int, int, Rule, Forms, Rule, Forms, RolePattern | None]
# A hit in folded offsets: start, stop, and the entry it names (int) or the patterns still open.
Hit = tuple[int, int, int | tuple[Pattern, ...]]


def accept(
    patterns: tuple[Pattern, ...], written: str, text: str, folded: Folded, start: int, stop: int
) -> int | tuple[Pattern, ...] | None:
    """Patterns whose case fits and whose full-form vetoes do not apply; an int when they leave
    no choice (a full form of one entry), None when none is left."""
    kept = []
    for pattern in patterns:
        if pattern.forms is not None and written not in pattern.forms:
            continue
        # Full forms are vetoed now, since they decide overlaps; short forms only once
        # resolution would accept them (most never get that far).
        if pattern.full and pattern.vetoes and vetoed(pattern.vetoes, text, folded, start, stop):
            continue
        kept.append(pattern)
    if not kept:
        return None
    entry = kept[0].entry
    if all(p.entry == entry for p in kept) and any(p.full for p in kept):
        return entry  # choose() names it whatever came before, and only its short forms differ
    return tuple(kept) if len(kept) != len(patterns) else patterns


def push(
    hits: list[Hit],
    rule: int | tuple[Pattern, ...],
    forms: Forms,
    text: str,
    folded: Folded,
    start: int,
    stop: int,
) -> None:
    """Accept a hit that needs more than the fast path, keeping `hits` leftmost-longest."""
    what: int | tuple[Pattern, ...] | None
    if forms is GENERAL:
        assert not isinstance(rule, int)  # the automaton gives ints their own forms
        what = accept(rule, folded.cased[start:stop], text, folded, start, stop)
    else:
        what = rule if forms is None or folded.cased[start:stop] in forms else None
    if what is None:
        return
    # The kept hits overlapping this one are a suffix of `hits`; it wins over all of them when
    # it beats the first (stops never decrease in automaton order, so it covers the rest).
    first = len(hits)
    while first and hits[first - 1][1] > start:
        first -= 1
    if first < len(hits):
        other = hits[first]
        if not (start < other[0] or (start == other[0] and stop > other[1])):
            return
        del hits[first:]
    hits.append((start, stop, what))


def resolve(
    actors: list[Hit],
    issues: list[Hit],
    roles: list[Hit],
    text: str,
    folded: Folded,
    published: date | None = None,
) -> tuple[list[int], list[Hit]]:
    """Short forms to the entry named in full last before them: the entries named and the
    hits naming them, in document order (at one offset: actors, then issues, then roles).
    A dated standalone short form (Alias.alone) names its entry on its own only in a
    document of `published` within its days, and not once a veto has shown the same name
    as someone else's in the document ("Ron Johnson" before a bare "Johnson")."""
    if issues or roles:
        events = actors + issues + roles
        events.sort(key=_START)
    else:
        events = actors
    last_full: dict[int, int] = {}
    found: list[int] = []
    kept: list[Hit] = []
    others: set[int] | None = None  # entries whose dated short form was someone else's
    for order, event in enumerate(events):
        start, stop, what = event
        if what.__class__ is int:
            last_full[what] = order
            found.append(what)
            kept.append(event)
            continue
        if len(what) == 1:  # type: ignore[arg-type]
            # one pattern (most short forms): choose_unvetoed without the calls and sets,
            # its fields unpacked at once
            entry, full, _, standalone, vetoes = what[0]  # type: ignore[index]
            if full:
                last_full[entry] = order
            elif standalone.__class__ is tuple and entry not in last_full:
                if vetoes and vetoed(vetoes, text, folded, start, stop):
                    others = others if others is not None else set()
                    others.add(entry)
                    continue
                if (others is not None and entry in others) or not alone_on(standalone, published):
                    continue
            elif not (entry in last_full or standalone) or (
                vetoes and vetoed(vetoes, text, folded, start, stop)
            ):
                continue
            found.append(entry)
        else:
            if (
                what.__class__ is Choices
                and what.unseen_none
                and what.entries.isdisjoint(last_full)
            ):
                continue  # choose() would pick nobody (see Choices.unseen_none)
            picked = choose_unvetoed(
                what,  # type: ignore[arg-type]
                start,
                stop,
                last_full,
                text,
                folded,
            )
            if picked is None:
                continue
            chosen, full = picked
            if full:
                last_full[chosen] = order
            found.append(chosen)
        kept.append(event)
    return found, kept


def alone_on(days: tuple[date | None, date | None], published: date | None) -> bool:
    """Whether a dated standalone short form names its entry on its own in a document of
    `published` (never in an undated one)."""
    if published is None:
        return False
    if isinstance(published, datetime):
        published = published.date()
    return within(published, *days)


def resolve_roles(
    role_hits: list[tuple[int, int, RolePattern]],
    actors: list[Hit],
    is_person: tuple[bool, ...],
    text: str,
    folded: Folded,
    published: date,
) -> list[Hit]:
    """Role phrases that name their holder on `published`, as hits of that entry."""
    people = [
        (start, stop)
        for start, stop, what in actors
        if (is_person[what] if isinstance(what, int) else any(is_person[p.entry] for p in what))
    ]
    out: list[Hit] = []
    last_end = -1
    for start, stop, role in sorted(role_hits, key=lambda r: (r[0], -r[1])):
        if start < last_end:
            continue
        holders = {index for index, held in role.holders if held.held_on(published)}
        if len(holders) != 1 or vetoed(role.vetoes, text, folded, start, stop):
            continue
        if _next_to_person(folded.cased, start, stop, people) or (
            before_a_name(folded.cased, stop) and not _object_of_a_title(text, folded, start, stop)
        ):
            continue
        out.append((start, stop, holders.pop()))
        last_end = stop
    return out


def choose_unvetoed(
    patterns: tuple[Pattern, ...],
    start: int,
    stop: int,
    last_full: dict[int, int],
    text: str,
    folded: Folded,
) -> tuple[int, bool] | None:
    """choose(), then the chosen entry's short-form vetoes; a vetoed entry leaves the others."""
    while patterns:
        picked = choose(patterns, last_full)
        if picked is None:
            return None
        entry = picked[0]
        if patterns.__class__ is Choices:
            shorts = patterns.vetoed_shorts.get(entry)
            if not shorts:
                return picked
            vetoes = {p for p in shorts if vetoed(p.vetoes, text, folded, start, stop)}
        else:
            vetoes = {
                p
                for p in patterns
                if p.entry == entry
                and not p.full
                and p.vetoes
                and vetoed(p.vetoes, text, folded, start, stop)
            }
        if not vetoes:
            return picked
        patterns = tuple(p for p in patterns if p not in vetoes)
    return None


def choose(patterns: tuple[Pattern, ...], last_full: dict[int, int]) -> tuple[int, bool] | None:
    """Which entry a hit names: a full form names its entry; a short form the entry whose full
    form came last before it, else its only owner when standalone; otherwise nobody."""
    if len(patterns) == 1:
        only = patterns[0]
        if only.full or only.entry in last_full or only.standalone is True:
            return only.entry, only.full
        return None
    if patterns.__class__ is Choices:
        return _choose_among(patterns, last_full)
    entries = {p.entry for p in patterns}
    if len(entries) == 1:
        entry = patterns[0].entry
        full = any(p.full for p in patterns)
        if full or entry in last_full or any(p.standalone is True for p in patterns):
            return entry, full
        return None
    seen = [e for e in entries if e in last_full]
    if seen:
        entry = max(seen, key=last_full.__getitem__)
        return entry, any(p.full for p in patterns if p.entry == entry)
    fulls = {p.entry for p in patterns if p.full}
    if len(fulls) == 1:
        return fulls.pop(), True
    return None


def _choose_among(choices: Choices, last_full: dict[int, int]) -> tuple[int, bool] | None:
    """choose() for a key several entries own, from what compile time worked out."""
    entries = choices.entries
    if len(entries) == 1:
        (entry,) = entries
        full = bool(choices.full_entries)
        if full or entry in last_full or choices.standalone:
            return entry, full
        return None
    seen = last_full.keys() & entries
    if seen:
        entry = max(seen, key=last_full.__getitem__)
        return entry, entry in choices.full_entries
    if len(choices.full_entries) == 1:
        (entry,) = choices.full_entries
        return entry, True
    return None


def vetoed(
    vetoes: tuple[Veto | GivenNameVeto, ...], text: str, folded: Folded, start: int, stop: int
) -> bool:
    """Whether a veto applies around the folded range [start, stop) (checked in `text`)."""
    if folded.positions is not None:
        start, stop = folded.origin(start, stop)
    # a loop, not any(): most checks have one veto, and a generator would cost more than it
    for veto in vetoes:  # noqa: SIM110
        if veto.applies(text, start, stop):
            return True
    return False


_DAYS = frozenset(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))
_DAY_CHARS = max(map(len, _DAYS)) + 1  # a day's name and a comma or a stop after it


def before_a_name(cased: str, stop: int) -> bool:
    """Whether a capitalised word follows a role phrase ending at `stop`, with only spaces
    between: the phrase then begins a longer name ("the president of China Mobile", "the
    President of Russia Today") or is a title before a name that is not the vocabulary's
    ("Chinese President Hu Jintao" in a retrospective), so it does not name the holder. Not
    a day ("the president of China Tuesday said"), and not in a line written in Title Case
    ("Chinese President Visits Moscow"), where every word is capitalised."""
    at, size = stop, len(cased)
    while at < size and cased[at] in " \t":
        at += 1
    if at in (stop, size) or not cased[at].isupper():
        return False
    word = cased[at : at + _DAY_CHARS].split(None, 1)[0].rstrip(",.;:")
    if word in _DAYS:
        return False
    line_start = cased.rfind("\n", 0, stop) + 1
    line_end = cased.find("\n", stop)
    return not title_case(cased[line_start : size if line_end < 0 else line_end])


_TITLE_OBJECT = ("to the ", "for the ", "of the ")


def _object_of_a_title(text: str, folded: Folded, start: int, stop: int) -> bool:
    """Whether a role phrase is the object of another title and the name after its comma is
    that title's ("an envoy to the Russian President, Ivan Petrov", "a spokesman for the
    Chinese Premier, ..."): the phrase still names the office's holder."""
    if folded.positions is not None:
        start, stop = folded.origin(start, stop)
    return text.startswith(",", stop) and text[max(0, start - 8) : start].endswith(_TITLE_OBJECT)


def _next_to_person(cased: str, start: int, stop: int, people: list[tuple[int, int]]) -> bool:
    for p_start, p_end in people:
        if 0 <= p_start - stop <= TITLE_GAP and not cased[stop:p_start].strip():
            return True
        if 0 <= start - p_end <= TITLE_GAP and not cased[p_end:start].strip():
            return True
    return False


# Words before a home title that make it another post or no post ("shadow chancellor", "Lord
# Chancellor", "a university's chancellor", "6 PM"), and words after it that make it a race
# for the post ("PM hopeful", "the chancellor contest"), beside the role phrases' vetoes.
HOME_VETOES = (
    r"(?i:\b(?:shadow|lord|university|college|school|club|party|junior|vice|sub)[\s-]+)@",
    r"\d[\s.:]*@",
    r"@[ \t]+(?i:hopefuls?|candidates?|contenders?|race|contest|job|post|hopeful)\b",
)


@dataclass(frozen=True, slots=True)
class HomeRole:
    """A role's home titles, compiled: its holder, when it held the post, the country whose
    texts it speaks of, and the other country such a text may name (the role's own)."""

    entry: int
    role: Role
    home: int
    org: int
    patterns: tuple[re.Pattern[str], ...]
    vetoes: tuple[Veto, ...]


def home_roles(entries: tuple[Entry, ...]) -> tuple[HomeRole, ...]:
    """The roles with home titles (Role.home), with what home_hits() needs of them."""

    index = {entry.id: i for i, entry in enumerate(entries)}
    out = []
    for at, entry in enumerate(entries):
        for role in entry.roles:
            if not role.home or role.org is None:
                continue
            home = index[role.home_in or role.org]
            patterns = tuple(
                re.compile(
                    r"(?<![\w-])"
                    + r"\s+".join(map(re.escape, title.split()))
                    + r"(?![\w-])(?![ \t]+(?:of\b|[A-Z]))(?![’']s\s+[A-Z])"
                )
                for title in role.home
            )
            vetoes = tuple(compile_veto(v) for v in (*ROLE_VETOES, *HOME_VETOES, *role.veto))
            out.append(HomeRole(at, role, home, index[role.org], patterns, vetoes))
    return tuple(out)


def home_hits(
    roles: tuple[HomeRole, ...],
    countries: frozenset[int],
    is_person: tuple[bool, ...],
    doc: str,
    found: list[int],
    hits: list[Hit],
    published: date,
) -> list[tuple[int, int, int]]:
    """Home titles that name their holder on `published` in `doc` (document offsets): the
    document names the role's home country, or shows one of its signs, and names no country
    but that one and the role's own; a title two holders share that day names nobody, and a
    title inside a person's hit ("UK PM") is that hit's; inside another's ("Chinese" of
    "Chinese ambassador") it is still a title."""
    named = countries.intersection(found)
    by_title: dict[str, set[int]] = {}
    spans: list[tuple[int, int, int, str]] = []
    taken: list[tuple[int, int]] | None = None
    for home in roles:
        if not home.role.held_on(published) or not named <= {home.home, home.org}:
            continue
        if home.home not in named and not any(sign in doc for sign in home.role.home_signs):
            continue
        if taken is None:
            taken = [(h[0], h[1]) for i, h in zip(found, hits, strict=True) if is_person[i]]
        for pattern in home.patterns:
            for match in pattern.finditer(doc):
                start, stop = match.span()
                if any(s < stop and start < e for s, e in taken):
                    continue
                if any(veto.applies(doc, start, stop) for veto in home.vetoes):
                    continue
                by_title.setdefault(match.group(), set()).add(home.entry)
                spans.append((start, stop, home.entry, match.group()))
    return [
        (start, stop, entry) for start, stop, entry, title in spans if len(by_title[title]) == 1
    ]
