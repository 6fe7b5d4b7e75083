"""Trap texts: vetoes, shared surnames, dated roles, normalisation, and real pages."""

import datetime as dt
from pathlib import Path

import pytest
from conftest import CORPUS, need_shared

from monitor.match import Matcher, compile_matcher
from monitor.match.normalize import fold
from monitor.vocab import load_vocabulary, parse_text
from monitor.vocab.loader import build_vocabulary

REALPAGES = CORPUS / "realpages"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """The bundled vocabulary, compiled once."""
    return compile_matcher(load_vocabulary())


def ids(matcher: Matcher, text: str, published: dt.date | None = None) -> dict[str, int]:
    """Tag id -> count."""
    return {t.id: t.count for t in matcher.tag(text, published=published)}


@pytest.mark.parametrize(
    "text",
    [
        "The warehouse burns for hours. Burns down the block, reporters said.",
        "Robert Burns wrote the poem; Burns Night is in January.",
        "Ken Burns filmed a documentary about the war.",
    ],
)
def test_burns_the_verb_and_other_burns_are_not_officials(matcher: Matcher, text: str) -> None:
    """'Burns' is neither Burns without William Burns or Nick Burns in the document."""
    found = ids(matcher, text)
    assert "william-burns" not in found
    assert "nick-burns" not in found


def test_burns_follows_the_burns_named_last(matcher: Matcher) -> None:
    """'Burns' resolves to whichever Burns was named in full last before it."""
    text = (
        "CIA Director William Burns spoke first. Burns said talks went well. Later "
        "Ambassador Nick Burns arrived. Burns told reporters he was hopeful."
    )
    assert ids(matcher, text) == {"william-burns": 2, "cia": 1, "nick-burns": 2}


@pytest.mark.parametrize(
    "text",
    [
        "The Dallas Cowboys won Super Bowl XI? No, the Raiders won Super Bowl Xi in 1977.",
        "Louis XI ruled France.",
        "Tourists flocked to Xi'an to see the terracotta army.",
        "Karaoke list: Dino Li Yu Xi, Jessie Zhong Jie Xi, Xi Huan Ni.",
    ],
)
def test_xi_vetoes(matcher: Matcher, text: str) -> None:
    """Roman numerals, Xi'an and parts of other pinyin names are not Xi Jinping."""
    assert "xi-jinping" not in ids(matcher, text)


def test_xi_alone_counts_when_unambiguous(matcher: Matcher) -> None:
    """'Xi' on its own is Xi Jinping: the vocabulary gives it to him alone."""
    assert ids(matcher, "Biden and Xi met in Bali.")["xi-jinping"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "He said the talks in Beijing were useful. He added that more would follow.",
        "He and Wang stressed the importance of communication.",
    ],
)
def test_he_the_pronoun_is_not_he_lifeng(matcher: Matcher, text: str) -> None:
    """The pronoun never counts for He Lifeng, with or without his full name."""
    assert "he-lifeng" not in ids(matcher, text)
    assert ids(matcher, "Vice Premier He Lifeng arrived. " + text)["he-lifeng"] == 1


def test_he_the_surname_counts_after_the_full_name(matcher: Matcher) -> None:
    """'told He.' after He Lifeng counts; 'he said' does not."""
    text = "Vice Premier He Lifeng met Raimondo. “We are ready,” he said. Raimondo told He."
    assert ids(matcher, text)["he-lifeng"] == 2


@pytest.mark.parametrize(
    "text",
    [
        "Cleverly, the company avoided the tariff.",
        "The bill was cleverly designed. Cleverly designed rules help.",
        "The plan was cleverly worded to avoid a row.",
    ],
)
def test_cleverly_the_adverb(matcher: Matcher, text: str) -> None:
    """The adverb is not James Cleverly."""
    assert "james-cleverly" not in ids(matcher, text)


def test_cleverly_the_surname(matcher: Matcher) -> None:
    """'Cleverly, whose government...' and 'Cleverly said' are James Cleverly."""
    text = "Cleverly, whose government has been criticised, flew in. Cleverly said it went well."
    assert ids(matcher, text)["james-cleverly"] == 2


