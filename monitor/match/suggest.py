"""Propose vocabulary changes from texts: titled people, recurring names and topic phrases the
vocabulary lacks, and alias gaps of the issues it has (monitor.match.gaps)."""

import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from monitor.errors import MonitorError
from monitor.match.gaps import AliasGap, GapCounter, TopicWords
from monitor.match.matcher import Matcher
from monitor.match.phrases import FUNCTION, Spans, Word, clauses, key, stem, word_set
from monitor.match.sentences import title_case

# A name word: a capital, then lower-case letters, apostrophes or hyphenated parts
# ("Jean-Pierre", "O'Brien").
_WORD = r"[A-Z][a-z'’]+(?:-[A-Z]?[a-z'’]+)*"
_TITLE_WORDS = (
    r"(?:Foreign|Prime|Defen[cs]e|Commerce|Trade|Finance|Public\s+Security|Home|Interior|"
    r"Justice|Treasury|Vice|Deputy|Assistant|Chief)?\s*"
    r"(?:Minister|Secretary(?:\s+of\s+State)?|President|Premier|Ambassador|Chancellor|Senator|"
    r"Sen\.|Rep\.|Governor|Director|Chairman|Chairwoman|Chair|General|Admiral|Commissioner|"
    r"Mayor|[Ss]pokes(?:person|man|woman)|[Ee]nvoy|[Aa]dviser|[Ll]awmaker|CEO|[Ff]ounder)"
)
_TITLED = re.compile(
    # up to two words before the title ("Chinese", "U.S."), none ending a sentence
    rf"(?P<title>(?:\b(?:(?:[A-Z]\.){{2,}}|[A-Z][\w'’-]*)\s+){{0,2}}{_TITLE_WORDS})"
    rf"\s+(?P<name>{_WORD}(?:\s+{_WORD}){{1,3}})\b"
)
_CAPS = re.compile(rf"\b{_WORD}(?:\s+(?:of|and|for|on|the|de|van|von)?\s*{_WORD}){{1,4}}\b")
_ORG_WORDS = re.compile(
    r"\b(?:Ministry|Department|Council|Agency|Committee|Party|Institute|Bank|"
    r"Group|Office|Commission|University|Association|Corp|Company|News|"
    r"Times|Daily|Fund|Foundation|Organi[sz]ation|Court|Parliament|Congress|"
    r"Senate|Army|Navy|Force|Forum|Club|Chamber|Centre|Center|Board|Union|Alliance|"
    r"Coalition|Federation|League|Society|Trust|Authority|Administration|Bureau|Services?|"
    r"Corporation|Inc|Ltd|Airlines|Airways|Networks?|Museum|School|College|Hospital|"
    r"Assembly|Embassy|Post|Review|Journal|Herald|Tribune|Caucus|Conference|Records|"
    r"Entertainment|Stadium|Archive|Command|Brigade|Police|Guard|Guild|International)\b"
)
# Words of a post or an honorific: never part of a person's name ("Secretary General Antonio
# Guterres" is Antonio Guterres; "Attorney General" and "Press Secretary" are nobody).
TITLES = word_set("""
minister ministers secretary secretaries president presidents premier ambassador chancellor
senator senators sen rep representative representatives governor director chairman chairwoman
chair general admiral commissioner mayor spokesperson spokesman spokeswoman envoy adviser
advisor lawmaker lawmakers ceo founder deputy vice chief prime foreign defense defence commerce
trade finance home interior justice treasury state assistant attorney press speaker judge king
queen prince princess dame sir lord lady mr mrs ms dr prof professor officer leader head
executive counsellor councillor consul commander colonel captain lieutenant sergeant inspector
pope cardinal bishop reverend senior national security public of the and for on
counsel host anchor editor correspondent manager coach actor actress nominee candidate
republican republicans democrat democrats chiefs gen lt col sgt capt cmdr adm gov rev
""")
# Titles of people: an organisation's name never holds them ("... and Foreign Minister").
PERSON_TITLES = word_set("""
minister ministers secretary secretaries president presidents premier ambassador chancellor
senator governor chairman chairwoman spokesperson spokesman spokeswoman envoy adviser advisor
lawmaker ceo founder mr mrs ms dr
""")
# Capitalised words that name no actor: calendar words, places and things named like people.
_NOT_NAMES = word_set("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december bay park river island islands street road
square lake mountain valley day palace house hall station airport bridge city province region
county district act order law bill briefing report strategy initiative program programme
project war sea new people ocean gulf coast strait peninsula desert harbour harbor port beach
canal reef published olympics games cup show
""")
_SENTENCE_STARTERS = word_set("""
The A An In On At But And Or For As If When While After Before This That These Those It He She
They We I Our His Her Their Its Since Despite During Meanwhile However Although Though Also
Still Yet So Then Now Today Yesterday Last Next First Second Third My Your Former Several
From Many Some Most Both All Each Every Other Another Even Only Why What How Where Who Here
There Once Until Under With Without Among Between Through Unlike By To Of
""")
_POSSESSIVE = re.compile(r"['’]s?$")
_PHRASE_STOP = FUNCTION | {"people", "include", "includes", "per", "cent"}


@dataclass(slots=True)
class Suggestion:
    """A proposed new entry with the evidence for it."""

    section: str  # person, organization, issue
    name: str
    count: int
    example: str
    title: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The CONTRACT slug of the name (accents folded)."""
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", self.name) if not unicodedata.combining(c)
        ).lower()
        return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", plain)).strip("-")


