"""Compile a vocabulary into one Aho-Corasick automaton and resolve mentions per document."""

import gc
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import NamedTuple

import ahocorasick

from monitor.match.normalize import Folded, alias_variants, fold
from monitor.match.sentences import Sentences
from monitor.types import Span, Tag
from monitor.vocab.model import Entry, Role, Vocabulary
from monitor.vocab.veto import GivenNameVeto, Veto, compile_veto

log = logging.getLogger(__name__)

# A role phrase after these words names someone else than the holder on the article's date.
ROLE_VETOES = (r"(?i:\b(?:former|ex|then|late|next|future|incoming|outgoing|acting|previous|"
               r"retired|would-be|a|another)[\s-]+)@",)
_TITLE_GAP = 3  # "Secretary of State Antony Blinken", "his envoy, Wang Yi": the role is a title
_GIVEN_NAME = GivenNameVeto()
_START = itemgetter(0)


class _Pattern(NamedTuple):
    """One alias of one entry, as the automaton hands it back."""

    entry: int
    full: bool
    forms: frozenset[str] | None  # accepted case-preserving forms; None: any case
    standalone: bool
    vetoes: tuple[Veto | GivenNameVeto, ...]


@dataclass(frozen=True, slots=True)
class _RolePattern:
    """A role phrase and who held it when."""

    holders: tuple[tuple[int, Role], ...]
    vetoes: tuple[Veto, ...]


# What a hit names, per kind (actor or issue) of one automaton key:
#   None   no alias of this kind is written this way;
#   int    the fast path: one full-form alias of one entry and no veto, so once its case is
#          right (the forms next to it) the hit names that entry, with no further rule;
#   tuple  patterns for resolution: one short form (its case checked like the int's), or,
#          with forms _GENERAL, whatever _accept keeps (several owners, full-form vetoes).
_Rule = int | tuple[_Pattern, ...] | None
_Forms = frozenset[str] | None
_GENERAL: frozenset[str] = frozenset({"\x00 general rules"})  # forms marker: go to _accept
# Automaton value: (match end - start, match end - stop, actor rule, actor forms, issue rule,
# issue forms, role phrase). Flat so that the scan loop only unpacks it.
_Value = tuple[int, int, _Rule, _Forms, _Rule, _Forms, _RolePattern | None]
# A hit in folded offsets: start, stop, and the entry it names (int) or the patterns still open.
_Hit = tuple[int, int, int | tuple[_Pattern, ...]]


@dataclass(frozen=True, slots=True)
class Mention:
    """One resolved mention in original-text offsets."""

    entry: Entry
    start: int
    end: int


def _is_unspaced(char: str) -> bool:
    """Scripts written without spaces between words (CJK, kana): no boundary padding."""
    code = ord(char)
    return (0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF)


def _key(variant: str) -> tuple[str, int, int]:
    lower = variant.lower()
    if lower.isascii():
        return f" {lower} ", 1, 1
    lpad = 0 if _is_unspaced(lower[0]) else 1
    rpad = 0 if _is_unspaced(lower[-1]) else 1
    return " " * lpad + lower + " " * rpad, lpad, rpad


