"""Page furniture is not a mention: another story's teaser, the outlet's call to its reader and
a block of dated related stories name nobody and no issue, in one-line texts (as feeds and data
sets hand them over) and in texts with paragraphs; the article's own text around them counts.
The texts are written here."""

from datetime import date

import pytest

from monitor.match import Matcher, compile_matcher
from monitor.match.furniture import SENTENCE_CHARS, furniture_spans
from monitor.vocab import load_vocabulary, parse_text
from monitor.vocab.loader import build_vocabulary

DAY = date(2017, 3, 10)
_BODY = (
    "The committee met in Brussels on Tuesday to review the budget for the coming year. "
    "Members agreed to publish the figures next month after a long debate. "
)


@pytest.fixture(scope="module")
def bundled() -> Matcher:
    return compile_matcher(load_vocabulary())


@pytest.fixture(scope="module")
def small() -> Matcher:
    """Two entries: an automaton small enough to be a DFA, with its own credit words."""
    toml = """
[[person]]
id = "donald-trump"
name = "Donald Trump"
aliases = ["Trump"]
[[issue]]
id = "trade"
name = "Trade"
aliases = ["free trade", "trade war"]
"""
    return compile_matcher(build_vocabulary(parse_text(toml, "small.toml")))


def _ids(matcher: Matcher, text: str, title: str = "Budget review") -> set[str]:
    return {t.id for t in matcher.tag_document(title, text, published=DAY)}


FURNITURE = [
    # a teaser run into the next sentence, as a flat text hands it over
    "READ MORE: Donald Trump vows a free trade push Members of the committee left early.",
    "RELATED: Donald Trump and the trade war that was not",
    "Read more on Donald Trump's trade war",
    # the outlet's call to the reader, with the question before it
    "How will Donald Trump's first months change free trade for you? Subscribe to our "
    "newsletter on Donald Trump and we will send it weekly. Learn more",
    "Want more on Donald Trump and free trade? Sign up here.",
    # a block of related stories, each closed by its date
    "Donald Trump has signed an order on free trade, his aides said. (12.02.2017) A court "
    "in the capital has ruled on the spending plan of the regional council, its clerk said. "
    "(14.02.2017)",
]


@pytest.mark.parametrize("vocabulary", ["bundled", "small"])
@pytest.mark.parametrize("furniture", FURNITURE)
@pytest.mark.parametrize("sep", [" ", "\n\n"])
def test_furniture_names_nobody_and_no_issue(
    vocabulary: str, furniture: str, sep: str, request: pytest.FixtureRequest
) -> None:
    """The person and the issue named only in furniture are not tagged; written as text of
    the article (the furniture's fixed words and dates taken out), they are."""
    matcher: Matcher = request.getfixturevalue(vocabulary)
    doc = sep.join([_BODY * 3, furniture, _BODY * 2])
    assert not {"donald-trump", "trade"} & _ids(matcher, doc)
    plain = (
        furniture.replace("READ MORE:", "")
        .replace("RELATED:", "")
        .replace("Read more on", "On")
        .replace("Subscribe to", "Read")
        .replace("Learn more", "")
        .replace("Sign up here.", "")
        .replace("(12.02.2017)", "")
        .replace("(14.02.2017)", "")
    )
    assert {"donald-trump", "trade"} <= _ids(matcher, sep.join([_BODY * 3, plain, _BODY * 2]))


def test_text_around_furniture_still_counts(bundled: Matcher) -> None:
    """The article's own sentences before and after a teaser, a call and a dated block keep
    their mentions; only what is inside the furniture is dropped."""
    doc = (
        "Donald Trump met the committee on Tuesday. "
        + _BODY
        + "READ MORE: Xi Jinping speaks in Davos The talks will resume in April. "
        + _BODY
        + "Do you have a tip? Here's how. "
        + "Wang Yi said the budget was sound."
    )
    found = _ids(bundled, doc)
    assert {"donald-trump", "wang-yi"} <= found
    assert "xi-jinping" not in found


def test_a_dated_block_takes_its_first_blurb_and_no_more(bundled: Matcher) -> None:
    """Before a block's first date, whole sentences count as its first blurb only as long as
    the block's longest blurb: the article's sentence before them keeps its mention."""
    blurb = "A court in the capital has ruled on the spending plan of the regional council."
    doc = (
        _BODY * 2
        + "Wang Yi said the budget was sound and would be published after the vote next week. "
        + "Donald Trump has signed an order, his aides said on Monday. (12.02.2017) "
        + blurb
        + " (14.02.2017) "
        + blurb
        + " (15.02.2017) "
        + _BODY * 2
    )
    found = _ids(bundled, doc)
    assert "wang-yi" in found
    assert "donald-trump" not in found