@pytest.mark.parametrize(
    "text",
    [
        "Li Qiang spoke about Li-ion batteries and the Li ion market.",
        "New Li-ion plants open in Ohio.",
    ],
)
def test_li_ion_is_not_li(matcher: Matcher, text: str) -> None:
    """'Li' in Li-ion never counts, even after Li Qiang."""
    assert ids(matcher, text).get("li-qiang", 0) <= 1


def test_wang_surnames_follow_the_last_full_form(matcher: Matcher) -> None:
    """Four Wangs: each bare 'Wang' goes to the Wang named in full last before it."""
    text = (
        "Foreign Minister Wang Yi met Blinken. Wang said ties matter. Spokesman Wang Wenbin "
        "agreed. Wang added more. Commerce Minister Wang Wentao met Raimondo; Wang smiled. "
        "Public Security Minister Wang Xiaohong joined. Wang left early."
    )
    found = ids(matcher, text)
    assert {k: found[k] for k in ("wang-yi", "wang-wenbin", "wang-wentao", "wang-xiaohong")} == {
        "wang-yi": 2,
        "wang-wenbin": 2,
        "wang-wentao": 2,
        "wang-xiaohong": 2,
    }


def test_bare_wang_without_a_full_form_names_nobody(matcher: Matcher) -> None:
    """An ambiguous short form with no full form before it is skipped."""
    found = ids(matcher, "Jake Sullivan met with Wang in Vienna.")
    assert not {"wang-yi", "wang-wenbin", "wang-wentao", "wang-xiaohong"} & found.keys()


def test_other_peoples_given_names_block_short_forms(matcher: Matcher) -> None:
    """'Gareth Johnson' and 'Logan Ryan' are not Boris Johnson or Mark Logan."""
    text = (
        "Boris Johnson spoke. Mark Logan listened. Gareth Johnson and Dr Caroline Johnson "
        "voted. Giants player Logan Ryan said hi. Mr Johnson left."
    )
    found = ids(matcher, text)
    assert found["boris-johnson"] == 2
    assert found["mark-logan"] == 1


def test_byline_location_is_not_a_taiwan_mention(matcher: Matcher) -> None:
    """'writers ... in Taipei, Taiwan' is a byline, not the Taiwan issue."""
    text = "AP writer Huizhong Wu in Taipei, Taiwan contributed to this report."
    assert "taiwan" not in ids(matcher, text)
    assert "taiwan" in ids(matcher, "Tensions rose in the Taiwan Strait.")


@pytest.mark.parametrize(
    ("day", "who"),
    [
        (dt.date(2022, 6, 1), "wang-yi"),
        (dt.date(2023, 3, 1), "qin-gang"),
        (dt.date(2023, 8, 1), "wang-yi"),
    ],
)
def test_dated_role_resolves_by_article_date(matcher: Matcher, day: dt.date, who: str) -> None:
    """'the Chinese foreign minister' is whoever held the post on the article's date."""
    found = ids(matcher, "The Chinese foreign minister said talks went well.", day)
    assert who in found
    assert not {"wang-yi", "qin-gang"} - {who} & found.keys()


def test_dated_role_needs_a_date_and_skips_titles(matcher: Matcher) -> None:
    """Without a date nothing resolves; a title before a name is not a second mention."""
    assert "antony-blinken" not in ids(matcher, "The U.S. Secretary of State flew in.")
    day = dt.date(2023, 6, 18)
    assert ids(matcher, "The U.S. Secretary of State flew in.", day)["antony-blinken"] == 1
    titled = "U.S. Secretary of State Antony Blinken flew in."
    assert ids(matcher, titled, day)["antony-blinken"] == 1
    assert "antony-blinken" not in ids(matcher, "The former U.S. Secretary of State spoke.", day)
    assert ids(matcher, "The U.S. President spoke.", dt.date(2019, 5, 1))["donald-trump"] == 1