class Matcher:
    """Tags documents with the actors and issues of one vocabulary; build with compile_matcher."""

    def __init__(self, vocab: Vocabulary, *, fast_path: bool = True) -> None:
        self.vocabulary = vocab
        self._entries = vocab.entries
        self._is_person = tuple(e.type == "person" for e in vocab.entries)
        self._automaton = ahocorasick.Automaton()
        # Building makes a few objects per alias and frees none: the cyclic collector would
        # rescan the growing heap again and again (half the time at 100k aliases) for nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.pattern_count = self._build(vocab, fast_path)
        finally:
            if collecting:
                gc.enable()
        self._empty = not self.pattern_count
        if self.pattern_count:
            self._automaton.make_automaton()
        log.info("matcher.compiled entries=%d patterns=%d", len(vocab.entries),
                 self.pattern_count)

    def _build(self, vocab: Vocabulary, fast_path: bool) -> int:
        """Add every alias variant and role phrase to the automaton; the number of keys."""
        names: dict[str, list[_Pattern]] = {}
        roles: dict[str, list[tuple[int, Role]]] = {}
        role_vetoes: dict[str, list[Veto]] = {}
        pads: dict[str, tuple[int, int]] = {}
        is_actor = [entry.kind == "actor" for entry in vocab.entries]
        ascii_pads = (1, 1)
        for index, entry in enumerate(vocab.entries):
            person = entry.type == "person"
            for alias in entry.aliases:
                variants = alias_variants(alias.text)
                forms = None
                if alias.case == "exact":
                    forms = frozenset(variants)
                    if any(" " in v for v in variants):
                        forms |= {v.upper() for v in variants if " " in v}
                vetoes: tuple[Veto | GivenNameVeto, ...] = ()
                if alias.veto:
                    vetoes = tuple(compile_veto(v) for v in alias.veto)
                full = alias.form == "full"
                if not full and not alias.standalone and person:
                    # "Gareth Johnson" is not Boris Johnson, "Logan Ryan" is not Mark Logan
                    vetoes = (_GIVEN_NAME, *vetoes)
                pattern = _Pattern(index, full, forms, alias.standalone, vetoes)
                for variant in variants:
                    if variant.isascii():
                        key, pad = f" {variant.lower()} ", ascii_pads
                    else:
                        key, lpad, rpad = _key(variant)
                        pad = (lpad, rpad)
                    bucket = names.get(key)
                    if bucket is None:
                        names[key] = [pattern]
                        pads[key] = pad
                    elif pattern not in bucket:
                        bucket.append(pattern)
            for role in entry.roles:
                for phrase in role.phrases:
                    for variant in alias_variants(phrase):
                        key, lpad, rpad = _key(variant)
                        pads[key] = (lpad, rpad)
                        roles.setdefault(key, []).append((index, role))
                        role_vetoes.setdefault(key, []).extend(
                            compile_veto(v) for v in (*ROLE_VETOES, *role.veto))
        add = self._automaton.add_word
        nothing: tuple[_Pattern, ...] = ()
        for key, (lpad, rpad) in pads.items():
            role_pattern = None
            if key in roles:
                role_pattern = _RolePattern(tuple(roles[key]),
                                            tuple(dict.fromkeys(role_vetoes[key])))
            patterns = names.get(key)
            if patterns is None:
                actors = issues = nothing
            elif len(patterns) == 1:
                actors, issues = ((patterns[0],), nothing) if is_actor[patterns[0].entry] else (
                    nothing, (patterns[0],))
            else:
                actors = tuple(p for p in patterns if is_actor[p.entry])
                issues = tuple(p for p in patterns if not is_actor[p.entry])
            actor_rule, actor_forms = _rule(actors, fast_path)
            issue_rule, issue_forms = _rule(issues, fast_path)
            value: _Value = (len(key) - lpad, rpad, actor_rule, actor_forms, issue_rule,
                             issue_forms, role_pattern)
            add(key, value)
        return len(pads)

    def tag(self, text: str, *, published: date | None = None) -> tuple[Tag, ...]:
        """Actors and issues named in `text`, in order of first mention, with counts and the
        sentence of each first mention as evidence (offsets into `text`)."""
        found, spans, folded = self._run(text, published)
        if not found:
            return ()
        entries = self._entries
        counts = Counter(found)  # in order of first mention
        firsts = [spans[found.index(index)] for index in counts]
        if folded.positions is not None:
            firsts = [folded.origin(start, stop) for start, stop in firsts]
        evidence = Sentences(text).evidence(firsts)
        tags = []
        for (index, count), proof in zip(counts.items(), evidence, strict=True):
            entry = entries[index]
            tags.append(Tag(entry.id, entry.kind, entry.name, count, proof))
        return tuple(tags)

    def spans(self, text: str, *, published: date | None = None) -> tuple[Span, ...]:
        """Every resolved mention in `text` (offsets into `text`)."""
        return tuple(Span(m.entry.id, m.start, m.end)
                     for m in self.mentions(text, published=published))

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
        return tuple(Tag(m.entry.id, m.entry.kind, m.entry.name, counts[tag_id],
                         sentences.around(m.start, m.end)) for tag_id, m in first.items())

    def mentions(self, text: str, *, published: date | None = None) -> list[Mention]:
        """Resolved mentions in document order."""
        found, spans, folded = self._run(text, published)
        entries = self._entries
        origin = folded.origin
        return [Mention(entries[index], *origin(start, stop))
                for index, (start, stop) in zip(found, spans, strict=True)]

    def _run(self, text: str, published: date | None
             ) -> tuple[list[int], list[tuple[int, int]], Folded]:
        """Entry indexes of the resolved mentions and their folded spans, in document order."""
        folded = fold(text)
        if self._empty or not text:
            return [], [], folded
        if isinstance(published, datetime):
            published = published.date()
        actors, issues, role_hits = self._scan(text, folded, published is not None)
        roles = (self._roles(role_hits, actors, text, folded, published)
                 if role_hits and published is not None else [])
        return self._resolve(actors, issues, roles, text, folded)

    def _scan(self, text: str, folded: Folded, with_roles: bool
              ) -> tuple[list[_Hit], list[_Hit], list[tuple[int, int, _RolePattern]]]:
        """One pass over the automaton: case checks, full-form vetoes and, within one kind,
        leftmost-longest (actors and issues overlap freely: "Russia's war" names Russia and
        the war; "South China Sea" wins over "China")."""
        cased = folded.cased
        actors: list[_Hit] = []
        issues: list[_Hit] = []
        role_hits: list[tuple[int, int, _RolePattern]] = []
        push = _push
        general = _GENERAL
        a_stop = i_stop = -1  # where the last kept actor / issue hit stops
        # Matches come in order of their end, so a kept hit can only be displaced by a later
        # one that starts at or before it. The common case (one full form, no veto) is a case
        # check and an append, with no call.
        for end, (back, rpad, arule, aforms, irule, iforms, role) in self._automaton.iter(
                " " + folded.lower + " "):
            start = end - back
            stop = end - rpad
            if arule is not None:
                if a_stop > start:
                    top = actors[-1]
                    if top[0] > start or (top[0] == start and top[1] < stop):
                        push(actors, arule, aforms, text, folded, start, stop)
                        a_stop = actors[-1][1]
                elif aforms is None or (aforms is not general and cased[start:stop] in aforms):
                    actors.append((start, stop, arule))
                    a_stop = stop
                elif aforms is general:
                    push(actors, arule, aforms, text, folded, start, stop)
                    a_stop = actors[-1][1] if actors else -1
            if irule is not None:
                if i_stop > start:
                    top = issues[-1]
                    if top[0] > start or (top[0] == start and top[1] < stop):
                        push(issues, irule, iforms, text, folded, start, stop)
                        i_stop = issues[-1][1]
                elif iforms is None or (iforms is not general and cased[start:stop] in iforms):
                    issues.append((start, stop, irule))
                    i_stop = stop
                elif iforms is general:
                    push(issues, irule, iforms, text, folded, start, stop)
                    i_stop = issues[-1][1] if issues else -1
            if role is not None and with_roles:
                role_hits.append((start, stop, role))
        return actors, issues, role_hits

    def _roles(self, role_hits: list[tuple[int, int, _RolePattern]], actors: list[_Hit],
               text: str, folded: Folded, published: date) -> list[_Hit]:
        is_person = self._is_person
        people = [(start, stop) for start, stop, what in actors
                  if (is_person[what] if isinstance(what, int)
                      else any(is_person[p.entry] for p in what))]
        out: list[_Hit] = []
        last_end = -1
        for start, stop, role in sorted(role_hits, key=lambda r: (r[0], -r[1])):
            if start < last_end:
                continue
            holders = {index for index, held in role.holders if held.held_on(published)}
            if len(holders) != 1 or _vetoed(role.vetoes, text, folded, start, stop):
                continue
            if _next_to_person(folded.cased, start, stop, people):
                continue
            out.append((start, stop, holders.pop()))
            last_end = stop
        return out

    @staticmethod
    def _resolve(actors: list[_Hit], issues: list[_Hit], roles: list[_Hit], text: str,
                 folded: Folded) -> tuple[list[int], list[tuple[int, int]], Folded]:
        """Short forms to the entry named in full last before them; in document order (at one
        offset: actors, then issues, then roles)."""
        if issues or roles:
            events = actors + issues + roles
            events.sort(key=_START)
        else:
            events = actors
        last_full: dict[int, int] = {}
        found: list[int] = []
        spans: list[tuple[int, int]] = []
        for order, (start, stop, what) in enumerate(events):
            if what.__class__ is int:
                last_full[what] = order
                found.append(what)
            else:
                picked = _choose_unvetoed(what, start, stop, last_full,  # type: ignore[arg-type]
                                          text, folded)
                if picked is None:
                    continue
                chosen, full = picked
                if full:
                    last_full[chosen] = order
                found.append(chosen)
            spans.append((start, stop))
        return found, spans, folded


