"""Relevance: which mentions are in their entry's sense, and how strongly a document concerns
each tag: `about` (a headline or lede topic, or substantive discussion) or `mention`, with a
score in [0, 1] and the reasons behind it.

Modelled on the weighted category rules of monitoring desks: per entry, anchor terms (the
aliases), `weak` anchors that count only with a context cue near them (a place, a brand or a
common word: "Taiwan", "TikTok", "trade"), `anticues` that argue for another sense, blockers
(longer names that contain an alias) and vetoes (in the vocabulary); then salience from the
headline, the lede, the spread over paragraphs and the count. Pure and explainable.
"""

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from monitor.match.sentences import _BOUNDARY
from monitor.types import TagLevel
from monitor.vocab.loader import alias_key
from monitor.vocab.model import Entry
from monitor.vocab.veto import compile_veto

ABOUT = 0.45  # a score at or above this is `about`
CUE_WINDOW = 350  # characters each side of a weak mention searched for cues (within its paragraph)
# A text without a headline of at most this many characters (three or four sentences) reads
# as its own headline: lead_sentence().
SHORT_TEXT = 600
# A text of at most SHORT_TEXT characters under a headline of at most this many words (an
# agenda item, a label: "Agricultural Policy", "Topical Questions"; a section path in square
# brackets not counted) reads whole as its headline too, for the tags it names by a name of
# their own (not a weak word its context confirmed), where it is one paragraph: Layout.of(),
# short_text(), by_name(). Four words keep it to labels: a feed item's title over its summary
# is a headline that states a story (often six to ten words), and its summary its lede; no
# gold set holds such items to measure the rule on them. (On the tuning part: 5 more `about`
# tags, 4 of them right, the other a wrong sense of "free trade"; at eight words 8 with 1
# wrong; with weak words too 12 with 4 wrong; under any headline 9 with 2 wrong.)
SHORT_HEADLINE = 4
LEDE_CHARS = 320  # the lede: the text's first paragraphs up to at least this many characters
# A text of more than FLAT_TEXT characters after its headline without any line break (a feed
# or a data set that lost the article's paragraphs) is read in blocks of whole sentences of
# at least BLOCK_CHARS characters, standing for its paragraphs: its lede is then its first
# lines, not all of it, and the spread over its parts counts.
# (Blocks of 150 to 600 characters were tried on the tuning part: 300-400 read its flat news
# articles' levels best.)
FLAT_TEXT = 1500
BLOCK_CHARS = 400
# Salience weights (fitted on the tuning part of tests/gold with cross-validation by
# document: bench/fit_levels.py; see BENCHMARKS.md).
W_HEADLINE = 0.6
W_LEDE = 0.1
# A weight fitted on the tuning part for the lede of a long article (-0.15 beyond 10
# paragraphs: "background unless taken up again") raised its about precision 0.853 -> 0.921
# but lowered the held-out part's (0.829 -> 0.816) and its about recall (0.773 -> 0.705): it
# did not generalise and was taken out (BENCHMARKS.md, relevance).
W_COUNT = 0.4  # at COUNT_FULL mentions and more
COUNT_FULL = 5
W_SPREAD = 0.3  # at SPREAD_FULL of the paragraphs and more
SPREAD_FULL = 0.25
# A block of sentences (Layout.blocks) holds about two paragraphs of news: spread over blocks
# is full at twice the share. (On the tuning part's flat news articles, full at a quarter of
# the blocks read 37 `about` tags with 32 right, at half 31 with 29 right.)
BLOCK_SPREAD_FULL = 0.5
# Names of one entry at most this many characters apart are one reference, counted once:
# "Russia's war on Ukraine", "the Covid-19 pandemic", "Ukrainian forces".
JOIN_GAP = 9
# A tag named at least DISCUSSED_REFERENCES times whose naming paragraphs hold at least
# DISCUSSED_WORDS different common words of its matter (its lower-case `cues`: "tariffs",
# "exports", "deficit" for trade; not the names of places among them) is discussed in its own
# words, not passed by: it gains W_DISCUSSED (discussed()). (On the tuning part: 7 more
# `about` tags, all right; at 5 words 13 more with 2 wrong, at one reference 8 with 5 wrong.)
W_DISCUSSED = 0.3
DISCUSSED_WORDS = 6
DISCUSSED_REFERENCES = 2
# A weak alias (a place, a brand, a common word) adds to the count only where a cue of its
# issue's sense stands near it (at least UNCUED_BELOW cues beyond the anticues): "Ukrainian"
# lawmakers and "cybersecurity" deals of an article that names the war or an attack once are
# no more mentions of it. It still makes the tag and counts for headline, lede and spread.
UNCUED_BELOW = 1

