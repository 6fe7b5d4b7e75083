"""Journalists are not actors and bylines are not mentions: names in a credit line (a byline,
a contributor line, a photo credit) never tag anyone, wherever the names come from."""

import re
from datetime import date

import pytest
from conftest import SEEDS, need_shared

from monitor.match import Matcher, compile_matcher
from monitor.match.bylines import credit_spans
from monitor.vocab import load_vocabulary, parse_text
from monitor.vocab.loader import build_vocabulary

_TWO_WORDS = re.compile(r"\b[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)+\b")
_NOT_NAMES = {"Associated Press", "The Associated Press"}


@pytest.fixture(scope="module")
def bundled() -> Matcher:
    return compile_matcher(load_vocabulary())


def _credit_lines() -> list[str]:
    """The seeds' credit lines (contributor lines and photo credits), read at run time."""
    need_shared(SEEDS)
    lines = []
    for path in sorted(SEEDS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "contributed" in line and "Associated Press" in line:
                lines.append(line)
            lines.extend(re.findall(r"\(AP Photo/[^)]*\)", line))
    assert lines, f"the seeds in {SEEDS} hold no credit line any more"
    return lines


def _names(line: str) -> list[str]:
    return [n for n in _TWO_WORDS.findall(line) if n not in _NOT_NAMES]


def _vocab_of_people(names: list[str]) -> Matcher:
    """A vocabulary in which every one of `names` is a person (as the journalists once were)."""
    toml = "".join(
        f'[[person]]\nid = "p{i}"\nname = "{name}"\n\n'
        for i, name in enumerate(dict.fromkeys(names))
    )
    return compile_matcher(build_vocabulary(parse_text(toml)))


def test_seed_credit_lines_name_nobody_even_when_their_names_are_actors() -> None:
    """Each seed credit line is a credit span, and its names tag nobody there, though the same
    names in a sentence of the text are tagged."""
    named = [line for line in _credit_lines() if _names(line)]
    assert named, "no seed credit line names anyone"
    for line in named:
        names = _names(line)
        matcher = _vocab_of_people(names)
        assert [line[a:b] for a, b in credit_spans(line)] == [line.strip()] or line.startswith(
            "(AP Photo/"
        ), line
        doc = f"Officials spoke on Tuesday.\n\n{line}\n"
        assert matcher.tag(doc) == (), line
        said = f"{doc}\n{names[0]} said the talks went well.\n"
        assert [t.name for t in matcher.tag(said)] == [names[0]]


def test_whole_seeds_tag_no_person_inside_a_credit(bundled: Matcher) -> None:
    """No mention the bundled vocabulary finds in a seed lies inside one of its credits."""
    need_shared(SEEDS)
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        credits = credit_spans(text)
        for span in bundled.spans(text):
            assert not any(s <= span.start and span.end <= e for s, e in credits), (
                path.name,
                span,
                text[span.start : span.end],
            )


def test_no_journalist_in_the_bundled_vocabulary() -> None:
    """People are actors of the news; the writers and photographers who report it are not."""
    vocab = load_vocabulary()
    for entry in vocab:
        for role in entry.roles:
            assert not re.search(
                r"(?i)\b(?:writer|photographer|journalist|reporter)\b", role.title
            ), (entry.id, role.title)
    for line in _credit_lines():
        ids = {t.id for t in compile_matcher(vocab).tag(line)}
        assert not any(
            vocab.get(i) and vocab.get(i).type == "person"  # type: ignore[union-attr]
            for i in ids
        ), (line, ids)


@pytest.mark.parametrize(
    "doc",
    [
        "By Matthew Miller and Jake Sullivan\n\nThe talks ended.",
        "By Matthew Miller, Jake Sullivan and Kurt Campbell, Associated Press\n\nThe talks ended.",
        "Matthew Miller, Associated Press\n\nThe talks ended.",
        "Jake Sullivan | Reuters\n\nThe talks ended.",
        "The talks ended.\n\nReporting by Jake Sullivan; Editing by Matthew Miller",
        "The talks ended. (AP Photo/Matthew Miller, Pool)",
        "By Jake Sullivan WASHINGTON (AP) — The talks ended.",
    ],
)
def test_bylines_are_not_mentions(bundled: Matcher, doc: str) -> None:
    """Actors' names written as the authors or photographers of a text name no one."""
    people = {t.id for t in bundled.tag(doc)} & {"matthew-miller", "jake-sullivan", "kurt-campbell"}
    assert people == set()


def test_text_outside_the_byline_still_counts(bundled: Matcher) -> None:
    """The byline's name is dropped, the same name in the text is not; a sentence that starts
    with "By" is no byline."""
    doc = (
        "By Matthew Miller\n\nState Department spokesman Matthew Miller said the talks "
        "ended.\n\nBy Tuesday, Jake Sullivan had left Beijing."
    )
    counts = {t.id: t.count for t in bundled.tag(doc, published=date(2024, 1, 9))}
    assert counts["matthew-miller"] == 1
    assert counts["jake-sullivan"] == 1


def test_web_addresses_name_nothing(bundled: Matcher) -> None:
    """Words of a web address written out in the text (a Markdown link's target) are the page's
    address, not a mention; the link's text and the rest still count."""
    doc = (
        "The image groups three teams under China ([an explainer]"
        "(https://www.example.com/2021/07/26/what-is-the-one-china-policy)).\n\n"
        "See www.example.org/jake-sullivan-visits-beijing for the trip."
    )
    found = {t.id for t in bundled.tag_document("A false medal table", doc)}
    assert "taiwan" not in found
    assert "jake-sullivan" not in found
    assert "china" in found
    linked = doc.replace("[an explainer]", "[the one-China policy]")
    assert "taiwan" in {t.id for t in bundled.tag_document("A false medal table", linked)}


_LONG = " The delegations met again on Tuesday and agreed to keep talking." * 8


@pytest.fixture(scope="module")
def small() -> Matcher:
    """Two people: an automaton small enough to be a DFA, with its own credit words."""
    toml = """
[[person]]
id = "jake-sullivan"
name = "Jake Sullivan"
[[person]]
id = "matthew-miller"
name = "Matthew Miller"
"""
    return compile_matcher(build_vocabulary(parse_text(toml, "small.toml")))


@pytest.mark.parametrize("vocabulary", ["bundled", "small"])
@pytest.mark.parametrize(
    "credit",
    [
        "(AP Photo/Matthew Miller, Pool)",
        "(Photo by Matthew Miller/Getty Images)",
        # without a "/": found by the word alone
        "(Photo by Matthew Miller)",
        "(AP Photo: Matthew Miller)",
        "(https://example.com/matthew-miller-in-beijing)",
        "(http://example.com/Matthew-Miller)",
        "See www.example.org/Matthew-Miller for more.",
        # an address run into the word before it is still one from its "http" or "www"
        "(seehttps://example.com/Matthew-Miller)",
        "See at:www.example.org/Matthew-Miller today.",
        "Seewww.example.org/Matthew-Miller today.",
    ],
)
def test_credits_in_one_long_line_name_nobody(
    vocabulary: str, credit: str, request: pytest.FixtureRequest
) -> None:
    """A one-paragraph text longer than a credit line is searched for web addresses and photo
    credits only when the scan saw their words ("www", "photo" after a space) or the text
    holds a "/" (automaton.CREDIT_WORDS): those in it still name no one, while the name
    outside them counts; with the bundled vocabulary's automaton (an NFA) and a small one's
    (a DFA, whose credit words differ)."""
    matcher: Matcher = request.getfixturevalue(vocabulary)
    doc = f"Jake Sullivan said the talks ended.{_LONG} {credit}{_LONG}"
    assert len(doc) > 400
    assert "\n" not in doc
    found = {t.id for t in matcher.tag(doc)}
    assert "jake-sullivan" in found
    assert "matthew-miller" not in found
    assert "matthew-miller" in {t.id for t in matcher.tag(doc.replace(credit, "Matthew Miller"))}


def test_a_long_byline_run_into_its_dateline_names_nobody(bundled: Matcher) -> None:
    """A one-line summary that opens with its byline (after white space) drops the byline's
    names however long it is."""
    doc = f"  By Matthew Miller WASHINGTON (AP) — Jake Sullivan said the talks ended.{_LONG}"
    assert len(doc) > 400
    found = {t.id for t in bundled.tag(doc)}
    assert "jake-sullivan" in found
    assert "matthew-miller" not in found
