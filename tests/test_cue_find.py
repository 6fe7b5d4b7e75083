"""Cues.find, the cue expressions tried only where a term may start, finds what finditer()
finds: on texts made of every cue term of the bundled vocabulary in several cases and
neighbours, over windows cut anywhere, and with Unicode's case-folding specials."""

import random
import re
import string

import pytest

from monitor.match.relevance import Cues, cues_of
from monitor.vocab import load_vocabulary
from monitor.vocab.veto import CASE_SPECIALS

_SPECIALS = {ord(char) for char in CASE_SPECIALS}


def _non_ascii() -> str:
    """Every code point above ASCII but the surrogates."""
    return "".join(chr(c) for c in range(128, 0x110000) if not 0xD800 <= c < 0xE000)


def test_case_specials_are_the_only_non_ascii_characters_matching_ascii_in_any_case() -> None:
    """No other character above ASCII matches a case-insensitive ASCII character."""
    text = _non_ascii()
    found = set()
    for char in string.printable:
        found |= {ord(m.group()) for m in re.finditer(f"(?i:{re.escape(char)})", text)}
    assert found <= _SPECIALS


def test_only_case_specials_lower_to_ascii_or_to_several_characters() -> None:
    """str.lower() keeps the length and leaves ASCII out but for the specials."""
    odd = {ord(char) for char in _non_ascii() if len(lower := char.lower()) != 1 or lower.isascii()}
    assert odd <= _SPECIALS


def _cue_sets() -> list[tuple[str, ...]]:
    sets = {}
    for entry in load_vocabulary().entries:
        for terms in (
            entry.cues,
            entry.place_cues,
            entry.anticues,
            (*entry.cues, *entry.place_cues),
        ):
            if terms:
                sets[terms] = None
    return list(sets)


_FILLERS = (" ", "  ", "\n", " the ", "-", "_", ", ", ". ", "’s ", "'", " (", ") ", "Σ", "ς ")


def _text(terms: tuple[str, ...], rng: random.Random) -> str:
    """The terms, each as written, in upper, lower or title case or with a special inside,
    between fillers that make and break word boundaries."""
    parts = []
    for term in rng.sample(terms, min(len(terms), 25)):
        form = rng.choice(
            (term, term.upper(), term.lower(), term.title(), term.replace("s", "ſ", 1))
        )
        parts.append(form.replace(" ", rng.choice((" ", "\n", "  ", "\t"))))
        parts.append(rng.choice(_FILLERS))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(3))
def test_find_is_finditer_for_every_cue_set(seed: int) -> None:
    """Every cue set of the vocabulary: the same matches in windows cut anywhere."""
    rng = random.Random(seed)
    for terms in _cue_sets():
        cues = cues_of(terms)
        assert isinstance(cues, Cues)
        text = _text(terms, rng)
        for _ in range(8):
            lo = rng.randrange(len(text) + 1)
            hi = rng.randrange(lo, len(text) + 1)
            want = [m.span() for m in cues.pattern.finditer(text, lo, hi)]
            assert [m.span() for m in cues.find(text, lo, hi)] == want, (terms[:3], lo, hi)
        want = [m.span() for m in cues.pattern.finditer(text, 0, len(text))]
        assert [m.span() for m in cues.find(text, 0, len(text))] == want


def test_find_is_finditer_with_non_ascii_terms() -> None:
    """Terms opening with an accent, in Chinese script, or with a capital Sigma."""
    terms = ("Ōta", "élan", "中国", "ΣΤΑ", "naïve talks", "Beijing")
    cues = cues_of(terms)
    assert cues is not None
    text = "ŌTA élan Élan 中国人 στα ΣΤΑ naïve  talks NAÏVE talks beijing \ud800 Beijing"
    for lo in range(len(text)):
        for hi in range(lo, len(text) + 1):
            want = [m.span() for m in cues.pattern.finditer(text, lo, hi)]
            assert [m.span() for m in cues.find(text, lo, hi)] == want
