"""Page furniture that feeds and extractors leave in an article's text: teasers of other stories
("READ MORE: ...", "RELATED: ..."), the outlet's calls to the reader ("Sign up for our
newsletter", "Learn more", the question before them) and blocks of related stories each closed
by its date ("... (16.02.2017)"). They name other stories and the outlet, not what the article
is about: nothing in them is a mention, as in credit lines (bylines.py).

Four shapes, each recognised by fixed words or marks, found in any outlet's text:

- a teaser: a marker and a colon, then another story's headline, which runs to the end of the
  line or sentence, at most TEASER_WORDS words (a flat text runs the headline into the next
  sentence without a stop);
- a call to the reader: a sentence that opens with an imperative of the outlet's
  ("Subscribe", "Sign up", "Learn more", "Click here", "Share this", "Here's how."), with the
  question right before it ("How will ... impact you?", "Want more updates from ...?");
- a block of dated related stories: the text between two dates in parentheses
  ("(16.02.2017)", "(2017-02-16)") at most BLURB_CHARS apart, and the first blurb's whole
  sentences before the first date, as long as the block's longest blurb;
- a breadcrumb: the sections a page sits in, capitalised names joined by ">", "›" or "»"
  that fill a line or a pair of brackets ("Home > World > Asia", a parliamentary record's
  "[Oral Answers to Questions > Trade and Industry]"): a department's or a section's name,
  not the matter of the text.
"""

import re
from itertools import pairwise

# A teaser's marker, whose words the matcher's scan flags (automaton.CREDIT_WORDS): "READ
# MORE", "RELATED", "SEE ALSO" (or in lower case after a capital) and a colon.
_TEASER = re.compile(
    r"\b(?:READ\s+MORE|RELATED(?:\s+STOR(?:Y|IES))?|SEE\s+ALSO|Read\s+more|"
    r"Related(?:\s+stor(?:y|ies))?|See\s+also)[ \t]*[:>»|][ \t:–—-]*"
)
# "Read more on Brexit", "Read more here": a link's text, without a colon.
_READ_MORE = re.compile(r"\bRead\s+more\s+(?:here|on|about|of|at)\b")
TEASER_WORDS = 12  # a headline's words at most
LINK_WORDS = 4  # "Read more on Brexit", "Read more of Anthony's takeaway"
# Capitalised words that open a sentence far more often than they stand inside a headline.
OPENERS = frozenset(
    {
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "But",
        "And",
        "Even",
        "Indeed",
        "Meanwhile",
        "However",
        "After",
        "Before",
        "Under",
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "This",
        "That",
        "These",
        "Those",
        "According",
        "While",
        "When",
        "As",
        "For",
        "With",
        "Since",
        "Although",
        "Despite",
        "If",
        "Some",
        "Many",
        "Last",
        "Earlier",
        "Later",
        "So",
        "Now",
        "Still",
        "Yet",
        "Here",
        "There",
    }
)
_TEASER_END = re.compile(r"\n|[.?!](?=\s)|$")
_WORD_RUN = re.compile(r"\S+")
# A sentence that opens with an outlet's call to its reader.
_CALL = re.compile(
    r"(?:(?<=[.?!:)\"”])|^)[ \t-]*(?P<call>Subscribe|Sign\s+up|Learn\s+more|Click\s+here|"
    r"Tap\s+here|Share\s+this|Here['’]s\s+how(?=\.)|Follow\s+us|Download\s+(?:the|our)\s+app)\b",
    re.MULTILINE,
)
# A sentence's start: after a stop, closing quotes and white space, dashes (a flattened line
# break: "... Clinton.- - (h/t ...)") or a capital; after a colon and white space before a
# capital ("Share this slide: How will ..."); or a line break.
_STOPS = re.compile(r"[.?!][\"”'’)?]*(?:[ \t]+|-[ \t-]*|(?=[A-Z]))|:[ \t]+(?=[A-Z])|\n\s*")
SENTENCE_CHARS = 2000  # a sentence's start is looked for this far back at most
# A question to the reader before a call is short ("How will ... impact YOU?"): a longer
# "question" is the article's own text run into it without a stop.
QUESTION_CHARS = 300
_SENTENCE_END = re.compile(r"[.?!](?=[\s\"”'’]|$)|\n")
# A related story's date: "(16.02.2017)", "(2017-02-16)", "(16/02/2017)".
_STAMP = re.compile(r"\((?:\d\d?[./]\d\d?[./]\d{4}|\d{4}-\d\d-\d\d)\)")
BLURB_CHARS = 600  # two dates further apart than this close no blurb between them
FIRST_BLURB_CHARS = 300  # the first blurb's length when the block has one date