def test_premier_li_is_the_premier_of_the_day_counted_once(matcher: Matcher) -> None:
    """'Premier Li' names the premier of the article's date (both since 2013 are a Li); its
    'Li' is not counted again as a short form; with a given name after it, the name decides."""
    text = "Premier Li opened the session. Li said growth would hold."
    assert ids(matcher, text, dt.date(2017, 3, 15))["li-keqiang"] == 2
    assert ids(matcher, text, dt.date(2024, 3, 5))["li-qiang"] == 2
    assert not {"li-keqiang", "li-qiang"} & ids(matcher, text, dt.date(2010, 3, 5)).keys()
    older = "Premier Li Peng was recalled by the paper."
    assert not {"li-keqiang", "li-qiang"} & ids(matcher, older, dt.date(2017, 3, 15)).keys()


def test_role_establishes_the_person_for_short_forms(matcher: Matcher) -> None:
    """A resolved role counts as a full form: a later 'Wang' goes to that person."""
    text = "China's top diplomat arrived in Vienna. Wang then met Sullivan."
    assert ids(matcher, text, dt.date(2023, 5, 10))["wang-yi"] == 2


def test_normalisation_of_quotes_hyphens_accents_and_hidden_characters(matcher: Matcher) -> None:
    """Curly apostrophes, dash variants, accents, soft hyphens and NFD text still match."""
    text = (
        "Blin\u00adken visited Hong\u2011Kong after its crackdown on protests. "
        "“Xinjiang’s camps” and Uyghur rights. Antony Blinke\u0301n? No: Antony Blinken. "
        "Tik\u200bTok faces a ban. CÔVID-19 returned."
    )
    found = ids(matcher, text)
    assert found["antony-blinken"] == 3
    assert found["tiktok"] == 1
    assert {"hong-kong", "xinjiang", "covid-19"} <= found.keys()


def test_offsets_survive_normalisation(matcher: Matcher) -> None:
    """Spans point at the original characters even when folding drops some."""
    text = "e\u0301te\u0301: Ble\u00adak. Antony Blin\u00adken said “Taiwan’s” fine."
    for span in matcher.spans(text):
        assert span.start < span.end <= len(text)
    blinken = next(s for s in matcher.spans(text) if s.tag_id == "antony-blinken")
    assert text[blinken.start : blinken.end] == "Antony Blin\u00adken"


def test_case_rules(matcher: Matcher) -> None:
    """Names match as written (and in capitals when several words); 'us' is not the US."""
    assert "united-states" not in ids(matcher, "Let us talk about china plates.")
    assert "china" not in ids(matcher, "Let us talk about china plates.")
    assert "wang-yi" in ids(matcher, "WANG YI MEETS BLINKEN")
    assert "artificial-intelligence" in ids(matcher, "Rules for Artificial Intelligence")
    assert "artificial-intelligence" not in ids(matcher, "Ai Weiwei's new show.")


def test_cjk_alias_matches_without_spaces(matcher: Matcher) -> None:
    """Aliases in Chinese script match inside unspaced text."""
    assert ids(matcher, "外交部长王毅会见了布林肯。")["wang-yi"] == 1


def synthetic() -> Matcher:
    """A tiny vocabulary that has nothing to do with the bundled one."""
    text = """
[[person]]
id = "ada-stone"
name = "Ada Stone"
short = [{ text = "Stone", standalone = false, veto = ['@\\s+Age'] }]
[[person.role]]
title = "Mayor"
from = 2020-01-01
to = 2021-12-31
phrases = ["the mayor of Rivertown"]
[[person]]
id = "bo-stone"
name = "Bo Stone"
short = [{ text = "Stone", standalone = false }]
[[person.role]]
title = "Mayor"
from = 2022-01-01
phrases = ["the mayor of Rivertown"]
[[organization]]
id = "acme"
name = "Acme"
aliases = ["ACME Corp", { text = "acme", case = "any" }]
[[issue]]
id = "potholes"
name = "Potholes"
aliases = ["pothole", "potholes", "road repairs"]
"""
    return compile_matcher(build_vocabulary(parse_text(text, "synthetic.toml")))


