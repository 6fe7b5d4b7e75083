"""Relevance: senses, names, places and levels of issue tags, and the person rules, on texts
written for these tests (real text is scored in bench/bench_relevance.py)."""

import asyncio
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from httpserver import HTTPTestServer
from typer.testing import CliRunner

from monitor.cli import app
from monitor.match import Matcher, compile_matcher
from monitor.match.query import QueryDoc, parse_query
from monitor.match.relevance import (
    SHORT_HEADLINE,
    SHORT_TEXT,
    Layout,
    inside_name,
    lead_sentence,
    short_text,
)
from monitor.store import Store
from monitor.types import Tag
from monitor.vocab import load_vocabulary

DAY = dt.date(2023, 6, 18)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """The bundled vocabulary, compiled once."""
    return compile_matcher(load_vocabulary())


def tags(
    matcher: Matcher,
    text: str,
    title: str | None = None,
    day: dt.date | None = DAY,
    official: str | None = None,
) -> dict[str, Tag]:
    """The document's tags by id."""
    return {t.id: t for t in matcher.tag_document(title, text, published=day, official=official)}


# --- senses: another sense, a name that contains an alias, a place named only as a place ----


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        (
            "Passengers of Hong Kong Express waited six hours for their flight to Osaka.",
            "hong-kong",
        ),
        (
            "She teaches physics at the Chinese University of Hong Kong and sings in a choir.",
            "hong-kong",
        ),
        ("Hong Kong Disneyland reopened its castle after the summer holidays.", "hong-kong"),
        (
            "Hong Kong’s Disneyland shut its gates while Beijing's police arrested protesters and "
            "activists at a democracy rally.",
            "hong-kong",
        ),
        ("The Federal Trade Commission sued the retailer over hidden fees.", "trade"),
        ("A claim about the flood was rated false by the Taiwan FactCheck Center.", "taiwan"),
        ("We met in a bar in Hong Kong and talked about football until midnight.", "hong-kong"),
        ("A typhoon over Taiwan cancelled flights at Taoyuan airport on Monday.", "taiwan"),
        ("The boxer of Taiwan won her bout at the Olympics in Paris.", "taiwan"),
        ("The association, a trade group for railroads, disputes the figures.", "trade"),
        ("Israel and Hezbollah traded fire across the border again on Sunday.", "trade"),
        ("The cartel has run the drug trade in the region for decades.", "trade"),
        ("The airline promised the reunification of passengers with their luggage.", "taiwan"),
        (
            "Police released surveillance video of the robbery at the store.",
            "espionage-surveillance",
        ),
        ("Japanese Americans were sent to internment camps during World War II.", "xinjiang"),
        ("Shares of the cybersecurity firm fell after the outage.", "cyber"),
        ("A video on TikTok showed the shark swimming close to the beach.", "tiktok"),
        ("Sales have been slow since the pandemic, the owner said.", "covid-19"),
        ("The novelist China Miéville spoke at the festival.", "china"),
        ("He took out a loan from the Bank of China for the flat.", "china"),
        (
            "The families took their case to the European Court of Human Rights in Strasbourg.",
            "human-rights",
        ),
        ("The senator once called the candidate a kind of cultural heroin for voters.", "fentanyl"),
        # an advocacy group's name ends in "Campaign": the name, not the issue
        (
            "The company stopped sending data to the Human Rights Campaign, a lobbying group.",
            "human-rights",
        ),
        # a birthplace or a destination is a place, even with China near it
        (
            "The chef, born in Taiwan, cooks for Chinese diplomats at the embassy in Beijing.",
            "taiwan",
        ),
        (
            "Twelve young men fled for Taiwan by speedboat; "
            "Chinese coast guards took them to Beijing.",
            "taiwan",
        ),
        ("The engineer was born in Tibet, China, and moved to New Jersey in 2009.", "human-rights"),
        (
            "Born in Hong Kong, she studied law in China and writes about democracy in Boston.",
            "hong-kong",
        ),
        # "Taiwan" needs two cues: one China word in a list of places is not enough
        ("The band's tour took it to Singapore, Malaysia, Taiwan and then China.", "taiwan"),
        # Douyin as a medium, like TikTok
        ("The clip spread on Weibo, Douyin and Facebook before anyone checked it.", "tiktok"),
        # the pandemic as a date: "when the Covid-19 pandemic hit"
        (
            "The bakery opened a second shop just when the Covid-19 pandemic hit in 2020.",
            "covid-19",
        ),
        ("He took office while the pandemic was still underway.", "covid-19"),
        # a school's lockdown drill, not the pandemic
        ("Pupils hid under their desks during a lockdown drill on Tuesday morning.", "covid-19"),
        # a cyberattack denied, security software described, an agency named
        ("The vendor said the crash was not a security incident or cyberattack.", "cyber"),
        (
            "Hospitals buy its cybersecurity software to guard data from "
            "Chinese and Russian spies.",
            "cyber",
        ),
        (
            "Staff of the Cybersecurity and Infrastructure Security Agency briefed the government "
            "on election systems.",
            "cyber",
        ),
        # other rights' groups
        ("Gun rights groups sued the state over the new permit law.", "human-rights"),
        # the markets' "Trump trade", shares that "trade lower"
        (
            "Funds unwound the Trump trade as the dollar fell against "
            "China's yuan and Mexico's peso.",
            "trade",
        ),
        (
            "The brewer's shares fell to trade 6% lower after weak sales in China and Mexico.",
            "trade",
        ),
        # harassment at work is not transnational repression, even of an activist
        (
            "The activist sued her employer over sexual harassment in the workplace.",
            "transnational-repression",
        ),
        # the humanitarian "deconfliction" of aid convoys, even beside the army
        (
            "The army said humanitarian deconfliction failed and the aid convoy was hit.",
            "military-communication",
        ),
        # an ordinary criminal case at home
        (
            "The jury heard that the inmate, detained for a murder, was released on parole by a "
            "foreign judge's error.",
            "detained-citizens",
        ),
        # what a security product does and who a cybersecurity expert is: an IT outage
        (
            "Its software can detect cyberattacks, but the bug crashed millions of computers, "
            "a cybersecurity expert said.",
            "cyber",
        ),
        # a slip of the tongue and an old phone call name the president, not the war
        (
            "In a verbal slip-up, the senator called Volodymyr Zelensky "
            "\u201cPresident Putin\u201d before correcting himself.",
            "russia-ukraine-war",
        ),
        (
            "Trump's call with Ukrainian President Volodymyr Zelensky led to his first "
            "impeachment.",
            "russia-ukraine-war",
        ),
        # battlefield drones' surveillance is reconnaissance, not spying
        (
            "Russian units modified cheap drones that could be used for surveillance.",
            "espionage-surveillance",
        ),
        # a rival firm's spying counts only beside a state's words
        (
            "Investigators did not rule out industrial espionage by the construction workers.",
            "espionage-surveillance",
        ),
        # cartels trafficking cocaine: another drug
        (
            "The ring shipped cocaine to Europe for drug cartels, court documents on the "
            "trafficking say.",
            "fentanyl",
        ),
        # a time marker
        (
            "The city saw record tourist numbers in the wake of the pandemic.",
            "covid-19",
        ),
        # a member state's votes in a council are not voting rights
        (
            "Lawmakers asked the council to suspend Hungary's voting rights over the veto.",
            "human-rights",
        ),
        # a rights body's name (a council, a union) while the matter is something else
        (
            "Last spring the UN Human Rights Council criticised plans for new farms in the valley.",
            "human-rights",
        ),
        (
            "The Ohio Civil Liberties Union asked for an inquiry into the crash of the bus.",
            "human-rights",
        ),
        # a name said for another, then corrected: the slip, not the war
        (
            "At the summit he called the Ukrainian President Volodymyr Zelensky “President "
            "Putin” before correcting himself, and the crowd laughed.",
            "russia-ukraine-war",
        ),
        # "civil rights" groups and activists as a description of people, not a matter
        (
            "The candidate phoned mayors, union bosses and leaders of civil rights groups.",
            "human-rights",
        ),
        (
            "Its alumni include poets, surgeons and civil rights activists.",
            "human-rights",
        ),
        # a war monitor's name, cited for casualty figures
        (
            "Twelve fighters died in the strikes, the Syrian Observatory for Human Rights said.",
            "human-rights",
        ),
        # nor a group's rights as a description of a person
        (
            "The senator, an outspoken gay rights activist, backed the budget deal.",
            "human-rights",
        ),
        # a forum's name, not two states' economic dealings
        ("Leaders posed for photos at the Asia-Pacific Economic Cooperation forum.", "trade"),
        # tear gas at a stadium is no rights matter without protest words near it
        (
            "Stewards fired tear gas at the stadium after the derby ended in a brawl.",
            "human-rights",
        ),
        # "us intelligence" in lower case is no state's intelligence service
        (
            "Give us intelligence on the bond market, the fund manager told her staff.",
            "espionage-surveillance",
        ),
        # a department's or a board's name ("Department of", "Ministry of", "Board of")
        (
            "The city thanked the Department of Trade and Industry for bringing investment.",
            "trade",
        ),
        # the internet's social life, and cutting with a blade, are not cyber security
        ("Pupils faced cyber bullying online and threats on social media, police said.", "cyber"),
        ("He was charged with cyber stalking after sending threats online.", "cyber"),
        (
            "Villagers hack a hole in the frozen river, and the government warns of thin ice.",
            "cyber",
        ),
        (
            "Two men were hacked to death with machetes, and the attack shocked the town.",
            "cyber",
        ),
    ],
)
def test_another_sense_a_name_or_a_place_is_not_a_tag(
    matcher: Matcher, text: str, absent: str
) -> None:
    """An alias in another sense, inside another thing's name, or naming only a place is not a
    tag of the issue (or country) at all."""
    assert absent not in tags(matcher, text)


@pytest.mark.parametrize(
    ("text", "present"),
    [
        ("Beijing staged military drills around Taiwan after the president's speech.", "taiwan"),
        ("Hong Kong police arrested activists under the national security law.", "hong-kong"),
        ("The White House raised tariffs on Chinese goods and warned of a trade war.", "trade"),
        ("Lawmakers voted to ban TikTok unless ByteDance sells it.", "tiktok"),
        ("Detained in China, the Americans were held under exit bans.", "detained-citizens"),
        ("The report said Russian forces advanced in eastern Ukraine.", "russia-ukraine-war"),
        ("Officials said China's trade with Europe grew as exports of goods rose.", "trade"),
        ("Uyghurs held in internment camps in Xinjiang were forced to work.", "xinjiang"),
        ("Police seized heroin and arrested members of a drug trafficking ring.", "fentanyl"),
        ("Chinese Foreign Minister Wang Yi raised Taiwan in the talks.", "taiwan"),
        ("Chinese warplanes flew close to Taiwan on Sunday.", "taiwan"),
        ("The pandemic hit poor districts hardest, a study of Covid-19 deaths found.", "covid-19"),
        ("The ministry announced import restrictions on Australian barley and wine.", "trade"),
        (
            "Both navies set up a military deconfliction line to avoid an accident at sea.",
            "military-communication",
        ),
        ("Douyin must sell its app in America, Congress said, or face a ban.", "tiktok"),
        ("The ministry tightened censorship of novels that mock the ruling party.", "human-rights"),
        ("Critics said the rule breaks the First Amendment rights of students.", "human-rights"),
        (
            "The two armies' generals kept lines of communication open during the crisis.",
            "military-communication",
        ),
        ("Officials could not say whether the cyberattack on the grid came from Russia.", "cyber"),
        (
            "Monitors counted forty arbitrary detentions of opposition campaigners in a week.",
            "human-rights",
        ),
        (
            "Her editor repeated that journalism is not a crime and asked for her release.",
            "human-rights",
        ),
        (
            "Senators fear the Chinese state could get access to user data from the app.",
            "espionage-surveillance",
        ),
        (
            "The exiled cartoonist said the embassy's intimidation of his relatives would not stop "
            "him.",
            "transnational-repression",
        ),
        ("She vowed to stay the course on the continent's green transition.", "climate-change"),
        ("The show recalls China's role in the Covid-19 pandemic in Wuhan.", "covid-19"),
        (
            "India banned Chinese-owned apps, including TikTok, and held up goods at customs "
            "posts.",
            "tiktok",
        ),
        ("The Games are the first to be carbon-neutral, organisers said.", "climate-change"),
        ("The activists' lawyer called the sentences an assault on free speech.", "human-rights"),
        (
            "The UN Human Rights Council condemned rights abuses against detained protesters.",
            "human-rights",
        ),
        ("Rights activists said the new law would jail critics of the regime.", "human-rights"),
        (
            "Ukrainian President Volodymyr Zelensky asked for air defense as Russian missiles hit "
            "Kyiv.",
            "russia-ukraine-war",
        ),
        ("Her portfolio has included voting rights and migration.", "human-rights"),
        ("The camping ban was challenged as cruel and unusual punishment.", "human-rights"),
        # abuses named by what was done, and force against protesters beside protest words
        ("Six protesters killed in the capital, the opposition said.", "human-rights"),
        ("The inquiry looks at the abuse of prisoners at the northern camp.", "human-rights"),
        ("The province passed an anti-LGBTQ law in the spring.", "human-rights"),
        ("Aid workers reported new attacks on Rohingya villages.", "human-rights"),
        ("State censors deleted her post within an hour.", "human-rights"),
        ("The council repealed the town's nondiscrimination ordinance.", "human-rights"),
        ("Each journalist detained in the raid was denied a lawyer.", "human-rights"),
        (
            "Riot police fired tear gas to disperse the protesters outside parliament.",
            "human-rights",
        ),
        # warming named by its effects, defence talks by their format, a state's intelligence
        ("Divers found the worst coral bleaching the reef had seen.", "climate-change"),
        ("Hackers broke into the ministry's servers overnight.", "cyber"),
        ("Both states agreed a five-year economic cooperation programme.", "trade"),
        ("The two governments held a 2+2 meeting in Tokyo on Monday.", "military-communication"),
        (
            "U.S. intelligence says the network reported to its handlers abroad.",
            "espionage-surveillance",
        ),
        (
            "The agency denied monitoring communications of the opposition's leaders.",
            "espionage-surveillance",
        ),
        # investment screening and licensing named by what they do
        (
            "Ministers will tighten the rules on foreign takeovers of defence firms.",
            "export-controls",
        ),
        ("The supplier faces new Commerce Department restrictions next month.", "export-controls"),
        ("Soldiers in riot gear were repressing the peaceful protests.", "human-rights"),
        ("The trial of Evan Gershkovich resumed behind closed doors.", "detained-citizens"),
        ("China's policies could flood our market with its vehicles.", "trade"),
        ("She proposed an air defense system and cyber protection measures.", "cyber"),
        ("He said a cyber war goes on every second of every day.", "cyber"),
        ("Russian hackers hacked the election systems, intelligence officials said.", "cyber"),
        ("The ministry's servers were hacked at the weekend, officials said.", "cyber"),
        ("A cyberattack at the hospital shut its systems for a week.", "cyber"),
        (
            "The government keeps crime figures secret with its ubiquitous surveillance system "
            "in China.",
            "espionage-surveillance",
        ),
        (
            "Biden helped Ukraine keep up its fight against Russia while pressing Israel and "
            "Hamas toward a ceasefire.",
            "russia-ukraine-war",
        ),
    ],
)
def test_the_issue_sense_is_a_tag(matcher: Matcher, text: str, present: str) -> None:
    """The same words in the issue's sense, with its context, are tags."""
    assert present in tags(matcher, text)


