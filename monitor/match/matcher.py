"""The matcher: a compiled vocabulary that tags documents with counts, spans and evidence."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from monitor.match.automaton import build
from monitor.match.normalize import Folded, fold
from monitor.match.resolve import (
    GENERAL,
    Hit,
    RolePattern,
    push,
    resolve,
    resolve_roles,
)
from monitor.match.sentences import Sentences
from monitor.types import Evidence, Span, Tag, new_tag
from monitor.vocab.model import Entry, Vocabulary

log = logging.getLogger(__name__)


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
        self._entries = vocab.entries
        self._is_person = tuple(e.type == "person" for e in vocab.entries)
        self._automaton, self._values = build(vocab, fast_path)
        self.pattern_count = len(self._values)
        log.info("matcher.compiled entries=%d patterns=%d", len(vocab.entries),
                 self.pattern_count)

    def tag(self, text: str, *, published: date | None = None) -> tuple[Tag, ...]:
        """Actors and issues named in `text`, in order of first mention, with counts and the
        sentence of each first mention as evidence (offsets into `text`)."""
        found, hits, folded = self._run(text, published)
        if not found:
            return ()
        entries = self._entries
        counts: dict[int, int] = {}  # in order of first mention
        firsts: list[Hit] = []
        for index, hit in zip(found, hits, strict=True):  # a third of Counter() and .index
            if index in counts:
                counts[index] += 1
            else:
                counts[index] = 1
                firsts.append(hit)
        origin = folded.origin
        spans = ([(start, stop) for start, stop, _ in firsts] if folded.positions is None
                 else [origin(start, stop) for start, stop, _ in firsts])
        evidence = Sentences(text).evidence(spans)
        return tuple([new_tag((entry := entries[index]).id, entry.kind, entry.name, count, proof)
                      for (index, count), proof in zip(counts.items(), evidence, strict=True)])

    def tag_document(self, title: str | None, text: str, *,
                     published: date | None = None) -> tuple[Tag, ...]:
        """The tags of a document's headline and text together: the one tagging path of the
        daemon, `monitor tag`, `monitor retag` and the benchmarks.

        Evidence offsets point into `text` (what is stored and highlighted). A tag the headline
        names and the text does not gets the headline as its evidence with the empty span
        (0, 0). When the text already contains the headline (extraction often keeps the <h1>),
        the text alone is tagged, so no mention is counted twice.
        """
        in_text = self.tag(text, published=published)
        headline = (title or "").strip()
        if not headline or headline in text:
            return in_text
        in_headline = self.tag(headline, published=published)
        if not in_headline:
            return in_text
        by_id = {t.id: t for t in in_text}
        merged = []
        for tag in in_headline:
            found = by_id.pop(tag.id, None)
            if found is None:
                merged.append(Tag(tag.id, tag.kind, tag.name, tag.count,
                                  Evidence(tag.evidence.text, 0, 0)))
            else:
                merged.append(Tag(found.id, found.kind, found.name, found.count + tag.count,
                                  found.evidence))
        merged.extend(t for t in in_text if t.id in by_id)
        return tuple(merged)

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
        found, hits, folded = self._run(text, published)
        entries = self._entries
        origin = folded.origin
        return [Mention(entries[index], *origin(start, stop))
                for index, (start, stop, _) in zip(found, hits, strict=True)]

    def _run(self, text: str, published: date | None) -> tuple[list[int], list[Hit], Folded]:
        """Entry indexes of the resolved mentions and the hits (folded offsets) naming them,
        in document order."""
        folded = fold(text)
        if self._automaton is None or not text:
            return [], [], folded
        if isinstance(published, datetime):
            published = published.date()
        actors, issues, role_hits = self._scan(text, folded, published is not None)
        roles = (resolve_roles(role_hits, actors, self._is_person, text, folded, published)
                 if role_hits and published is not None else [])
        found, hits = resolve(actors, issues, roles, text, folded)
        return found, hits, folded

    def _scan(self, text: str, folded: Folded, with_roles: bool
              ) -> tuple[list[Hit], list[Hit], list[tuple[int, int, RolePattern]]]:
        """One pass over the automaton: case checks, full-form vetoes and, within one kind,
        leftmost-longest (actors and issues overlap freely: "Russia's war" names Russia and
        the war; "South China Sea" wins over "China")."""
        cased = folded.cased
        actors: list[Hit] = []
        issues: list[Hit] = []
        role_hits: list[tuple[int, int, RolePattern]] = []
        general = GENERAL
        a_stop = i_stop = -1  # where the last kept actor / issue hit stops
        # Matches come in order of their end, so a kept hit can only be displaced by a later
        # one that starts at or before it. The common case (one full form, no veto) is a case
        # check and an append, with no call.
        values = self._values
        assert self._automaton is not None
        for index, start, stop in self._automaton.find_matches_as_indexes(
                " " + folded.lower + " ", overlapping=True):
            lead, tail, arule, aforms, irule, iforms, role = values[index]
            start += lead
            stop -= tail
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


def compile_matcher(vocab: Vocabulary) -> Matcher:
    """Compile `vocab` once; the Matcher is immutable and safe to share between threads."""
    return Matcher(vocab)