def test_engine_works_for_any_vocabulary() -> None:
    """A synthetic vocabulary: short forms, vetoes, roles and issues behave the same."""
    m = synthetic()
    text = "Ada Stone toured Acme. Stone said potholes matter; Stone Age tools fixed a pothole."
    tags = {t.id: t.count for t in m.tag(text)}
    assert tags == {"ada-stone": 2, "acme": 1, "potholes": 2}
    day = dt.date(2022, 5, 1)
    assert {t.id for t in m.tag("The mayor of Rivertown spoke. Stone agreed.", published=day)} == {
        "bo-stone"
    }
    assert m.tag("Stone spoke.") == ()


def test_empty_vocabulary_tags_nothing() -> None:
    """A matcher over no entries returns no tags."""
    m = compile_matcher(build_vocabulary([]))
    assert m.tag("Antony Blinken") == ()


def test_fold_keeps_length_for_plain_text() -> None:
    """Folding without dropped characters keeps every offset as is."""
    folded = fold("Wang Yi’s “visit” — São Paulo")
    assert folded.positions is None
    assert folded.lower == "wang yi s  visit    sao paulo"


def _page_text(path: Path) -> str:
    from monitor.extract import extract_article

    article = extract_article(path.read_bytes(), url=None)
    return article.text if article else ""


# What each real page truly names (read by hand); anything else the matcher finds is false.
REAL_ALLOWED = {
    "battery-news.de.ultium-cells.html": {"united-states", "united-kingdom", "china"},
    "chineselyrics4u.com.zhineng.html": set(),
    "dailymail.co.uk.food.html": {
        "united-kingdom",
        "united-states",
        "boris-johnson",
        "european-union",
        "james-cleverly",
        "mark-logan",
        "dominic-raab",
        "rishi-sunak",
        "alicia-kearns",
        "geoffrey-clifton-brown",
        "australia",
        "mexico",
        "donald-trump",
        "joe-biden",
        # the page's list of MPs, and "Trade Secretary Liz Truss"
        "anne-marie-trevelyan",
        "ben-wallace",
        "grant-shapps",
        "jeremy-hunt",
        "kemi-badenoch",
        "kwasi-kwarteng",
        "liz-truss",
        "nadhim-zahawi",
        "sajid-javid",
    },
    "ticotimes.net-migration.html": {"united-states", "antony-blinken", "joe-biden", "mexico"},
    "umweltbundesamt.de-atomkraft.html": {"european-union"},
}


@pytest.mark.parametrize("name", sorted(REAL_ALLOWED))
def test_real_pages_yield_no_false_actors(matcher: Matcher, name: str) -> None:
    """Real pages full of look-alike names and words yield only the actors they name."""
    path = REALPAGES / name
    need_shared(path)
    import lxml.html

    doc = lxml.html.fromstring(path.read_bytes())
    for node in doc.xpath("//script|//style|//noscript"):
        node.drop_tree()
    for text in (_page_text(path), doc.text_content()):
        actors = {t.id for t in matcher.tag(text) if t.kind == "actor"}
        assert actors <= REAL_ALLOWED[name], sorted(actors - REAL_ALLOWED[name])


@pytest.mark.parametrize(
    ("text", "day", "named"),
    [
        # an opponent speaking of him by his first name, from his first campaign on
        (
            "Donald has never released his tax returns, and he never will.",
            dt.date(2016, 10, 9),
            True,
        ),
        ("I was shocked when Donald praised the strongman again.", dt.date(2016, 10, 9), True),
        # other people called Donald: a name beside it, or a time before his campaign
        ("Donald Glover hosts the show tonight.", dt.date(2018, 5, 5), False),
        ("The paceman Allan Donald took four wickets before lunch.", dt.date(2016, 1, 4), False),
        ("Donald says the harvest came in late this year.", dt.date(2009, 9, 1), False),
    ],
)
def test_donald_alone_is_trump_only_from_his_campaign_and_not_beside_a_name(
    matcher: Matcher, text: str, day: dt.date, named: bool
) -> None:
    """'Donald' alone names Donald Trump in documents from June 2015, as debate turns and
    interviews use it; never next to another capitalised name, nor before his campaign."""
    assert ("donald-trump" in ids(matcher, text, day)) is named


