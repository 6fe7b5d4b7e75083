"""Property tests: the optimised matcher agrees with the general rules and the reference one."""

import datetime as dt
import pickle
import re
from dataclasses import FrozenInstanceError, asdict, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from match_reference import ReferenceMatcher
from match_reference import Sentences as ReferenceSentences
from match_reference import fold as reference_fold

from monitor.match import Matcher
from monitor.match.automaton import (
    CREDIT_VALUE,
    CREDIT_WORDS,
    DFA_CREDIT_WORDS,
    _plain,
    build,
    search,
)
from monitor.match.normalize import (
    _COMMON,
    _NON_ASCII,
    _fold_match,
    _fold_non_ascii,
    alias_variants,
    fold,
    fold_alias,
)
from monitor.match.resolve import Choices, Pattern, choose, choose_unvetoed
from monitor.match.sentences import Sentences
from monitor.types import Evidence, Tag, TagLevel, new_evidence, new_tag, new_tags
from monitor.vocab.loader import build_vocabulary, parse_text
from monitor.vocab.model import Alias, Entry, Role
from monitor.vocab.veto import compile_veto

WORDS = [
    "Wang",
    "Yi",
    "Wang Yi",
    "Li",
    "Xi",
    "Burns",
    "Nick",
    "Bill",
    "Sea",
    "China",
    "South China Sea",
    "trade",
    "war",
    "U.S.",
    "US",
    "Mr",
    "chip curbs",
    "王毅",
    "Gates",
    "the Foreign Minister",
    "Li-ion",
]
VETOES = [r"(?:Nick|Bill)\s+@", r"@\s+(?:Sea|war)\b", r"<S>@\s+(?:the|a)\b", r"@-ion", r"Mr\.?\s+@"]
SECTIONS = [("actor", "person"), ("actor", "organization"), ("actor", "country"), ("issue", None)]

days = st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2030, 1, 1))
aliases = st.builds(
    Alias,
    text=st.sampled_from(WORDS),
    form=st.sampled_from(["full", "short"]),
    case=st.sampled_from(["exact", "any"]),
    standalone=st.booleans(),
    veto=st.lists(st.sampled_from(VETOES), max_size=2).map(tuple),
    # a dated standalone (the loader allows it on short forms only; the rules ignore it on
    # full forms and where several entries own the key)
    alone=st.one_of(st.none(), st.tuples(st.one_of(st.none(), days), st.one_of(st.none(), days))),
)
roles = st.builds(
    lambda start, length, phrase: Role(
        "Minister", None, start, start + dt.timedelta(days=length), (phrase,)
    ),
    days,
    st.integers(0, 3000),
    st.sampled_from(["the Foreign Minister", "U.S. envoy"]),
)


@st.composite
def vocabularies(draw: st.DrawFn) -> list[Entry]:
    """Up to six entries sharing aliases from a small pool, so that every rule meets others."""
    entries = []
    for i in range(draw(st.integers(1, 6))):
        kind, actor_type = draw(st.sampled_from(SECTIONS))
        entry_aliases = tuple(draw(st.lists(aliases, min_size=1, max_size=4)))
        entry_roles = tuple(draw(st.lists(roles, max_size=1))) if actor_type == "person" else ()
        entries.append(Entry(f"e{i}", kind, f"Entry {i}", entry_aliases, actor_type, entry_roles))
    return entries


SEPARATORS = [
    " ",
    " ",
    " ",
    ". ",
    ", ",
    "\n",
    "’s ",
    "“",
    "” ",
    "-",
    "a ",
    "the ",
    "Mr. ",
    "Nick ",
    " war",
    "\u00ad",
    "é",
]


@st.composite
def vocabularies_and_texts(draw: st.DrawFn) -> tuple[list[Entry], str]:
    """A vocabulary and a text made mostly of its own aliases, as written or recased."""
    entries = draw(vocabularies())
    written = sorted({a.text for e in entries for a in e.aliases} | {"the Foreign Minister"})
    word = st.sampled_from(written)
    piece = st.one_of(
        word,
        word,
        word.map(str.upper),
        word.map(str.lower),
        st.sampled_from(WORDS),
        st.sampled_from(SEPARATORS),
    )
    parts = draw(st.lists(st.tuples(piece, st.sampled_from(SEPARATORS)), max_size=14))
    return entries, "".join(p + sep for p, sep in parts)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vocabularies_and_texts(), st.one_of(st.none(), days))