# A breadcrumb: two or more capitalised names (no sentence's stop, no bracket) joined by a
# separator with white space around it, from a line's or a bracket's start to its end.
_SECTION = r"[A-Z][^\n>›»\[\]().!?]{0,80}?"
_BREADCRUMB = re.compile(
    rf"(?:(?<=\[)|^)[ \t]*{_SECTION}(?:[ \t]+[>›»][ \t]+{_SECTION})+(?=[ \t]*(?:\]|$))",
    re.MULTILINE,
)


def furniture_spans(text: str, words: bool = True) -> list[tuple[int, int]]:
    """The [start, end) spans of `text` that are blocks of dated related stories and
    breadcrumbs and, when `words` (the matcher's scan saw a teaser's or a call's fixed
    words), teasers and calls to the reader, in order (overlaps kept)."""
    # ("(" in text: memchr, ~0.1 us for 4 KB; the expression's scan for its "(" ~2 us)
    spans = _blurbs(text) if "(" in text and _STAMP.search(text) is not None else []
    # (one character each: "> " in a text with curly quotes is a 2-byte search, ~3.5 us a
    # 4 KB text, where ">" is found at memchr speed, ~0.04 us)
    if ">" in text or "›" in text or "»" in text:
        spans.extend(m.span() for m in _BREADCRUMB.finditer(text))
        spans.sort()
    if words:
        spans.extend(_teasers(text))
        spans.extend(_calls(text))
        spans.sort()
    return spans


def _teasers(text: str) -> list[tuple[int, int]]:
    """Each teaser marker with the headline after it: to the end of its line or sentence, at
    most TEASER_WORDS words (LINK_WORDS after "Read more on"), and before a capitalised word
    that opens sentences ("READ MORE: Surviving the trail Even for those ...": the text goes
    on without a stop after a headline)."""
    out = []
    for pattern, most in ((_TEASER, TEASER_WORDS), (_READ_MORE, LINK_WORDS)):
        for marker in pattern.finditer(text):
            start, at = marker.start(), marker.end()
            stop = _TEASER_END.search(text, at)
            end = stop.start() if stop is not None else len(text)
            for words, word in enumerate(_WORD_RUN.finditer(text, at, end), 1):
                if words > 2 and word.group().rstrip(",") in OPENERS:
                    end = word.start()
                    break
                if words == most or word.group().endswith(","):
                    end = word.end()
                    break
            out.append((start, end))
    return out


def _calls(text: str) -> list[tuple[int, int]]:
    """Each sentence that opens with a call to the reader, with the question right before it
    (one: "How will ... impact YOU? Subscribe ...", "Want more updates? Sign up ...")."""
    out = []
    for call in _CALL.finditer(text):
        start = call.start("call")
        stop = _SENTENCE_END.search(text, call.end())
        end = stop.end() if stop is not None else len(text)
        before = text[:start].rstrip(" \t-")
        if before.endswith("?"):  # a whole sentence, and a short one
            opening = _last_sentence_start(text, len(before) - 1)
            if opening is not None and len(before) - opening <= QUESTION_CHARS:
                start = min(start, opening)
        out.append((start, end))
    return out


def _last_sentence_start(text: str, end: int) -> int | None:
    """Where the sentence ending at text[end] starts: after the last stop before it that closing
    quotes and white space or a capital follow ('... eighties."?Do you ...'), or a line break;
    the text's start. None when no start is found within SENTENCE_CHARS: no sentence that
    long is taken for furniture."""
    lo = max(0, end - SENTENCE_CHARS)
    start = 0 if lo == 0 else None
    for found in _STOPS.finditer(text, lo, end):
        start = found.end()
    return start


def _blurbs(text: str) -> list[tuple[int, int]]:
    """Blocks of related stories closed by their dates: between consecutive dates at most
    BLURB_CHARS apart, and the first blurb's sentences before a block's first date."""
    stamps = [m.span() for m in _STAMP.finditer(text)]
    out = []
    block: list[tuple[int, int]] = []
    for span in stamps:
        if block and span[0] - block[-1][1] > BLURB_CHARS:
            out.extend(_block(text, block))
            block = []
        block.append(span)
    out.extend(_block(text, block))
    return out


def _block(text: str, stamps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of one block of dates: its blurbs and the dates themselves."""
    lengths = [b[0] - a[1] for a, b in pairwise(stamps)]
    longest = max(lengths) if lengths else FIRST_BLURB_CHARS
    first = stamps[0][0]
    start = first
    # whole sentences before the first date, while they fit in the longest blurb
    while start > 0:
        opening = _last_sentence_start(text, len(text[:start].rstrip()) - 1)
        if opening is None or opening >= start or first - opening > longest:
            break
        start = opening
    return [(start, stamps[-1][1])]