# Head nouns that end the name of an institution, a company, a brand or an event: an alias
# inside such a name ("Hong Kong Express", "Federal Trade Commission", "Taiwan Semiconductor
# Manufacturing Company") names that thing, not the place or the issue.
INSTITUTION_NOUNS = frozenset(
    {
        "Academy",
        "Airlines",
        "Airline",
        "Airport",
        "Airways",
        "Association",
        "Bank",
        "Bancorp",
        "Ballet",
        "Bureau",
        "Campaign",
        "Centre",
        "Center",
        "Club",
        "College",
        "Commission",
        "Company",
        "Council",
        "Corp",
        "Corporation",
        "Disneyland",
        "Exchange",
        "Express",
        "Factcheck",
        "Festival",
        "Fund",
        "Group",
        "Holdings",
        "Hospital",
        "Hotel",
        "Inc",
        "Initiative",
        "Institute",
        "Limited",
        "Ltd",
        "Marathon",
        "Museum",
        "Open",
        "Orchestra",
        "Philharmonic",
        "Polytechnic",
        "Press",
        "Resort",
        "Semiconductor",
        "Sevens",
        "Society",
        "Stadium",
        "Studios",
        "Symphony",
        "Times",
        "Union",
        "University",
        "Zoo",
    }
)
# The titles of offices and bodies that are named "... for X" or "... on X" (_BEFORE_NAME).
_OFFICES = frozenset(
    {
        "Secretary",
        "Commissioner",
        "Commission",
        "Committee",
        "Council",
        "Rapporteur",
        "Envoy",
        "Minister",
        "Ministry",
        "Office",
        "Department",
        "Centre",
        "Center",
        "Institute",
        "Foundation",
        "Coordinator",
        "Ambassador",
        "Observatory",
    }
)
_BEFORE_NAME = re.compile(
    r"(?:(?:University|College|Bank|Museum|Port|Zoo|Polytechnic|Academy|Institute|Republic|"
    r"Council|Court|Department|Ministry|Board)\s+of\s+(?:the\s+)?(?:[A-Z][\w'’.-]*\s+){0,2}"
    # an office's or a body's title: "Assistant Secretary for China, Taiwan, Hong Kong, and
    # Mongolia", "High Commissioner for Human Rights", "Committee on Climate Change", a war
    # monitor cited for casualty figures ("the Syrian Observatory for Human Rights said")
    rf"|(?:{'|'.join(sorted(_OFFICES, key=lambda w: (-len(w), w)))})"
    r"\s+(?:for|on)\s+(?:the\s+)?(?:[A-Z][\w'’.-]*,?\s+(?:and\s+)?){0,4})\Z"
)
_WORD = re.compile(r"[ \t]*([A-Za-z][\w&'’.-]*)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n\s*")