def test_one_confirmed_mention_confirms_the_others(matcher: Matcher) -> None:
    """A weak alias counts every mention once one of them is in context (one sense per
    document)."""
    text = "Beijing sent warships into the strait near Taiwan.\n\nTaiwan's leaders met on Monday."
    assert tags(matcher, text)["taiwan"].count == 2


def test_inside_name_checks_following_capitalised_words_and_of_phrases() -> None:
    """The institution rule reads at most a few capitalised words after the alias, and
    'University of ...' before it."""
    doc = "the Taiwan Semiconductor Manufacturing Company and the University of Hong Kong"
    assert inside_name(doc, 4, 10)
    start = doc.index("Hong Kong")
    assert inside_name(doc, start, start + 9)
    plain = "troops near Taiwan said nothing"
    assert not inside_name(plain, 12, 18)
    # the next part of a hyphenated name counts as its next word
    bank = "loans from the Export-Import Bank of Ruritania"
    at = bank.index("Export")
    assert inside_name(bank, at, at + 6)
    assert not inside_name("rising Export-Import figures", 7, 13)


# --- dates, teams, offices -----------------------------------------------------------------

FEVER_VOCAB = """
[[issue]]
id = "marsh-fever"
name = "Marsh fever"
aliases = ["marsh fever", { text = "the outbreak", since = 2031-05-01 }]
weak = [{ text = "Lowmoor", since = 2031-05-01 }]
cues = ["ward", "wards", "infections"]
"""


def test_an_alias_with_since_names_its_entry_only_from_that_day() -> None:
    """`since` works for any vocabulary: before the day the alias (strong or weak) names
    nothing, from it on it does; an undated document is not checked; the one-paragraph path
    and the general one agree."""
    from monitor.vocab import build_vocabulary, parse_text

    fever = compile_matcher(build_vocabulary(parse_text(FEVER_VOCAB)))
    text = "Doctors in Lowmoor opened two more wards as the outbreak spread to the coast."
    for day, named in [
        (dt.date(2031, 4, 30), False),
        (dt.date(2031, 5, 1), True),
        (dt.datetime(2031, 7, 2, 9, 30), True),
        (None, True),
    ]:
        one = {t.id for t in fever.tag_document(None, text, published=day)}
        general = {t.id for t in fever.tag_document("Coast hospitals fill", text, published=day)}
        assert one == general == ({"marsh-fever"} if named else set())
    # an undated alias of the same entry still names it before the day
    early = "Marsh fever came back to Lowmoor, where the outbreak filled two wards."
    found = {t.id: t for t in fever.tag_document(None, early, published=dt.date(2030, 1, 1))}
    assert found["marsh-fever"].count == 1


@pytest.mark.parametrize(
    ("text", "issue", "before", "after"),
    [
        # the country, its capital and president name the war only from the full invasion
        (
            "Ukraine's president called Washington about military aid as Russian officials "
            "watched the talks in Kyiv.",
            "russia-ukraine-war",
            dt.date(2019, 9, 25),
            dt.date(2023, 5, 2),
        ),
        # the war's own words count from the seizure of Crimea
        (
            "Russian troops stayed on the peninsula after the vote on Crimea.",
            "russia-ukraine-war",
            dt.date(2008, 8, 12),
            dt.date(2016, 3, 18),
        ),
        (
            "The pandemic shut every school in the province for a term.",
            "covid-19",
            dt.date(2009, 6, 1),
            dt.date(2020, 4, 1),
        ),
        (
            "A second lockdown closed the jail to visitors for a week.",
            "covid-19",
            dt.date(2017, 2, 9),
            dt.date(2020, 4, 9),
        ),
    ],
)
def test_words_that_name_an_issue_only_from_a_date(
    matcher: Matcher, text: str, issue: str, before: dt.date, after: dt.date
) -> None:
    """A document dated before the matter existed is not tagged by the words that name it
    only since (the bundled vocabulary's `since`), the same text after that is."""
    assert issue not in tags(matcher, text, day=before)
    assert issue in tags(matcher, text, day=after)


def test_arming_ukraine_names_the_war_before_2022(matcher: Matcher) -> None:
    """Arming Ukraine against Russia is the war in 2019 too, when the country's name alone is
    not."""
    text = "The senator said the last administration refused to send arms to Ukraine."
    assert "russia-ukraine-war" in tags(matcher, text, day=dt.date(2019, 11, 20))


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        (
            "Ukraine beat Slovakia in Dusseldorf to keep their hopes of the knockout stage alive, "
            "and Russia's fans were nowhere to be seen.",
            "russia-ukraine-war",
        ),
        (
            "Teams that made it: Scotland (Group A), Ukraine (Group B), Russia (Group I).",
            "russia-ukraine-war",
        ),
        (
            "Taiwan's national team lost to Beijing's side in the Asian qualifier, and China "
            "took the last place in the final.",
            "taiwan",
        ),
        (
            "Hong Kong scored twice in a friendly match against a Chinese club as police held back "
            "protesters outside.",
            "hong-kong",
        ),
    ],
)
def test_a_country_named_as_a_team_is_not_its_issue(
    matcher: Matcher, text: str, absent: str
) -> None:
    """A place named among the words of a match or a tournament is a team, even beside the
    issue's cues."""
    assert absent not in tags(matcher, text, day=dt.date(2024, 6, 21))


@pytest.mark.parametrize(
    "text",
    [
        "Kyiv said friendly nations would send more air defence to fight Russia's missiles.",
        "A death squad hunted men in Kyiv's suburbs as Russia's army attacked.",
        "Ukraine scored a diplomatic win as NATO backed its fight against Russia.",
    ],
)
def test_words_sport_shares_with_war_keep_the_war(matcher: Matcher, text: str) -> None:
    """ "friendly", "squad" or "scored" alone are no match or tournament."""
    assert "russia-ukraine-war" in tags(matcher, text, day=dt.date(2023, 6, 18))


def test_a_teams_name_adds_nothing_to_the_count(matcher: Matcher) -> None:
    """A sports story that names the war once keeps it a mention: the team's name, with the
    war's words beside it, is no further reference to the war."""
    text = (
        "Fans filled the square on Friday.\n\n"
        "Ukraine's national team beat Slovakia in the qualifier, weeks after Russian missiles "
        "hit the city.\n\n"
        "Ukraine's goalkeeper, whose father serves at the front against Russia, kept a clean "
        "sheet in the qualifier.\n\n"
        "Ukraine's coach thanked soldiers in Russia's war for watching the qualifier.\n\n"
        "The next match is in Prague."
    )
    war = tags(matcher, text, "Euro qualifiers: a night to remember", day=dt.date(2024, 3, 22))[
        "russia-ukraine-war"
    ]
    assert war.level == "mention"


def test_the_team_rule_reads_only_near_the_place() -> None:
    """as_team() looks a short way around the mention, within its paragraph."""
    from monitor.match.relevance import as_team

    doc = "Ukraine won the qualifier.\n\nLater, Ukraine asked Europe for air defence and shells."
    layout = Layout.of(doc, None)
    assert as_team(doc, 0, 7, layout)
    later = doc.rindex("Ukraine")
    assert not as_team(doc, later, later + 7, layout)


@pytest.mark.parametrize(
    "text",
    [
        "The moon's frigid climate keeps methane liquid in its lakes and seas.",
        "Its climate control and seat heaters run from one touch screen.",
        "The carmaker paid fines over diesel emissions cheating in its oil and gas engines.",
        "Exhaust emissions and smog from coal stoves lay over the city all week.",
    ],
)
def test_weather_exhaust_and_other_worlds_are_not_climate(matcher: Matcher, text: str) -> None:
    """ "climate", "emissions" and "methane" name climate change only beside its words."""
    assert "climate-change" not in tags(matcher, text, day=dt.date(2024, 3, 3))


@pytest.mark.parametrize(
    "text",
    [
        "The plan sets targets to cut emissions from coal plants by half.",
        "Young voters ranked climate above housing, the poll found.",
        "Methane from cattle adds to warming, the agriculture ministry admitted.",
        "The party promised to scrap climate protections on its first day.",
        "Delegates stayed up all night before the climate deal was signed at dawn.",
    ],
)
def test_climate_words_with_the_matter_are_climate(matcher: Matcher, text: str) -> None:
    """The same words beside the matter's words (or as a policy) are climate change."""
    assert "climate-change" in tags(matcher, text, day=dt.date(2024, 3, 3))


@pytest.mark.parametrize(
    "text",
    [
        "The Black Death pandemic emptied whole villages in the fourteenth century.",
        "Planners fear the next pandemic will come from a bird flu.",
        "Records of the 1918 pandemic sat in a box in the cellar.",
    ],
)
def test_another_diseases_pandemic_is_not_covid(matcher: Matcher, text: str) -> None:
    """Another disease's pandemic, or one still to come, is not Covid-19 (after 2020 too)."""
    assert "covid-19" not in tags(matcher, text, day=dt.date(2024, 3, 3))


@pytest.mark.parametrize(
    "text",
    [
        "The UN High Commissioner for Human Rights said the new road split the farming villages.",
        "A spokesperson for the UN human rights office said the flights were delayed by fog.",
        "The Minister for Human Rights opened the new wing of the library.",
    ],
)
def test_a_rights_office_named_on_another_matter_is_no_tag(matcher: Matcher, text: str) -> None:
    """An office or body "for" an issue (or the UN's rights office) is a name: alone it is
    not the matter."""
    assert "human-rights" not in tags(matcher, text)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Victoria's Legislative Council passed the planning bill on Tuesday.", "hong-kong"),
        ("The two presidents signed a joint declaration on energy and ports.", "hong-kong"),
        ("Article 23 of the treaty sets out how the fishing quotas are shared.", "hong-kong"),
        ("Pro-democracy protests spread to a third city, where students camped out.", "hong-kong"),
        (
            "Police put a bounty on the escaped gunman after the robbery.",
            "transnational-repression",
        ),
        (
            "Diaspora communities marked the festival with music in the park.",
            "transnational-repression",
        ),
        (
            "Navies patrol the Strait of Hormuz to keep freedom of navigation for tankers.",
            "south-china-sea",
        ),
        ("The start-up invests in advanced technologies for dairy farms.", "export-controls"),
        ("South Korea's National Security Law bans praise of the North.", "hong-kong"),
        ("He took up his duties on the board in March.", "trade"),
        (
            "The judge said he was barred from leaving the state until the trial.",
            "detained-citizens",
        ),
        ("Police seized illicit drugs, mostly cocaine, at the port.", "fentanyl"),
        ("Iran bought dual-use goods through front companies in Dubai.", "russia-ukraine-war"),
        ("Chinese Taipei won two medals in the Olympic weightlifting.", "taiwan"),
        ("Police blamed republican dissidents for the car bomb in Derry.", "human-rights"),
        (
            "The dollar slipped in US trade after upbeat data on the economy and global markets.",
            "trade",
        ),
        (
            "The new port was built with loans from the Export-Import Bank of Ruritania, "
            "the economy minister said.",
            "trade",
        ),
        (
            "Critics said the army's crackdown on militants in the hills left the causes of "
            "the bombings untouched.",
            "human-rights",
        ),
        (
            "She asked whether the city's Hate Crimes Task Force would join the case.",
            "human-rights",
        ),
        ("Officials counted three imported cases of the virus in the Chinese port.", "trade"),
        ("Two civil rights leaders spoke at the county fair about farm prices.", "human-rights"),
        (
            "The hangar's fire suppression system failed, critics of the regime said.",
            "human-rights",
        ),
        (
            "Its chief, who runs the Climate Bonds Initiative, said the renewable energy fund "
            "grew.",
            "climate-change",
        ),
        (
            "The reforms create a favorable macro climate for the power industry and its energy.",
            "climate-change",
        ),
        # a people named with their country's names only: climbers of a national team
        (
            "Two Tibetan climbers from a Chinese club reached the summit, Beijing's sports "
            "office said.",
            "human-rights",
        ),
        # a country's investment abroad as a figure, with only its own name beside it
        (
            "China's outbound investment rose by a third last year as its firms bought "
            "hotels and farms in Chinese-speaking cities abroad.",
            "export-controls",
        ),
    ],
)
def test_names_and_words_other_places_share_need_the_issues_context(
    matcher: Matcher, text: str, absent: str
) -> None:
    """Words an issue shares with other places and matters (another Legislative Council,
    another sea's freedom of navigation, a criminal's bounty) are weak: alone they are no tag."""
    assert absent not in tags(matcher, text)


@pytest.mark.parametrize(
    ("text", "present"),
    [
        (
            "The Legislative Council in Hong Kong voted after Beijing demanded that only "
            "patriots sit there.",
            "hong-kong",
        ),
        (
            "Warships sailed near Chinese-held reefs to assert freedom of navigation.",
            "south-china-sea",
        ),
        (
            "Washington barred sales of advanced chips to Chinese firms under new export rules.",
            "export-controls",
        ),
        ("Beijing imposed the National Security Law on the city after mass protests.", "hong-kong"),
        ("The ministry raised duties on Chinese steel.", "trade"),
        (
            "The Treasury drafted rules screening outbound investment in Chinese chip firms.",
            "export-controls",
        ),
        ("The buyer won clearance from CFIUS for the port deal.", "export-controls"),
        (
            "Chinese police denied accusations of brutality after the march in the old town.",
            "human-rights",
        ),
        ("Tibetans abroad held protests against Beijing's rule in Lhasa.", "human-rights"),
        (
            "Beijing insists the island join talks only as Chinese Taipei, a name its government "
            "rejects.",
            "taiwan",
        ),
    ],
)
def test_the_same_words_in_the_issues_context_are_tags(
    matcher: Matcher, text: str, present: str
) -> None:
    """The same words beside the issue's words are tags."""
    assert present in tags(matcher, text)


