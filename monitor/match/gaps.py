"""Alias gaps: phrases texts use for an issue the vocabulary has, but that none of its aliases
match ("semiconductor trade restrictions" for export controls).

An issue's topic words are the stems of its aliases' content words (aliases that are names,
"Jimmy Lai", lend none), the common words of its name at half weight, and a few cue words news
uses around it (CUES); a word shared by n issues weighs 1/n for each. A phrase is 2-5 content
words inside one clause, without a finite verb or relative pronoun, starting and ending with a
topic word of its issue (or a "to VERB ... from being X" frame), with a lower-case content word
(not a name like "Secret Service"), whose issue leads on weight (MIN_SCORE at least, MIN_DENSITY
per other content word). It is an alias gap unless it already is an alias or the matcher finds
its issue there. Of a phrase and a longer one holding it seen as often, the longer is kept: it
is the expression the texts use.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from monitor.match.matcher import Matcher, Mention
from monitor.match.phrases import Spans, Word, clauses, is_function, key, stem, word_set
from monitor.vocab.model import Entry, Vocabulary

MIN_WORDS, MAX_WORDS, MAX_SPAN = 2, 5, 8  # content words of a phrase; words in all
MIN_SCORE = 1.5  # two topic words of the issue, or one and a shared one
MIN_DENSITY = 0.5  # weight per content word that is not GENERIC
NAME_WEIGHT = 0.5

# Words of issue aliases that say nothing about the issue on their own: places and peoples
# every story names, and words of every subject ("policy" of "one-China policy").
GENERIC = frozenset(
    stem(w)
    for w in word_set("""
china chinese beijing u.s. usa america american americans united states state britain british
briton britons uk u.k. england english london washington west western east eastern south
north world global international national officials official policy act law deal plan held
support access market economic base line list use goods relations incident record security
talks cooperation agreement tensions model models large language learning safety frontier
capabilities gathering agency agencies communities target targeting operation arrest long arm
exit exchange diplomacy military defense defence ministers met principle second one change
crisis against party democratic progressive movement daily joint section organization centres
centers education training prevention
""")
)

# Words a phrase never holds: relative pronouns and finite verbs make a clause, not a name
# for an issue ("activists who were marching").
CLAUSE_WORDS = word_set("""
who whom whose which that is are was were been has have had will would could should can may
might must do does did said says
""")

# Cue words of each bundled issue: what news says around it besides its aliases. Capitalised
# cues are proper nouns: they count where written with a capital inside a sentence.
CUES: dict[str, tuple[str, ...]] = {
    "artificial-intelligence": (
        "chatbot",
        "chatbots",
        "algorithm",
        "algorithms",
        "neural",
        "OpenAI",
    ),
    "climate-change": (
        "fossil",
        "fuel",
        "fuels",
        "pollution",
        "planet-warming",
        "warming",
        "decarbonisation",
        "decarbonization",
        "renewable",
        "renewables",
        "coal",
        "emission",
        "climate",
        "heat-trapping",
    ),
    "covid-19": ("vaccine", "vaccines", "lockdown", "lockdowns", "virus", "outbreak"),
    "cyber": ("hack", "hacks", "breach", "breaches", "intrusion", "intrusions", "phishing"),
    "detained-citizens": ("detainee", "detainees", "jailed", "imprisonment", "sentenced"),
    "espionage-surveillance": (
        "stealing",
        "steal",
        "stole",
        "stolen",
        "theft",
        "spy",
        "spying",
        "agent",
        "agents",
        "intelligence",
        "secrets",
        "surveil",
    ),
    "export-controls": (
        "semiconductor",
        "semiconductors",
        "chip",
        "chips",
        "chipmaker",
        "chipmakers",
        "technology",
        "technologies",
        "tech",
        "sanction",
        "sanctions",
        "blacklist",
        "blacklisted",
        "restriction",
        "restrictions",
        "firms",
        "licence",
        "license",
    ),
    "fentanyl": ("overdose", "overdoses", "narcotic", "smuggling", "traffickers"),
    "hong-kong": ("Hongkongers",),
    "human-rights": (
        "freedom",
        "freedoms",
        "media",
        "press",
        "rights",
        "persecution",
        "crackdown",
        "dissent",
        "activist",
        "activists",
    ),
    "military-communication": ("hotlines", "communications", "deconfliction"),
    "russia-ukraine-war": (
        "Ukraine",
        "Ukrainian",
        "Kyiv",
        "Russia",
        "Russian",
        "Kremlin",
        "fighting",
        "forces",
        "troops",
        "frontline",
        "offensive",
        "shelling",
        "war",
    ),
    "south-china-sea": (
        "sea",
        "seas",
        "East",
        "reef",
        "reefs",
        "shoal",
        "shoals",
        "islands",
        "coast",
        "guard",
        "maritime",
        "navigation",
    ),
    "taiwan": ("Taipei", "strait", "reunification", "independence"),
    "trade": ("tariff", "tariffs", "trade", "imports", "exports", "dumping"),
    "transnational-repression": (
        "diaspora",
        "dissident",
        "dissidents",
        "exiles",
        "exiled",
        "intimidating",
        "intimidate",
        "intimidation",
        "harassing",
        "harassment",
        "spying",
        "MP",
        "MPs",
        "lawmaker",
        "lawmakers",
        "bounty",
        "bounties",
        "repression",
    ),
    "xinjiang": ("Uyghur", "Uyghurs", "Uighur", "Uighurs", "camps"),
}


@dataclass(slots=True)
class AliasGap:
    """A phrase proposed as a new alias of an existing issue."""

    issue: str
    text: str
    count: int
    score: float
    example: str
    forms: Counter[str] = field(default_factory=Counter)


class TopicWords:
    """Each issue's topic words with their weights, and which of them are proper nouns."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        owners: dict[str, set[str]] = defaultdict(set)
        named: dict[str, set[str]] = defaultdict(set)
        self.proper: set[str] = set()
        for entry in vocabulary.entries:
            if entry.kind == "issue":
                for word in self._entry_words(entry):
                    owners[word].add(entry.id)
                for word in _words(entry.name):
                    if stem(word) in GENERIC:
                        named[stem(word)].add(entry.id)
                        self.proper.add(stem(word))
        self.weights: dict[str, dict[str, float]] = {
            word: {issue: 1 / len(issues) for issue in issues} for word, issues in owners.items()
        }
        for word, issues in named.items():  # "China" of South China Sea, at half weight
            for issue in issues:
                self.weights.setdefault(word, {})[issue] = NAME_WEIGHT / len(issues)

    def _entry_words(self, entry: Entry) -> set[str]:
        out: set[str] = set()
        for alias in entry.aliases:
            words = _words(alias.text)
            if len(words) > 1 and all(w[0].isupper() or is_function(w) for w in words):
                continue  # a name: its words are not topic words ("Jimmy Lai", "Fox Hunt")
            for word in words:
                if not is_function(word.lower()) and stem(word) not in GENERIC:
                    out.add(stem(word))
                    if word[0].isupper():
                        self.proper.add(stem(word))
        for cue in CUES.get(entry.id, ()):  # chosen on purpose: GENERIC words too ("East")
            out.add(stem(cue))
            if cue[0].isupper():
                self.proper.add(stem(cue))
        return out

    def best(self, stems: Iterable[str]) -> tuple[str, float] | None:
        """The issue these stems speak for, with its weight, when it clearly leads."""
        scores: dict[str, float] = defaultdict(float)
        for word in set(stems):
            for issue, weight in self.weights.get(word, {}).items():
                scores[issue] += weight
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        if ranked[0][1] < MIN_SCORE or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
            return None
        return ranked[0]

    def of(self, word: Word, first: bool) -> str:
        """The topic stem a word of running text counts with ("" for none): a capitalised
        word inside a clause counts only as a proper noun ("Secret" of Secret Service not)."""
        found = stem(word.lower)
        if found not in self.weights:
            return ""
        if not first and word.text[:1].isupper() and found not in self.proper:
            return ""
        return found