@dataclass(frozen=True, slots=True)
class Assessment:
    """How strongly a document concerns one entry, and why."""

    level: TagLevel
    score: float
    count: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a document's headline, lede and paragraphs are (offsets into the document)."""

    headline: tuple[int, int] | None
    lede_end: int
    paragraph_starts: tuple[int, ...]
    body_start: int
    # A text without a headline: where its first sentence ends (lead_sentence()), which
    # stands for the headline; a short text under a short headline: its end (short_text());
    # else 0.
    lead_end: int = 0
    # A long text without line breaks read in blocks of sentences (sentence_blocks()), which
    # stand for its paragraphs.
    blocks: bool = False

    @property
    def spread_full(self) -> float:
        """The share of its parts at which a tag's spread counts in full."""
        return BLOCK_SPREAD_FULL if self.blocks else SPREAD_FULL

    @staticmethod
    def of(doc: str, headline: tuple[int, int] | None) -> "Layout":
        """The layout of `doc`, whose headline (if any) is doc[headline[0]:headline[1]]."""
        body = headline[1] if headline is not None else 0
        lead = lead_sentence(doc) if headline is None else short_text(doc, headline)
        if "\n" not in doc:  # one paragraph (most feed summaries): nothing to split
            return Layout(headline, len(doc), (body,), body, lead)
        starts = [body]
        # Blocks between blank lines; a text without any (extraction puts one paragraph on
        # each line) breaks at every line.
        breaks = _PARAGRAPH if _PARAGRAPH.search(doc, body) else _LINE
        for found in breaks.finditer(doc, body):
            if doc[starts[-1] : found.start()].strip():
                starts.append(found.end())
            else:  # nothing since the last start (the break after the headline)
                starts[-1] = found.end()
        blocks = len(starts) == 1 and len(doc) - starts[0] > FLAT_TEXT
        if blocks and "\n" not in doc[starts[0] :]:
            starts = sentence_blocks(doc, starts[0])
        else:
            blocks = False
        lede_end = len(doc)
        for start in starts[1:]:
            if start - body >= LEDE_CHARS:
                lede_end = start
                break
        return Layout(headline, lede_end, tuple(starts), body, lead, blocks)

    def paragraph(self, position: int) -> int:
        """The index of the paragraph holding `position` (-1: the headline; -2: before the
        headline, a kicker or a series label, which salience() does not weigh)."""
        if self.headline is not None:
            if self.headline[0] <= position < self.headline[1]:
                return -1
            if position < self.headline[0]:
                return -2
        return bisect_right(self.paragraph_starts, position) - 1

    def bounds(self, index: int, size: int) -> tuple[int, int]:
        """Start and end of paragraph `index` (the headline for -1)."""
        if index < 0 and self.headline is not None:
            return self.headline
        start = self.paragraph_starts[index]
        end = self.paragraph_starts[index + 1] if index + 1 < len(self.paragraph_starts) else size
        return start, end


def sentence_blocks(doc: str, body: int) -> list[int]:
    """Where the blocks of a text without line breaks (doc[body:]) start: runs of whole
    sentences of at least BLOCK_CHARS characters (the last one may be shorter)."""
    starts = [body]
    position, match, search = body + BLOCK_CHARS, _BOUNDARY.match, _MARK.search
    while (found := search(doc, position)) is not None:
        at = found.start() + 1
        boundary = match(doc, at)
        if boundary is None:
            position = at
            continue
        if len(doc) - boundary.end() < BLOCK_CHARS // 2:
            break  # a short tail stays with the block before it
        starts.append(boundary.end())
        position = boundary.end() + BLOCK_CHARS
    return starts


def lead_sentence(text: str) -> int:
    """Where the first sentence of `text` ends (its length when it is one sentence, or when
    the whole text is SHORT_TEXT characters or less). A text without a headline (a short news
    item, a feed summary) states its subject there, as a headline would: salience() gives a
    mention in it the headline's weight. A text of a few sentences (a spoken turn, a brief
    item) has no room for a passing mention: what it names anywhere is its subject."""
    if len(text) <= SHORT_TEXT:
        return len(text)
    position, match, search = 0, _BOUNDARY.match, _MARK.search
    while (found := search(text, position)) is not None:  # each mark, then the full rule
        at = found.start()
        if match(text, at if text[at] == "\n" else at + 1) is not None:
            return at if text[at] == "\n" else at + 1
        position = at + 1
    return len(text)


def short_text(doc: str, headline: tuple[int, int]) -> int:
    """The end of `doc` when its text (after the headline doc[headline[0]:headline[1]]) has
    at most SHORT_TEXT characters and the headline at most SHORT_HEADLINE words outside square
    brackets, else 0. Such a headline is a label (a debate's agenda item, "Topical
    Questions"), and the text under it, a question or an answer of a few lines, has no room for
    a passing mention: it states the subject as a headline would (by a name of its own:
    by_name())."""
    if len(doc) - headline[1] > SHORT_TEXT:
        return 0
    text = doc[headline[1] :].strip()
    if not text or "\n" in text:
        return 0  # empty, or in paragraphs (a readout's one matter to each)
    words = _BRACKETED.sub(" ", doc[headline[0] : headline[1]]).split()
    return len(doc) if len(words) <= SHORT_HEADLINE else 0