def _rule(patterns: tuple[_Pattern, ...], fast_path: bool) -> tuple[_Rule, _Forms]:
    """What the scan keeps for a hit, and the case forms it checks first (_GENERAL: _accept).

    When no full form has a veto and all patterns accept the same case forms, the case check
    is all _accept would do: the hit keeps every pattern, or is an int when one entry owns
    them all and one is a full form (it names that entry, nothing else to decide). Anything
    else goes through _accept."""
    if not patterns:
        return None, None
    first = patterns[0]
    if fast_path and len(patterns) == 1:
        if not first.full:
            return patterns, first.forms
        return (first.entry, first.forms) if not first.vetoes else (patterns, _GENERAL)
    if fast_path and not any(p.full and p.vetoes for p in patterns) and all(
            p.forms == first.forms for p in patterns):
        if any(p.full for p in patterns) and all(p.entry == first.entry for p in patterns):
            return first.entry, first.forms
        return patterns, first.forms
    return patterns, _GENERAL


def _accept(patterns: tuple[_Pattern, ...], written: str, text: str, folded: Folded,
            start: int, stop: int) -> int | tuple[_Pattern, ...] | None:
    """Patterns whose case fits and whose full-form vetoes do not apply; an int when they leave
    no choice (a full form of one entry), None when none is left."""
    kept = []
    for pattern in patterns:
        if pattern.forms is not None and written not in pattern.forms:
            continue
        # Full forms are vetoed now, since they decide overlaps; short forms only once
        # resolution would accept them (most never get that far).
        if pattern.full and pattern.vetoes and _vetoed(pattern.vetoes, text, folded, start,
                                                       stop):
            continue
        kept.append(pattern)
    if not kept:
        return None
    entry = kept[0].entry
    if all(p.entry == entry for p in kept) and any(p.full for p in kept):
        return entry  # _choose names it whatever came before, and only its short forms differ
    return tuple(kept) if len(kept) != len(patterns) else patterns


