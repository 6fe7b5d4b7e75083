"""The matcher: a compiled vocabulary that tags documents with counts, spans and evidence."""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from operator import itemgetter

from monitor.match.automaton import CREDIT_VALUE, DFA_CREDIT_WORDS, build, search
from monitor.match.bylines import SHORT_LINE, credit_spans, outside
from monitor.match.furniture import furniture_spans
from monitor.match.normalize import Folded, fold
from monitor.match.relevance import (
    ABOUT,
    COUNT_FULL,
    LEAD_SCORES,
    SIMPLE_SCORES,
    Assessment,
    Layout,
    as_team,
    assess,
    by_name,
    cached_alias_key,
    cue_balance,
    in_list,
    inside_name,
    lead_sentence,
    marked,
    salience,
    uncued,
    with_discussion,
)
from monitor.match.resolve import (
    CREDIT_WORD,
    GENERAL,
    Hit,
    RolePattern,
    home_hits,
    home_roles,
    push,
    resolve,
    resolve_roles,
)
from monitor.match.sentences import Sentences
from monitor.types import Evidence, Span, Tag, TagLevel, new_evidence, new_tag, new_tags
from monitor.vocab.model import Alias, Entry, Vocabulary
from monitor.vocab.veto import GivenNameVeto

log = logging.getLogger(__name__)
# An entry a document names in its sense: the spans of its mentions and why a weak alias
# was taken (None: a strong one).
_Kept = tuple[Entry, list[Hit], str | None]
_NAMES, _BLOCKER, _WEAK, _DATED, _MARKED = 1, 2, 4, 8, 16
# (level, score) of n mentions in a lone paragraph without a headline, by n (up to COUNT_FULL)
SIMPLE: tuple[tuple[TagLevel, float], ...] = tuple(
    ("about" if score >= ABOUT else "mention", score) for score in SIMPLE_SCORES
)
# the same when the first mention is in the text's first sentence (relevance.lead_sentence())
LEAD: tuple[tuple[TagLevel, float], ...] = tuple(
    ("about" if score >= ABOUT else "mention", score) for score in LEAD_SCORES
)
_START = itemgetter(0)


def _led(tags: tuple[Tag, ...], firsts: list[Hit], lead_end: int) -> tuple[Tag, ...]:
    """Tags of a paragraph without a headline (graded SIMPLE by their count), regraded LEAD
    where their first mention (`firsts`, one per tag, ascending) is in its first sentence: a
    prefix of them."""
    n = 0
    for first in firsts:
        if first[0] >= lead_end:
            break
        n += 1
    if not n:
        return tags
    lead = [
        new_tag(t.id, t.kind, t.name, t.count, t.evidence, *LEAD[min(t.count, COUNT_FULL)])
        for t in tags[:n]
    ]
    return (*lead, *tags[n:])


@dataclass(frozen=True, slots=True)
class Mention:
    """One resolved mention in original-text offsets."""

    entry: Entry
    start: int
    end: int