_BRACKETED = re.compile(r"\[[^\]]*\]")


def by_name(
    entry: Entry, doc: str, spans: Sequence[tuple[int, int, object]], layout: Layout
) -> Layout:
    """`layout` as it weighs `entry`: a short text under a short headline (short_text()) is
    its subject only where the text names it by an alias that counts alone; one named there
    only by weak words (a place, a common word) that its context confirmed weighs as text
    ("trade experts" in an answer on a referendum's outcome)."""
    if layout.headline is None or not layout.lead_end or not entry.weak:
        return layout
    weak, key, body = entry.weak, cached_alias_key, layout.body_start
    if any(start >= body and key(doc[start:end]) not in weak for start, end, _ in spans):
        return layout
    return replace(layout, lead_end=0)


# what can end a sentence (sentences._BOUNDARY decides whether it does)
_MARK = re.compile("[.!?…\n]")


def marked(entry: Entry, doc: str, start: int, end: int) -> bool:
    """Whether one of the entry's time markers (`marker` in the vocabulary: "amid the
    pandemic") surrounds doc[start:end]; the caller drops such a mention outside the headline."""
    return any(compile_veto(pattern).applies(doc, start, end) for pattern in entry.markers)


def inside_name(doc: str, start: int, end: int) -> bool:
    """Whether doc[start:end] is part of the name of an institution, company or event: the
    capitalised words after it (at most three) end in an institution noun, or it follows
    "University of", "Bank of" and the like."""
    after = end
    while after < len(doc) and doc[after] in " \t":
        after += 1
    position = end
    if doc[after : after + 1] == "-" and doc[after + 1 : after + 2].isupper():
        after = position = after + 1  # a compound's next part: "Export-Import Bank"
    if after < len(doc) and doc[after].isupper():  # a capitalised word follows
        words = 0
        while words < 4:
            found = _WORD.match(doc, position)
            if found is None:
                break
            word = found.group(1)
            if not word[0].isupper():
                break
            if word.rstrip(".") in INSTITUTION_NOUNS:
                return True
            position, words = found.end(), words + 1
    lo = max(0, start - 80)
    if doc.find(" of ", lo, start) < 0 and not (doc[start].isupper() and _office(doc, lo, start)):
        return False  # the common case, decided without a regular expression
    found = _BEFORE_NAME.search(doc, lo, start)
    # an office "for" or "on" something names it only where it is written as a name
    return found is not None and (doc[start].isupper() or " of" in found.group())


def _office(doc: str, lo: int, start: int) -> bool:
    """Whether the last " for " or " on " in doc[lo:start] follows an office's or a body's
    title ("Commissioner for", "Committee on"): _BEFORE_NAME then decides."""
    for joint in (" for ", " on "):
        at = doc.rfind(joint, lo, start)
        if at > lo and doc[doc.rfind(" ", lo, at) + 1 : at] in _OFFICES:
            return True
    return False


# Words of a match or a tournament: a country named beside them is a team ("Ukraine (Group B)",
# "Taiwan's national team", "scored against Hong Kong in the qualifier"), not the country's
# issue. Read within SPORTS_WINDOW characters of a capitalised weak mention, in its paragraph.
SPORTS = re.compile(
    r"\((?:Group|Pool)\s+[A-Z0-9]\)|(?<![\w-])(?i:national\s+(?:team|side|squad)|"
    r"qualifiers?|qualifying\s+(?:round|match|group|campaign)|World\s+Cup|Euro\s+20\d\d|"
    r"striker|strikers|midfielder|goalkeeper|FIFA|UEFA|kick-off|goalless|"
    r"scored\s+(?:twice|(?:\w+\s+){0,2}(?:goals?|tries|runs|points))|"
    r"friendly\s+(?:match|game|international)|penalty\s+shootout|semi-?finals?|"
    r"quarter-?finals?|knockout\s+stage|group\s+stage|play-?offs?|Olympics?|Olympians?|"
    r"Paralympics?|medallists?|medalists?|athletes?|football|soccer|rugby|cricket|basketball|"
    r"volleyball|tennis|Davis\s+Cup|Grand\s+Prix)(?![\w-])"
)
# (not "friendly", "squad", "scored" or "medal" alone: friendly fire, a death squad, a
# diplomatic score, a soldier's medal)
SPORTS_WINDOW = 100