def test_immigration_detention_at_home_is_not_detained_citizens(matcher: Matcher) -> None:
    """Asylum seekers held in a country's own detention centres are not foreigners wrongfully
    held abroad."""
    text = "Foreign asylum seekers were detained for months before their release."
    assert "detained-citizens" not in tags(matcher, text)


def test_an_office_for_an_issue_is_a_name_only_when_written_as_one() -> None:
    """inside_name() reads "Commissioner for", "Committee on" and the like before a
    capitalised alias; a lower-case "for human rights" is the matter itself."""
    doc = "the High Commissioner for Human Rights and the Committee on Climate Change"
    start = doc.index("Human Rights")
    assert inside_name(doc, start, start + 12)
    start = doc.index("Climate Change")
    assert inside_name(doc, start, start + 14)
    plain = "a campaign for human rights"
    assert not inside_name(plain, 15, 27)


@pytest.mark.parametrize(
    ("text", "present"),
    [
        ("Marchers blamed police brutality for the deaths of six students.", "human-rights"),
        ("The two leaders agreed to revisit their trade deals next year.", "trade"),
        ("Many shops had data breaches this year, so reuse of passwords is risky.", "cyber"),
        ("The hostage swap took place on the airport's tarmac on Friday.", "detained-citizens"),
        ("Officers found a Suboxone strip and cash in the car.", "fentanyl"),
        (
            "China's police rejected claims of brutality against the students at the campus.",
            "human-rights",
        ),
        ("Hate crimes against migrants doubled in the northern towns last year.", "human-rights"),
        ("The report said guards used torture on prisoners at the island camp.", "human-rights"),
        ("Modern slavery on fishing boats went unchecked for a decade.", "human-rights"),
        (
            "Most board games sold there are imported, as Chinese buyers trust foreign makers.",
            "trade",
        ),
        ("Grain exporters want a weaker currency to help the economy, the bank said.", "trade"),
        ("Ministers floated import taxes on steel from the south.", "trade"),
        ("The first minister wants the region to stay in the customs union.", "trade"),
        ("Both sides traded allegations of cyberhacking at the summit.", "cyber"),
        (
            "The court said the state civil rights law did not cover the city's ordinance.",
            "human-rights",
        ),
        (
            "Critics describe an autocrat's suppression of the minorities in the east.",
            "human-rights",
        ),
        (
            "Shelling on the line in Donbass broke the Minsk accords again.",
            "russia-ukraine-war",
        ),
        (
            "The senator asked for proof that the agency had wiretapped the campaign.",
            "espionage-surveillance",
        ),
        (
            "Foreign intelligence services tried to recruit two clerks, the minister said.",
            "espionage-surveillance",
        ),
        # a group's rights named by the group, freedoms by what they protect
        ("The bill rolls back transgender rights in the state's schools.", "human-rights"),
        ("Advocates said the raids trampled on immigrants' rights.", "human-rights"),
        ("The plaintiff said the order violated his freedom of religion.", "human-rights"),
        ("Reporters were made to sign forced confessions before their release.", "human-rights"),
        ("Lawyers looked into the detention of journalists at the rally.", "human-rights"),
    ],
)
def test_more_words_of_the_issues(matcher: Matcher, text: str, present: str) -> None:
    """Phrases news uses for the issues name them."""
    assert present in tags(matcher, text)


# --- levels -------------------------------------------------------------------------------

LONG = (
    "Beijing warned Washington over Taiwan on Monday, saying arms sales to the island "
    "crossed a red line.\n\n"
    "Chinese officials said Taiwan was an internal matter and that military drills would "
    "continue near the island.\n\n"
    "The United States said its policy on Taiwan had not changed and urged calm in the "
    "strait.\n\n"
    "Analysts said the dispute over Taiwan could shape the talks planned for next month, "
    "and noted that tariffs were also on the agenda.\n\n"
    "Markets were calm on the news."
)


def test_a_headline_topic_discussed_throughout_is_about(matcher: Matcher) -> None:
    """An issue in the headline and in most paragraphs is `about`, with a high score; one
    named once in passing is a `mention` with a lower one."""
    found = tags(matcher, LONG, title="China warns US over Taiwan arms sales")
    taiwan, trade = found["taiwan"], found["trade"]
    assert (taiwan.level, trade.level) == ("about", "mention")
    assert taiwan.score > 0.8 > trade.score
    assert 0.0 <= trade.score <= 1.0


def test_a_readout_listing_issues_keeps_them_mentions(matcher: Matcher) -> None:
    """A readout that gives each issue one clause is about none of them."""
    text = (
        "President Biden met President Xi Jinping of the People's Republic of China on "
        "Wednesday in California.\n\n"
        "The two leaders held a candid and constructive discussion on bilateral and global "
        "issues, including areas of cooperation and of difference.\n\n"
        "The leaders welcomed the resumption of military-to-military communication, raised "
        "fentanyl, noted the importance of peace across the Taiwan Strait, and discussed "
        "the South China Sea and human rights.\n\n"
        "They agreed that their teams would continue to meet in the coming months, "
        "including on climate cooperation and artificial intelligence."
    )
    found = tags(
        matcher,
        text,
        title="Readout of President Biden's Meeting with President Xi",
        day=dt.date(2023, 11, 15),
    )
    listed = (
        "military-communication",
        "fentanyl",
        "taiwan",
        "south-china-sea",
        "human-rights",
        "climate-change",
        "artificial-intelligence",
    )
    assert {found[i].level for i in listed} == {"mention"}
    assert found["xi-jinping"].level == "about"


# An airline's results, written for these tests: tariffs are named in the lede as a cost,
# the article is about the profit.
AIRLINE_LEDE = (
    "The carrier said on Thursday that its summer profit reached a record, helped by strong "
    "demand on long routes, even as new tariffs on imported aircraft parts raised its costs."
)
AIRLINE = [
    "Ticket prices rose by about a tenth compared with last year, the finance chief said.",
    "The company hired two thousand cabin staff before the holidays to cope with the crowds.",
    "Fuel bills fell slightly as oil prices eased during the spring and early summer.",
    "Punctuality improved at its main hub after a new baggage system came into service.",
    "The board proposed a dividend for the first time in five years, pleasing investors.",
    "Analysts had expected a smaller profit because of strikes by ground handlers in June.",
    "The airline plans to open eight new routes to holiday islands next spring.",
    "Its loyalty scheme passed forty million members, a figure the company called a milestone.",
    "Shares climbed in morning dealing after the figures were published.",
    "The chief executive said bookings for the autumn were running ahead of last year.",
    "Pilots will vote next month on a pay offer that the union described as fair.",
]
TARIFFS_AGAIN = "The tariffs add about a dollar to each ticket, the carrier estimated."
AIRLINE_TITLE = "Airline posts record summer profit"


def test_a_long_articles_lede_topic_taken_up_throughout_is_about(matcher: Matcher) -> None:
    """A long article that comes back to its lede's issue paragraph after paragraph is about
    it."""
    paragraphs = [AIRLINE_LEDE]
    for k, filler in enumerate(AIRLINE):
        paragraphs.append(filler)
        if k % 2:
            paragraphs.append(f"Tariffs came up again: {filler[0].lower()}{filler[1:]}")
    assert len(paragraphs) > 10
    trade = tags(matcher, "\n\n".join(paragraphs), title=AIRLINE_TITLE)["trade"]
    assert trade.level == "about"


def test_a_short_articles_lede_topic_is_about(matcher: Matcher) -> None:
    """In a short article the lede's issue, named once more, is `about`: no room to repeat."""
    paragraphs = [AIRLINE_LEDE, AIRLINE[0], TARIFFS_AGAIN, AIRLINE[1]]
    trade = tags(matcher, "\n\n".join(paragraphs), title=AIRLINE_TITLE)["trade"]
    assert trade.level == "about"


def test_explain_parts_add_up_to_the_score(matcher: Matcher) -> None:
    """Each reason that weighs says by how much, and the parts add up to the score (up to the
    cap of 1 and rounding)."""
    paragraphs = [AIRLINE_LEDE, *AIRLINE[:5], TARIFFS_AGAIN, *AIRLINE[5:]]
    for text, title in (
        ("\n\n".join(paragraphs), AIRLINE_TITLE),
        (LONG, "China warns US over Taiwan arms sales"),
    ):
        for tag, judged in matcher.explain(title, text, published=DAY):
            parts = [
                float(w)
                for reason in judged.reasons
                for w in re.findall(r"(?<= )[+-]\d\.\d\d$", reason)
            ]
            assert abs(min(1.0, sum(parts)) - tag.score) <= 0.01 * len(parts), judged.reasons
    explained = {
        t.id: a for t, a in matcher.explain(AIRLINE_TITLE, "\n\n".join(paragraphs), published=DAY)
    }
    assert "in the lede +0.10" in explained["trade"].reasons


def test_names_of_one_reference_count_once(matcher: Matcher) -> None:
    """Names of one entry a short word apart are one reference ("Russia's war against
    Ukraine", "the Covid-19 pandemic"): a readout's one clause stays a mention; the tag still
    counts every name."""
    text = (
        "The two sides discussed regional security, Russia\u2019s war against Ukraine and "
        "other topics.\n\nThe meeting was part of efforts to keep channels of talks open."
    )
    found = tags(matcher, text, title="Readout of the advisers' meeting")
    war = found["russia-ukraine-war"]
    assert (war.count, war.level) == (2, "mention")
    [judged] = [
        a for t, a in matcher.explain("Readout of the advisers' meeting", text) if t.id == war.id
    ]
    assert "2 mentions in 1 reference" in judged.reasons
    apart = text.replace("war against Ukraine", "war, and later Ukraine,")
    assert tags(matcher, apart, title="Readout")["russia-ukraine-war"].level == "about"


def test_weak_mentions_without_context_add_nothing_to_the_count(matcher: Matcher) -> None:
    """A crime story that names the war once: its "Ukrainian" lawmaker and court (a place, no
    cue of the war near them) still let the tag stand but are no more mentions of the war."""
    title = "Police detain a suspect in a lawmaker's killing"
    text = "\n\n".join(
        [
            "Police detained a man on suspicion of killing a former Ukrainian lawmaker in Lviv, "
            "officials said on Thursday.",
            "The Ukrainian lawmaker, 60, was known for her views on language and had received "
            "threats.",
            "A Ukrainian court will hear the case next month, the prosecutor's office said.",
            "Investigators are studying footage from cameras near her home.",
            "Her party said she had once visited troops fighting Russian forces in eastern "
            "Ukraine.",
            "Funeral services will be held on Sunday.",
        ]
    )
    day = dt.date(2024, 7, 25)
    war = tags(matcher, text, title=title, day=day)["russia-ukraine-war"]
    assert (war.count, war.level) == (5, "mention")
    [judged] = [a for t, a in matcher.explain(title, text, published=day) if t.id == war.id]
    assert "5 mentions in 1 reference (3 without context)" in judged.reasons
    # the same words beside the war's cues are mentions of it
    fought = text.replace("a former Ukrainian lawmaker", "a Ukrainian lawmaker who fought Russia")
    fought = fought.replace("A Ukrainian court", "A Ukrainian court, in wartime,")
    assert tags(matcher, fought, title=title, day=day)["russia-ukraine-war"].level == "about"


def test_layout_finds_headline_lede_and_paragraphs() -> None:
    """Paragraphs are blocks between blank lines; the lede runs to a paragraph end past a
    few hundred characters."""
    doc = "Headline\n\nFirst paragraph.\n\nSecond one.\n\n" + "x" * 400 + "\n\nLast."
    layout = Layout.of(doc, (0, 8))
    assert layout.paragraph(2) == -1
    assert layout.paragraph(doc.index("Second")) == 1
    assert layout.lede_end == doc.index("Last.")


def test_explain_says_why(matcher: Matcher) -> None:
    """explain() gives each tag's reasons: headline, lede, counts, spread and the cue that
    confirmed a weak alias."""
    explained = {
        t.id: a
        for t, a in matcher.explain("China warns US over Taiwan arms sales", LONG, published=DAY)
    }
    reasons = " | ".join(explained["taiwan"].reasons)
    assert "in the headline" in reasons
    assert "mentions" in reasons
    assert "paragraphs" in reasons


# --- watches ------------------------------------------------------------------------------


def test_issue_terms_match_about_and_mention_terms_any_level(matcher: Matcher) -> None:
    """`issue:ID` holds for articles about the issue, `mention:ID` for any mention."""
    found = tags(matcher, LONG, title="China warns US over Taiwan arms sales")
    doc = QueryDoc(
        tag_ids=frozenset(found),
        about_ids=frozenset(i for i, t in found.items() if t.level == "about"),
        feed="f",
        title="",
        text=LONG,
    )
    assert parse_query("issue:taiwan").evaluate(doc)
    assert not parse_query("issue:trade").evaluate(doc)
    assert parse_query("mention:trade").evaluate(doc)
    assert parse_query("mention:taiwan AND actor:united-states").evaluate(doc)


def test_mention_terms_accept_either_kind_and_are_validated(matcher: Matcher) -> None:
    """`mention:` takes an actor or an issue id; an unknown id is refused."""
    kinds = matcher.vocabulary.kinds()
    parse_query("mention:wang-yi OR mention:taiwan").validate(kinds)
    with pytest.raises(Exception, match="unknown mention id"):
        parse_query("mention:nobody").validate(kinds)