def test_words_of_furniture_in_prose_are_not_furniture() -> None:
    """ "related to", "subscribe to the view", "read more books", "more: " inside a sentence
    and a date not in parentheses mark nothing."""
    prose = (
        "The talks were related to trade. Analysts subscribe to the view that exports will "
        "grow. Students should read more books, he said. On 12.02.2017 the court ruled. "
        "Here's how the tariff on steel would work."
    )
    assert furniture_spans(prose) == []


@pytest.mark.parametrize(
    ("title", "absent"),
    [
        # a parliamentary record's heading: the subject, then the department's question time
        ("Solar Panels [Oral Answers to Questions > Energy and Climate Change]", set()),
        ("News › Business › Free trade", {"trade"}),
    ],
)
def test_a_breadcrumb_in_a_headline_is_a_section_not_the_matter(
    small: Matcher, bundled: Matcher, title: str, absent: set[str]
) -> None:
    """Names joined by ">", "›" or "»" that fill a bracket or a line are the sections and
    departments a page sits in: the issue they name is not tagged from them, while the
    headline's subject before the bracket still counts."""
    body = "The minister answered questions on Tuesday about the budget for the year."
    assert not {"trade", "climate-change"} & _ids(bundled, body, title)
    assert absent.isdisjoint(_ids(small, body, title))
    assert "trade" in _ids(bundled, body, "Free Trade [Oral Answers to Questions > Treasury]")


@pytest.mark.parametrize("vocabulary", ["bundled", "small"])
def test_a_breadcrumb_line_in_a_text_names_nobody(
    vocabulary: str, request: pytest.FixtureRequest
) -> None:
    """A line of sections in an article's text ("Home > Politics > ...") names nobody and no
    issue; the same names in a sentence of the article are tagged."""
    matcher: Matcher = request.getfixturevalue(vocabulary)
    crumbs = "Home > Politics > Donald Trump > Free Trade"
    doc = "\n\n".join([crumbs, _BODY * 3])
    assert not {"donald-trump", "trade"} & _ids(matcher, doc)
    said = "\n\n".join(["Donald Trump backs free trade, his aides said.", _BODY * 3])
    assert {"donald-trump", "trade"} <= _ids(matcher, said)


def test_separators_in_prose_are_no_breadcrumb() -> None:
    """A ">" between a word and a figure, or inside a sentence that goes on, marks nothing."""
    prose = (
        "Growth > 5% is likely, the Bank said.\nPrices of Trade goods > Import prices, said "
        "the minister.\nIt was Hong Kong > Taiwan in the final, which ended late."
    )
    assert furniture_spans(prose) == []


def test_a_call_takes_no_sentence_longer_than_a_sentence_can_be() -> None:
    """A question before a call is taken back to its sentence's start only where one is found
    within SENTENCE_CHARS: a text without stops is not swallowed whole."""
    flat = "word " * (SENTENCE_CHARS // 5 + 100) + "is this the end? Subscribe now."
    spans = furniture_spans(flat)
    assert spans == [(flat.index("Subscribe"), len(flat))]


def test_spans_cover_the_teaser_headline_and_stop_at_the_next_sentence() -> None:
    """A teaser's headline ends before a word that opens sentences, at a line break, at a
    stop, or after twelve words."""
    text = "Talks went on. READ MORE: Trump vows a trade push Even so, the talks went on."
    (span,) = furniture_spans(text)
    assert text[span[0] : span[1]].strip() == "READ MORE: Trump vows a trade push"
    line = "RELATED: One two three four five six seven eight nine ten eleven twelve thirteen"
    (span,) = furniture_spans(line)
    assert line[span[0] : span[1]].endswith("twelve")


@pytest.mark.parametrize(
    "text",
    [
        # line breaks flattened into dashes: the question starts after the colon, not at the
        # last full stop followed by a space, far back in the article
        "Officials said Wang Yi met the envoy.- - (h/t Wire) Share this slide: How will the "
        "plan affect YOU? Subscribe to the letter. Learn more",
        # one question only: a quotation closed by '"?' (a lost character) is not another
        'Wang Yi said "we have seen worse."?Do you have a tip for us? Here\'s how.',
    ],
)
def test_a_call_takes_one_short_question_and_no_article_text(bundled: Matcher, text: str) -> None:
    """The question before a call is one sentence of at most QUESTION_CHARS, starting after
    a stop, a colon or a flattened line break: the article's own sentence before it counts."""
    assert "wang-yi" in _ids(bundled, _BODY + text)