def as_team(doc: str, start: int, end: int, layout: Layout) -> bool:
    """Whether the capitalised mention doc[start:end] stands among the words of a match or a
    tournament (SPORTS, within SPORTS_WINDOW characters in its paragraph): a team's or an
    athlete's country."""
    lo, hi = layout.bounds(layout.paragraph(start), len(doc))
    return (
        SPORTS.search(doc, max(lo, start - SPORTS_WINDOW), min(hi, end + SPORTS_WINDOW)) is not None
    )


# A capitalised name ending just before a mention, with the comma of a list after it
# ("Malaysia, "), and a list's next item right after the mention (", Vietnam", " and Vietnam").
_ITEM_BEFORE = re.compile(r"(?<![\w-])[A-Z][\w'’.-]*,\s+(?:the\s+)?\Z")
_ITEM_AFTER = re.compile(r"(?:,\s+|\s+(?:and|or)\s+)(?:the\s+)?[A-Z]")


def in_list(doc: str, start: int, end: int, topics: Sequence[tuple[int, int]] = ()) -> bool:
    """Whether the capitalised mention doc[start:end] is an inner or last-but-one item of a
    list of names ("the Philippines, Brunei, Malaysia, Taiwan and Vietnam also have claims"):
    a place among places, whatever words of the entry's sense are near the list. A list whose
    neighbouring item is itself the mention of an issue (`topics`: other issues' spans) is a
    list of matters ("human rights, Xinjiang, Hong Kong, the South China Sea"), not of places."""
    before = _ITEM_BEFORE.search(doc, max(0, start - 40), start)
    if before is None:
        return False
    after = _ITEM_AFTER.match(doc, end)
    if after is None:
        return False
    item_start, item_end, next_start = before.start(), doc.rfind(",", 0, start), after.end() - 1
    return not any((a < item_end and item_start < b) or a <= next_start < b for a, b in topics)