# --- people -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day", "absent"),
    [
        (
            "Whoever becomes President of the United States next year will face Beijing.",
            dt.date(2024, 7, 20),
            "joe-biden",
        ),
        (
            "Vietnam's Communist Party chief died on Friday after a long illness.",
            dt.date(2024, 7, 19),
            "xi-jinping",
        ),
        (
            "The U.S. national security adviser John Kirby told reporters the talks went well.",
            dt.date(2023, 3, 20),
            "jake-sullivan",
        ),
        ("Qin Haiyang won the 100m breaststroke final.", dt.date(2023, 7, 24), "qin-gang"),
        (
            "Donald Trump Jr. spoke at the convention on Wednesday.",
            dt.date(2024, 7, 17),
            "donald-trump",
        ),
        ("Jill Biden visited a school in Ohio.", dt.date(2024, 7, 17), "joe-biden"),
        # the office in general, set against an institution
        (
            "The central bank answers to Congress, not the US president, under its law.",
            dt.date(2024, 7, 17),
            "joe-biden",
        ),
        # a deputy's title, and the post of a country's company
        (
            "The delegation was led by the Vice President of China's Poly Group.",
            dt.date(2017, 3, 7),
            "xi-jinping",
        ),
        (
            "He met the President of China's Sinopec Group in Shanghai.",
            dt.date(2017, 3, 7),
            "xi-jinping",
        ),
        # a post of a company or a broadcaster whose name begins with the country's
        (
            "Wang Lei, the president of China Mobile, said roaming charges would go.",
            dt.date(2017, 3, 10),
            "xi-jinping",
        ),
        (
            "The president of the United States Chamber of Commerce criticised the tariffs.",
            dt.date(2018, 6, 1),
            "donald-trump",
        ),
        (
            "A former editor said the president of Russia Today had approved the series.",
            dt.date(2017, 3, 10),
            "vladimir-putin",
        ),
        # a short form quoted on its own: the word, not the person
        (
            'The syllable "Xi", however, comes from the old name of the western regions.',
            dt.date(2017, 1, 5),
            "xi-jinping",
        ),
        # a bare surname that is also a dynasty's and a state's name, with no full form
        (
            "The altar stood near the old capital of the kingdom of Qin (770-221 BC).",
            dt.date(2023, 3, 1),
            "qin-gang",
        ),
    ],
)
def test_person_rules(matcher: Matcher, text: str, day: dt.date, absent: str) -> None:
    """Roles in hypotheticals, other countries' posts, titles followed by another person's
    name, a namesake's given name and relatives do not name the person."""
    assert absent not in tags(matcher, text, day=day)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("", "The president of China Tuesday said the new tariffs were unfair."),
        ("Talks With The President Of China Begin", "The talks opened on Monday."),
        ("", "Reporters asked the president of China whether the talks would go on."),
    ],
)
def test_a_role_before_a_day_or_in_title_case_still_names_the_holder(
    matcher: Matcher, title: str, text: str
) -> None:
    """A capitalised word after a role phrase begins a longer name only in running text: a
    day's name (as news agencies write it) and a line in Title Case keep the holder."""
    tagged = matcher.tag_document(title, text, published=dt.date(2017, 3, 10))
    assert "xi-jinping" in {t.id for t in tagged}


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("An adviser to the Russian President, Oleg Smirnov, met the delegates.", "vladimir-putin"),
        (
            "Questions went to a spokeswoman for the Chinese President, Mei Lan, on Friday.",
            "xi-jinping",
        ),
    ],
)
def test_an_office_that_is_the_object_of_another_title_names_its_holder(
    matcher: Matcher, text: str, person: str
) -> None:
    """ "an adviser to the Russian President, Oleg Smirnov": the name after the comma is the
    adviser's, so the office still names its holder of the day; said of the office itself
    ("the Russian President, Oleg Smirnov") the name is someone else's and names nobody."""
    day = dt.date(2017, 3, 10)
    assert person in tags(matcher, text, day=day)
    assert "vladimir-putin" not in tags(
        matcher, "The Russian President, Oleg Smirnov, left.", day=day
    )


def test_a_quoted_slip_of_the_tongue_is_not_the_leader(matcher: Matcher) -> None:
    """A leader's title and name in quotation marks given to someone else by a slip ("called
    the guest \u201cPresident Putin\u201d") do not name him; his name in the text still does."""
    day = dt.date(2024, 7, 12)
    slip = "He greeted the Finnish leader as \u201cPresident Putin,\u201d then corrected it."
    assert "vladimir-putin" not in tags(matcher, slip, day=day)
    assert "vladimir-putin" in tags(matcher, "Putin answered questions for an hour.", day=day)


def test_chinas_top_envoy_is_the_top_diplomat_of_the_day(matcher: Matcher) -> None:
    """ "China's top envoy" on its own is the top diplomat of the day; one sent to a place or
    for one matter ("to the UN", "for Korean affairs") is someone else."""
    assert "yang-jiechi" in tags(
        matcher, "China's top envoy flew home after the talks.", day=dt.date(2018, 6, 1)
    )
    assert "wang-yi" in tags(
        matcher, "China's top envoy flew home after the talks.", day=dt.date(2024, 6, 1)
    )
    for text in (
        "China's top envoy to the UN spoke.",
        "China's top envoy for Korean affairs spoke.",
    ):
        assert "yang-jiechi" not in tags(matcher, text, day=dt.date(2018, 6, 1))


@pytest.mark.parametrize(
    ("title", "day", "person"),
    [
        (
            "UK retailers press PM to delay new packaging rules",
            dt.date(2020, 9, 1),
            "boris-johnson",
        ),
        ("Pensions: chancellor urged to find £3bn for carers", dt.date(2021, 2, 1), "rishi-sunak"),
        ("No 10 says PM will chair the climate summit", dt.date(2023, 5, 1), "rishi-sunak"),
        ("Chinese ambassador calls UK visa curbs unfair", dt.date(2020, 8, 1), "liu-xiaoming"),
    ],
)
def test_home_titles_name_the_holder_in_a_text_about_that_country(
    matcher: Matcher, title: str, day: dt.date, person: str
) -> None:
    """A British headline's "PM" or "chancellor" (or "Chinese ambassador") names the holder of
    the day when the text names Britain or shows a pound sign or No 10, and no other country."""
    assert person in {t.id for t in matcher.tag_document(title, "", published=day)}


@pytest.mark.parametrize(
    "title",
    [
        "PM and chancellor meet at the summit",  # nothing says which country
        "Australia: PM warns of a long fire season",  # another country named
        "Canberra and UK agree deal as Australian PM visits",
        "UK shops to close at 6 PM on Sunday",  # a time
        "Shadow chancellor attacks £30bn plan",  # another post
        "Vice-chancellor of a UK university quits over £1m pay",
        "UK voters ask who the next PM will be",  # no holder
        "Tory race: PM hopeful warns UK of £40bn gap",  # a race for the post
        "German chancellor warns UK on trade",  # another country's post
        "Chinese ambassador to the US criticises UK",  # another country named
        "UK PM2.5 levels rise again",  # no title
    ],
)
def test_home_titles_in_other_senses_name_nobody(matcher: Matcher, title: str) -> None:
    """A home title names nobody where the text does not speak of its country alone, or where
    it is a time, another post, a race or part of a word."""
    tagged = {t.id for t in matcher.tag_document(title, "", published=dt.date(2020, 7, 20))}
    assert not tagged & {"boris-johnson", "rishi-sunak", "liu-xiaoming"}


def test_your_president_in_the_white_houses_own_text_is_the_sitting_president(
    matcher: Matcher,
) -> None:
    """ "your President" in the White House's own text is the president of the day; in news it
    names nobody (bare titles resolve only in official texts)."""
    text = "It is an honour to serve as your President, and I thank you."
    day = dt.date(2023, 2, 7)
    assert "joe-biden" in tags(matcher, text, day=day, official="united-states")
    assert "joe-biden" not in tags(matcher, text, day=day)


@pytest.mark.parametrize(
    "text",
    [
        "Two Senior Biden administration officials briefed reporters on Monday.",
        "Former Biden aide Anita Dunn declined to comment.",
    ],
)
def test_a_capitalised_word_that_is_no_given_name_keeps_the_surname(
    matcher: Matcher, text: str
) -> None:
    """ "Senior", "Former" or a number word before a surname is not someone else's given name
    (as "Hunter" is in "Hunter Biden")."""
    assert "joe-biden" in tags(matcher, text, day=dt.date(2024, 7, 30))


def test_bare_titles_resolve_by_date_only_in_official_texts(matcher: Matcher) -> None:
    """ "the President" in the White House's own text is the sitting president; in news it
    names nobody; followed by "of" it is someone else's title."""
    text = "The President spoke with the President of France about the summit."
    day = dt.date(2023, 5, 11)
    assert "joe-biden" in tags(matcher, text, day=day, official="united-states")
    assert tags(matcher, text, day=day, official="united-states")["joe-biden"].count == 1
    assert "joe-biden" not in tags(matcher, text, day=day)
    assert "donald-trump" in tags(matcher, text, day=dt.date(2025, 3, 1), official="united-states")


def test_the_previous_administration_in_the_white_houses_own_text_is_the_former_president(
    matcher: Matcher,
) -> None:
    """In the White House's own text, "my predecessor" and "the previous (last, prior)
    administration" name the president before the one in office on the document's day; in
    news they name nobody, and "the previous administration of the agency" is no president."""
    text = "My predecessor cut taxes for the wealthy. The previous administration left a deficit."
    in_2023 = tags(matcher, text, day=dt.date(2023, 2, 7), official="united-states")
    assert "donald-trump" in in_2023
    assert in_2023["donald-trump"].count == 2
    assert "joe-biden" not in in_2023
    in_2026 = tags(
        matcher,
        "The last administration failed.",
        day=dt.date(2026, 2, 24),
        official="united-states",
    )
    assert "joe-biden" in in_2026
    assert "donald-trump" not in tags(matcher, text, day=dt.date(2023, 2, 7))
    agency = "The previous administration of the agency was slow."
    assert "donald-trump" not in tags(
        matcher, agency, day=dt.date(2023, 2, 7), official="united-states"
    )
    # in Trump's first term the predecessor is Obama, who is not an entry: nobody
    assert "donald-trump" not in tags(
        matcher, text, day=dt.date(2018, 1, 30), official="united-states"
    )


def test_bare_titles_across_line_breaks_and_offices(matcher: Matcher) -> None:
    """A bare title broken over lines still names the holder; "the Secretary of State's
    Office" is an office, "the President's first trip" the president's."""
    day = dt.date(2024, 2, 29)
    found = tags(
        matcher,
        "I have directed my Secretary of\nCommerce to act. The President’s first trip went well.",
        day=day,
        official="united-states",
    )
    assert {"gina-raimondo", "joe-biden"} <= found.keys()
    office = tags(
        matcher,
        "She works at the Secretary of State’s Office of Global Health.",
        day=day,
        official="united-states",
    )
    assert "antony-blinken" not in office


def test_a_bare_title_in_a_sentence_stating_an_earlier_day_names_that_days_holder(
    matcher: Matcher,
) -> None:
    """An official notice citing an earlier order ("On March 3, 2020, ... the President
    declared") names that day's holder there; its other bare titles, and a later sentence,
    name the holder of the document's day; a day after the document's is no past act."""
    text = (
        "On March 3, 2020, by an executive order, the President declared a national emergency."
        " The President today continues it for one year."
    )
    found = tags(matcher, text, day=dt.date(2022, 7, 11), official="united-states")
    assert {"donald-trump", "joe-biden"} <= found.keys()
    assert found["donald-trump"].count == 1
    assert found["joe-biden"].count == 1
    later = "On 9 May 2031 the President will travel abroad."
    found = tags(matcher, later, day=dt.date(2022, 7, 11), official="united-states")
    assert "joe-biden" in found
    unstated = "The President signed the order on the day the emergency began."
    found = tags(matcher, unstated, day=dt.date(2022, 7, 11), official="united-states")
    assert "donald-trump" not in found


def test_the_inauguration_day_belongs_to_the_incoming_president(matcher: Matcher) -> None:
    """On 20 January 2025 the President is Donald Trump (terms do not overlap)."""
    found = tags(
        matcher,
        "The President signed the order.",
        day=dt.date(2025, 1, 20),
        official="united-states",
    )
    assert "donald-trump" in found
    assert "joe-biden" not in found


def test_the_current_us_administration_is_the_sitting_president(matcher: Matcher) -> None:
    """ "The current U.S. administration" names the president of the day (a role phrase of
    the office), as "the Trump administration" names him."""
    text = "Painters fear the current U.S. administration will cut the arts budget."
    assert "donald-trump" in tags(matcher, text, day=dt.date(2017, 3, 19))
    later = tags(matcher, text, day=dt.date(2022, 3, 19))
    assert "joe-biden" in later
    assert "donald-trump" not in later


# --- one tagging path ---------------------------------------------------------------------


