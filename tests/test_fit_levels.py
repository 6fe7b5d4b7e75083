"""bench/fit_levels.py fits the `about` level's weights on features that must be the rule's
own: the weights in force on them give the score the tagger gives (texts written here)."""

import datetime as dt
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from monitor.match import Matcher, compile_matcher
from monitor.vocab import load_vocabulary

DAY = dt.date(2023, 6, 18)
BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def fit_levels() -> ModuleType:
    """bench/fit_levels.py as a module (it needs numpy, as the bench does)."""
    pytest.importorskip("numpy")
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("fit_levels")
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_matcher(load_vocabulary())


SENTENCE = (
    "The ministry published its figures for the quarter on Tuesday morning, and officials "
    "said the numbers were broadly in line with what analysts had expected for the season. "
)
HEADLINED = (
    "Ministers meet over climate change targets",
    "Ministers from twelve countries met on Monday to discuss their targets.\n\n"
    + SENTENCE
    + "\n\nThe talks turned to climate change and to the cost of new power lines.\n\n"
    + SENTENCE
    + "\n\nTariffs on steel were raised once, in passing, by one delegate.\n\n"
    + SENTENCE
    + "\n\nClimate change, the chair said, would be back on the agenda in autumn.",
)
# no headline, several paragraphs: the first sentence stands for the headline
LEAD_SENTENCE = (
    None,
    "Tariffs on solar panels are the subject of a new inquiry by the commission. "
    + SENTENCE * 4
    + "\n\n"
    + SENTENCE * 3
    + "\n\nThe inquiry will also hear about climate change.",
)
# a headline and a long text without line breaks: read in blocks of sentences
FLAT = (
    "A port town waits for its ferries",
    SENTENCE * 3
    + "Climate change has moved the storms closer to the coast, the harbour master said. "
    + SENTENCE * 6
    + "Locals blame climate change for the flooding of the old quay. "
    + SENTENCE * 6
    + "A study of climate change in the region is due next year. "
    + SENTENCE * 3,
)
# one paragraph, no headline (a feed summary): every mention counts, all of it is lede
SUMMARY = (
    None,
    "Officials said tariffs would rise. " + SENTENCE * 6 + "New tariffs start in May, and more "
    "tariffs may follow.",
)


@pytest.mark.parametrize("document", [HEADLINED, LEAD_SENTENCE, FLAT, SUMMARY])
def test_the_weights_in_force_on_the_features_give_the_taggers_score(
    fit_levels: ModuleType, matcher: Matcher, document: tuple[str | None, str]
) -> None:
    title, text = document
    tagged = {
        t.id: t.score for t in matcher.tag_document(title, text, published=DAY) if t.kind == "issue"
    }
    rows = fit_levels.document_rows(matcher, title, text, DAY, None)
    assert tagged
    assert {issue for issue, _, _ in rows} == set(tagged)
    for issue, row, score in rows:
        assert score == pytest.approx(tagged[issue], abs=0.001)
        assert fit_levels.rule_score(row) == pytest.approx(score, abs=0.001), (issue, row)


def test_a_headline_less_texts_first_sentence_is_its_headline_feature(
    fit_levels: ModuleType, matcher: Matcher
) -> None:
    rows = {
        issue: row for issue, row, _ in fit_levels.document_rows(matcher, *LEAD_SENTENCE, DAY, None)
    }
    assert rows["trade"]["headline"] == 1.0
    assert rows["climate-change"]["headline"] == 0.0


def test_spread_over_blocks_of_sentences_is_full_at_their_share(
    fit_levels: ModuleType, matcher: Matcher
) -> None:
    (row,) = [row for issue, row, _ in fit_levels.document_rows(matcher, *FLAT, DAY, None)]
    # three of the flat text's seven blocks name it: full at half the blocks (a block holds
    # about two paragraphs), not at a quarter as paragraphs are
    assert row["spread"] == pytest.approx(3 / 7 / 0.5)