class Matcher:
    """Tags documents with the actors and issues of one vocabulary; build with compile_matcher."""

    def __init__(self, vocab: Vocabulary, *, fast_path: bool = True) -> None:
        self.vocabulary = vocab
        # Blockers ("Hong Kong Express" for hong-kong) are hidden entries of the same kind
        # after the real ones: they win leftmost-longest over the alias they contain and are
        # then dropped.
        self._entries = (*vocab.entries, *_blockers(vocab.entries))
        self._real = len(vocab.entries)
        self._is_person = tuple(e.type == "person" for e in self._entries)
        # per entry, what its hits need (0: nothing): _BLOCKER, never a tag; _NAMES, the
        # institution-name check; _WEAK, context for its weak aliases; _DATED, the date of
        # aliases valid only from or until a day (`since`, `until`); _MARKED, time markers
        # (`marker`) that drop a mention outside the headline
        self._flags = tuple(
            (_BLOCKER if e.blocker_of is not None else 0)
            | (0 if e.in_names else _NAMES)
            | (_WEAK if e.weak else 0)
            | (_DATED if e.dated else 0)
            | (_MARKED if e.markers else 0)
            for e in self._entries
        )
        # series labels at a headline's start (`label`), per entry id
        self._labels = {
            e.id: re.compile(
                r"\s*(?i:"
                + "|".join(r"\s+".join(map(re.escape, label.split())) for label in e.labels)
                + r")(?=\s)"
            )
            for e in vocab.entries
            if e.labels
        }
        self._automaton, self._values = build(self._entries, fast_path)
        # roles whose home titles ("PM") name the holder in a text about one country
        self._home = home_roles(self._entries)
        self._countries = frozenset(i for i, e in enumerate(self._entries) if e.type == "country")
        # the vocabulary's keys (not the credit words after them)
        self.pattern_count = len(self._values) - sum(
            value is CREDIT_VALUE for value in self._values[-len(DFA_CREDIT_WORDS) :]
        )
        log.info("matcher.compiled entries=%d patterns=%d", self._real, self.pattern_count)

    def tag(self, text: str, *, published: date | None = None) -> tuple[Tag, ...]:
        """Actors and issues named in `text` (no separate headline): tag_document(None, text)."""
        return self.tag_document(None, text, published=published)

    def tag_document(
        self,
        title: str | None,
        text: str,
        *,
        published: date | None = None,
        official: str | None = None,
    ) -> tuple[Tag, ...]:
        """The tags of a document's headline and text, in order of first mention, each with
        its count, level and score and the sentence of its first mention as evidence: the one
        tagging path of the daemon, `monitor tag`, `monitor retag` and the benchmarks.

        Evidence offsets point into `text` (what is stored and highlighted); a tag named only
        in the headline gets the headline as its evidence with the empty span (0, 0). When
        the text already holds the headline (extraction often keeps the <h1>), it is read
        there, so no mention counts twice. `official` names the country whose government
        wrote the text (its bare titles, "the President", then resolve by date).
        """
        if official is None and "\n" not in text and not (title and title.strip()):
            return self._one_paragraph(text, published)
        return self._general(title, text, published, official)

    def _general(
        self, title: str | None, text: str, published: date | None, official: str | None
    ) -> tuple[Tag, ...]:
        """tag_document() for any document: headline, paragraphs, official texts."""
        found = self._judged(title, text, published, official)
        if found is None:
            return ()
        doc, shift, layout, kept = found
        evidence = self._evidence(doc, shift, kept)
        if layout.headline is None and len(layout.paragraph_starts) == 1:
            # one paragraph, no headline (feed summaries): the score is the count's
            return _led(
                new_tags(
                    [entry for entry, _, _ in kept],
                    [len(spans) for _, spans, _ in kept],
                    evidence,
                    SIMPLE,
                ),
                [spans[0] for _, spans, _ in kept],
                layout.lead_end,
            )
        out = []
        for (entry, spans, _), proof in zip(kept, evidence):  # noqa: B905 (one per entry)
            weighed = self._weighed(entry, doc, spans, layout)
            skip = uncued(entry, doc, spans, layout)
            score = with_discussion(
                salience(spans, weighed, skip), entry, doc, spans, weighed, skip
            )
            out.append(
                new_tag(
                    entry.id,
                    entry.kind,
                    entry.name,
                    len(spans),
                    proof,
                    "about" if score >= ABOUT else "mention",
                    score,
                )
            )
        return tuple(out)

    def _one_paragraph(self, text: str, published: date | None) -> tuple[Tag, ...]:
        """tag_document() of one paragraph without a headline (feed summaries, the matcher
        benchmark's documents): the same tags, counted in one pass like a plain tagger, with
        the level and score of their count (tests check it against the general path)."""
        folded, actors, issues, roles = self._hits(text, published)
        if not (actors or issues or roles):
            return ()
        found, hits = resolve(actors, issues, roles, text, folded, published)
        counts, firsts, weak = self._counted(found, hits, text, folded, published)
        if weak is not None:  # an entry named only by weak aliases needs their context
            layout = Layout(None, len(text), (0,), 0)
            entries = self._entries
            topics = _issue_spans(entries, found, hits, folded)
            for index, its in weak.items():
                if _confirm(entries[index], text, its, layout, topics) is None:
                    position = list(counts).index(index)
                    del counts[index], firsts[position]
        if not counts:
            return ()
        evidence = Sentences(text).evidence(firsts)
        return _led(
            new_tags(map(self._entries.__getitem__, counts), counts.values(), evidence, SIMPLE),
            firsts,
            lead_sentence(text),
        )

    def _weighed(
        self, entry: Entry, doc: str, spans: Sequence[tuple[int, int, object]], layout: Layout
    ) -> Layout:
        """`layout` as it weighs `entry`: past its series label (_past_label()), and a short
        text under a short headline read as its headline only for a name of its own
        (by_name(), called only for such a layout: no call per tag of a long article)."""
        weighed = self._past_label(entry, doc, layout)
        if weighed.lead_end and weighed.headline is not None:
            weighed = by_name(entry, doc, spans, weighed)
        return weighed

    def _past_label(self, entry: Entry, doc: str, layout: Layout) -> Layout:
        """`layout` with its headline starting after a series label of `entry` at its start
        ("Human rights in focus" before the headline proper): a mention in the label is no
        headline topic (salience() gives it no headline weight)."""
        label = self._labels.get(entry.id)
        if label is None or layout.headline is None:
            return layout
        start, end = layout.headline
        found = label.match(doc, start, end)
        return layout if found is None else replace(layout, headline=(found.end(), end))

    def _counted(
        self, found: list[int], hits: list[Hit], text: str, folded: Folded, published: date | None
    ) -> tuple[dict[int, int], list[Hit], dict[int, list[Hit]] | None]:
        """The relevance stage's count of resolve()'s hits: the mentions of each entry named (in
        order of first mention), the hit of its first mention (offsets of `text`) and, for
        entries with weak aliases, their hits. Blockers and institution names ("Taiwan
        Semiconductor") count for no entry (resolve() has already let a full form among them
        set which entry a later short form names)."""
        flags = self._flags
        origin = folded.origin if folded.positions is not None else None
        counts: dict[int, int] = {}  # in order of first mention
        firsts: list[Hit] = []
        weak: dict[int, list[Hit]] | None = None  # of entries with weak aliases only
        for index, event in zip(found, hits):  # noqa: B905 (equal lengths, resolve()'s pairs)
            start, stop, what = event
            if origin is not None:
                start, stop = origin(start, stop)
                event = (start, stop, what)
            flag = flags[index]
            if flag:  # most entries have none: one look-up decides
                if flag & _BLOCKER or (flag & _NAMES and inside_name(text, start, stop)):
                    continue
                if flag & _DATED and _too_early(self._entries[index], text, event, published):
                    continue
                if flag & _MARKED and marked(self._entries[index], text, start, stop):
                    continue
                if flag & _WEAK:
                    weak = weak if weak is not None else {}
                    weak.setdefault(index, []).append(event)
            if index in counts:
                counts[index] += 1
            else:
                counts[index] = 1
                firsts.append(event)
        return counts, firsts, weak

    def explain(
        self,
        title: str | None,
        text: str,
        *,
        published: date | None = None,
        official: str | None = None,
    ) -> list[tuple[Tag, Assessment]]:
        """tag_document() with the assessment behind each tag (`monitor tag --explain`)."""
        found = self._judged(title, text, published, official)
        if found is None:
            return []
        doc, shift, layout, kept = found
        evidence = self._evidence(doc, shift, kept)
        out = []
        for (entry, spans, confirmed), proof in zip(kept, evidence, strict=True):
            weighed = self._weighed(entry, doc, spans, layout)
            skip = uncued(entry, doc, spans, layout)
            judged = assess(entry, spans, weighed, confirmed, skip, doc)
            alone = _named_alone(entry, doc, spans)
            if alone is not None:  # before the closing "score ..." reason
                judged = replace(judged, reasons=(*judged.reasons[:-1], alone, judged.reasons[-1]))
            out.append(
                (
                    new_tag(
                        entry.id,
                        entry.kind,
                        entry.name,
                        judged.count,
                        proof,
                        judged.level,
                        judged.score,
                    ),
                    judged,
                )
            )
        return out

    def _judged(
        self, title: str | None, text: str, published: date | None, official: str | None
    ) -> tuple[str, int, Layout, list[_Kept]] | None:
        """The document scanned, and each entry it names in the entry's sense with the spans
        of its mentions (document offsets) and why a weak alias was taken; None: nothing."""
        doc, shift, headline = _compose(title, text)
        found, hits, folded = self._run(doc, published)
        if folded.positions is not None:
            origin = folded.origin
            hits = [(*origin(start, stop), what) for start, stop, what in hits]
        added = False
        if official is not None and published is not None:
            found, hits = self._with_bare_titles(doc, found, hits, official, published)
            added = True
        elif self._home and published is not None:
            day = published.date() if isinstance(published, datetime) else published
            home = home_hits(self._home, self._countries, self._is_person, doc, found, hits, day)
            if home:
                found = [*found, *(index for _, _, index in home)]
                hits = [*hits, *home]
                added = True
        if not found:
            return None
        layout = Layout.of(doc, headline)
        entries, flags = self._entries, self._flags
        # a hit is (start, stop, rule): its first two items are its span from here on
        positions: dict[int, list[Hit]] = {}
        get = positions.get
        for index, hit in zip(found, hits):  # noqa: B905 (equal lengths, the scan's pairs)
            flag = flags[index]
            if flag and (
                flag & _BLOCKER
                or (flag & _NAMES and inside_name(doc, hit[0], hit[1]))
                or (flag & _DATED and _too_early(entries[index], doc, hit, published))
                or (flag & _MARKED and _marked_outside(entries[index], doc, hit, headline))
            ):
                continue
            bucket = get(index)
            if bucket is None:
                positions[index] = [hit]
            else:
                bucket.append(hit)
        kept: list[_Kept] = []
        topics: list[tuple[int, int]] | None = (
            None  # the issues' spans, when a weak alias needs them
        )
        for index, spans in positions.items():
            entry = entries[index]
            confirmed = None
            if entry.weak:
                if topics is None:
                    topics = [
                        (hit[0], hit[1])
                        for i, its in positions.items()
                        if entries[i].kind == "issue"
                        for hit in its
                    ]
                confirmed = _confirm(entry, doc, spans, layout, topics)
                if confirmed is None:
                    continue
            if added:  # bare or home titles were added after the scan's hits
                spans.sort(key=_START)
            kept.append((entry, spans, confirmed))
        return (doc, shift, layout, kept) if kept else None

    @staticmethod
    def _evidence(doc: str, shift: int, kept: list[_Kept]) -> list[Evidence]:
        """The sentence of each entry's first mention in the text (the headline's, at the
        empty span (0, 0), when the text does not name it), with offsets into the text."""
        if not shift:
            return Sentences(doc).evidence([spans[0] for _, spans, _ in kept])
        firsts = [
            spans[0]
            if spans[0][0] >= shift
            else next((s for s in spans if s[0] >= shift), spans[0])
            for _, spans, _ in kept
        ]
        evidence = Sentences(doc).evidence(firsts)
        return [
            new_evidence(proof.text, 0, 0)
            if first[0] < shift
            else new_evidence(proof.text, proof.start - shift, proof.end - shift)
            for proof, first in zip(evidence, firsts)  # noqa: B905 (one each)
        ]

    def _with_bare_titles(
        self, doc: str, found: list[int], hits: list[Hit], official: str, published: date
    ) -> tuple[list[int], list[Hit]]:
        """Mentions of holders by bare title ("the President") in a government's own text,
        added to the scan's hits (in `doc`'s offsets): bare titles of the posts of `official`
        held on `published`, or, in a sentence that states an earlier day before the title
        ("On July 14, 2020, by Executive Order 13936, the President declared"), on that day."""
        found, hits = list(found), list(hits)
        taken = [(start, stop) for start, stop, _ in hits]
        stated = stated_days(doc, published)
        for day in {published, *(day for _, day in stated)}:
            for index, pattern in _bare_patterns(self._entries, official, day):
                for match in pattern.finditer(doc):
                    start, stop = match.span()
                    if _day_of(stated, doc, start, published) != day:
                        continue
                    if not any(s < stop and start < e for s, e in taken):
                        found.append(index)
                        hits.append((start, stop, index))
        return found, hits

    def spans(self, text: str, *, published: date | None = None) -> tuple[Span, ...]:
        """Every resolved mention in `text` (offsets into `text`)."""
        return tuple(
            Span(m.entry.id, m.start, m.end) for m in self.mentions(text, published=published)
        )

    def mentions(self, text: str, *, published: date | None = None) -> list[Mention]:
        """Resolved mentions in document order (before relevance: every alias the rules
        accept, blockers left out)."""
        found, hits, folded = self._run(text, published)
        entries, real = self._entries, self._real
        origin = folded.origin
        return [
            Mention(entries[index], *origin(start, stop))
            for index, (start, stop, _) in zip(found, hits, strict=True)
            if index < real
        ]

    def _run(self, text: str, published: date | None) -> tuple[list[int], list[Hit], Folded]:
        """Entry indexes of the resolved mentions and the hits (folded offsets) naming them,
        in document order."""
        folded, actors, issues, roles = self._hits(text, published)
        if not (actors or issues or roles):
            return [], [], folded
        found, hits = resolve(actors, issues, roles, text, folded, published)
        return found, hits, folded

    def _hits(
        self, text: str, published: date | None
    ) -> tuple[Folded, list[Hit], list[Hit], list[Hit]]:
        """The folded text and the hits (folded offsets) of actors, issues and dated roles
        that resolution takes: the scan's, outside credit lines and page furniture."""
        folded = fold(text)
        if self._automaton is None or not text:
            return folded, [], [], []
        if isinstance(published, datetime):
            published = published.date()
        actors, issues, role_hits, words = self._scan(text, folded, published is not None)
        if not (actors or issues or role_hits):
            return folded, actors, issues, []
        # credit_spans() finds nothing in one line of more than SHORT_LINE characters that
        # does not open with "By", unless it holds a web address or a photo credit (see
        # automaton.CREDIT_WORDS: "www", a photo credit's word, an address's "/")
        spans = (
            credit_spans(text)
            if words
            or "\n" in text
            or len(text) <= SHORT_LINE
            or text.lstrip()[:2] == "By"
            or "/" in text
            else []
        )
        # page furniture: blurbs closed by dates always, teasers and calls to the reader when
        # the scan saw their fixed words (automaton.CREDIT_WORDS)
        furniture = furniture_spans(text, words)
        if furniture:
            spans = sorted((*spans, *furniture))
        if spans:  # a byline names who wrote the text, not whom it is about; page furniture
            # names other stories and the outlet
            actors = outside(actors, spans, folded)
            issues = outside(issues, spans, folded)
            role_hits = outside(role_hits, spans, folded)
        roles = (
            resolve_roles(role_hits, actors, self._is_person, text, folded, published)
            if role_hits and published is not None
            else []
        )
        return folded, actors, issues, roles

    def _scan(
        self, text: str, folded: Folded, with_roles: bool
    ) -> tuple[list[Hit], list[Hit], list[tuple[int, int, RolePattern]], bool]:
        """One pass over the automaton: case checks, full-form vetoes and, within one kind,
        leftmost-longest (actors and issues overlap freely: "Russia's war" names Russia and
        the war; "South China Sea" wins over "China"); and whether a credit word was seen
        (automaton.CREDIT_WORDS)."""
        cased = folded.cased
        actors: list[Hit] = []
        issues: list[Hit] = []
        role_hits: list[tuple[int, int, RolePattern]] = []
        general, credit_word, credits = GENERAL, CREDIT_WORD, False
        a_stop = i_stop = -1  # where the last kept actor / issue hit stops
        # Matches come in order of their end, so a kept hit can only be displaced by a later
        # one that starts at or before it. The common case (one full form, no veto) is a case
        # check and an append, with no other call: its forms all have the hit's length
        # (automaton._for_key), so `startswith` at the hit's start is equality with one of
        # them, without slicing the hit out of the text.
        values = self._values
        assert self._automaton is not None
        startswith = cased.startswith
        for index, start, stop in search(self._automaton, folded.lower):
            lead, tail, arule, aforms, irule, iforms, role = values[index]
            start += lead
            stop -= tail
            if arule is not None:
                if a_stop > start:
                    top = actors[-1]
                    if top[0] > start or (top[0] == start and top[1] < stop):
                        push(actors, arule, aforms, text, folded, start, stop)
                        a_stop = actors[-1][1]
                elif aforms is None or (aforms is not general and startswith(aforms, start)):
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
                elif iforms is None or (iforms is not general and startswith(iforms, start)):
                    issues.append((start, stop, irule))
                    i_stop = stop
                elif iforms is general:
                    push(issues, irule, iforms, text, folded, start, stop)
                    i_stop = issues[-1][1] if issues else -1
            if role is not None:
                if role is credit_word:
                    credits = True
                elif with_roles:
                    role_hits.append((start, stop, role))
        return actors, issues, role_hits, credits