async def test_monitor_tag_and_the_daemon_store_the_same_tags(
    tmp_path: Path, store: Store, http_server: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tags `monitor tag URL` prints for a page are the ones the daemon stores for it:
    ids, counts, levels and scores."""
    from ingest_site import HTML, RSS, STORY, T0, Entry, page, rss
    from test_pipeline import once

    url = http_server.url("/2026/taiwan-warning")
    http_server.route(
        "/news.xml", body=rss("News", [Entry("n-1", url, "Minister warns")]), headers=RSS
    )
    http_server.route("/2026/taiwan-warning", body=page("Minister warns", STORY), headers=HTML)
    await once(tmp_path, store, [("news", http_server.url("/news.xml"))])
    article_id = store.article_id_for_url(url)
    assert article_id is not None
    stored = store.get_article(article_id)
    assert stored is not None
    monkeypatch.setenv("MONITOR_ALLOWED_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("MONITOR_CONFIG", str(tmp_path / "absent.toml"))
    result = await asyncio.to_thread(  # the command runs its own event loop
        CliRunner().invoke, app, ["tag", "-f", "json", "--date", T0.date().isoformat(), url]
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    printed = {
        (t["id"], t["count"], t["level"], t["score"]) for t in (*row["actors"], *row["issues"])
    }
    assert printed == {(t.id, t.count, t.level, round(t.score, 3)) for t in stored.tags}
    assert ("taiwan", 2, "about") in {(i, c, level) for i, c, level, _ in printed}  # lede, spread


def test_the_one_paragraph_path_equals_the_general_one(matcher: Matcher) -> None:
    """Documents of one paragraph without a headline take a faster path: the same tags,
    counts, evidence, levels and scores as the general path gives them."""
    texts = [
        LONG.replace("\n\n", " "),
        "A typhoon over Taiwan closed schools. Beijing then sent warships near Taiwan.",
        "A video on TikTok went viral. The Federal Trade Commission sued.",
        "Wang Yi met Antony Blinken. Wang raised Taiwan, trade and tariffs with Blinken.",
        "Hong Kong Express flights left. Hong Kong police arrested activists.",
    ]
    found = [matcher.tag_document(None, text, published=DAY) for text in texts]
    assert found == [matcher._general(None, text, DAY, None) for text in texts]
    assert found[2] == ()  # a video on TikTok, the Federal Trade Commission: no tag
    assert all(found[:2] + found[3:])


# --- short texts: a text without a headline, a headline without a text -----------------------


def test_the_first_sentence_of_a_text_without_a_headline_stands_for_its_headline(
    matcher: Matcher,
) -> None:
    """A short item without a headline states its subject in its first sentence: a tag named
    there weighs as if in a headline (`about`); one named only later stays a `mention`. Both
    paths (one paragraph, several) agree, and --explain says so."""
    first = (
        "Inspectors say the ministry ran an espionage ring against visiting diplomats. "
        "The report adds that the trade minister was not told."
    )
    later = (
        "The harbour board met on Tuesday to approve a new ferry timetable for the winter "
        "months, with earlier sailings on weekdays and a later last boat on Fridays. The "
        "chair said the changes followed a survey of commuters, shift workers and school "
        "families, most of whom asked for more frequent crossings in the morning. Fares "
        "will stay the same until the spring, when the board reviews its budget and the "
        "cost of fuel, which rose sharply over the summer and is expected to rise again. "
        "Members "
        "said an earlier plan had been shelved after espionage claims against a contractor. "
        "The new timetable takes effect at the start of next month."
    )
    assert len(later) > SHORT_TEXT  # long enough for a passing mention
    found = tags(matcher, first)
    assert found["espionage-surveillance"].level == "about"
    assert tags(matcher, later)["espionage-surveillance"].level == "mention"
    assert matcher._general(None, first, DAY, None) == matcher.tag_document(
        None, first, published=DAY
    )
    two = first.replace(". ", ".\n\n", 1)
    assert tags(matcher, two)["espionage-surveillance"].level == "about"
    # under a headline that states its story the first sentence is only the lede
    story = "Harbour board approves a winter ferry timetable after a survey of commuters"
    assert len(story.split()) > SHORT_HEADLINE
    assert tags(matcher, first, title=story)["espionage-surveillance"].level == "mention"
    ((_, judged),) = [
        (t, a) for t, a in matcher.explain(None, first, published=DAY) if t.id.startswith("esp")
    ]
    assert "in the first sentence or a short text (no headline) +0.60" in judged.reasons


def test_a_short_text_without_a_headline_is_about_what_it_names_anywhere(
    matcher: Matcher,
) -> None:
    """A spoken turn or a brief item of a few sentences has no room for a passing mention:
    what it names anywhere weighs as its headline (`about`), on both paths; the same words at
    the end of a long text stay a `mention`."""
    turn = (
        "Let me answer that directly. We have met the other side twice this year. "
        "Our factories keep closing. We will rewrite these trade deals on day one."
    )
    assert len(turn) <= SHORT_TEXT
    assert lead_sentence(turn) == len(turn)
    assert tags(matcher, turn)["trade"].level == "about"
    assert matcher._general(None, turn, DAY, None) == matcher.tag_document(
        None, turn, published=DAY
    )
    ((_, judged),) = [
        (t, a) for t, a in matcher.explain(None, turn, published=DAY) if t.id == "trade"
    ]
    assert "in the first sentence or a short text (no headline) +0.60" in judged.reasons
    filler = " We talked about schools, roads, hospitals and the price of bread for an hour."
    long_turn = turn.replace(" Our factories", filler * 8 + " Our factories")
    assert len(long_turn) > SHORT_TEXT
    assert tags(matcher, long_turn)["trade"].level == "mention"
    # under a headline that states its story, a short text is the headline's lede
    story = "Candidates clash over schools, roads and hospitals in a long evening debate"
    assert len(story.split()) > SHORT_HEADLINE
    assert tags(matcher, turn, title=story)["trade"].level == "mention"


def test_layout_marks_the_first_sentence_only_without_a_headline() -> None:
    doc = "Dr. Reyes spoke first. Then the mayor spoke.\n\nA second paragraph."
    assert Layout.of(doc, None).lead_end == len(doc)  # a short text is all lead
    doc += " It ran on about the weather, the roads and the school fete." * 12
    assert len(doc) > SHORT_TEXT
    assert Layout.of(doc, None).lead_end == doc.index(" Then")
    assert Layout.of("One line and no full stop", None).lead_end == len("One line and no full stop")
    assert Layout.of("Title\n\n" + doc, (0, 5)).lead_end == 0


# A member's question under an agenda item (written for these tests; the section path in
# square brackets is how a parliamentary record labels it).
AGENDA = "Dairy Farming [Oral Answers to Questions > Environment, Food and Rural Affairs]"
QUESTION = (
    "Will the Minister tell the House what the new free trade agreement means for cheese "
    "makers in the south-west?"
)


def test_a_short_text_under_a_short_headline_is_about_what_it_names(matcher: Matcher) -> None:
    """A question or an answer of a few lines under an agenda item or a label (a headline of
    at most SHORT_HEADLINE words, a bracketed section path not counted) has no room for a
    passing mention: a tag it names by a name of its own weighs as its headline (`about`), and
    --explain says so. Under a headline that states a story, in paragraphs (a readout, one
    matter to each), or in a longer text, the same words stay a `mention`."""
    assert len(QUESTION) <= SHORT_TEXT
    trade = tags(matcher, QUESTION, title=AGENDA)["trade"]
    assert (trade.level, trade.score) == ("about", 0.7)
    ((_, judged),) = [
        (t, a) for t, a in matcher.explain(AGENDA, QUESTION, published=DAY) if t.id == "trade"
    ]
    assert "in a short text under a short headline +0.60" in judged.reasons
    story = "Dairy farmers in the south-west ask ministers what the new agreement means for them"
    assert len(story.split()) > SHORT_HEADLINE
    assert tags(matcher, QUESTION, title=story)["trade"].level == "mention"
    paragraphs = (
        "The Minister met cheese makers on Monday.\n\n"
        "They talked about the free trade agreement and the price of milk."
    )
    assert tags(matcher, paragraphs, title="Dairy Farming")["trade"].level == "mention"
    filler = " The Minister also spoke of milk prices, feed costs, rain and the county show."
    longer = QUESTION + filler * 7
    assert len(longer) > SHORT_TEXT
    assert tags(matcher, longer, title=AGENDA)["trade"].level == "mention"


def test_a_short_text_under_a_short_headline_needs_a_name_of_its_own(matcher: Matcher) -> None:
    """A weak word (a common word, a place) that its context confirmed does not make the
    subject of a short text under a short headline: "trade specialists" hired for talks with
    the EU stay a `mention`; a name of the issue in the same answer is `about`."""
    answer = (
        "My hon. Friend is right that the new unit will hire economists, lawyers and trade "
        "specialists from the private sector for the talks with the EU."
    )
    trade = tags(matcher, answer, title="Skills Policy")["trade"]
    assert trade.level == "mention"
    named = answer.replace("the talks with the EU", "the talks on exports to the EU")
    assert tags(matcher, named, title="Skills Policy")["trade"].level == "about"


def test_short_text_reads_the_headline_without_its_section_path() -> None:
    """short_text(): the end of a short one-paragraph text under a headline of at most
    SHORT_HEADLINE words outside square brackets, else 0."""
    doc = f"{AGENDA}\n\n{QUESTION}"
    assert short_text(doc, (0, len(AGENDA))) == len(doc)
    assert Layout.of(doc, (0, len(AGENDA))).lead_end == len(doc)
    long_head = "Ministers answer questions on farming, fishing, food and rural affairs today"
    doc = f"{long_head}\n\n{QUESTION}"
    assert short_text(doc, (0, len(long_head))) == 0
    assert short_text("Dairy Farming\n\n", (0, 13)) == 0  # a headline alone
    doc = "Dairy Farming\n\nOne line.\nAnother line."
    assert short_text(doc, (0, 13)) == 0  # in paragraphs


def test_a_weak_name_without_context_in_the_headline_is_no_headline_topic(
    matcher: Matcher,
) -> None:
    """A weak name in the headline with no cue of its sense there ("a share listing in Hong
    Kong") names a place, not the story's topic: it gives no headline weight, even where a
    line of the text confirms the issue (protests against Beijing's grip). A headline that
    names the issue with its words keeps it."""
    text = (
        "A technology group plans to raise billions in a share sale in Hong Kong next week, "
        "its second listing after New York, bankers said on Monday.\n\n"
        "The shares will be priced at a small discount to the group's last close in New York."
        "\n\nBankers said demand from funds in Asia was strong.\n\n"
        "The sale comes months after protests in Hong Kong against Beijing's tightening grip "
        "on the city.\n\nTrading is due to begin on Tuesday."
    )
    listing = "Tech group plans record share listing in Hong Kong"
    found = tags(matcher, text, title=listing)["hong-kong"]
    assert found.level == "mention"
    ((_, judged),) = [
        (t, a) for t, a in matcher.explain(listing, text, published=DAY) if t.id == "hong-kong"
    ]
    assert "in the headline as a word without context there +0.00" in judged.reasons
    protest = "Protesters defy Beijing in Hong Kong"
    assert tags(matcher, text, title=protest)["hong-kong"].level == "about"


@pytest.mark.parametrize(
    ("title", "day", "present", "absent"),
    [
        # the climate matter named by what is done about it, in headlines with no other cue
        ("Pension funds accused of climate hypocrisy over coal loans", DAY, "climate-change", ""),
        ("Shipping firms promise to decarbonise their fleets by 2040", DAY, "climate-change", ""),
        ("City council sets zero-carbon goal for its buses", DAY, "climate-change", ""),
        ("Doctors say oxygen and carbon dioxide levels were normal", DAY, "", "climate-change"),
        # the pandemic's measures named without the virus, in their years
        (
            "Hotels ask for the furlough scheme to run past autumn",
            dt.date(2020, 8, 3),
            "covid-19",
            "",
        ),
        ("Park rangers furloughed as the budget lapses", dt.date(2025, 10, 2), "", "covid-19"),
        ("Schools brace as the virus spreads to the north", dt.date(2021, 1, 9), "covid-19", ""),
        ("Schools brace as the virus spreads to the north", dt.date(2024, 7, 9), "", "covid-19"),
        ("Farmers fear the Nipah virus spreads to pigs", dt.date(2021, 1, 9), "", "covid-19"),
        ("Shoppers told to wear face masks on buses", dt.date(2020, 7, 14), "covid-19", ""),
        # trade: imports of oil are trade, an energy tariff and a trade body are not
        ("Ministers weigh a ban on crude oil imports from the north", DAY, "trade", ""),
        ("Regulator caps rip-off energy tariffs for pensioners", DAY, "", "trade"),
        ("Pubs may open beer gardens next month, says trade body", DAY, "", "trade"),
        ("Treasury names its rival a currency manipulator", DAY, "trade", ""),
        ("Britain to export more lamb to Japan under new deal", DAY, "trade", ""),
        ("Editors ran an export test on the new laptops", DAY, "", "trade"),
        ("Police seize a lab behind the export of fentanyl precursors", DAY, "", "trade"),
        ("Lorry drivers face new customs checks on trade after Brexit", DAY, "trade", ""),
        # Beijing's grip on Hong Kong as headlines put it; not a hotel group's control
        ("Beijing moves to suppress dissent in Hong Kong", DAY, "hong-kong", ""),
        ("Hotel group wins control over Hong Kong harbour tower", DAY, "", "hong-kong"),
        # a weak word of cyber beside the words of what was hacked
        ("Ferry operator's websites still down a week after hack", DAY, "cyber", ""),
        ("Museums plan their reopening as cases fall", dt.date(2020, 5, 20), "covid-19", ""),
        (
            "Airlines cancel routes after a travel ban on arrivals",
            dt.date(2020, 3, 14),
            "covid-19",
            "",
        ),
        ("Court hears challenge to the travel ban", dt.date(2017, 3, 14), "", "covid-19"),
        ("Mayors urged to reopen schools by September", dt.date(2020, 6, 1), "covid-19", ""),
        (
            "Banks warned of a computer virus that wipes hard drives",
            dt.date(2021, 3, 2),
            "cyber",
            "covid-19",
        ),
        (
            "Museums plan their reopening after the roof repairs",
            dt.date(2024, 5, 20),
            "",
            "covid-19",
        ),
    ],
)
def test_headlines_alone_name_their_issue(
    matcher: Matcher, title: str, day: dt.date, present: str, absent: str
) -> None:
    """A feed item that is only a headline: aliases from the ways headlines name an issue,
    and the senses they must not take."""
    found = tags(matcher, "", title=title, day=day)
    if present:
        assert present in found, sorted(found)
        assert found[present].level == "about"
    if absent:
        assert absent not in found, found[absent]


def test_a_time_marker_drops_a_mention_in_the_text_but_not_in_the_headline(
    matcher: Matcher,
) -> None:
    """`marker` patterns ("amid the pandemic") are background in an article's text but the
    setting or cause of a headline's event: the headline's mention counts, the text's not."""
    day = dt.date(2021, 2, 1)
    title = "Ferry crossings cancelled amid the coronavirus outbreak"
    assert tags(matcher, "", title=title, day=day)["covid-19"].level == "about"
    text = "The bakery opened a second shop amid the pandemic and hired four bakers."
    assert "covid-19" not in tags(matcher, text, day=day)
    assert "covid-19" not in tags(matcher, text, title="A bakery grows", day=day)
    # a time marker proper ("since", "before") is no headline's subject either
    assert "covid-19" not in tags(matcher, "", title="Bakery sales back to pre-pandemic levels")


@pytest.mark.parametrize(
    "title",
    [
        "Carmaker loses £2bn after Covid-19",
        "Bakeries struggle in coronavirus crisis",
        "How theatres reinvent themselves in the wake of coronavirus",
        "Planning the post-coronavirus economy",
        "Retailer loses £500m in Covid-19 lockdowns",
    ],
)
def test_after_in_and_wake_of_the_virus_are_a_headlines_cause(matcher: Matcher, title: str) -> None:
    """'after Covid-19', 'in the coronavirus crisis', 'in the wake of coronavirus': in an
    article's text a time, dropped; in a headline the cause of its event, kept as `about`."""
    day = dt.date(2020, 6, 1)
    assert tags(matcher, "", title=title, day=day)["covid-19"].level == "about"
    text = f"{title}. The owner said staff numbers were stable and new shops were planned."
    assert "covid-19" not in tags(matcher, text, title="A business report", day=day)


@pytest.mark.parametrize(
    "title",
    [
        "Bakery sales top £3m since Covid-19 crisis",
        "How to enjoy birthday dinners in lockdown",
        "Shoppers return to post-lockdown high streets",
        "Shop closes its website hours after reopening",
        "Jobs hit a record high before coronavirus struck",
    ],
)
def test_since_before_and_bare_lockdown_date_a_headline(matcher: Matcher, title: str) -> None:
    """'since the Covid-19 crisis', 'before coronavirus struck', 'in lockdown' alone,
    'post-lockdown', 'after reopening' date or set a headline's event: no Covid-19 tag."""
    assert "covid-19" not in tags(matcher, "", title=title, day=dt.date(2020, 6, 1))


@pytest.mark.parametrize(
    ("text", "present"),
    [
        (
            "A court in the north sentenced a farmer to death by stoning for adultery.",
            "human-rights",
        ),
        (
            "A coroner found the teenager who died in custody had been denied his medicine.",
            "human-rights",
        ),
        ("The club banned two fans after homophobic chants at the derby.", "human-rights"),
        ("Both governments pledged closer economic ties at the summit in the capital.", "trade"),
        (
            "Prosecutors charged three engineers over the theft of technology for a rival state.",
            "espionage-surveillance",
        ),
    ],
)
def test_issues_named_by_description(matcher: Matcher, text: str, present: str) -> None:
    """A short item without a headline that names an issue by what was done, not by its
    words: its first sentence makes it the subject."""
    found = tags(matcher, text)
    assert present in found, sorted(found)
    assert found[present].level == "about"


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        # trade agreements named by their names
        ("Our mills closed after NAFTA came in, and I will tear it up.", "trade", ""),
        ("She backed the Trans-Pacific Partnership before she opposed it.", "trade", ""),
        ("The governor wants open trade with the neighbouring provinces.", "trade", ""),
        # "hacks" of a state's agents, not a kitchen's
        ("Officials say Moscow was behind the hacks of the party's email servers.", "cyber", ""),
        ("The column shares ten kitchen hacks for busy weeknights.", "", "cyber"),
        # intelligence gathering as a speaker names it; not a software firm's product
        (
            "We will gather intelligence with our allies before the next attack comes.",
            "espionage-surveillance",
            "",
        ),
        ("Our secrets are being stolen by a rival state every day.", "espionage-surveillance", ""),
        ("The startup sells business intelligence sharing tools.", "", "espionage-surveillance"),
    ],
)
def test_spoken_turns_name_their_issue(
    matcher: Matcher, text: str, present: str, absent: str
) -> None:
    """Phrasing of speech and of short items: agreements named by their names, a state's
    "hacks" beside the words of what was attacked, intelligence gathering in plain words;
    not a tip column's "hacks" or a software firm's "business intelligence"."""
    found = tags(matcher, text)
    if present:
        assert present in found, sorted(found)
        assert found[present].level == "about"
    if absent:
        assert absent not in found, found[absent]


@pytest.mark.parametrize(
    ("title", "day", "present", "absent"),
    [
        # Hong Kong's politics named as a matter, not the city as a place
        ("Stocks slip as Hong Kong tensions weigh on traders", DAY, "hong-kong", ""),
        ("Beijing moves to tighten its grip on Hong Kong", DAY, "hong-kong", ""),
        ("Opposition presses lenders over their silence on Hong Kong policy", DAY, "hong-kong", ""),
        ("Tourists flock to Hong Kong for the lantern festival", DAY, "", "hong-kong"),
        # export controls named by their verb
        (
            "Ministers move towards restricting the export of drone parts to the region",
            DAY,
            "export-controls",
            "",
        ),
        ("Exporters ship record volumes of wheat", DAY, "", "export-controls"),
        # "masks" in the pandemic's years, not a disguise or a costume
        ("Shops run short of masks as demand soars", dt.date(2020, 4, 6), "covid-19", ""),
        ("Shops run short of masks as demand soars", dt.date(2018, 4, 6), "", "covid-19"),
        ("Shops sell out of Halloween masks", dt.date(2021, 10, 30), "", "covid-19"),
        ("Robbers in masks and sunglasses raid a jeweller", dt.date(2021, 3, 2), "", "covid-19"),
        # "climate" alone as the object of a stand, not a weather system's "climate control"
        ("Fund urges investors to sack the board over climate", DAY, "climate-change", ""),
        ("Carmaker recalls vans over climate control faults", DAY, "", "climate-change"),
    ],
)
def test_matters_named_as_matters_in_headlines(
    matcher: Matcher, title: str, day: dt.date, present: str, absent: str
) -> None:
    """Headline phrasings that name a matter rather than a place or an object: Hong Kong's
    tensions, policy and Beijing's grip; the export of goods restricted; masks in 2020-2023;
    a stand "over climate"."""
    found = tags(matcher, "", title=title, day=day)
    if present:
        assert present in found, sorted(found)
        assert found[present].level == "about"
    if absent:
        assert absent not in found, found[absent]


def test_oppression_is_a_weak_word_of_human_rights(matcher: Matcher) -> None:
    """ "Oppression" and "persecution", like "repression", name human rights beside its cues,
    not alone ("the oppressive heat")."""
    text = "Exiles describe years of persecution of critics by the regime."
    assert "human-rights" in tags(matcher, text)
    assert "human-rights" not in tags(matcher, "Crowds wilted in the oppressive heat of the fair.")


def test_a_series_label_before_the_headline_is_a_mention(matcher: Matcher) -> None:
    """A series label at a headline's start (the human-rights entry's `label`) names the
    issue but is not the headline's subject; the same words inside the headline are, and
    --explain says where the mention was."""
    day = dt.date(2020, 5, 1)
    labelled = tags(
        matcher, "", title="Human rights in focus Retailers cancel garment orders", day=day
    )
    assert labelled["human-rights"].level == "mention"
    subject = tags(matcher, "", title="Retailers accused of human rights failings in Asia", day=day)
    assert subject["human-rights"].level == "about"
    both = tags(
        matcher,
        "",
        title="Human rights in focus Forced labour found in the supply chain of a glove maker",
        day=day,
    )
    assert both["human-rights"].level == "about"
    (explained,) = [
        judged
        for tag, judged in matcher.explain(
            "Human rights in focus Retailers cancel garment orders", "", published=day
        )
        if tag.id == "human-rights"
    ]
    assert any("before the headline" in reason for reason in explained.reasons)


# --- round 12: rights, repression abroad, detentions and spying named by their own phrases ---


@pytest.mark.parametrize(
    ("text", "present"),
    [
        # rights named by trafficking in people, and by what they cover or who holds them
        ("The charity opened a shelter for victims of human trafficking.", "human-rights"),
        ("Ministers vowed to end people trafficking across the channel.", "human-rights"),
        ("The decree suspended fundamental rights for thirty days.", "human-rights"),
        ("The nominee's record on religious liberty will face questions.", "human-rights"),
        ("The envoy spoke of the rights and dignity of every citizen.", "human-rights"),
        ("A group defends the rights of indigenous people in the forest.", "human-rights"),
        ("She pledged to protect the rights of the LGBT community.", "human-rights"),
        ("Lawmakers debated a Bill of Rights for the province.", "human-rights"),
        ("The American Civil Liberties Union sued to stop the new order.", "human-rights"),
        ("Police reported an increase in hate crime after the vote.", "human-rights"),
        ("Witnesses said the prisoner was tortured to death in the barracks.", "human-rights"),
        ("Senators asked him about enhanced interrogation after the attacks.", "human-rights"),
        ("Aid groups said the siege broke international humanitarian law.", "human-rights"),
        ("Inspectors found filthy conditions of detention at the border site.", "human-rights"),
        ("The regime kept persecuting opposition activists after the vote.", "human-rights"),
        # spying and a state's surveillance named by their programmes and their police
        (
            "The agency will refocus on intelligence collection and analysis.",
            "espionage-surveillance",
        ),
        ("Congress will review the surveillance programs next spring.", "espionage-surveillance"),
        ("The law lets the agency monitor terrorist communications.", "espionage-surveillance"),
        ("Her studio was watched by the Stasi for a decade.", "espionage-surveillance"),
        ("The poet was followed by the secret police for years.", "espionage-surveillance"),
        # crews seized abroad, a journalist held in Turkey
        ("Somali pirates freed the tanker's crew after a payment.", "detained-citizens"),
        ("The sailors were held by pirates for three years.", "detained-citizens"),
        ("Berlin again demanded the release of Deniz Yücel.", "detained-citizens"),
        # a state's killing of an exile abroad, named as an assassination or by its agents
        (
            "Malaysia charged two women over the assassination of Kim Jong-nam at the airport.",
            "transnational-repression",
        ),
        (
            "Officials believe North Korean agents carried out the attack.",
            "transnational-repression",
        ),
    ],
)
def test_matters_named_by_their_own_phrases(matcher: Matcher, text: str, present: str) -> None:
    """Phrases that name a rights matter, a state's spying, a detention abroad or a killing
    of an exile by the state tag that issue on their own, with no other word of it."""
    assert present in tags(matcher, text)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        # a trafficking charge in a court story, a squad's name
        ("The lawsuit accuses him of fraud, human trafficking and assault.", "human-rights"),
        ("Agents of the human trafficking unit searched the house.", "human-rights"),
        # a consumer law's "bill of rights"
        ("The state passed a patients' bill of rights for clinics.", "human-rights"),
        ("Airlines fought the passenger bill of rights in the Senate.", "human-rights"),
        # a verb of persecution with no word of the rights matter near it
        ("Fans said the referee seemed to persecute their striker all season.", "human-rights"),
        # a killing named without the state or its agents
        (
            "The body of Kim Jong-nam is still at the morgue, police said.",
            "transnational-repression",
        ),
    ],
)
def test_round_12_phrases_keep_their_other_senses_out(
    matcher: Matcher, text: str, absent: str
) -> None:
    """The same words as a charge, a unit's or a consumer law's name, or a death named with
    no state behind it, are no tag of the issue."""
    assert absent not in tags(matcher, text)