@dataclass(frozen=True, slots=True)
class Suggestions:
    """New entries, and alias gaps of existing issues."""

    entries: list[Suggestion]
    gaps: list[AliasGap]


def person_name(words: Sequence[str]) -> str | None:
    """A person's name from capitalised words: titles and honorifics before it dropped, a
    possessive cut; None when what is left is not two to four name words."""
    out = list(words)
    while out and (out[0].lower() in TITLES or out[0] in _SENTENCE_STARTERS):
        out.pop(0)
    if out:
        out[-1] = re.sub(r"['’]s?$", "", out[-1])
    if not 2 <= len(out) <= 4 or any(w.lower() in TITLES or w.lower() in _NOT_NAMES for w in out):
        return None
    return " ".join(out)


class SuggestTimeout(MonitorError):
    """`suggest` ran past its deadline."""


def _clock(deadline: float | None) -> Callable[[], None]:
    """A check that raises SuggestTimeout once time.monotonic() passes `deadline`."""

    def check() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise SuggestTimeout("suggestions ran past their time limit")

    return check


def suggest(
    texts: Sequence[str],
    matcher: Matcher,
    *,
    min_count: int = 2,
    max_phrases: int = 15,
    deadline: float | None = None,
) -> Suggestions:
    """What the vocabulary lacks: people introduced with a title (once is enough), other
    capitalised names seen `min_count` times, topic phrases seen max(3, min_count) times as
    new issues, and phrases seen `min_count` times that name an existing issue the matcher
    misses (alias gaps). Every proposed id is new and proposed once. Past `deadline` (a
    time.monotonic() value) it raises SuggestTimeout."""
    check = _clock(deadline)
    known = {e.id for e in matcher.vocabulary.entries}
    counter = GapCounter(matcher.vocabulary)
    people: dict[str, Suggestion] = {}
    names: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for text in texts:
        check()
        mentions = matcher.mentions(text)
        words = clauses(text)
        counter.add(text, mentions, words, check)
        spans = Spans((m.start, m.end) for m in mentions)
        _titled(text, spans, people)
        _count_names(text, spans, names, examples, check)
        _count_phrases(text, words, spans, phrases, examples, check)
    gaps = counter.gaps(min_count=min_count)
    out = list(people.values())
    for name, count in names.most_common():
        if count < min_count or any(name in s.name or s.name in name for s in out):
            continue
        if _ORG_WORDS.search(name):
            if not any(w.lower() in PERSON_TITLES for w in name.split()):
                out.append(Suggestion("organization", name, count, examples[name]))
        elif (person := person_name(name.split())) is not None and person == name:
            out.append(Suggestion("person", name, count, examples[name]))
    out.extend(_topics(phrases, examples, gaps, counter.topics, max(3, min_count), max_phrases))
    seen = set(known)
    unique = []
    for suggestion in out:  # a known alias the matcher left out here (a veto) is no news
        if (
            suggestion.id
            and suggestion.id not in seen
            and (key(suggestion.name) not in counter.aliases)
        ):
            seen.add(suggestion.id)
            unique.append(suggestion)
    return Suggestions(unique, gaps)