def _issue_spans(
    entries: tuple[Entry, ...], found: list[int], hits: list[Hit], folded: Folded
) -> list[tuple[int, int]]:
    """The spans (offsets of the text) of resolve()'s hits of issues."""
    origin = folded.origin if folded.positions is not None else None
    out = []
    for index, (start, stop, _) in zip(found, hits):  # noqa: B905 (resolve()'s pairs)
        if entries[index].kind == "issue":
            out.append(origin(start, stop) if origin is not None else (start, stop))
    return out


def _compose(title: str | None, text: str) -> tuple[str, int, tuple[int, int] | None]:
    """The document to scan, how far `text` is shifted in it, and where the headline is:
    the headline is put before the text unless the text's start already holds it."""
    headline = (title or "").strip()
    if not headline:
        return text, 0, None
    at = text.find(headline, 0, len(headline) + 400)
    if at >= 0:
        return text, 0, (at, at + len(headline))
    return f"{headline}\n\n{text}", len(headline) + 2, (0, len(headline))


def _named_alone(entry: Entry, doc: str, spans: list[Hit]) -> str | None:
    """Why a person named only by a dated standalone short form ("Johnson") is tagged: the
    days in which that form names the entry on its own (None: some other form names it)."""
    dated = {
        cached_alias_key(a.text): a
        for a in entry.aliases
        if a.form == "short" and a.standalone and a.alone is not None
    }
    if not dated:
        return None
    named = {cached_alias_key(doc[start:stop]) for start, stop, _ in spans}
    if not named <= dated.keys():
        return None
    alias = dated[min(named)]
    since, until = alias.alone  # type: ignore[misc]  # checked not None above
    days = f"{since or 'any day'} to {until or 'today'}"
    return f"named as {alias.text!r} alone, which names it in documents of {days}"


