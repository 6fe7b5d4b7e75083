"""The vocabulary is current: every government post it tracks has a holder on every day from
2020-01-01 to today, each role says where its dates come from, role phrases and bare titles
name today's holders, and every person and issue has its Chinese name in both scripts.

Exactly one holder per day for posts one person holds at a time (a president, a minister, an
ambassador; acting holders are listed under the post they filled); at least one for posts
several people share (the Chinese foreign ministry's spokespeople). A post may be vacant only
in the windows listed below, where an embassy was led by a chargé d'affaires or the minister
had been removed before a successor was named; on those days it must have no holder at all.
"""

import re
import tomllib
from datetime import date, timedelta

import pytest

from monitor.match import Matcher, compile_matcher
from monitor.vocab import bundled_files, load_vocabulary
from monitor.vocab.model import Entry, Vocabulary

FIRST = date(2020, 1, 1)
ONE, SHARED = "one", "shared"
# (org, title) -> (one or shared holders, vacancies as inclusive (first, last) days)
OFFICES: dict[tuple[str, str], tuple[str, tuple[tuple[date, date], ...]]] = {
    ("united-states", "President"): (ONE, ()),
    ("united-states", "Secretary of State"): (ONE, ()),
    ("united-states", "Secretary of Defense"): (ONE, ()),
    ("united-states", "Secretary of Commerce"): (ONE, ()),
    ("united-states", "Secretary of the Treasury"): (ONE, ()),
    ("united-states", "National Security Advisor"): (ONE, ()),
    # Branstad left Beijing in October 2020, Burns arrived early 2022; Perdue from April 2025
    ("united-states", "Ambassador to China"): (
        ONE,
        ((date(2020, 10, 5), date(2022, 2, 28)), (date(2025, 1, 21), date(2025, 4, 28))),
    ),
    ("china", "President"): (ONE, ()),
    ("chinese-communist-party", "General Secretary of the Chinese Communist Party"): (ONE, ()),
    ("china", "Premier"): (ONE, ()),
    ("china", "Foreign Minister"): (ONE, ()),
    # Li Shangfu removed in October 2023, Dong Jun named at the end of December 2023
    ("china", "Minister of National Defense"): (ONE, ((date(2023, 10, 24), date(2023, 12, 28)),)),
    ("ministry-of-commerce", "Minister of Commerce"): (ONE, ()),
    ("china", "Minister of Finance"): (ONE, ()),
    # between Cui Tiankai and Qin Gang, and between Qin Gang and Xie Feng
    ("china", "Ambassador to the United States"): (
        ONE,
        ((date(2021, 6, 24), date(2021, 7, 27)), (date(2022, 12, 31), date(2023, 5, 22))),
    ),
    # between Liu Xiaoming and Zheng Zeguang
    ("china", "Ambassador to the United Kingdom"): (ONE, ((date(2021, 1, 30), date(2021, 5, 31)),)),
    ("chinese-foreign-ministry", "Foreign Ministry spokesperson"): (SHARED, ()),
    ("united-kingdom", "Prime Minister"): (ONE, ()),
    ("united-kingdom", "Foreign Secretary"): (ONE, ()),
    ("united-kingdom", "Defence Secretary"): (ONE, ()),
    ("united-kingdom", "Chancellor of the Exchequer"): (ONE, ()),
    ("united-kingdom", "Trade Secretary"): (ONE, ()),
    ("united-kingdom", "National Security Adviser"): (ONE, ()),
    ("united-kingdom", "Ambassador to China"): (ONE, ()),
}
# People with no Chinese name in use that could be written down without guessing characters:
# a Hong Kong official known here only by the romanisation of her Cantonese name.
NO_CHINESE_NAME = {"so-yuen-ling": "Cantonese romanisation only; characters unknown"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def matcher(vocab: Vocabulary) -> Matcher:
    return compile_matcher(vocab)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _holders(vocab: Vocabulary, org: str, title: str, day: date) -> list[str]:
    return [
        e.id for e in vocab for r in e.roles if r.org == org and r.title == title and r.held_on(day)
    ]


@pytest.mark.parametrize("office", sorted(OFFICES), ids=lambda o: f"{o[0]}:{o[1]}")
def test_every_post_has_a_holder_every_day_since_2020(
    vocab: Vocabulary, office: tuple[str, str]
) -> None:
    """One holder a day (at least one for shared posts), none only in a listed vacancy."""
    org, title = office
    kind, vacancies = OFFICES[office]
    wrong = []
    for day in _days(FIRST, date.today()):
        holders = _holders(vocab, org, title, day)
        vacant = any(first <= day <= last for first, last in vacancies)
        wanted = (0, 0) if vacant else (1, 1) if kind == ONE else (1, 99)
        if not wanted[0] <= len(holders) <= wanted[1]:
            wrong.append((str(day), holders, "vacant" if vacant else kind))
    assert not wrong, f"{len(wrong)} days wrong, first: {wrong[:3]}"


def test_the_check_itself_catches_a_gap_and_an_overlap(vocab: Vocabulary) -> None:
    """Dropping a holder leaves days without one; two holders on a day are counted."""
    rubio = vocab.get("marco-rubio")
    assert rubio is not None
    without = Vocabulary(tuple(e for e in vocab if e.id != "marco-rubio"))
    assert _holders(without, "united-states", "Secretary of State", date(2026, 1, 1)) == []
    assert _holders(vocab, "united-states", "Secretary of State", date(2026, 1, 1)) == [
        "marco-rubio"
    ]
    # Rubio holds two posts at once from May 2025: different posts may overlap
    assert _holders(vocab, "united-states", "National Security Advisor", date(2025, 6, 1)) == [
        "marco-rubio"
    ]


def _raw_roles() -> list[tuple[str, dict[str, object]]]:
    out = []
    for path in bundled_files():
        for person in tomllib.loads(path.read_text(encoding="utf-8")).get("person", []):
            for role in person.get("role", []):
                out.append((person["id"], role))
    return out


def test_every_post_role_has_a_source_and_open_roles_say_unverified() -> None:
    """Each role of a tracked post says where its dates come from; a holder still in post
    says from when that is unverified, and an uncertain date says approximate."""
    seen = 0
    for person, role in _raw_roles():
        if (role.get("org"), role.get("title")) not in OFFICES:
            continue
        seen += 1
        source = role.get("source")
        assert isinstance(source, str), (person, role.get("title"))
        assert len(source) > 20, (person, role.get("title"))
        if "to" not in role:
            assert re.search(r"\(holder after \d{4}-\d{2} unverified\)", source), (person, source)
    assert seen >= 60


def test_every_person_and_issue_has_a_chinese_name(vocab: Vocabulary) -> None:
    """At least one alias in Chinese script for each person and issue (bar the listed)."""
    missing = [
        e.id
        for e in vocab
        if (e.type == "person" or e.kind == "issue")
        and e.id not in NO_CHINESE_NAME
        and not any(_CJK.search(a.text) for a in e.aliases)
    ]
    assert missing == []
    for entry_id in NO_CHINESE_NAME:
        assert entry_id in vocab


def test_chinese_names_come_in_both_scripts(vocab: Vocabulary) -> None:
    """Where simplified and traditional characters differ, both forms are aliases."""
    pairs = {
        "杨洁篪": "楊潔篪",
        "华春莹": "華春瑩",
        "赵立坚": "趙立堅",
        "郑泽光": "鄭澤光",
        "蓬佩奥": "蓬佩奧",
        "鲁比奥": "魯比奧",
        "台湾": "臺灣",
        "新疆": "新疆",
        "香港国安法": "香港國安法",
        "贸易战": "貿易戰",
        "芬太尼": "芬太尼",
    }
    aliases = {a.text for e in vocab for a in e.aliases}
    for simplified, traditional in pairs.items():
        assert simplified in aliases, simplified
        assert traditional in aliases, traditional


def _entry(vocab: Vocabulary, entry_id: str) -> Entry:
    found = vocab.get(entry_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("text", "day", "who"),
    [
        ("The U.S. Secretary of State arrived in Beijing.", date(2026, 6, 1), "marco-rubio"),
        ("The U.S. Secretary of State arrived in Beijing.", date(2020, 6, 1), "mike-pompeo"),
        ("The U.S. Secretary of State arrived in Beijing.", date(2023, 6, 1), "antony-blinken"),
        ("The U.S. Defense Secretary met his counterpart.", date(2025, 3, 1), "pete-hegseth"),
        (
            "The U.S. Defense Secretary met his counterpart.",
            date(2020, 12, 1),
            "christopher-c-miller",
        ),
        ("The U.S. Treasury Secretary flew to London.", date(2026, 2, 1), "scott-bessent"),
        ("The U.S. Commerce Secretary spoke.", date(2026, 2, 1), "howard-lutnick"),
        ("The White House national security adviser spoke.", date(2025, 3, 1), "mike-waltz"),
        ("The U.S. Ambassador to China spoke.", date(2026, 2, 1), "david-perdue"),
        ("The Chinese Defense Minister spoke.", date(2024, 5, 1), "dong-jun"),
        ("The Chinese Finance Minister spoke.", date(2025, 5, 1), "lan-foan"),
        ("The Chinese Premier spoke.", date(2022, 5, 1), "li-keqiang"),
        ("Premier Li spoke on trade.", date(2017, 3, 15), "li-keqiang"),
        ("Premier Li spoke on trade.", date(2024, 3, 5), "li-qiang"),
        ("China's ambassador to the U.S. spoke.", date(2024, 5, 1), "xie-feng"),
        ("The British Prime Minister spoke.", date(2026, 2, 1), "keir-starmer"),
        ("The British Foreign Secretary spoke.", date(2025, 10, 1), "yvette-cooper"),
        ("The British Foreign Secretary spoke.", date(2024, 1, 10), "david-cameron"),
        ("The UK Chancellor spoke.", date(2022, 9, 20), "kwasi-kwarteng"),
        ("The British Ambassador to China spoke.", date(2022, 9, 20), "caroline-wilson"),
    ],
)
def test_role_phrases_name_the_holder_of_the_day(
    matcher: Matcher, text: str, day: date, who: str
) -> None:
    """A role phrase names whoever held the post on the article's date."""
    people = {t.id for t in matcher.tag(text, published=day)} - {
        "china",
        "united-states",
        "united-kingdom",
    }
    assert people == {who}


@pytest.mark.parametrize(
    ("official", "text", "day", "who"),
    [
        (
            "united-states",
            "The Secretary of State will travel to Asia.",
            date(2026, 3, 2),
            "marco-rubio",
        ),
        (
            "united-states",
            "The Secretary of Commerce announced new rules.",
            date(2025, 6, 2),
            "howard-lutnick",
        ),
        (
            "united-states",
            "The President met the National Security Advisor.",
            date(2026, 3, 2),
            "donald-trump marco-rubio",
        ),
        (
            "united-states",
            "The Secretary of War spoke at the Pentagon.",
            date(2025, 10, 2),
            "pete-hegseth",
        ),
        (
            "united-kingdom",
            "The Prime Minister said the talks went well.",
            date(2026, 3, 2),
            "keir-starmer",
        ),
        (
            "united-kingdom",
            "The Chancellor will present the budget.",
            date(2023, 3, 2),
            "jeremy-hunt",
        ),
    ],
)
def test_bare_titles_in_official_texts_name_todays_holder(
    matcher: Matcher, official: str, text: str, day: date, who: str
) -> None:
    """In a government's own text "the Secretary of State" names the holder on its date."""
    tags = matcher.tag_document(None, text + "\n", published=day, official=official)
    assert {t.id for t in tags} == set(who.split())


def test_an_office_named_after_its_title_is_not_its_holder(matcher: Matcher) -> None:
    """ "the Office of the Secretary of Defense" is an office, not the secretary."""
    text = "Staff of the Office of the Secretary of Defense met.\n"
    tags = matcher.tag_document(None, text, published=date(2023, 7, 11), official="united-states")
    assert "lloyd-austin" not in {t.id for t in tags}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "美国国务卿鲁比奥与中国外交部长王毅会谈，双方讨论了台湾问题和芬太尼。",
            {"marco-rubio", "wang-yi", "taiwan", "fentanyl"},
        ),
        ("解放军在台湾周边举行军演，北京表示坚决反对台独。", {"taiwan"}),
        (
            "英国首相斯塔默会见国家主席习近平，谈及香港国安法与人权。",
            {"keir-starmer", "xi-jinping", "hong-kong", "human-rights"},
        ),
        (
            "習近平與拜登會晤，討論臺灣海峽、南海與出口管制。",
            {"xi-jinping", "joe-biden", "taiwan", "south-china-sea", "export-controls"},
        ),
        ("外交部發言人毛寧表示，美方應停止貿易戰。", {"mao-ning", "trade"}),
        (
            "布林肯在北京会见王毅，谈到俄乌冲突和新疆。",
            {"antony-blinken", "wang-yi", "russia-ukraine-war", "xinjiang"},
        ),
    ],
)
def test_chinese_text_tags_people_and_issues(matcher: Matcher, text: str, want: set[str]) -> None:
    """Chinese text in either script tags the people and issues it names."""
    found = {t.id for t in matcher.tag(text)} - {
        "china",
        "united-states",
        "united-kingdom",
        "russia",
    }
    assert found == want


