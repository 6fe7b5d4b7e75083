"""Propose vocabulary entries from texts: titled people, recurring names and topic phrases."""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.match.matcher import Matcher

_TITLE_WORDS = (
    r"(?:Foreign|Prime|Defen[cs]e|Commerce|Trade|Finance|Public\s+Security|Home|Interior|"
    r"Justice|Treasury|Vice|Deputy|Assistant|Chief)?\s*"
    r"(?:Minister|Secretary(?:\s+of\s+State)?|President|Premier|Ambassador|Chancellor|Senator|"
    r"Sen\.|Rep\.|Governor|Director|Chairman|Chairwoman|Chair|General|Admiral|Commissioner|"
    r"Mayor|[Ss]pokes(?:person|man|woman)|[Ee]nvoy|[Aa]dviser|[Ll]awmaker|CEO|[Ff]ounder)"
)
_NAME = r"(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){1,2})"
_TITLED = re.compile(rf"(?P<title>(?:\b[A-Z][\w'’.-]*\s+){{0,2}}{_TITLE_WORDS})\s+{_NAME}\b")
_CAPS = re.compile(
    r"\b[A-Z][a-z'’-]+(?:\s+(?:of|and|for|on|the|de|van|von)?\s*[A-Z][a-z'’-]+){1,4}\b"
)
_ORG_WORDS = re.compile(
    r"\b(?:Ministry|Department|Council|Agency|Committee|Party|Institute|Bank|"
    r"Group|Office|Commission|University|Association|Corp|Company|News|"
    r"Times|Daily|Fund|Foundation|Organi[sz]ation|Court|Parliament|Congress|"
    r"Senate|Army|Navy|Force|Forum|Club|Chamber|Centre|Center|Board|Union)\b"
)
_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "said",
        "says",
        "say",
        "told",
        "tell",
        "according",
        "also",
        "would",
        "could",
        "including",
        "include",
        "new",
        "one",
        "two",
        "three",
        "first",
        "last",
        "year",
        "years",
        "week",
        "weeks",
        "day",
        "days",
        "time",
        "times",
        "mr",
        "ms",
        "people",
        "percent",
        "per",
        "cent",
    ]
)
_SENTENCE_STARTERS = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "But",
        "And",
        "Or",
        "For",
        "As",
        "If",
        "When",
        "While",
        "After",
        "Before",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "Our",
        "His",
        "Her",
        "Their",
        "Its",
        "Since",
        "Despite",
        "During",
        "Meanwhile",
        "However",
        "Although",
        "Though",
        "Also",
        "Still",
        "Yet",
        "So",
        "Then",
        "Now",
        "Today",
        "Yesterday",
        "Last",
        "Next",
        "First",
        "Second",
        "Third",
        "Ambassador",
        "President",
        "Minister",
        "Secretary",
    ]
)

# Family name first: the short form of "Zhao Leji" is "Zhao".
_CHINESE_SURNAMES = frozenset(
    [
        "Wang",
        "Li",
        "Zhang",
        "Liu",
        "Chen",
        "Yang",
        "Huang",
        "Zhao",
        "Wu",
        "Zhou",
        "Xu",
        "Sun",
        "Ma",
        "Zhu",
        "Hu",
        "Guo",
        "He",
        "Gao",
        "Lin",
        "Luo",
        "Zheng",
        "Liang",
        "Xie",
        "Song",
        "Tang",
        "Han",
        "Feng",
        "Deng",
        "Cao",
        "Peng",
        "Zeng",
        "Xiao",
        "Tian",
        "Dong",
        "Yuan",
        "Pan",
        "Yu",
        "Jiang",
        "Cai",
        "Jia",
        "Ding",
        "Wei",
        "Xue",
        "Ye",
        "Yan",
        "Lu",
        "Du",
        "Dai",
        "Xia",
        "Zhong",
        "Fu",
        "Qin",
        "Shen",
        "Cheng",
        "Ren",
        "Lei",
        "Qian",
        "Xi",
        "Hua",
        "Kong",
        "Bai",
        "Cui",
        "Kang",
        "Mao",
        "Qiu",
        "Shi",
        "Gu",
        "Hou",
        "Shao",
        "Meng",
        "Long",
        "Wan",
        "Duan",
        "Qi",
        "Tan",
        "Yin",
        "Lai",
        "Geng",
        "Fan",
        "Fang",
    ]
)