def _too_early(entry: Entry, doc: str, hit: Hit, published: date | None) -> bool:
    """Whether the alias at `hit` does not name `entry` on `published` (its `since` is later,
    or its `until` earlier)."""
    if published is None:
        return False
    if isinstance(published, datetime):
        published = published.date()
    return not entry.named_on(cached_alias_key(doc[hit[0] : hit[1]]), published)


def _marked_outside(entry: Entry, doc: str, hit: Hit, headline: tuple[int, int] | None) -> bool:
    """Whether a time marker of `entry` drops the mention at `hit`: anywhere but the headline."""
    if headline is not None and headline[0] <= hit[0] < headline[1]:
        return False
    return marked(entry, doc, hit[0], hit[1])


def _confirm(
    entry: Entry,
    doc: str,
    spans: list[Hit],
    layout: Layout,
    topics: Sequence[tuple[int, int]] = (),
) -> str | None:
    """Why a mention of an entry with weak aliases is in its sense (None: none is): a strong
    alias, or a weak one with more cues than anticues around it. `topics`: the spans of the
    document's issue mentions (in_list() tells a list of matters from a list of places)."""
    weak = entry.weak
    for start, end, _ in spans:
        if cached_alias_key(doc[start:end]) not in weak:
            return f"named as {doc[start:end]!r}"
    own = {(start, end) for start, end, _ in spans}
    for start, end, _ in spans:
        if doc[start].isupper() and (
            _NAME.applies(doc, start, end)
            or as_team(doc, start, end, layout)
            or in_list(doc, start, end, [t for t in topics if t not in own])
        ):
            continue  # someone's or something's name ("Charlie Spies", "Trade Desk"), a team,
            # a place among places
        balance, words = cue_balance(entry, doc, start, end, layout)
        if balance >= entry.min_cues:
            return f"context: {words}"
    return None