@pytest.mark.parametrize(
    ("text", "present"),
    [
        # the war named by what Russia did to Ukraine, and the sanctions named by it
        ("The bank is under sanctions over Moscow's incursion into Ukraine.", "russia-ukraine-war"),
        ("Allies condemned the aggression of Russia on its neighbour.", "russia-ukraine-war"),
        ("Prices rose after Russia invaded Ukraine.", "russia-ukraine-war"),
        ("Investors weighed new sanctions over Ukraine.", "russia-ukraine-war"),
        ("The summit condemned the aggression against Ukraine.", "russia-ukraine-war"),
        # a journalist held in Turkey, as English text writes his name; a reporter held in Syria
        ("Berlin again demanded the release of Deniz Yucel.", "detained-citizens"),
        ("The exhibition honours the late journalist James Foley.", "detained-citizens"),
        # the constitution's guarantee and equality law's term
        ("The mayor spoke of equal protection under the law for every resident.", "human-rights"),
        ("The tribunal found no direct discrimination against the nurse.", "human-rights"),
        # the value rights protect, as a speech names it
        ("We will always stand with those who defend human dignity.", "human-rights"),
        ("The senator urged a vote on the Equality Act this spring.", "human-rights"),
        # a crackdown named by its violence
        ("Critics condemned the brutal crackdown on street vendors.", "human-rights"),
        ("The junta's bloody crackdown left dozens of students dead.", "human-rights"),
        # two states' forces named as a pair
        (
            "Contacts between the two militaries resumed after a long pause.",
            "military-communication",
        ),
    ],
)
def test_round_14_phrases_name_their_issue(matcher: Matcher, text: str, present: str) -> None:
    """Round 14's phrases tag their issue on their own, with no other word of it."""
    assert present in tags(matcher, text, day=dt.date(2017, 3, 1))


@pytest.mark.parametrize(
    ("text", "absent", "day"),
    [
        # the forms of the war before Crimea's seizure: another time
        ("Analysts feared Russia might invade Ukraine one day.", "russia-ukraine-war", 2010),
        # a crackdown on fraud or graft, however harsh, is policing
        ("Ministers promised a harsh crackdown on tax evasion.", "human-rights", 2017),
        ("The mayor vowed a brutal crackdown on corruption in the port.", "human-rights", 2017),
        # a film director who shares the reporter's name
        ("The thriller was directed by James Foley.", "detained-citizens", 2017),
    ],
)
def test_round_14_phrases_keep_other_times_and_people_out(
    matcher: Matcher, text: str, absent: str, day: int
) -> None:
    """A war phrase before the war began, or a namesake without his trade, is no tag."""
    assert absent not in tags(matcher, text, day=dt.date(day, 6, 1))


# --- places among places -------------------------------------------------------------------

ISLAND_VOCAB = """
[[issue]]
id = "isle-status"
name = "Isle status"
aliases = ["Isle independence"]
weak = [{ text = "Farrow Isle", case = "exact" }, "status talks"]
cues = ["referendum", "sovereignty", "governor"]
place_cues = ["Norland", "Norlandic", "mainland"]
min_cues = 2
"""


def test_place_cues_alone_do_not_confirm_a_place() -> None:
    """A weak place named beside other places only (`place_cues`: the mainland, the country's
    name) is a place among places, not the issue; the same place cues beside one cue of the
    issue's sense count (two cues confirm it), and --explain says which were places. A weak
    common word takes them as any cue."""
    from monitor.vocab import build_vocabulary, parse_text

    isle = compile_matcher(build_vocabulary(parse_text(ISLAND_VOCAB)))
    places = (
        "The brewer sells in Norland, on the mainland and on Farrow Isle, and its Norlandic "
        "rivals do too."
    )
    assert isle.tag_document("Brewer grows", places) == ()
    cued = (
        "The governor of Farrow Isle told Norland that a vote on the mainland would change nothing."
    )
    assert [t.id for t in isle.tag_document("Isle warns", cued)] == ["isle-status"]
    # one cue of the sense without the places is not the two it needs
    assert isle.tag_document("Isle warns", "The governor of Farrow Isle spoke.") == ()
    [(_, judged)] = isle.explain("Isle warns", cued)
    assert any("places: Norland, mainland" in reason for reason in judged.reasons)
    # beside a common word (not a name) the places are its context as any cue is
    talks = "Norland and the mainland resumed status talks in the spring."
    assert [t.id for t in isle.tag_document("Talks resume", talks)] == ["isle-status"]


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        (
            "The trading house has its headquarters in Hong Kong and sells its wines across "
            "the Chinese mainland, where China's drinkers buy more each year.",
            "hong-kong",
        ),
        (
            "Factories moved from the Chinese mainland to Taiwan, Macao and Singapore as wages "
            "in China rose.",
            "taiwan",
        ),
    ],
)
def test_hong_kong_and_taiwan_among_chinas_places_are_places(
    matcher: Matcher, text: str, issue: str
) -> None:
    """The bundled Hong Kong and Taiwan entries: China's names (China, Chinese, Beijing, the
    mainland) beside them are places, not the status question."""
    assert issue not in tags(matcher, text, title="Business notes")


def test_place_cues_must_be_apart_from_cues_and_need_weak_aliases() -> None:
    """A word both in `cues` and `place_cues`, or place cues on an entry without weak
    aliases, is refused at load with a one-line error."""
    from monitor.errors import VocabularyError
    from monitor.vocab import parse_text

    both = ISLAND_VOCAB.replace('"governor"]', '"governor", "mainland"]')
    with pytest.raises(VocabularyError, match="'mainland' is in both cues and place_cues"):
        parse_text(both)
    no_weak = ISLAND_VOCAB.replace(
        'weak = [{ text = "Farrow Isle", case = "exact" }, "status talks"]\n', ""
    )
    with pytest.raises(VocabularyError, match="place_cues needs weak aliases"):
        parse_text(no_weak)


