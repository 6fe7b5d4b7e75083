"""Property tests: the optimised matcher agrees with the general rules and the reference one."""

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from match_reference import ReferenceMatcher
from match_reference import Sentences as ReferenceSentences

from monitor.match import Matcher
from monitor.match.normalize import (
    _NON_ASCII,
    _fold_match,
    _fold_non_ascii,
    alias_variants,
    fold_alias,
)
from monitor.match.sentences import Sentences
from monitor.vocab.loader import build_vocabulary
from monitor.vocab.model import Alias, Entry, Role

WORDS = ["Wang", "Yi", "Wang Yi", "Li", "Xi", "Burns", "Nick", "Bill", "Sea", "China",
         "South China Sea", "trade", "war", "U.S.", "US", "Mr", "chip curbs", "王毅", "Gates",
         "the Foreign Minister", "Li-ion"]
VETOES = [r"(?:Nick|Bill)\s+@", r"@\s+(?:Sea|war)\b", r"<S>@\s+(?:the|a)\b", r"@-ion", r"Mr\.?\s+@"]
SECTIONS = [("actor", "person"), ("actor", "organization"), ("actor", "country"),
            ("issue", None)]

aliases = st.builds(
    Alias,
    text=st.sampled_from(WORDS),
    form=st.sampled_from(["full", "short"]),
    case=st.sampled_from(["exact", "any"]),
    standalone=st.booleans(),
    veto=st.lists(st.sampled_from(VETOES), max_size=2).map(tuple),
)
days = st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2030, 1, 1))
roles = st.builds(
    lambda start, length, phrase: Role("Minister", None, start,
                                       start + dt.timedelta(days=length), (phrase,)),
    days, st.integers(0, 3000), st.sampled_from(["the Foreign Minister", "U.S. envoy"]))


@st.composite
def vocabularies(draw: st.DrawFn) -> list[Entry]:
    """Up to six entries sharing aliases from a small pool, so that every rule meets others."""
    entries = []
    for i in range(draw(st.integers(1, 6))):
        kind, actor_type = draw(st.sampled_from(SECTIONS))
        entry_aliases = tuple(draw(st.lists(aliases, min_size=1, max_size=4)))
        entry_roles = tuple(draw(st.lists(roles, max_size=1))) if actor_type == "person" else ()
        entries.append(Entry(f"e{i}", kind, f"Entry {i}", entry_aliases, actor_type,
                             entry_roles))
    return entries


SEPARATORS = [" ", " ", " ", ". ", ", ", "\n", "’s ", "“", "” ", "-", "a ", "the ", "Mr. ",
              "Nick ", " war", "\u00ad", "é"]


@st.composite
def vocabularies_and_texts(draw: st.DrawFn) -> tuple[list[Entry], str]:
    """A vocabulary and a text made mostly of its own aliases, as written or recased."""
    entries = draw(vocabularies())
    written = sorted({a.text for e in entries for a in e.aliases} | {"the Foreign Minister"})
    word = st.sampled_from(written)
    piece = st.one_of(word, word, word.map(str.upper), word.map(str.lower),
                      st.sampled_from(WORDS), st.sampled_from(SEPARATORS))
    parts = draw(st.lists(st.tuples(piece, st.sampled_from(SEPARATORS)), max_size=14))
    return entries, "".join(p + sep for p, sep in parts)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vocabularies_and_texts(), st.one_of(st.none(), days))
def test_fast_path_general_path_and_reference_agree(case: tuple[list[Entry], str],
                                                     published: dt.date | None) -> None:
    """On random vocabularies, the fast path, the general rules (fast_path=False) and the
    reference matcher find the same mentions, and tag() gives the same tags and evidence."""
    entries, text = case
    vocab = build_vocabulary(entries)
    fast, general = Matcher(vocab), Matcher(vocab, fast_path=False)
    reference = ReferenceMatcher(vocab)
    expected = [(m.entry.id, m.start, m.end)
                for m in reference.mentions(text, published=published)]
    assert [(m.entry.id, m.start, m.end)
            for m in fast.mentions(text, published=published)] == expected
    assert [(m.entry.id, m.start, m.end)
            for m in general.mentions(text, published=published)] == expected
    assert fast.tag(text, published=published) == reference.tag(text, published=published)


sentence_pieces = st.one_of(
    st.sampled_from(["Mr.", "Mrs.", "U.S.", " ", "\n", ". ", "! ", "? ", "… ", "”", "’", ")",
                     "]", "A", "b", "Sept.", "etc.", "J.", "x", "Xyz", "É", "“", "(", "3",
                     "  \n ", "\t", "a.m.", "No.", "ABCDEFGH.", "aMr.", "p.m.\n"]),
    st.text(max_size=3))


@settings(max_examples=500, deadline=None)
@given(st.lists(sentence_pieces, max_size=30).map("".join), st.data())
def test_sentence_boundaries_match_the_reference(text: str, data: st.DataObject) -> None:
    """Boundaries found by the split regular expressions equal the one-by-one reference, and
    batch evidence equals around()."""
    ours, reference = Sentences(text), ReferenceSentences(text)
    assert (ours._starts, ours._ends) == (reference.starts, reference.ends)
    if text:
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        assert ours.evidence([(start, end)]) == [reference.around(start, end)]


@given(st.text(alphabet=st.sampled_from("aB .'’-“”—…\u00adéÉẛſ\uffff\u0301İß王\u200bŁ\n1"),
               max_size=12))
def test_fold_and_alias_shortcuts_match_the_general_code(text: str) -> None:
    """Folding by distinct character equals one callback per character; the ASCII shortcut of
    alias_variants equals the general folding."""
    assert _fold_non_ascii(text) == _NON_ASCII.sub(_fold_match, text)
    squeezed = re.sub(r"(?<=\w)[.'’](?=\w)|(?<=\w)[.]$", "", text)
    general = {fold_alias(text), " ".join(fold_alias(text).split()),
               " ".join(fold_alias(squeezed).split())} - {""}
    assert alias_variants(text) == general