_NAME = GivenNameVeto()


def _bare_patterns(
    entries: tuple[Entry, ...], official: str, published: date
) -> list[tuple[int, re.Pattern[str]]]:
    """The bare titles of the posts of `official` and who held them on `published`: a title
    followed by "of" or by a name is someone else's ("the President of China", "the President
    Xi"), a possessive before a name is an office's ("the Secretary of State's Office"); one held by
    several people on that day names nobody; "the Office of the Secretary of Defense" is an
    office, not its holder."""
    holders: dict[str, set[int]] = {}
    for index, entry in enumerate(entries):
        for role in entry.roles:
            if role.org == official and role.bare and role.held_on(published):
                for phrase in role.bare:  # "the ..." also at a sentence's start: "The ..."
                    holders.setdefault(phrase[:1].lower() + phrase[1:], set()).add(index)
    return [
        (
            next(iter(owners)),
            re.compile(
                r"(?<![\w-])(?<![Oo]ffice of )"
                + _first_either_case(phrase)
                + r"\s+".join(map(re.escape, phrase.split()))[len(re.escape(phrase[:1])) :]
                + r"(?![\w-])(?![ \t]+(?:of\b|[A-Z]))(?![’']s\s+[A-Z])"
            ),
        )
        for phrase, owners in holders.items()
        if len(owners) == 1
    ]


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]  # English, whatever the locale
_STATED = re.compile(
    r"\b(?:(?P<month>" + "|".join(_MONTHS) + r")\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"|(?P<day2>\d{1,2})\s+(?P<month2>" + "|".join(_MONTHS) + r"),?\s+(?P<year2>\d{4}))\b"
)
# what ends a sentence between a stated day and a title: a full stop before a capital, a
# blank line
_SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“‘(]?[A-Z])|\n[ \t]*\n")
STATED_REACH = 300  # characters from a stated day to the title it dates, at most


