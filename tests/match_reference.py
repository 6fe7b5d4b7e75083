"""Reference matcher: the straightforward implementation the optimised one must agree with.

This is monitor.match.matcher as it was before the fast paths (per-hit objects, sorting for
leftmost-longest, sentence boundaries checked one by one in Python, every character folded on
its own). Tests only.
"""

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import ahocorasick

from monitor.match.normalize import _HOLE, Folded, alias_variants, fold_char
from monitor.match.sentences import _trim
from monitor.types import Evidence, Span, Tag
from monitor.vocab.model import Entry, Role, Vocabulary
from monitor.vocab.veto import GivenNameVeto, Veto, compile_veto

log = logging.getLogger(__name__)

_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9\u00c0-\u024f])|\n\s*")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Sen|Rep|Gen|Lt|Col|Capt|Gov|Prof|Sgt|Adm|Corp|Inc|Ltd|Co|"
    r"Jr|Sr|No|vs|etc|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|U\.S|U\.K|U\.N|a\.m|p\.m))\.$"
)


def fold(text: str) -> Folded:
    """What monitor.match.normalize.fold is specified to do, one character at a time: each
    character becomes fold_char of it, holes (combining marks, soft hyphens) are dropped and
    the others keep their original positions."""
    chars = [fold_char(char) for char in text]
    positions = None
    if _HOLE in chars:
        positions = tuple(i for i, char in enumerate(chars) if char != _HOLE)
        chars = [char for char in chars if char != _HOLE]
    cased = "".join(chars)
    lower = cased.lower()
    if len(lower) != len(cased):
        lower = "".join(char.lower()[:1] for char in cased)
    return Folded(cased, lower, positions)


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    if text[match.start()] == "\n" or "\n" in match.group():
        return True
    head = text[max(0, match.start() - 8) : match.start()].rstrip("\"'”’)]")
    return _ABBREVIATION.search(head) is None


class Sentences:
    """Sentence boundaries: every candidate of one regular expression checked in Python."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        for found in _BOUNDARY.finditer(text):
            if _is_boundary(text, found):
                self.ends.append(found.start())
                self.starts.append(found.end())

    def around(self, start: int, end: int) -> Evidence:
        """The sentence holding text[start:end]."""
        i = bisect_right(self.starts, start)
        begin = self.starts[i - 1] if i else 0
        j = bisect_left(self.ends, end)
        finish = self.ends[j] if j < len(self.ends) else len(self.text)
        return _trim(self.text, begin, finish, start, end)


# A role phrase after these words names someone else than the holder on the article's date.
ROLE_VETOES = (
    r"(?i:\b(?:former|ex|then|late|next|future|incoming|outgoing|acting|previous|"
    r"retired|would-be|a|another|any|every|whoever|whichever|become|becomes|became|"
    r"becoming|elected|be|if|run\s+for|running\s+for|ran\s+for|bid\s+for|"
    r"candidate\s+for|race\s+for)[\s-]+(?:the\s+)?)@",
    # an office set against an institution: "it answers to Congress, not the US president"
    r"(?i:\b(?:not|nor)\s+(?:to\s+|by\s+)?the\s+)@",
    # "national security adviser John Kirby": the title of someone else, named next
    r"@,?[ \t]+(?!(?:On|In|At|Is|Was|Has|Had|Will|And|But|Or|Said|Says)\b)"
    r"[A-Z][a-z]+[ \t]+[A-Z][a-z]+",
    # "Vietnam's Communist Party chief": another country's post
    r"(?:Vietnam|Vietnamese|Laos|Lao|Cuba|Cuban|North\s+Korea|North\s+Korean|Soviet|"
    r"Taiwan|Taiwanese|Russia|Russian|Ukraine|Ukrainian|Japan|Japanese|Korean|Indian|"
    r"India|French|France|German|Germany|British|Israeli|Israel|Iranian|Iran|"
    r"Mexican|Mexico|Canadian|Canada|Australian|Australia)(?:'s|’s)?[\s-]+@",
)
_TITLE_GAP = 3  # "Secretary of State Antony Blinken", "his envoy, Wang Yi": the role is a title


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One alias of one entry, as the automaton hands it back."""

    entry: int
    full: bool
    forms: frozenset[str] | None  # accepted case-preserving forms; None: any case
    standalone: bool
    vetoes: tuple[Veto | GivenNameVeto, ...]
    alone: tuple[date | None, date | None] | None = None  # Alias.alone of a standalone