def _dated_surname() -> Matcher:
    """A made-up office holder whose surname alone names her only while in office."""
    text = """
[[person]]
id = "ada-stone"
name = "Ada Stone"
short = [{ text = "Stone", standalone = { since = 2031-05-01, until = 2033-01-31 }, \
veto = ['@\\s+&'] }]
"""
    return compile_matcher(build_vocabulary(parse_text(text, "synthetic.toml")))


@pytest.mark.parametrize(
    ("text", "day", "named"),
    [
        # in office: the surname alone names her
        ("Stone bows to pressure over the harbour plan", dt.date(2032, 3, 1), True),
        ("Stone bows to pressure over the harbour plan", dt.date(2031, 5, 1), True),
        ("Stone bows to pressure over the harbour plan", dt.date(2033, 1, 31), True),
        # out of office, or no date: not alone
        ("Stone bows to pressure over the harbour plan", dt.date(2031, 4, 30), False),
        ("Stone bows to pressure over the harbour plan", dt.date(2034, 6, 1), False),
        ("Stone bows to pressure over the harbour plan", None, False),
        # after her full form, on any day
        ("Ada Stone spoke first. Later Stone bowed to pressure.", dt.date(2040, 6, 1), True),
        # someone else with her surname, and a veto
        ("Gus Stone, a farmer, spoke. Later Stone left the hall.", dt.date(2032, 3, 1), False),
        ("Shares of Stone & Sons rose", dt.date(2032, 3, 1), False),
    ],
)
def test_a_dated_standalone_short_form_names_alone_only_in_its_days(
    text: str, day: dt.date | None, named: bool
) -> None:
    """A short form with `standalone = { since, until }` names its entry on its own only in
    documents dated within those days (never undated ones) and not after a veto has shown the
    name as someone else's in the document; after the full form it names it on any day."""
    matcher = _dated_surname()
    for title, body in ((text, ""), (None, text)):  # a headline alone, a paragraph alone
        tags = matcher.tag_document(title, body, published=day)
        assert ("ada-stone" in {t.id for t in tags}) is named, (title, body)


@pytest.mark.parametrize(
    ("text", "day", "named"),
    [
        ("Johnson promises a plan for the high street", dt.date(2020, 5, 1), True),
        ("Johnson promises a plan for the high street", dt.date(2023, 5, 1), False),
        ("Johnson & Johnson shares rise on the new drug", dt.date(2021, 3, 1), False),
        ("Jo Johnson quits the cabinet; Johnson thanks his brother", dt.date(2019, 9, 5), False),
    ],
)
def test_johnson_alone_is_boris_johnson_in_his_premiership(
    matcher: Matcher, text: str, day: dt.date, named: bool
) -> None:
    """The bundled entry: "Johnson" alone is Boris Johnson from July 2019 to September 2022,
    never in "Johnson & Johnson" nor in a text that names another Johnson by given name."""
    assert ("boris-johnson" in ids(matcher, text, day)) is named


def test_explain_says_a_person_was_named_by_a_dated_short_form_alone() -> None:
    """--explain names the dated standalone short form and its days; after the full form it
    does not (the full form names the person)."""
    matcher = _dated_surname()
    day = dt.date(2032, 3, 1)
    ((_, alone),) = matcher.explain("Stone bows to pressure", "", published=day)
    assert any("'Stone' alone" in reason and "2031-05-01" in reason for reason in alone.reasons)
    ((_, full),) = matcher.explain("Ada Stone bows to pressure", "Stone left.", published=day)
    assert not any("alone" in reason for reason in full.reasons)