def stated_days(doc: str, published: date) -> list[tuple[int, date]]:
    """Where `doc` states a full day earlier than `published` ("July 14, 2020", "14 July
    2020"): (the end of the statement, the day), in document order."""
    out = []
    for match in _STATED.finditer(doc):
        month = match.group("month") or match.group("month2")
        day = match.group("day") or match.group("day2")
        year = match.group("year") or match.group("year2")
        try:
            stated = date(int(year), _MONTHS.index(month) + 1, int(day))
        except ValueError:
            continue
        if stated < published:
            out.append((match.end(), stated))
    return out


def _day_of(stated: list[tuple[int, date]], doc: str, start: int, published: date) -> date:
    """The day a bare title at `start` is read on: the last day stated before it in its
    sentence (within STATED_REACH characters), else the document's."""
    for end, day in reversed(stated):
        if end > start:
            continue
        # (the break's lookahead reads the title's first letters)
        if start - end > STATED_REACH or _SENTENCE_END.search(doc, end, start + 2):
            break
        return day
    return published


def _first_either_case(phrase: str) -> str:
    first = phrase[:1]
    return f"[{first}{first.upper()}]" if first.isalpha() and first.islower() else re.escape(first)


def _blockers(entries: tuple[Entry, ...]) -> list[Entry]:
    """Hidden entries for the names that contain an entry's alias but are something else."""
    return [
        Entry(
            f"{e.id}~not",
            e.kind,
            e.name,
            tuple(Alias(b, "full", "any" if b == b.lower() else "exact") for b in e.blockers),
            e.type,
            blocker_of=e.id,
        )
        for e in entries
        if e.blockers
    ]


def compile_matcher(vocab: Vocabulary) -> Matcher:
    """Compile `vocab` once; the Matcher is immutable and safe to share between threads."""
    return Matcher(vocab)