def _push(hits: list[_Hit], rule: int | tuple[_Pattern, ...], forms: _Forms, text: str,
          folded: Folded, start: int, stop: int) -> None:
    """Accept a hit that needs more than the fast path, keeping `hits` leftmost-longest."""
    what: int | tuple[_Pattern, ...] | None
    if forms is _GENERAL:
        assert not isinstance(rule, int)  # _rule gives ints their own forms
        what = _accept(rule, folded.cased[start:stop], text, folded, start, stop)
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


def _choose_unvetoed(patterns: tuple[_Pattern, ...], start: int, stop: int,
                     last_full: dict[int, int], text: str,
                     folded: Folded) -> tuple[int, bool] | None:
    """_choose, then the chosen entry's short-form vetoes; a vetoed entry leaves the others."""
    while patterns:
        picked = _choose(patterns, last_full)
        if picked is None:
            return None
        entry = picked[0]
        vetoed = {p for p in patterns if p.entry == entry and not p.full and p.vetoes
                  and _vetoed(p.vetoes, text, folded, start, stop)}
        if not vetoed:
            return picked
        patterns = tuple(p for p in patterns if p not in vetoed)
    return None


def _choose(patterns: tuple[_Pattern, ...], last_full: dict[int, int]) -> tuple[int, bool] | None:
    """Which entry a hit names: a full form names its entry; a short form the entry whose full
    form came last before it, else its only owner when standalone; otherwise nobody."""
    if len(patterns) == 1:
        only = patterns[0]
        if only.full or only.entry in last_full or only.standalone:
            return only.entry, only.full
        return None
    entries = {p.entry for p in patterns}
    if len(entries) == 1:
        entry = patterns[0].entry
        full = any(p.full for p in patterns)
        if full or entry in last_full or any(p.standalone for p in patterns):
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


def _vetoed(vetoes: tuple[Veto | GivenNameVeto, ...], text: str, folded: Folded, start: int,
            stop: int) -> bool:
    lo, hi = folded.origin(start, stop)
    return any(v.applies(text, lo, hi) for v in vetoes)


def _next_to_person(cased: str, start: int, stop: int, people: list[tuple[int, int]]) -> bool:
    for p_start, p_end in people:
        if 0 <= p_start - stop <= _TITLE_GAP and not cased[stop:p_start].strip():
            return True
        if 0 <= start - p_end <= _TITLE_GAP and not cased[p_end:start].strip():
            return True
    return False


def compile_matcher(vocab: Vocabulary) -> Matcher:
    """Compile `vocab` once; the Matcher is immutable and safe to share between threads."""
    return Matcher(vocab)