def test_fast_path_general_path_and_reference_agree(
    case: tuple[list[Entry], str], published: dt.date | None
) -> None:
    """On random vocabularies, the fast path, the general rules (fast_path=False) and the
    reference matcher find the same mentions, and tag() gives the same tags and evidence (the
    reference has no relevance stage: levels and scores are tested in test_relevance.py)."""
    entries, text = case
    vocab = build_vocabulary(entries)
    fast, general = Matcher(vocab), Matcher(vocab, fast_path=False)
    reference = ReferenceMatcher(vocab)
    expected = [(m.entry.id, m.start, m.end) for m in reference.mentions(text, published=published)]
    assert [
        (m.entry.id, m.start, m.end) for m in fast.mentions(text, published=published)
    ] == expected
    assert [
        (m.entry.id, m.start, m.end) for m in general.mentions(text, published=published)
    ] == expected
    assert [_untuned(t) for t in fast.tag(text, published=published)] == [
        _untuned(t) for t in reference.tag(text, published=published)
    ]


def _untuned(tag: Tag) -> tuple[object, ...]:
    """A tag without its relevance (level and score)."""
    return tag.id, tag.kind, tag.name, tag.count, tag.evidence


sentence_pieces = st.one_of(
    st.sampled_from(
        [
            "Mr.",
            "Mrs.",
            "U.S.",
            " ",
            "\n",
            ". ",
            "! ",
            "? ",
            "… ",
            "”",
            "’",
            ")",
            "]",
            "A",
            "b",
            "Sept.",
            "etc.",
            "J.",
            "x",
            "Xyz",
            "É",
            "“",
            "(",
            "3",
            "  \n ",
            "\t",
            "a.m.",
            "No.",
            "ABCDEFGH.",
            "aMr.",
            "p.m.\n",
        ]
    ),
    st.text(max_size=3),
)


@pytest.mark.slow
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


@given(
    st.text(
        alphabet=st.sampled_from("aB .'’-“”—…\u00adéÉẛſ\uffff\u0301İß王\u200bŁ\n1йиがかǾØøﻋع"),
        max_size=12,
    )
)
def test_fold_and_alias_shortcuts_match_the_general_code(text: str) -> None:
    """Folding by distinct character equals one callback per character; the ASCII shortcut of
    alias_variants equals the general folding."""
    assert _fold_non_ascii(text) == _NON_ASCII.sub(_fold_match, text)
    squeezed = re.sub(r"(?<=\w)[.'’](?=\w)|(?<=\w)[.]$", "", text)
    general = {
        fold_alias(text),
        " ".join(fold_alias(text).split()),
        " ".join(fold_alias(squeezed).split()),
    } - {""}
    assert alias_variants(text) == general


# Every kind of character fold() treats differently: ASCII letters, digits and punctuation; the
# punctuation folded in advance (curly quotes, dashes, no-break spaces); accented letters;
# characters that fold to nothing (combining marks, soft hyphen, zero-width space); letters
# kept as they are (ß, ligatures, CJK); İ and final sigma, whose lower case differs in length
# or in context; and the hole marker itself.
FOLD_ALPHABET = (
    "aZ09 .,'-\n\t"
    + "".join(char for char, _ in _COMMON)
    + "éÉñøŁıẛ\u0301\u00ad\u200b\u200dßæﬁ王毅İΣσ\uffff\x00"
)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(st.text(alphabet=st.sampled_from(FOLD_ALPHABET), max_size=40), st.text(max_size=20))
)
def test_fold_fast_paths_equal_the_per_character_fold(text: str) -> None:
    """The advance replacement of common punctuation, the ASCII table fold and the general
    path give what folding each character on its own gives: same text, lower case, offsets."""
    assert fold(text) == reference_fold(text)