# --- a long text without line breaks -------------------------------------------------------

FEVER_ONLY = """
[[issue]]
id = "marsh-fever"
name = "Marsh fever"
aliases = ["marsh fever"]
[[issue]]
id = "ferry-fares"
name = "Ferry fares"
aliases = ["ferry fares"]
"""


def _flat_story() -> str:
    """A made-up article of fourteen sentences in one line (no paragraph breaks): marsh fever in
    the first, fifth and ninth sentences, ferry fares once, in the last."""
    filler = (
        "The harbour town held its spring market on the quay for the third weekend running, "
        "with stalls of cheese, rope and painted floats."
    )
    sentences = [filler] * 14
    sentences[0] = "Marsh fever kept half the stallholders at home this spring, the council said."
    sentences[4] = "Nurses at the clinic said marsh fever cases had doubled since the thaw began."
    sentences[8] = "The council will spray the reed beds, where marsh fever is thought to breed."
    sentences[13] = "Visitors also complained about ferry fares on the crossing from the island."
    return " ".join(sentences)


def test_a_long_text_without_line_breaks_is_read_in_blocks_of_sentences() -> None:
    """A long article whose paragraphs were lost (one line of over FLAT_TEXT characters) is
    read in blocks of whole sentences: a topic named through it is `about` (its spread over
    the blocks counts), and one named once at the end is not in the lede."""
    from monitor.match.relevance import BLOCK_CHARS, FLAT_TEXT, Layout
    from monitor.vocab import build_vocabulary, parse_text

    text = _flat_story()
    assert len(text) > FLAT_TEXT
    assert "\n" not in text
    fever = compile_matcher(build_vocabulary(parse_text(FEVER_ONLY)))
    judged = {tag.id: (tag, a) for tag, a in fever.explain("Spring market on the quay", text)}
    tag, assessment = judged["marsh-fever"]
    assert tag.level == "about"
    assert any(r.startswith("in 3 of ") and "blocks of sentences" in r for r in assessment.reasons)
    fares, assessment = judged["ferry-fares"]
    assert fares.level == "mention"
    assert not any("lede" in r for r in assessment.reasons)
    # the blocks are whole sentences of at least BLOCK_CHARS characters
    doc = "Spring market on the quay\n\n" + text
    layout = Layout.of(doc, (0, 25))
    starts = layout.paragraph_starts
    assert len(starts) > 2
    for start, end in zip(starts, (*starts[1:], len(doc)), strict=True):
        assert doc[start].isupper()
        assert end - start >= BLOCK_CHARS or end == len(doc)
    # a short text in one line is still one paragraph
    short = Layout.of("Quay\n\n" + text[:800], (0, 4))
    assert len(short.paragraph_starts) == 1


# --- classes of other senses that real news showed (a description, a place, another domain) -


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        # a rights group named as a source on another matter: a description, not the matter
        (
            "Concern came from bankers and rights groups, who say the mayor's family business "
            "could profit from the new port.",
            "human-rights",
        ),
        (
            "The clinic's embryo research drew fire from human rights groups and bishops.",
            "human-rights",
        ),
        # the region as a place: a birthplace, a road's ends
        (
            "Japanese Americans were detained in internment camps in 1942, the museum shows.",
            "xinjiang",
        ),
        (
            "The painter grew up in the Xinjiang Uyghur Autonomous Region and now teaches "
            "in Hangzhou.",
            "xinjiang",
        ),
        (
            "A new highway links Xinjiang to Tibet across the plateau, the ministry said.",
            "xinjiang",
        ),
        (
            "A new highway links Xinjiang to Tibet across the plateau, the ministry said.",
            "human-rights",
        ),
        # a religious leader's name, and a figure of speech
        (
            "The Dalai Lama joked with monks and scientists at a symposium on the brain.",
            "human-rights",
        ),
        ("The abbot called his long fast a self-torture he had chosen freely.", "human-rights"),
        # the city as someone's base
        (
            "An economist based in Hong Kong said China's government would cut its growth "
            "target after the party congress.",
            "hong-kong",
        ),
        # industrial policy at home and a competition law are not trade between countries
        ("The province will cut overcapacity in coal and steel by closing old mines.", "trade"),
        (
            "The airline asked the government for a review of trade practices in the domestic "
            "aviation market.",
            "trade",
        ),
        # an alliance's own ministers meeting among themselves
        (
            "After a meeting of NATO's defense ministers, he said Europe spends more on its "
            "military than Russia does.",
            "military-communication",
        ),
        # energy demand is no cue of the climate matter
        ("The province wants clean energy to meet the growth in energy demand.", "climate-change"),
        # goods kept from being exported by a strike are no export control
        ("A dock strike kept the grain from being exported for a month.", "export-controls"),
        # a state's curbs on its own money leaving are capital controls
        (
            "Regulators moved to curb outbound investment as a weaker yuan drove capital "
            "outflows, a screening of deals showed.",
            "export-controls",
        ),
        (
            "Workers raised coal-bed methane output at the new wells as the coal industry grew.",
            "climate-change",
        ),
    ],
)
def test_classes_of_other_senses_do_not_tag_the_issue(
    matcher: Matcher, text: str, absent: str
) -> None:
    """Issue words describing an organisation, naming a region or a city only as a place, a
    religious leader, or belonging to another domain (industrial policy, competition law, an
    alliance's internal meeting, the energy business) are no tag of the issue."""
    assert absent not in tags(matcher, text)
    assert absent not in tags(matcher, text, title="News in brief")


@pytest.mark.parametrize(
    ("text", "present"),
    [
        (
            "Critics and rights groups said the detention of the activists was arbitrary.",
            "human-rights",
        ),
        (
            "According to a human rights organisation, permits are denied in an arbitrary way.",
            "human-rights",
        ),
        ("The crackdown in Xinjiang has sent Muslims to camps, researchers say.", "xinjiang"),
        ("China defends its Xinjiang policy at the UN", "xinjiang"),
        ("Leaked files reveal the inside story of Xinjiang detention", "xinjiang"),
        ("The Dalai Lama accused Beijing of repression in his homeland.", "human-rights"),
        ("China warns the Dalai Lama over his succession", "human-rights"),
        ("Critics say the regime represses anyone who dares to protest.", "human-rights"),
        (
            "The heads of the General Staff agreed to exchange information on their forces.",
            "military-communication",
        ),
        (
            "Envoys met at the NATO-Russia Council for the first time in a year.",
            "military-communication",
        ),
        ("The island nation broke off ties with Taipei to recognise Beijing.", "taiwan"),
        (
            "Beijing banned more items from being exported to the North, including dual-use "
            "technologies.",
            "export-controls",
        ),
        ("Washington says Chinese overcapacity floods world markets with cheap steel.", "trade"),
        (
            "The defense ministers of China and the United States met in Singapore on Friday.",
            "military-communication",
        ),
        ("Unfair trade practices by Beijing hurt American farmers, the senator said.", "trade"),
        (
            "Washington will curb outbound investment in Chinese chip firms on security grounds.",
            "export-controls",
        ),
    ],
)
def test_the_same_words_in_the_issues_sense_still_tag_it(
    matcher: Matcher, text: str, present: str
) -> None:
    """The words made weak or vetoed above still tag the issue where its matter is near."""
    assert present in tags(matcher, text)
    assert present in tags(matcher, text, title="News in brief")


def test_a_place_in_a_list_of_places_is_not_the_issue_but_a_list_of_matters_is() -> None:
    """A capitalised weak alias that is an item of a list of names ("the Philippines, Brunei,
    Malaysia, Taiwan and Vietnam") is a place among places, whatever cues surround the list;
    in a list whose neighbouring items are other issues ("human rights, Xinjiang, Hong Kong,
    the South China Sea, and Taiwan") it is one matter among matters."""
    from monitor.match.relevance import in_list

    matcher = compile_matcher(load_vocabulary())
    places = (
        "Beijing claims the sea almost entirely, despite the Philippines, Brunei, Malaysia, "
        "Taiwan and Vietnam also having claims, and its navy patrols the reefs."
    )
    assert "taiwan" not in tags(matcher, places)
    assert "taiwan" not in tags(matcher, places, title="Reef dispute")
    start = places.index("Taiwan")
    assert in_list(places, start, start + 6)
    alone = "Beijing claims Taiwan, and its navy patrols the strait near the island."
    assert "taiwan" in tags(matcher, alone)
    matters = (
        "Sullivan raised concerns about human rights, Xinjiang, Hong Kong, the South China "
        "Sea, and Taiwan, and both sides discussed sanctions and the rule of law."
    )
    found = tags(matcher, matters, title="Readout of the meeting")
    assert "hong-kong" in found
    assert "taiwan" in found
    assert tags(matcher, matters).keys() == found.keys()


def test_a_post_of_a_country_before_a_possessive_noun_is_still_the_holders() -> None:
    """The veto of "the President of China's Poly Group" needs a name after the possessive:
    "the President of China's visit" is the holder's."""
    matcher = compile_matcher(load_vocabulary())
    text = "The President of China's visit to Moscow ended on Friday."
    assert "xi-jinping" in tags(matcher, text, day=dt.date(2017, 3, 7))


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        # climate change named by its pollution, its rules, its campaigners and its effects
        ("The plan would halve carbon pollution from power plants by 2035.", "climate-change"),
        ("The county will miss its emission targets for a third year.", "climate-change"),
        ("The utility tested carbon capture at its coal plant.", "climate-change"),
        ("Senators unveiled a Green New Deal for public housing.", "climate-change"),
        ("Carmakers lobbied to soften fuel economy standards for pickups.", "climate-change"),
        ("Greta Thunberg spoke to the crowd outside parliament.", "climate-change"),
        ("The minister called his rival a climate denier on live radio.", "climate-change"),
        ("Farmers blamed changing weather patterns for the failed harvest.", "climate-change"),
        # trade named by its pacts, its disputes and its policies
        ("The new GATT round opened in Geneva.", "trade"),
        ("Both presidents pledged to widen trade and economic ties.", "trade"),
        ("Pirates threaten a busy trade route through the strait.", "trade"),
        ("Mills blamed steel dumping for the loss of 400 jobs.", "trade"),
        ("The bloc debated granting the country market economy status.", "trade"),
        ("The ministry denied any economic retaliation against the neighbour's firms.", "trade"),
        ("Protectionists want to wall the country off from its rivals.", "trade"),
        ("Agencies must follow Buy American rules for bridge steel.", "trade"),
        ("The senator blamed offshoring for the closed factories.", "trade"),
        ("The aim is to end the nation's reliance on foreign oil.", "trade"),
        # export controls named by a ban's verb, the licensing of sensitive technology, a waiver
        ("Voters asked their member to ban such exports of live calves.", "export-controls"),
        (
            "The department regulates the export of sensitive technologies abroad.",
            "export-controls",
        ),
        (
            "The temporary general license lets suppliers keep servicing the handsets.",
            "export-controls",
        ),
        # talks between militaries named by their coordination, their ties, a navy's visit
        (
            "The two armies agreed on closer military coordination after the accidental strike.",
            "military-communication",
        ),
        ("Defence ties between the two states were restored in May.", "military-communication"),
        (
            "Two navy destroyers made a port call in the neighbour's harbour.",
            "military-communication",
        ),
    ],
)
def test_more_names_of_trade_climate_export_controls_and_military_talks(
    matcher: Matcher, text: str, issue: str
) -> None:
    """Phrases that name the matter in its sense tag it."""
    assert issue in tags(matcher, text)


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        # an arms sale
        ("The state looks to export its stealth fighter to markets in Asia.", "trade"),
        # an oil company's nationality
        ("Foreign oil companies bid for the blocks in the delta.", "trade"),
        # takeovers as deals, with no word of their screening
        (
            "The report counted a record number of foreign takeovers by the group.",
            "export-controls",
        ),
        # a cruise liner's call
        (
            "The cruise liner's port call brought 3,000 tourists to the old town.",
            "military-communication",
        ),
    ],
)
def test_the_new_names_in_another_sense_do_not_tag_the_issue(
    matcher: Matcher, text: str, issue: str
) -> None:
    """The same words for another matter (arms, a company, a deal, a cruise) do not tag the
    issue."""
    assert issue not in tags(matcher, text)


# --- round 13: wrong senses (a time marker, a company's or a city's name, another country's
# matter, a line of work, the wildlife trade, an intelligence assessment, a crime, ...) ---------


