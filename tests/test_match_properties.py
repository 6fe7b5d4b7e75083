"""Property tests: matching never crashes and every offset points at what it names."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.match import compile_matcher
from monitor.match.normalize import fold
from monitor.vocab import load_vocabulary

MATCHER = compile_matcher(load_vocabulary())
NAMES = [
    "Wang Yi",
    "Wang",
    "Xi",
    "Xi Jinping",
    "He",
    "He Lifeng",
    "Li",
    "Li-ion",
    "Burns",
    "Nick Burns",
    "Cleverly",
    "U.S.",
    "Taiwan",
    "Hong Kong",
    "Uyghur",
    "the Chinese Foreign Minister",
    "Blin\u00adken",
    "e\u0301",
    "’s",
    "—",
    "İ",
    "\u200b",
    "\uffff",
    "\x00",
    "王毅",
]
pieces = st.one_of(
    st.sampled_from(NAMES),
    st.text(max_size=8),
    st.sampled_from([" ", ". ", "\n", ", ", "-", "“", "”"]),
)
texts = st.lists(pieces, max_size=40).map("".join)
dates = st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1)))


def _key(text: str) -> str:
    return " ".join(fold(text).lower.split())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, dates)
def test_spans_point_at_the_alias_they_name(text: str, published: dt.date | None) -> None:
    """Every span lies inside the text, and its text folds to one of the entry's aliases or
    role phrases."""
    for span in MATCHER.spans(text, published=published):
        assert 0 <= span.start < span.end <= len(text)
        entry = MATCHER.vocabulary.get(span.tag_id)
        assert entry is not None
        forms = {_key(a.text) for a in entry.aliases}
        forms |= {_key(p) for r in entry.roles for p in r.phrases}
        forms |= {_key(f.replace(".", "")) for f in list(forms)}
        found = _key(text[span.start : span.end])
        assert found in forms or found.replace(" ", "") in {f.replace(" ", "") for f in forms}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, dates)
def test_evidence_contains_the_first_mention(text: str, published: dt.date | None) -> None:
    """Evidence offsets slice the evidence text out of the document, around a mention."""
    spans = MATCHER.spans(text, published=published)
    for tag in MATCHER.tag(text, published=published):
        ev = tag.evidence
        assert text[ev.start : ev.end] == ev.text
        first = next(s for s in spans if s.tag_id == tag.id)
        assert ev.start <= first.start
        assert first.end <= ev.end
        assert tag.count == sum(1 for s in spans if s.tag_id == tag.id)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_unicode_never_crashes(text: str) -> None:
    """Arbitrary Unicode tags without an exception, and folding keeps a map of offsets."""
    MATCHER.tag(text)
    folded = fold(text)
    assert len(folded.cased) == len(folded.lower)
    if folded.positions is None:
        assert len(folded.cased) == len(text)
    else:
        assert len(folded.positions) == len(folded.cased)
        assert list(folded.positions) == sorted(set(folded.positions))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(NAMES), st.sampled_from([" ", ", "]), st.characters(categories=["Cs"])
        ),
        max_size=20,
    ).map("".join)
)
def test_lone_surrogates_fold_away_and_never_crash(text: str) -> None:
    """Text decoded with surrogateescape keeps lone surrogates, which the automaton cannot
    take (it searches UTF-8): folding makes them spaces, and mentions around them count."""
    assert all(not "\ud800" <= char <= "\udfff" for char in fold(text).lower)
    MATCHER.tag(text)


def test_a_surrogate_next_to_a_mention_leaves_it_found() -> None:
    tags = MATCHER.tag("Wang Yi\udcff met Antony Blinken \udc80in Beijing.")
    assert {t.id for t in tags} >= {"wang-yi", "antony-blinken"}