def test_letters_folding_to_letters_fold_without_a_callback_per_character(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cyrillic, Japanese and Arabic letters whose fold is another letter that folds to itself
    ("й" to "и", "が" to "か", "ﻋ" to "ع") are folded by one replace per distinct character;
    a fold that would fold again ("Ǿ" to "Ø", and "Ø" in the text) still goes one by one."""
    texts = {"Байден и Си": "Баиден и Си", "ベルリンが東京で": "ヘルリンか東京て", "ﻋع": "عع"}
    expected = {text: _NON_ASCII.sub(_fold_match, text) for text in texts}
    assert expected == texts
    calls: list[str] = []

    def counted(match: re.Match[str]) -> str:
        calls.append(match.group())
        return _fold_match(match)

    monkeypatch.setattr("monitor.match.normalize._fold_match", counted)
    for text, folded in texts.items():
        assert _fold_non_ascii(text) == folded
    assert calls == []
    assert _fold_non_ascii("ǾØ") == "ØO"  # one pass, as the callback folds
    assert calls == ["Ǿ", "Ø"]


def test_common_punctuation_folds_one_to_one() -> None:
    """Curly quotes and dashes, folded in advance, fold as the general path folds them: to one
    space, so that offsets need no map."""
    for char in "’“”‘—–…\u00a0":
        folded = fold(f"Wang{char}Yi")
        assert (folded.cased, folded.lower, folded.positions) == ("Wang Yi", "wang yi", None)


def test_fast_constructors_build_the_same_frozen_values() -> None:
    """new_evidence/new_tag give values equal to Evidence(...)/Tag(...), of the same class,
    frozen, hashable, without a __dict__, and they pickle and replace like dataclasses."""
    proof = new_evidence("Wang Yi met Blinken.", 3, 23)
    tag = new_tag("wang-yi", "actor", "Wang Yi", 2, proof)
    expected = Tag(
        id="wang-yi",
        kind="actor",
        name="Wang Yi",
        count=2,
        evidence=Evidence("Wang Yi met Blinken.", start=3, end=23),
    )
    assert tag == expected
    assert hash(tag) == hash(expected)
    assert type(tag) is Tag
    assert type(proof) is Evidence
    assert asdict(tag) == asdict(expected)
    assert pickle.loads(pickle.dumps(tag)) == tag  # noqa: S301  # our own bytes
    assert replace(tag, count=3).count == 3
    assert not hasattr(tag, "__dict__")
    assert not hasattr(proof, "__dict__")
    with pytest.raises(FrozenInstanceError):
        tag.count = 5  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        proof.start = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        Evidence("only text")  # type: ignore[call-arg]


def test_new_tags_builds_each_tag_with_the_grade_of_its_count() -> None:
    """new_tags() gives the Tag values new_tag() gives, each with grades[count] and the last
    grade for higher counts, of the frozen class."""
    named = [
        Entry("wang-yi", "actor", "Wang Yi", (Alias("Wang Yi"),)),
        Entry("taiwan", "issue", "Taiwan", (Alias("Taiwan"),)),
        Entry("trade", "issue", "Trade", (Alias("trade"),)),
    ]
    proofs = [new_evidence(f"Sentence {n}.", n, n + 11) for n in range(3)]
    grades: tuple[tuple[TagLevel, float], ...] = (
        ("mention", 0.0),
        ("mention", 0.4),
        ("about", 0.9),
    )
    tags = new_tags(named, [1, 2, 7], proofs, grades)
    assert tags == (
        Tag("wang-yi", "actor", "Wang Yi", 1, proofs[0], "mention", 0.4),
        Tag("taiwan", "issue", "Taiwan", 2, proofs[1], "about", 0.9),
        Tag("trade", "issue", "Trade", 7, proofs[2], "about", 0.9),
    )
    assert all(type(tag) is Tag for tag in tags)
    with pytest.raises(FrozenInstanceError):
        tags[0].count = 5  # type: ignore[misc]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(sentence_pieces, min_size=1, max_size=30).map("".join).filter(bool), st.data())
def test_batch_evidence_equals_the_reference_for_every_span(text: str, data: st.DataObject) -> None:
    """Evidence for many spans at once (one lookup per span, sentences that open with white
    space only at the start) equals the reference's sentence for each span, also for spans
    that run across sentence ends."""
    ours, reference = Sentences(text), ReferenceSentences(text)
    spans = []
    for _ in range(data.draw(st.integers(1, 6))):
        start = data.draw(st.integers(0, len(text) - 1))
        spans.append((start, data.draw(st.integers(start + 1, len(text)))))
    assert ours.evidence(spans) == [reference.around(start, end) for start, end in spans]


@given(st.text(alphabet=st.sampled_from("aZ9 .'-\t"), max_size=12))
def test_aliases_compiled_as_plain_have_no_other_variant(text: str) -> None:
    """An alias the compiler takes as plain (ASCII words between single spaces, compiled
    without alias_variants) is its own only variant."""
    if _plain(text):
        assert alias_variants(text) == {text}
    for plain in ("Wang Yi", "NATO", "G7", "South China Sea"):
        assert _plain(plain)
        assert alias_variants(plain) == {plain}


_VETO = compile_veto(r"Nick\s+@")
patterns = st.builds(
    lambda entry, full, standalone, vetoed: Pattern(
        entry, full, None, standalone, (_VETO,) if vetoed else ()
    ),
    st.integers(0, 4),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(
    st.lists(patterns, min_size=2, max_size=7, unique=True),
    st.dictionaries(st.integers(0, 5), st.integers(0, 50)),
    st.sampled_from(["Nick Wang met", "Mr Wang met", "Wang"]),
)
def test_choices_worked_out_at_compile_time_choose_as_the_plain_patterns(
    found: list[Pattern], last_full: dict[int, int], text: str
) -> None:
    """A key several entries own resolves the same from its precomputed Choices as from the
    plain patterns, vetoes included."""
    plain, choices = tuple(found), Choices(found)
    assert choose(choices, last_full) == choose(plain, last_full)
    start = text.index("Wang")
    folded = fold(text)
    assert choose_unvetoed(choices, start, start + 4, last_full, text, folded) == choose_unvetoed(
        plain, start, start + 4, last_full, text, folded
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(patterns, min_size=2, max_size=7, unique=True),
    st.dictionaries(st.integers(5, 9), st.integers(0, 50)),
    st.sampled_from(["Nick Wang met", "Mr Wang met", "Wang"]),
)
def test_choices_that_pick_nobody_unseen_are_known_at_compile_time(
    found: list[Pattern], others: dict[int, int], text: str
) -> None:
    """resolve() skips a shared short form at once when Choices.unseen_none says choosing
    picks nobody while none of its entries was named in full (other entries may have been):
    exactly when choose_unvetoed() finds nobody then."""
    choices = Choices(found)
    start = text.index("Wang")
    picked = choose_unvetoed(choices, start, start + 4, others, text, fold(text))
    assert choices.unseen_none == (choose(choices, others) is None)
    if choices.unseen_none:
        assert picked is None


def test_mentions_after_characters_of_several_utf8_bytes_keep_character_offsets() -> None:
    """The automaton searches UTF-8 bytes: in a text still non-ASCII after folding (ß, CJK),
    every mention's offsets are character offsets of the text, not byte offsets."""
    vocab = build_vocabulary(
        [
            Entry("wang-yi", "actor", "Wang Yi", (Alias("王毅"), Alias("Wang Yi")), "person"),
            Entry("jurgen-weiss", "actor", "Jürgen Weiß", (Alias("Jürgen Weiß"),), "person"),
        ]
    )
    text = "Straße 王毅 und Jürgen Weiß; 王毅 met Wang Yi’s aide."
    spans = Matcher(vocab).spans(text)
    assert [(span.tag_id, text[span.start : span.end]) for span in spans] == [
        ("wang-yi", "王毅"),
        ("jurgen-weiss", "Jürgen Weiß"),
        ("wang-yi", "王毅"),
        ("wang-yi", "Wang Yi"),
    ]


@settings(max_examples=150, deadline=None)
@given(vocabularies_and_texts())
def test_the_dfa_and_the_nfa_find_the_same_keys_in_the_same_order(
    case: tuple[list[Entry], str],
) -> None:
    """A small vocabulary's automaton is a DFA, a large one's an NFA (automaton.DFA_BYTES):
    on the same keys both hand the scan the same hits in the same order (it keeps
    leftmost-longest on the fly, relying on that order); only their credit words differ."""
    entries, text = case
    keys = build_vocabulary(entries).entries
    dfa, dfa_values = build(keys, True, dfa_bytes=1 << 30)
    nfa, nfa_values = build(keys, True, dfa_bytes=0)
    assert dfa is not None
    assert nfa is not None
    size = len(nfa_values) - len(CREDIT_WORDS)
    assert dfa_values[:size] == nfa_values[:size]
    assert dfa_values[size:] == [CREDIT_VALUE] * len(DFA_CREDIT_WORDS)
    lower = fold(text).lower
    # and without the text's white space at its edges: keys at its very start and end
    for searched in (lower, lower.strip()):
        assert [hit for hit in search(dfa, searched) if hit[0] < size] == [
            hit for hit in search(nfa, searched) if hit[0] < size
        ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vocabularies_and_texts(), st.one_of(st.none(), days))
def test_one_paragraph_counting_in_resolution_equals_the_general_path(
    case: tuple[list[Entry], str], published: dt.date | None
) -> None:
    """A text of one line counts each entry while resolving its short forms (one loop): the
    same tags, counts, evidence, levels and scores as resolving first and then reading the
    layout (the general path)."""
    entries, text = case
    text = text.replace("\n", " ")
    matcher = Matcher(build_vocabulary(entries))
    assert matcher.tag(text, published=published) == matcher._general(None, text, published, None)


@pytest.mark.parametrize(
    ("text", "short"),
    [("Bill“Li” ", False), ('Then "Li" rose.', False), ("Burns met Li on Monday.", True)],
)
def test_a_quoted_short_form_agrees_with_the_reference(text: str, short: bool) -> None:
    """A person's short form in quotation marks on its own is a word: the fast path, the
    general rules and the reference matcher all leave it (hypothesis found the reference
    lacking this veto)."""
    vocab = build_vocabulary(
        parse_text(
            '[[person]]\nid = "lia-burns"\nname = "Lia Burns"\naliases = ["Burns"]\n'
            'short = [{ text = "Li", standalone = true }]\n',
            "quoted.toml",
        )
    )
    expected = [(m.entry.id, m.start, m.end) for m in ReferenceMatcher(vocab).mentions(text)]
    for matcher in (Matcher(vocab), Matcher(vocab, fast_path=False)):
        assert [(m.entry.id, m.start, m.end) for m in matcher.mentions(text)] == expected
    assert any(text[start:end] == "Li" for _, start, end in expected) is short