ROUND13_OTHER_SENSES: list[tuple[dt.date, str | None, str, str]] = [
    # the lockdown as the time something happened, not the pandemic as a matter
    (
        dt.date(2020, 6, 1),
        "Have you been made redundant during lockdown? Tell us your story",
        "",
        "covid-19",
    ),
    (
        dt.date(2020, 6, 1),
        "Pet adoptions soared during UK lockdown, shelters say",
        "",
        "covid-19",
    ),
    # a firm's local arm, a city among world cities, another country's activists
    (
        dt.date(2023, 6, 18),
        None,
        (
            "Li Wei, an economist at Example Securities (Hong Kong) Limited, said "
            "Beijing's government would pass the new law after the election "
            "despite protests."
        ),
        "hong-kong",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "The provincial government of the Chinese city will hold investor "
            "roadshows in Hong Kong, Tokyo, Paris and Chicago this spring."
        ),
        "hong-kong",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "The crackdown on protesters in Cairo gave hope to Syrian "
            "pro-democracy activists, and the government responded with arrests."
        ),
        "hong-kong",
    ),
    # a line of work, a home sector, a consumer law, the wildlife trade
    (
        dt.date(2023, 6, 18),
        None,
        (
            "They work in every trade, and they build the nation's economy, the "
            "president told the country's voters."
        ),
        "trade",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "Foreign investment in the country rose last year; the largest sums "
            "went to banks, to wholesale and retail trade and to industry, the "
            "statistics service said of its economic figures."
        ),
        "trade",
    ),
    (
        dt.date(1995, 6, 18),
        None,
        (
            "The bill brings the sale of houses into line with the sale of goods "
            "under the Trade Descriptions Act, the minister said."
        ),
        "trade",
    ),
    (
        dt.date(2017, 1, 6),
        None,
        (
            "China moved to ban imports of ivory last year, and Beijing says the "
            "legal trade will end soon; the illicit animal products trade across "
            "borders goes on, officials in China said."
        ),
        "trade",
    ),
    # an intelligence service as the source of an assessment, a criminal known to the service
    (
        dt.date(2017, 2, 7),
        None,
        (
            "Even setting aside the US intelligence report on the vote, the "
            "president's own words worried the allies."
        ),
        "espionage-surveillance",
    ),
    (
        dt.date(2017, 3, 17),
        None,
        (
            "The US intelligence community expects North Korea to test another "
            "missile, officials said."
        ),
        "espionage-surveillance",
    ),
    (
        dt.date(2017, 3, 24),
        None,
        ("Officers said the gunman, who had a record of violence, was known to police and MI5."),
        "espionage-surveillance",
    ),
    # campaigners of a home policy dispute, a crackdown on graft
    (
        dt.date(2017, 3, 3),
        None,
        (
            "The bill drew protests from reproductive rights activists and "
            "doctors, who accused lawmakers of attacking political freedom."
        ),
        "human-rights",
    ),
    (
        dt.date(2017, 1, 6),
        None,
        (
            "The authorities took action against graft, part of the president's "
            "crackdown on corrupt officials, and critics say the political "
            "opposition was spared."
        ),
        "human-rights",
    ),
    # a child-safety hotline
    (
        dt.date(2016, 4, 22),
        None,
        (
            "Anyone can report child abuse images to the cyber tip line, the "
            "agency said; the reports go to investigators who track criminals "
            "online."
        ),
        "cyber",
    ),
    # a state's curbs on its firms' "irrational" deals abroad are capital controls
    (
        dt.date(2016, 12, 30),
        None,
        (
            "China's outbound investment will keep growing, the ministry said, "
            "though it will curb irrational deals in property and hotels that "
            "carry risks."
        ),
        "export-controls",
    ),
    # a city's cameras, rangers watching for poachers
    (
        dt.date(2017, 2, 17),
        None,
        (
            "The French city signed a deal with the Chinese firm to renew its "
            "video surveillance network, the government said."
        ),
        "espionage-surveillance",
    ),
    (
        dt.date(2017, 3, 2),
        None,
        (
            "Rangers in Kenya received Chinese night-vision gear to boost "
            "surveillance of poachers hunting wildlife for ivory."
        ),
        "espionage-surveillance",
    ),
    # Russia's forces in another country's war
    (
        dt.date(2017, 3, 14),
        None,
        (
            "The Kremlin has no information on a deployment of Russian forces and "
            "drones in Egypt near the Libyan border."
        ),
        "russia-ukraine-war",
    ),
    (
        dt.date(2017, 2, 23),
        None,
        (
            "Jets of the regime and Russian forces bombed rebel-held towns outside "
            "Aleppo all through the truce."
        ),
        "russia-ukraine-war",
    ),
    # pollution over a legal limit, a visit to history's sites, a way to pay, an NGO's name
    (
        dt.date(2017, 1, 6),
        None,
        (
            "Firms that falsify monitoring data to hide excessive emissions will "
            "face fines, the environmental bureau said, as part of its pollution "
            "policy."
        ),
        "climate-change",
    ),
    (
        dt.date(2017, 3, 18),
        None,
        (
            "Burning cable casings in the open leaves emissions violating "
            "standards many times over, environmental groups said of the recycling "
            "policy."
        ),
        "climate-change",
    ),
    (
        dt.date(2017, 2, 24),
        None,
        (
            "Years later she went back to Alabama for Civil Rights tours, and the "
            "two friends visited the sites together; the political history moved "
            "her."
        ),
        "human-rights",
    ),
    (
        dt.date(2017, 3, 17),
        None,
        (
            "The retailer uses facial recognition technology for digital payments, "
            "and its data unit works with the government on traffic."
        ),
        "espionage-surveillance",
    ),
    (
        dt.date(2017, 2, 7),
        None,
        (
            "A petition against the settlement law will go to the court, said several "
            "Israeli NGOs, the Association for Civil Rights in Israel among them."
        ),
        "human-rights",
    ),
]


ROUND13_OWN_SENSE: list[tuple[dt.date, str | None, str, str]] = [
    (dt.date(2020, 6, 1), "Lockdown shuts half the country's factories", "", "covid-19"),
    (
        dt.date(2023, 6, 18),
        None,
        ("Police arrested pro-democracy activists in Hong Kong under the national security law."),
        "hong-kong",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        "Tariffs on steel imports from China hit the economy.",
        "trade",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "The country's trade with China grew as exports rose, and the trade "
            "policy of Beijing was praised."
        ),
        "trade",
    ),
    (
        dt.date(2017, 3, 24),
        None,
        "MI5 said Russian agents had tried to recruit officials in London.",
        "espionage-surveillance",
    ),
    (
        dt.date(2017, 3, 24),
        None,
        ("US intelligence intercepted the calls of Russian diplomats, officials said."),
        "espionage-surveillance",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "Police detained human rights activists and launched a crackdown on "
            "dissent after the protests."
        ),
        "human-rights",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "Hackers linked to China's state security breached government networks "
            "in a cyberattack, officials said."
        ),
        "cyber",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        ("The Commerce Department imposed export controls on advanced chips bound for China."),
        "export-controls",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        ("Chinese state surveillance of Uyghurs relies on cameras in every street, a report said."),
        "espionage-surveillance",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        ("Russian forces shelled Kharkiv overnight as the war in Ukraine entered its second year."),
        "russia-ukraine-war",
    ),
    (
        dt.date(2015, 6, 18),
        None,
        (
            "Russian troops massed near the border of eastern Ukraine as fighting "
            "with separatists continued."
        ),
        "russia-ukraine-war",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        ("Greenhouse gas emissions must fall by half to meet the climate goals, scientists said."),
        "climate-change",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "The court ruled that the state's civil rights law protects the "
            "protesters' right to assemble."
        ),
        "human-rights",
    ),
    (
        dt.date(2023, 6, 18),
        None,
        (
            "Police used facial recognition to track protesters and dissidents in "
            "the capital, rights groups said."
        ),
        "espionage-surveillance",
    ),
    (
        dt.date(2015, 2, 10),
        None,
        (
            "Shelling between the Ukrainian government and Russian forces went on "
            "near Donetsk despite the truce."
        ),
        "russia-ukraine-war",
    ),
]


# --- round 14 (reltune14b): names of trade, Taiwan, Covid-19, climate and Hong Kong ---------


ROUND14_NAMES: list[tuple[dt.date, str | None, str, str]] = [
    # trade in goods is trade (only the hyphenated part-exchange is not)
    (
        dt.date(2018, 6, 14),
        None,
        "After the vote, trade in goods will face new checks.",
        "trade",
    ),
    (dt.date(2018, 6, 14), "Brexit: Trade in Fish", "The minister answered briefly.", "trade"),
    # trade grown as an aim, measured as a figure, firms that sell abroad
    (dt.date(2017, 3, 1), None, "The envoys vowed to boost trade with the region.", "trade"),
    (dt.date(2017, 3, 1), None, "Both sides hope to expand trade after the visit.", "trade"),
    (dt.date(2017, 3, 1), None, "The balance of trade worsened in the autumn.", "trade"),
    (dt.date(2017, 3, 1), None, "Trade flows across the strait fell by a tenth.", "trade"),
    (
        dt.date(1999, 1, 21),
        None,
        "The agency helped 30 exporting firms in the valley.",
        "trade",
    ),
    (
        dt.date(2008, 1, 28),
        None,
        "Congress should renew trade adjustment assistance for laid-off workers.",
        "trade",
    ),
    # talks with the EU after Britain left were the future trade relationship's
    (dt.date(2020, 5, 2), "Brexit talks stall over fishing rights", "", "trade"),
    # a believer in free trade
    (dt.date(2017, 1, 30), None, "The premier is a feminist and a free-trader.", "trade"),
    # the president's authority to negotiate pacts, acts that opened markets to Africa
    (dt.date(1997, 2, 4), None, "He asked for fast-track trade authority again.", "trade"),
    (dt.date(2015, 6, 1), None, "The House passed trade promotion authority.", "trade"),
    (
        dt.date(1999, 1, 19),
        None,
        'Congress should pass the "African Trade and Development Act."',
        "trade",
    ),
    # opioids as a class, the antidote, the poppy's drug beside drug words
    (dt.date(2019, 5, 1), None, "Deaths from opiates doubled in the county.", "fentanyl"),
    (dt.date(2019, 5, 1), None, "Paramedics carry Narcan on every call.", "fentanyl"),
    (
        dt.date(2017, 1, 19),
        None,
        "Police seized opium bound for drug dealers, a sign of rising addiction.",
        "fentanyl",
    ),
    # the one-China policy with its words in quotes, and the 1992 formula
    (
        dt.date(2017, 2, 13),
        None,
        'The president reaffirmed the "One China" policy in the call.',
        "taiwan",
    ),
    (
        dt.date(2017, 2, 13),
        None,
        "Beijing asked the new leader to accept the 1992 Consensus.",
        "taiwan",
    ),
    # pandemic measures and vaccines named without the virus, in their years
    (dt.date(2020, 6, 15), "Non-essential shops reopen to long queues", "", "covid-19"),
    (dt.date(2020, 4, 2), "Can carmakers end the ventilator shortage?", "", "covid-19"),
    (dt.date(2020, 7, 20), "Hopes rise for the Oxford vaccine", "", "covid-19"),
    # the Green New Deal in its opponents' words, money kept out of fossil fuels
    (
        dt.date(2026, 2, 24),
        None,
        "They wasted billions on the green new scam.",
        "climate-change",
    ),
    (
        dt.date(2020, 6, 1),
        None,
        "Students demanded divestment from fossil fuels by the college.",
        "climate-change",
    ),
    # Britain's acts on Hong Kong people's citizenship
    (
        dt.date(1990, 4, 19),
        "British Nationality (Hong Kong) Bill",
        "The member rose on a point of order.",
        "hong-kong",
    ),
]


ROUND14_OTHER_SENSES: list[tuple[dt.date, str | None, str, str]] = [
    # a part-exchange, hyphenated or with the owner's goods
    (
        dt.date(2018, 6, 14),
        None,
        "Shoppers can trade in their old handsets at the store.",
        "trade",
    ),
    (dt.date(2018, 6, 14), None, "The dealer offered a generous trade-in on the van.", "trade"),
    # the wildlife trade named by its animals
    (
        dt.date(2017, 1, 5),
        None,
        "The trade in carvings is still legal in China, though elephants die to poaching.",
        "trade",
    ),
    # the wars of the 1840s and a figure of speech are no drug matter
    (
        dt.date(2017, 1, 19),
        None,
        "Since the Opium War, the port's addiction to foreign drugs shaped its history.",
        "fentanyl",
    ),
    (
        dt.date(2017, 1, 19),
        None,
        "He called television the opium of the people, a drug for tired addiction.",
        "fentanyl",
    ),
    # the same words out of their years: Brexit talks of 2017, shops of 2017
    (dt.date(2017, 5, 2), "Brexit talks to open in June", "", "trade"),
    (dt.date(2017, 3, 1), "A freeze on non-essential stores staff", "", "covid-19"),
]


@pytest.mark.parametrize(("day", "title", "text", "issue"), [*ROUND13_OWN_SENSE, *ROUND14_NAMES])
def test_an_issues_names_in_its_sense_tag_it(
    matcher: Matcher, day: dt.date, title: str | None, text: str, issue: str
) -> None:
    """Phrases that name the matter in its sense (see their comments in issues.toml) tag it,
    and the vetoes of round 13 leave the issue's own sense tagged."""
    assert issue in tags(matcher, text, title=title, day=day)


@pytest.mark.parametrize(
    ("day", "title", "text", "issue"), [*ROUND13_OTHER_SENSES, *ROUND14_OTHER_SENSES]
)
def test_an_issues_words_in_another_sense_do_not_tag_it(
    matcher: Matcher, day: dt.date, title: str | None, text: str, issue: str
) -> None:
    """Words of an issue in another sense (see each veto's comment in issues.toml) do not tag
    it."""
    assert issue not in tags(matcher, text, title=title, day=day)


# A port town's story that names trade twice, in paragraphs that go on about its matter.
HARBOUR_TITLE = "A harbour town waits for the ferries to fill again"
HARBOUR_FILLER = [
    "The quay was quiet on Monday morning, with two cranes idle and a fishing boat tied up.",
    "Local cafes opened late, and the town's bakery said business had been slow all month.",
    "A school choir rehearsed in the old customs-free warehouse that now serves as a hall.",
    "Tourists were few; the season usually starts when the weather turns in late spring.",
    "The council has promised new benches along the promenade before the summer festival.",
    "Residents said the ferry timetable had changed twice since the winter storms.",
    "A retired captain said the harbour had seen quieter years and would recover.",
]
HARBOUR_TALK = (
    "Officials said the trade talks between the two governments stalled over customs checks, "
    "the deficit, barriers on farm goods and the rules for local manufacturing."
)
HARBOUR_TALK_AGAIN = (
    "Negotiations resume next month, and the trade talks may yet settle the quarrel over "
    "which goods cross the border first."
)
HARBOUR_PLAIN = "Officials said the trade talks between the two governments stalled last week."
HARBOUR_PLAIN_AGAIN = "The trade talks resume next month, the officials said."


def harbour(first: str, second: str) -> str:
    """The port story with two trade paragraphs among its filler, past its lede."""
    f = HARBOUR_FILLER
    return "\n\n".join([*f[:5], first, f[5], second, f[6]])


def test_an_issue_discussed_in_its_own_words_is_about(matcher: Matcher) -> None:
    """A tag named twice in a long article, in paragraphs that hold six or more different
    common words of its matter (trade's "customs", "deficit", "barriers", "goods",
    "manufacturing", "negotiations"), is discussed, not passed by: `about`, and --explain
    says why. The same two names without those words stay a mention."""
    discussed = tags(matcher, harbour(HARBOUR_TALK, HARBOUR_TALK_AGAIN), title=HARBOUR_TITLE)
    plain = tags(matcher, harbour(HARBOUR_PLAIN, HARBOUR_PLAIN_AGAIN), title=HARBOUR_TITLE)
    assert plain["trade"].level == "mention"
    assert discussed["trade"].level == "about"
    assert discussed["trade"].score == pytest.approx(plain["trade"].score + 0.3, abs=0.01)
    explained = {
        t.id: a
        for t, a in matcher.explain(
            HARBOUR_TITLE, harbour(HARBOUR_TALK, HARBOUR_TALK_AGAIN), published=DAY
        )
    }
    reason = next(r for r in explained["trade"].reasons if r.startswith("discussed in"))
    assert "customs" in reason
    assert reason.endswith("+0.30")
    assert explained["trade"].score == discussed["trade"].score


def test_a_discussion_needs_two_references(matcher: Matcher) -> None:
    """Named once, even among the words of its matter, a tag stays a mention: one paragraph on
    a side issue of a long story is a passing reference."""
    text = harbour(HARBOUR_TALK, HARBOUR_FILLER[0])
    assert tags(matcher, text, title=HARBOUR_TITLE)["trade"].level == "mention"