@pytest.mark.parametrize(
    "text",
    [
        "台风袭击台湾，多地暴雨。",  # a typhoon over Taiwan: the place, not the issue
        "他在中南海会见外宾。",  # Zhongnanhai is not the South China Sea
        "电商平台海外市场扩张。",  # "platform overseas", not the Strait
        "她在舞台独白。",  # a stage monologue, not independence
        "日韩正式签署协议。",  # "Japan and Korea formally", not Han Zheng
        "四川普通话很有趣。",  # Sichuan Mandarin, not Trump
        "中东突发事件。",  # "Middle East, sudden", not East Turkestan
    ],
)
def test_chinese_words_in_another_sense_tag_nothing(matcher: Matcher, text: str) -> None:
    """Chinese is written without spaces, so an alias can sit across two words: weak
    aliases need Chinese cues, vetoes and longer names drop the other senses."""
    assert {t.id for t in matcher.tag(text)} - {"china"} == set()


def test_chinese_cues_confirm_a_weak_alias(vocab: Vocabulary, matcher: Matcher) -> None:
    """ "台湾" alone is weak; Chinese cues beside it (解放军, 军机) confirm it. Taiwan needs two
    (`min_cues`): one is not enough."""
    taiwan = _entry(vocab, "taiwan")
    assert "台湾" in taiwan.weak
    assert {t.id for t in matcher.tag("台湾的天气很好。")} == set()
    assert "taiwan" not in {t.id for t in matcher.tag("解放军靠近台湾。")}
    assert "taiwan" in {t.id for t in matcher.tag("解放军军机靠近台湾。")}


def test_a_source_note_must_be_text() -> None:
    """`source` is a note in words; anything else is refused with its file, line and key."""
    from monitor.errors import VocabularyError
    from monitor.vocab import parse_text

    bad = (
        '[[person]]\nid = "jane-roe"\nname = "Jane Roe"\n[[person.role]]\n'
        'title = "Minister"\nfrom = 2024-01-01\nsource = 2024\n'
    )
    with pytest.raises(VocabularyError) as caught:
        parse_text(bad, "mine.toml")
    assert "source must be a string" in str(caught.value)
    assert "mine.toml" in str(caught.value)
    assert "role.source" in str(caught.value)
    good = bad.replace("source = 2024", 'source = "sworn in January 2024"')
    assert parse_text(good)[0].roles[0].start == date(2024, 1, 1)