def _count_names(
    text: str,
    spans: Spans,
    names: Counter[str],
    examples: dict[str, str],
    check: Callable[[], None],
) -> None:
    """Runs of capitalised words outside mentions and headlines, titles and sentence
    openers cut off: candidate names."""
    headings = Spans(_title_case_lines(text))
    for n, found in enumerate(_CAPS.finditer(text)):
        if n % 256 == 0:
            check()
        if spans.overlaps(found.start(), found.end()) or headings.overlaps(
            found.start(), found.end()
        ):
            continue
        words = found.group().split()
        owners = [i for i, w in enumerate(words[:-1]) if _POSSESSIVE.search(w)]
        if owners:  # "Cleveland's Emmanuel Clase": the name follows the owner
            words = words[owners[-1] + 1 :]
        while words and (words[0] in _SENTENCE_STARTERS or words[0].lower() in TITLES):
            words.pop(0)
        while words and words[-1].islower():
            words.pop()
        if len(words) < 2:
            continue
        name = " ".join(words)
        name = re.sub(r"['’]s$", "", name)
        names[name] += 1
        if name not in examples:  # the first sighting is the example
            examples[name] = _around(text, found.start(), found.end())


def _title_case_lines(text: str) -> list[tuple[int, int]]:
    """Lines written in Title Case (headlines, captions): their capitals name nobody."""
    out = []
    for found in re.finditer(r"[^\n]+", text):
        if title_case(found.group()):
            out.append((found.start(), found.end()))
    return out


def _titled(text: str, spans: Spans, people: dict[str, Suggestion]) -> None:
    """People introduced with a title: "Defense Minister Dong Jun"."""
    for found in _TITLED.finditer(text):
        words = found.group("name").split()
        title = found.group("title").split()
        while words and words[0].lower() in TITLES:  # "Secretary General Antonio Guterres"
            title.append(words.pop(0))
        name = person_name(words)
        start = found.end("name") - len(" ".join(words))
        if name is None or spans.overlaps(start, found.end("name")):
            continue
        entry = people.setdefault(
            name,
            Suggestion(
                "person", name, 0, _around(text, found.start(), found.end()), " ".join(title)
            ),
        )
        entry.count += 1


def _topics(
    phrases: Counter[str],
    examples: dict[str, str],
    gaps: Sequence[AliasGap],
    topics: TopicWords,
    threshold: int,
    limit: int,
) -> list[Suggestion]:
    """New issues from recurring topic phrases; a phrase that speaks for an existing issue is
    an alias gap of it, not a new issue."""
    taken = {key(g.text) for g in gaps}
    out: list[Suggestion] = []
    for phrase, count in phrases.most_common(limit * 3):
        if count < threshold or len(out) >= limit or key(phrase) in taken:
            continue
        words = phrase.split()
        if topics.best(stem(w) for w in words) is not None or any(w in TITLES for w in words):
            continue  # an existing issue's alias gap, or a post ("prime minister")
        out.append(Suggestion("issue", phrase, count, examples[phrase]))
    return out


def _count_phrases(
    text: str,
    words: list[list[Word]],
    spans: Spans,
    phrases: Counter[str],
    examples: dict[str, str],
    check: Callable[[], None] = lambda: None,
) -> None:
    """Two- and three-word phrases written in lower case (common words, not names), from
    the text's clauses."""
    for n, clause in enumerate(words):
        if n % 64 == 0:
            check()
        # a phrase's words: lower case, three letters or more, no initialism ("u.s.")
        fit = [w.text.islower() and len(w.text) >= 3 and "." not in w.text for w in clause]
        lowers = [w.lower if ok else "" for w, ok in zip(clause, fit, strict=True)]
        for size in (2, 3):
            for i in range(len(clause) - size + 1):
                last = i + size - 1
                if not all(fit[i : last + 1]):
                    continue
                if lowers[i] in _PHRASE_STOP or lowers[last] in _PHRASE_STOP:
                    continue
                start, end = clause[i].start, clause[last].end
                if spans.overlaps(start, end):
                    continue
                phrase = " ".join(lowers[i : last + 1])
                phrases[phrase] += 1
                if phrase not in examples:
                    examples[phrase] = _around(text, start, end)


def _around(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 60) : end + 60].split())