@dataclass(frozen=True, slots=True)
class _RolePattern:
    """A role phrase and who held it when."""

    holders: tuple[tuple[int, Role], ...]
    vetoes: tuple[Veto, ...]


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int  # folded offsets
    end: int
    patterns: tuple[_Pattern, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    """One resolved mention in original-text offsets."""

    entry: Entry
    start: int
    end: int


def _is_unspaced(char: str) -> bool:
    """Scripts written without spaces between words (CJK, kana): no boundary padding."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
    )


def _key(variant: str) -> tuple[str, int, int]:
    lower = variant.lower()
    lpad = 0 if _is_unspaced(lower[0]) else 1
    rpad = 0 if _is_unspaced(lower[-1]) else 1
    return " " * lpad + lower + " " * rpad, lpad, rpad


class ReferenceMatcher:
    """Tags documents with the actors and issues of one vocabulary, the simple way."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocabulary = vocab
        self._entries = vocab.entries
        names: dict[str, list[_Pattern]] = {}
        roles: dict[str, list[tuple[int, Role]]] = {}
        role_vetoes: dict[str, list[Veto]] = {}
        pads: dict[str, tuple[int, int]] = {}
        for index, entry in enumerate(vocab.entries):
            for alias in entry.aliases:
                variants = alias_variants(alias.text)
                forms = None
                if alias.case == "exact":
                    forms = frozenset(variants | {v.upper() for v in variants if " " in v})
                vetoes: tuple[Veto | GivenNameVeto, ...] = tuple(
                    compile_veto(v) for v in alias.veto
                )
                if alias.form == "short" and entry.type == "person":
                    # "Gareth Johnson" is not Boris Johnson, "Logan Ryan" is not Mark Logan; a
                    # short form in quotation marks on its own is a word ('"Xi" comes from')
                    vetoes = (GivenNameVeto(), *vetoes)
                pattern = _Pattern(
                    index,
                    alias.form == "full",
                    forms,
                    alias.standalone,
                    vetoes,
                    alias.alone if alias.standalone else None,
                )
                for variant in variants:
                    key, lpad, rpad = _key(variant)
                    pads[key] = (lpad, rpad)
                    bucket = names.setdefault(key, [])
                    if pattern not in bucket:
                        bucket.append(pattern)
            for role in entry.roles:
                for phrase in role.phrases:
                    for variant in alias_variants(phrase):
                        key, lpad, rpad = _key(variant)
                        pads[key] = (lpad, rpad)
                        roles.setdefault(key, []).append((index, role))
                        role_vetoes.setdefault(key, []).extend(
                            compile_veto(v) for v in (*ROLE_VETOES, *role.veto)
                        )
        self._automaton = ahocorasick.Automaton()
        for key, (lpad, rpad) in pads.items():
            role_pattern = None
            if key in roles:
                role_pattern = _RolePattern(
                    tuple(roles[key]), tuple(dict.fromkeys(role_vetoes[key]))
                )
            patterns = names.get(key, [])
            actors = tuple(p for p in patterns if vocab.entries[p.entry].kind == "actor")
            issues = tuple(p for p in patterns if vocab.entries[p.entry].kind != "actor")
            self._automaton.add_word(key, (len(key), lpad, rpad, actors, issues, role_pattern))
        if pads:
            self._automaton.make_automaton()
        self._empty = not pads
        self.pattern_count = len(pads)
        log.info("matcher.compiled entries=%d patterns=%d", len(vocab.entries), len(pads))

    def tag(self, text: str, *, published: date | None = None) -> tuple[Tag, ...]:
        """Actors and issues named in `text`, in order of first mention, with counts and the
        sentence of each first mention as evidence (offsets into `text`)."""
        return self.tags_for(text, self.mentions(text, published=published))

    def spans(self, text: str, *, published: date | None = None) -> tuple[Span, ...]:
        """Every resolved mention in `text` (offsets into `text`)."""
        return tuple(
            Span(m.entry.id, m.start, m.end) for m in self.mentions(text, published=published)
        )

    def tags_for(self, text: str, mentions: Iterable[Mention]) -> tuple[Tag, ...]:
        """Group mentions of `text` into tags (use when you also need the spans)."""
        first: dict[str, Mention] = {}
        counts: dict[str, int] = {}
        for mention in mentions:
            first.setdefault(mention.entry.id, mention)
            counts[mention.entry.id] = counts.get(mention.entry.id, 0) + 1
        if not first:
            return ()
        sentences = Sentences(text)
        return tuple(
            Tag(
                m.entry.id,
                m.entry.kind,
                m.entry.name,
                counts[tag_id],
                sentences.around(m.start, m.end),
            )
            for tag_id, m in first.items()
        )

    def mentions(self, text: str, *, published: date | None = None) -> list[Mention]:
        """Resolved mentions in document order."""
        if self._empty or not text:
            return []
        if isinstance(published, datetime):
            published = published.date()
        folded = fold(text)
        # Actors and issues overlap freely ("Russia's war" names Russia and the war); within
        # one kind the leftmost-longest mention wins ("South China Sea" over "China").
        actor_hits: list[_Hit] = []
        issue_hits: list[_Hit] = []
        role_hits: list[tuple[int, int, _RolePattern]] = []
        cased = folded.cased
        for end, (klen, lpad, rpad, actors, issues, role) in self._automaton.iter(
            " " + folded.lower + " "
        ):
            start, stop = end - klen + lpad, end - rpad
            if actors:
                kept = self._accept(actors, cased[start:stop], text, folded, start, stop)
                if kept:
                    actor_hits.append(_Hit(start, stop, kept))
            if issues:
                kept = self._accept(issues, cased[start:stop], text, folded, start, stop)
                if kept:
                    issue_hits.append(_Hit(start, stop, kept))
            if role is not None and published is not None:
                role_hits.append((start, stop, role))
        names = _leftmost_longest(actor_hits) + _leftmost_longest(issue_hits)
        roles = self._roles(role_hits, names, text, folded, published) if role_hits else []
        return self._resolve(names, roles, text, folded, published)

    def _accept(
        self,
        patterns: tuple[_Pattern, ...],
        written: str,
        text: str,
        folded: Folded,
        start: int,
        stop: int,
    ) -> tuple[_Pattern, ...]:
        kept = []
        for pattern in patterns:
            if pattern.forms is not None and written not in pattern.forms:
                continue
            # Full forms are vetoed now, since they decide overlaps; short forms only once
            # resolution would accept them (most never get that far).
            if (
                pattern.full
                and pattern.vetoes
                and _vetoed(pattern.vetoes, text, folded, start, stop)
            ):
                continue
            kept.append(pattern)
        return tuple(kept) if len(kept) != len(patterns) else patterns

    def _roles(
        self,
        role_hits: list[tuple[int, int, _RolePattern]],
        names: list[_Hit],
        text: str,
        folded: Folded,
        published: date | None,
    ) -> list[tuple[int, int, int]]:
        assert published is not None  # role hits are only collected with a date
        people = [
            (h.start, h.end)
            for h in names
            if any(self._entries[p.entry].type == "person" for p in h.patterns)
        ]
        out: list[tuple[int, int, int]] = []
        last_end = -1
        for start, stop, role in sorted(role_hits, key=lambda r: (r[0], -r[1])):
            if start < last_end:
                continue
            holders = {index for index, held in role.holders if held.held_on(published)}
            if len(holders) != 1 or _vetoed(role.vetoes, text, folded, start, stop):
                continue
            if _next_to_person(folded.cased, start, stop, people) or _before_name(
                folded.cased, stop
            ):
                continue
            out.append((start, stop, holders.pop()))
            last_end = stop
        return out

    def _resolve(
        self,
        names: list[_Hit],
        roles: list[tuple[int, int, int]],
        text: str,
        folded: Folded,
        published: date | None,
    ) -> list[Mention]:
        events: list[tuple[int, int, _Hit | int]] = [(h.start, h.end, h) for h in names]
        events.extend(roles)
        events.sort(key=lambda ev: ev[0])
        last_full: dict[int, int] = {}
        others: set[int] = set()  # entries whose dated short form was vetoed as another's name
        out: list[Mention] = []
        for order, (start, stop, what) in enumerate(events):
            if isinstance(what, int):
                chosen, full = what, True
            elif (
                len(what.patterns) == 1
                and what.patterns[0].alone is not None
                and not what.patterns[0].full
                and what.patterns[0].entry not in last_full
            ):
                # a dated standalone short form with no full form before it: alone only in
                # its days, and not once a veto showed the name as someone else's
                only = what.patterns[0]
                if only.vetoes and _vetoed(only.vetoes, text, folded, start, stop):
                    others.add(only.entry)
                    continue
                if only.entry in others or not _alone_on(only.alone, published):
                    continue
                chosen, full = only.entry, False
            else:
                picked = _choose_unvetoed(what, last_full, text, folded)
                if picked is None:
                    continue
                chosen, full = picked
            if full:
                last_full[chosen] = order
            lo, hi = folded.origin(start, stop)
            out.append(Mention(self._entries[chosen], lo, hi))
        return out


def _alone_on(days: tuple[date | None, date | None], published: date | None) -> bool:
    if published is None:
        return False
    since, until = days
    return (since is None or published >= since) and (until is None or published <= until)


def _choose_unvetoed(
    hit: _Hit, last_full: dict[int, int], text: str, folded: Folded
) -> tuple[int, bool] | None:
    """_choose, then the chosen entry's short-form vetoes; a vetoed entry leaves the others."""
    patterns = hit.patterns
    while patterns:
        picked = _choose(patterns, last_full)
        if picked is None:
            return None
        entry = picked[0]
        vetoed = {
            p
            for p in patterns
            if p.entry == entry
            and not p.full
            and p.vetoes
            and _vetoed(p.vetoes, text, folded, hit.start, hit.end)
        }
        if not vetoed:
            return picked
        patterns = tuple(p for p in patterns if p not in vetoed)
    return None


def _choose(patterns: tuple[_Pattern, ...], last_full: dict[int, int]) -> tuple[int, bool] | None:
    """Which entry a hit names: a full form names its entry; a short form the entry whose full
    form came last before it, else its only owner when standalone; otherwise nobody."""
    entries = {p.entry for p in patterns}
    if len(entries) == 1:
        entry = patterns[0].entry
        full = any(p.full for p in patterns)
        if full or entry in last_full or any(p.standalone and p.alone is None for p in patterns):
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


def _leftmost_longest(hits: list[_Hit]) -> list[_Hit]:
    hits.sort(key=lambda h: (h.start, -h.end))
    out: list[_Hit] = []
    last_end = -1
    for hit in hits:
        if hit.start >= last_end:
            out.append(hit)
            last_end = hit.end
    return out


def _vetoed(
    vetoes: tuple[Veto | GivenNameVeto, ...], text: str, folded: Folded, start: int, stop: int
) -> bool:
    lo, hi = folded.origin(start, stop)
    return any(v.applies(text, lo, hi) for v in vetoes)


_NEXT_WORD = re.compile(r"[ \t]+(\S+)")
_DAY_NAMES = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}


def _before_name(cased: str, stop: int) -> bool:
    """A role phrase followed, after blanks on its line, by a capitalised word that is no
    day's name, in a line not written in Title Case (at least three words over three
    letters, seven in ten of them capitalised): the start of a longer name, not the holder."""
    found = _NEXT_WORD.match(cased, stop)
    if found is None or not found.group(1)[0].isupper():
        return False
    if found.group(1).rstrip(",.;:") in _DAY_NAMES:
        return False
    line = cased[cased.rfind("\n", 0, stop) + 1 :].split("\n", 1)[0]
    long_words = [w for w in line.split() if len(w) > 3 and w[0].isalpha()]
    capitals = sum(1 for w in long_words if w[0].isupper())
    return not (len(long_words) >= 3 and capitals >= 0.7 * len(long_words))


def _next_to_person(cased: str, start: int, stop: int, people: list[tuple[int, int]]) -> bool:
    for p_start, p_end in people:
        if 0 <= p_start - stop <= _TITLE_GAP and not cased[stop:p_start].strip():
            return True
        if 0 <= start - p_end <= _TITLE_GAP and not cased[p_end:start].strip():
            return True
    return False