@dataclass(slots=True)
class Suggestion:
    """A proposed entry with the evidence for it."""

    section: str  # person, organization, issue
    name: str
    count: int
    example: str
    title: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The CONTRACT slug of the name."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower().replace("'", "")).strip("-")


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def suggest(
    texts: Sequence[str], matcher: Matcher, *, min_count: int = 2, max_phrases: int = 15
) -> list[Suggestion]:
    """Entries the vocabulary lacks: people introduced with a title (once is enough), other
    capitalised names seen `min_count` times, topic phrases seen max(3, min_count) times."""
    known = {e.id for e in matcher.vocabulary.entries}
    people: dict[str, Suggestion] = {}
    names: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for text in texts:
        spans = [(m.start, m.end) for m in matcher.mentions(text)]
        for found in _TITLED.finditer(text):
            name = found.group("name")
            if _covered(spans, found.start("name"), found.end("name")):
                continue
            entry = people.setdefault(
                name,
                Suggestion(
                    "person", name, 0, _around(text, found), " ".join(found.group("title").split())
                ),
            )
            entry.count += 1
        for found in _CAPS.finditer(text):
            words = found.group().split()
            while words and words[0] in _SENTENCE_STARTERS:
                words.pop(0)
            while words and words[-1].islower():
                words.pop()
            if len(words) < 2 or _covered(spans, found.start(), found.end()):
                continue
            name = " ".join(words)
            names[name] += 1
            examples.setdefault(name, _around(text, found))
        _count_phrases(text, spans, phrases, examples)
    out = [s for s in people.values() if s.id not in known]
    taken = {s.name for s in out}
    for name, count in names.most_common():
        if count < min_count or name in taken or any(name in t for t in taken):
            continue
        section = "organization" if _ORG_WORDS.search(name) else "person"
        suggestion = Suggestion(section, name, count, examples[name])
        if suggestion.id not in known:
            out.append(suggestion)
            taken.add(name)
    threshold = max(3, min_count)
    for phrase, count in phrases.most_common(max_phrases * 3):
        if count < threshold or len([s for s in out if s.section == "issue"]) >= max_phrases:
            continue
        suggestion = Suggestion("issue", phrase, count, examples[phrase])
        if suggestion.id not in known:
            out.append(suggestion)
    return out


def _count_phrases(
    text: str, spans: list[tuple[int, int]], phrases: Counter[str], examples: dict[str, str]
) -> None:
    words = [
        (m.group().lower(), m.start(), m.end()) for m in re.finditer(r"[A-Za-z][a-z'’-]+", text)
    ]
    for size in (2, 3):
        for i in range(len(words) - size + 1):
            gram = words[i : i + size]
            if gram[0][0] in _STOP or gram[-1][0] in _STOP or any(len(w) < 3 for w, _, _ in gram):
                continue
            start, end = gram[0][1], gram[-1][2]
            if re.search(r"[.,;:!?\n]", text[start:end]) or _covered(spans, start, end):
                continue
            phrase = " ".join(w for w, _, _ in gram)
            phrases[phrase] += 1
            examples.setdefault(phrase, _around(text, start, end))


def _around(text: str, match: re.Match[str] | int, end: int | None = None) -> str:
    start = match if isinstance(match, int) else match.start()
    stop = end if end is not None else (match.end() if isinstance(match, re.Match) else start)
    snippet = text[max(0, start - 60) : stop + 60]
    return " ".join(snippet.split())


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_toml(suggestions: Sequence[Suggestion], sources: int) -> str:
    """TOML stubs for review (the format `monitor vocab` and feeds.toml's vocabulary read)."""
    lines = [
        f"# Suggested by `monitor vocab suggest` from {sources} document(s).",
        "# Review every stub: fix ids, add aliases, roles and dates, delete what is noise.",
        "",
    ]
    for s in suggestions:
        lines.append(f"# seen {s.count}x, e.g. \u201c{s.example}\u201d")
        lines.append(f"[[{s.section}]]")
        lines.append(f"id = {_toml_string(s.id)}")
        lines.append(
            f"name = {_toml_string(s.name if s.section != 'issue' else s.name.capitalize())}"
        )
        lines.append(f"aliases = [{', '.join(_toml_string(a) for a in [s.name, *s.aliases])}]")
        if s.section == "person" and len(s.name.split()) > 1:
            parts = s.name.split()
            surname = parts[0] if parts[0] in _CHINESE_SURNAMES else parts[-1]
            lines.append(f"short = [{{ text = {_toml_string(surname)}, standalone = false }}]")
        if s.title:
            lines.append(f"[[{s.section}.role]]")
            lines.append(f"title = {_toml_string(s.title)}")
        lines.append("")
    return "\n".join(lines)