def _words(text: str) -> list[str]:
    return [w.text for clause in clauses(text) for w in clause]


def alias_gaps(
    texts: Sequence[str],
    matcher: Matcher,
    *,
    min_count: int = 2,
    per_issue: int = 10,
    check: Callable[[], None] = lambda: None,
) -> list[AliasGap]:
    """Phrases of `texts` seen at least `min_count` times that name an existing issue the
    matcher misses there; at most `per_issue` per issue, most frequent first. `check` is
    called now and then (a deadline's check raises to stop)."""
    counter = GapCounter(matcher.vocabulary)
    for text in texts:
        counter.add(text, matcher.mentions(text), clauses(text), check)
    return counter.gaps(min_count=min_count, per_issue=per_issue)


class GapCounter:
    """Alias gaps counted text by text, from the mentions and clauses a caller already has
    (`vocab suggest` reads each text once for its gaps and its new entries)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.topics = TopicWords(vocabulary)
        self.aliases = {key(a.text) for e in vocabulary.entries for a in e.aliases}
        self.found: dict[str, AliasGap] = {}

    def add(
        self,
        text: str,
        mentions: Iterable[Mention],
        words: Iterable[list[Word]],
        check: Callable[[], None] = lambda: None,
    ) -> None:
        """Count the gaps of one text: its matcher mentions and its clauses."""
        spans = _issue_spans(mentions)
        for n, clause in enumerate(words):
            if n % 64 == 0:
                check()
            _Clause(text, clause, self.topics).collect(spans, self.aliases, self.found)

    def gaps(self, *, min_count: int = 2, per_issue: int = 10) -> list[AliasGap]:
        """The gaps seen at least `min_count` times, at most `per_issue` per issue."""
        kept = _closed([g for g in self.found.values() if g.count >= min_count])
        by_issue: dict[str, list[AliasGap]] = defaultdict(list)
        for gap in kept:
            gap.text = _surface(gap.forms)
            by_issue[gap.issue].append(gap)
        out: list[AliasGap] = []
        for issue in sorted(by_issue):
            ranked = sorted(by_issue[issue], key=lambda g: (-g.count, -g.score, g.text))
            out.extend(ranked[:per_issue])
        return out


def _issue_spans(mentions: Iterable[Mention]) -> dict[str, Spans]:
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for mention in mentions:
        if mention.entry.kind == "issue":
            spans[mention.entry.id].append((mention.start, mention.end))
    return {issue: Spans(found) for issue, found in spans.items()}


class _Clause:
    """One clause's words with what each counts for."""

    def __init__(self, text: str, words: list[Word], topics: TopicWords) -> None:
        self.text, self.words, self.topics = text, words, topics
        self.lowers = [w.lower for w in words]
        self.content = [not is_function(w) for w in self.lowers]
        # A capital opening the clause may just open a sentence, unless a name goes on
        # ("Secret Service agents").
        opening = len(words) == 1 or not words[1].text[:1].isupper()
        self.stems = [
            topics.of(w, i == 0 and opening) if c else ""
            for i, (w, c) in enumerate(zip(words, self.content, strict=True))
        ]

    def collect(
        self, mentions: dict[str, Spans], aliases: set[str], found: dict[str, AliasGap]
    ) -> None:
        """Count every phrase of this clause that is an alias gap."""
        for i, j, issue, score in self.phrases():
            start, end = self.words[i].start, self.words[j].end
            if issue in mentions and mentions[issue].overlaps(start, end):
                continue  # the matcher already finds this issue here
            surface = self.text[start:end]
            phrase_key = key(surface)
            if phrase_key in aliases:
                continue
            gap = found.get(phrase_key)
            if gap is None:
                gap = found[phrase_key] = AliasGap(
                    issue, surface, 0, score, _around(self.text, start, end)
                )
            gap.count += 1
            gap.forms[" ".join(surface.split())] += 1

    def phrases(self) -> Iterable[tuple[int, int, str, float]]:
        """(first word, last word, issue, weight) of each phrase of the clause."""
        lowers, content, stems = self.lowers, self.content, self.stems
        for i in range(len(lowers)):
            if not content[i] or not any(stems[i : i + MAX_SPAN]):
                continue
            words = 0
            for j in range(i, min(len(lowers), i + MAX_SPAN)):
                if lowers[j] in CLAUSE_WORDS or (
                    j > i and lowers[j] == "to" and lowers[j - 1] in ("and", "or")
                ):
                    break  # a clause, or two phrases joined ("firms and to heighten ...")
                words += content[j]
                if words > MAX_WORDS:
                    break
                if words < MIN_WORDS or not content[j] or lowers[j].endswith(("'s", "'")):
                    continue
                best = self.topics.best(s for s in stems[i : j + 1] if s)
                if best is not None and self._shaped(i, j, *best):
                    yield i, j, *best

    def _shaped(self, i: int, j: int, issue: str, score: float) -> bool:
        """Topic words at both ends (or a purpose frame), a lower-case content word, and
        topic words not lost among others."""
        weights = self.topics.weights
        ends = all(issue in weights.get(self.stems[k], ()) for k in (i, j))
        if not ends and not _frame(self.lowers, i, j):
            return False
        span = range(i, j + 1)
        if not any(self.content[k] and self.words[k].text.islower() for k in span):
            return False
        plain = sum(1 for k in span if self.content[k] and stem(self.lowers[k]) not in GENERIC)
        return score >= MIN_DENSITY * plain


def _frame(lowers: Sequence[str], i: int, j: int) -> bool:
    """`to VERB ... from being X`: "prevent advanced U.S. technologies from being used"
    names the issue by its purpose, with verbs at both ends."""
    return i > 0 and lowers[i - 1] == "to" and lowers[i + 1 : j][-2:] == ["from", "being"]


def _closed(gaps: list[AliasGap]) -> list[AliasGap]:
    """Drop a phrase held in a longer one seen as often (the longer is the expression)."""
    keys = {key(g.text): g for g in gaps}
    out = []
    for gap in gaps:
        mine = f" {key(gap.text)} "
        if not any(
            other is not gap and other.count == gap.count and mine in f" {k} "
            for k, other in keys.items()
        ):
            out.append(gap)
    return out


def _surface(forms: Counter[str]) -> str:
    """The commonest way the phrase was written, in lower case where it began a sentence."""
    best = max(forms.items(), key=lambda item: (item[1], item[0][:1].islower()))[0]
    first, _, rest = best.partition(" ")
    if first[:1].isupper() and first[1:].islower() and any(f[:1].islower() for f in forms):
        return f"{first.lower()} {rest}"
    return best


def _around(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 60) : end + 60].split())