@lru_cache(maxsize=1024)
def cue_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One expression finding any of `terms` on word boundaries; a term written with a
    capital matches as written, the others in any case."""
    if not terms:
        return None
    parts, unspaced = [], []
    for term in sorted(terms, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in term.split())
        if _UNSPACED.match(term):  # Chinese script: no spaces between words, no boundaries
            unspaced.append(body)
            continue
        parts.append(body if term != term.lower() else f"(?i:{body})")
    words = r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])" if parts else ""
    return re.compile("|".join(filter(None, (words, *unspaced))))


# Chinese and Japanese script, written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def cue_balance(entry: Entry, doc: str, start: int, end: int, layout: Layout) -> tuple[int, str]:
    """Cues minus anticues around doc[start:end] (within its paragraph and CUE_WINDOW), and a
    few words saying which were found; (0, "no cue") without looking for anticues when no cue
    stands there (the balance is then short of any positive `min_cues`)."""
    lo, hi = layout.bounds(layout.paragraph(start), len(doc))
    lo, hi = max(lo, start - CUE_WINDOW), min(hi, end + CUE_WINDOW)
    found = _near(cue_pattern(entry.cues), doc, lo, hi, start, end)
    name = doc[start].isupper()
    if not found and name and entry.min_cues > 0:
        # beside a name places count only with another cue, and anticues only take away:
        # the balance is short of min_cues whatever they are (the words are not shown then)
        return 0, "no cue"
    places = _near(cue_pattern(entry.place_cues), doc, lo, hi, start, end)
    if not name:  # a common word ("crackdown"): any cue
        found += places
        places = []
        if not found and entry.min_cues > 0:
            return 0, "no cue"
    against = _near(cue_pattern(entry.anticues), doc, lo, hi, start, end)
    words = ", ".join(dict.fromkeys(found)) or "no cue"
    if places:  # beside a name, places count only with another cue: a place among places
        words += ("; places: " if found else "; places alone: ") + ", ".join(dict.fromkeys(places))
    if against:
        words += "; against: " + ", ".join(dict.fromkeys(against))
    count = len(set(map(str.lower, found)))
    if count:
        count += len(set(map(str.lower, places)))
    return count - len(set(map(str.lower, against))), words


def _near(
    pattern: re.Pattern[str] | None, doc: str, lo: int, hi: int, start: int, end: int
) -> list[str]:
    """The matches of `pattern` in doc[lo:hi] that do not overlap doc[start:end]."""
    if pattern is None:
        return []
    return [
        m.group()
        for m in pattern.finditer(doc, lo, hi)
        if not (m.start() < end and start < m.end())
    ]


def uncued(
    entry: Entry, doc: str, spans: Sequence[tuple[int, int, object]], layout: Layout
) -> frozenset[int]:
    """The starts of the weak mentions of `entry` at `spans` with no cue of its sense near
    them (fewer than UNCUED_BELOW beyond the anticues, as cue_balance() counts them), or
    naming a team (as_team()): they do not add to the count. Each paragraph's cues are found
    once."""
    if not entry.weak:
        return frozenset()
    weak, key = entry.weak, cached_alias_key
    marked = [(start, end, key(doc[start:end]) in weak) for start, end, _ in spans]
    if not any(w for _, _, w in marked):
        return frozenset()
    if references([(a, b, None) for a, b, w in marked if not w]) >= COUNT_FULL:
        return frozenset()  # the count is full without them
    # (a place cue counts here as any cue: the count of an entry its sense already confirmed)
    cues = cue_pattern((*entry.cues, *entry.place_cues))
    anti = cue_pattern(entry.anticues)
    size = len(doc)
    by_paragraph: dict[int, list[tuple[int, int]]] = {}
    for start, end, is_weak in marked:
        if is_weak:
            by_paragraph.setdefault(layout.paragraph(start), []).append((start, end))
    out = []
    for index, weak_spans in by_paragraph.items():
        top, bottom = layout.bounds(index, size)
        # the paragraph's cues, read once over the windows of its weak mentions
        lo = max(top, weak_spans[0][0] - CUE_WINDOW)
        hi = min(bottom, weak_spans[-1][1] + CUE_WINDOW)
        found, against = _words(cues, doc, lo, hi), _words(anti, doc, lo, hi)
        for start, end in weak_spans:
            lo, hi = max(top, start - CUE_WINDOW), min(bottom, end + CUE_WINDOW)
            balance = len(
                {w for a, b, w in found if lo <= a and b <= hi and not (a < end and start < b)}
            ) - len(
                {w for a, b, w in against if lo <= a and b <= hi and not (a < end and start < b)}
            )
            if balance < UNCUED_BELOW or (
                doc[start].isupper()
                and SPORTS.search(
                    doc, max(top, start - SPORTS_WINDOW), min(bottom, end + SPORTS_WINDOW)
                )
            ):  # no cue, or a team's name: as_team()
                out.append(start)
    return frozenset(out)


# alias_key(), remembering the surface forms documents repeat ("Taiwan"); one cache for all
cached_alias_key: "Callable[[str], str]" = lru_cache(maxsize=4096)(alias_key)


def _words(
    pattern: re.Pattern[str] | None, doc: str, lo: int, hi: int
) -> list[tuple[int, int, str]]:
    """Where `pattern` matches in doc[lo:hi], with the match in lower case."""
    if pattern is None:
        return []
    return [(m.start(), m.end(), m.group().lower()) for m in pattern.finditer(doc, lo, hi)]


def salience(
    spans: Sequence[tuple[int, int, object]] | Sequence[tuple[int]],
    layout: Layout,
    skip: Collection[int] = (),
) -> float:
    """The score of an entry mentioned at `spans` (document offsets, ascending): headline,
    lede, count and spread over paragraphs, weighted (the hot path: no reasons kept). Spans
    with their ends ((start, stop, ...)) JOIN_GAP apart or less count as one reference;
    mentions starting at `skip` (uncued()) are not counted, and give no headline weight."""
    if layout.headline is None and len(layout.paragraph_starts) == 1:
        # one paragraph and no headline (most feed summaries): the lede and the count
        count = len(spans)  # (its lede runs to its end)
        grades = LEAD_SCORES if spans and spans[0][0] < layout.lead_end else SIMPLE_SCORES
        return grades[count if count < COUNT_FULL else COUNT_FULL]
    headline, starts = layout.headline, layout.paragraph_starts
    body, lede_end = layout.body_start, layout.lede_end
    head_from = headline[0] if headline is not None else body
    lead_end = layout.lead_end
    in_headline = in_lede = False
    paragraphs: set[int] = set()
    add = paragraphs.add
    count, reach = 0, -JOIN_GAP - 1  # references; where the last one ended
    for span in spans:  # one pass: where each mention is
        position = span[0]
        if position - reach > JOIN_GAP and not (skip and position in skip):
            count += 1
        if len(span) > 1:
            reach = span[1]
        if position < body:
            # a weak name without a cue of its sense in the headline ("a listing in Hong
            # Kong") is no headline topic, whatever the text confirms (uncued(): on the tuning
            # part 2 `about` tags fewer, both wrong, none right lost)
            if position >= head_from and not (skip and position in skip):
                in_headline = True
            continue
        if position < lede_end:
            in_lede = True
            if position < lead_end:  # the first sentence of a text without a headline
                in_headline = True
        add(bisect_right(starts, position))
    score = (W_HEADLINE if in_headline else 0.0) + (W_LEDE if in_lede else 0.0)
    if count > 1:
        score += W_COUNT * (1.0 if count >= COUNT_FULL else (count - 1) / (COUNT_FULL - 1))
    if len(starts) > 1:
        share = len(paragraphs) / len(starts)
        full = layout.spread_full
        score += W_SPREAD * (1.0 if share >= full else share / full)
    return round(score, 3) if score < 1.0 else 1.0  # three places: what JSON and tables show


# salience() of n mentions (index n, up to COUNT_FULL) in a lone paragraph that is the lede
SIMPLE_SCORES = tuple(
    round(min(1.0, W_LEDE + W_COUNT * min(1.0, max(n - 1, 0) / (COUNT_FULL - 1))), 3)
    for n in range(COUNT_FULL + 1)
)


# the same when the first mention is in the first sentence of a text without a headline
LEAD_SCORES = tuple(round(min(1.0, W_HEADLINE + score), 3) for score in SIMPLE_SCORES)


@lru_cache(maxsize=256)
def _common_cues(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    """cue_pattern() of the lower-case words among `cues` (common words, not names)."""
    return cue_pattern(tuple(c for c in cues if c == c.lower()))


def discussed(
    entry: Entry,
    doc: str,
    spans: Sequence[tuple[int, int, object]] | Sequence[tuple[int]],
    layout: Layout,
) -> tuple[str, ...]:
    """The different common words of `entry`'s matter (its lower-case `cues`, in lower case)
    that the body paragraphs naming it hold beside its own mentions at `spans`: an article
    that names trade and goes on about tariffs, exports, deficits, quotas and surpluses is
    about it. Empty when the entry has no such cue."""
    pattern = _common_cues(entry.cues)
    if pattern is None:
        return ()
    size = len(doc)
    # where each mention ends (a bare start stands for a one-character mention)
    names = [(span[0], span[1] if len(span) > 1 else span[0] + 1) for span in spans]
    words: dict[str, None] = {}
    for index in sorted({layout.paragraph(start) for start, _ in names}):
        if index < 0:  # the headline or a label: the body's discussion is what counts
            continue
        lo, hi = layout.bounds(index, size)
        for found in pattern.finditer(doc, lo, hi):
            a, b = found.span()
            if not any(start < b and a < end for start, end in names):
                words.setdefault(found.group().lower())
    return tuple(words)


def with_discussion(
    score: float,
    entry: Entry,
    doc: str,
    spans: Sequence[tuple[int, int, object]] | Sequence[tuple[int]],
    layout: Layout,
    skip: Collection[int] = (),
) -> float:
    """`score` (salience()) with W_DISCUSSED added when the tag is below `about`, named in
    DISCUSSED_REFERENCES references or more and discussed() in DISCUSSED_WORDS words or more
    (the hot path: a tag already `about`, named once, or of an entry without cues costs no
    search). A lone paragraph without a headline (a feed summary) keeps the score of its
    count."""
    if score >= ABOUT or not entry.cues or references(spans, skip) < DISCUSSED_REFERENCES:
        return score
    if layout.headline is None and len(layout.paragraph_starts) == 1:
        return score
    if len(discussed(entry, doc, spans, layout)) < DISCUSSED_WORDS:
        return score
    return min(1.0, round(score + W_DISCUSSED, 3))


def level_of(score: float) -> TagLevel:
    """`about` at or above the ABOUT threshold, else `mention`."""
    return "about" if score >= ABOUT else "mention"


def references(
    spans: Sequence[tuple[int, int, object]] | Sequence[tuple[int]], skip: Collection[int] = ()
) -> int:
    """How many references `spans` make: names JOIN_GAP apart or less are one ("Russia's war
    on Ukraine"); a mention starting at `skip` is none."""
    count, reach = 0, -JOIN_GAP - 1
    for span in spans:
        if span[0] - reach > JOIN_GAP and span[0] not in skip:
            count += 1
        if len(span) > 1:
            reach = span[1]
    return count


def assess(
    entry: Entry,
    spans: Sequence[tuple[int, int, object]] | Sequence[tuple[int]],
    layout: Layout,
    confirmed: str | None,
    skip: Collection[int] = (),
    doc: str = "",
) -> Assessment:
    """The level and score of `entry` from where it is mentioned (`spans`: (start, stop, ...)
    or (start,), ascending; `skip`: the starts of weak mentions without context, uncued()),
    with the reasons: each part of the score with what it adds (salience() computes the
    same sum, and with_discussion() adds a discussion in the words of `doc`, the document
    the offsets point into, when it is given)."""
    plain = round(salience(spans, layout, skip), 3)
    score = with_discussion(plain, entry, doc, spans, layout, skip) if doc else plain
    starts = [span[0] for span in spans]
    paragraphs = {layout.paragraph(p) for p in starts}
    body = [p for p in paragraphs if p >= 0]
    total = len(layout.paragraph_starts)
    count = len(starts)
    simple = layout.headline is None and total == 1
    counted = count if simple else references(spans, skip)
    reasons = []
    if -2 in paragraphs:
        reasons.append("before the headline (a series label or kicker) +0.00")
    if any(layout.paragraph(p) == -1 and p not in skip for p in starts):
        reasons.append(f"in the headline {W_HEADLINE:+.2f}")
    elif -1 in paragraphs:
        reasons.append("in the headline as a word without context there +0.00")
    elif layout.headline is not None and any(
        layout.body_start <= p < layout.lead_end for p in starts
    ):
        reasons.append(f"in a short text under a short headline {W_HEADLINE:+.2f}")
    elif any(p < layout.lead_end for p in starts):
        reasons.append(f"in the first sentence or a short text (no headline) {W_HEADLINE:+.2f}")
    if any(layout.body_start <= p < layout.lede_end for p in starts):
        reasons.append(f"in the lede {W_LEDE:+.2f}")
    repeated = 0.0 if counted < 2 else W_COUNT * min(1.0, (counted - 1) / (COUNT_FULL - 1))
    reasons.append(
        f"{count} mention{'s' if count != 1 else ''}"
        + (f" in {counted} reference{'s' if counted != 1 else ''}" if counted != count else "")
        + (f" ({len(skip)} without context)" if skip and not simple else "")
        + (f" {repeated:+.2f}" if repeated else "")
    )
    if total > 1:
        spread = W_SPREAD * min(1.0, len(body) / total / layout.spread_full)
        parts = "blocks of sentences (no paragraph breaks)" if layout.blocks else "paragraphs"
        reasons.append(f"in {len(body)} of {total} {parts} {spread:+.2f}")
    if score > plain:
        words = discussed(entry, doc, spans, layout)
        reasons.append(
            f"discussed in {len(words)} words of its matter ({', '.join(words)}) {W_DISCUSSED:+.2f}"
        )
    if confirmed is not None:
        reasons.append(confirmed)
    reasons.append(f"score {score:.2f} {'>=' if score >= ABOUT else '<'} {ABOUT} for about")
    return Assessment(level_of(score), score, count, tuple(reasons))
