"""The vocabulary loader: bundled data, user overrides, and errors with file, line and key."""

from datetime import date
from pathlib import Path

import pytest

from monitor.errors import VocabularyError
from monitor.vocab import load_vocabulary, parse_text
from monitor.vocab.loader import SLUG
from monitor.vocab.model import Entry

CONTRACT_ISSUES = {
    "artificial-intelligence",
    "aukus",
    "climate-change",
    "covid-19",
    "cyber",
    "detained-citizens",
    "espionage-surveillance",
    "export-controls",
    "fentanyl",
    "hong-kong",
    "huawei",
    "human-rights",
    "military-communication",
    "russia-ukraine-war",
    "south-china-sea",
    "taiwan",
    "tiktok",
    "trade",
    "transnational-repression",
    "xinjiang",
}


def test_bundled_vocabulary_has_the_contract_ids() -> None:
    """The bundled data loads, holds every CONTRACT issue and the example actor ids."""
    vocab = load_vocabulary()
    kinds = vocab.kinds()
    assert {i for i, k in kinds.items() if k == "issue"} >= CONTRACT_ISSUES
    for actor in (
        "antony-blinken",
        "wang-yi",
        "nick-burns",
        "he-lifeng",
        "state-department",
        "china",
    ):
        assert kinds[actor] == "actor"
    assert all(SLUG.match(e.id) for e in vocab.entries)


def test_bundled_people_have_dated_roles() -> None:
    """Seed people carry their posts with dates, e.g. Qin Gang's seven months (a post ends the
    day before its next holder's first day)."""
    qin = load_vocabulary().get("qin-gang")
    assert qin is not None
    assert qin.type == "person"
    minister = next(r for r in qin.roles if r.title == "Foreign Minister")
    assert (str(minister.start), str(minister.end)) == ("2022-12-30", "2023-07-24")


def test_bundled_conflicts_are_reported() -> None:
    """Shared short forms are reported, not refused."""
    conflicts = {c.alias: c for c in load_vocabulary().conflicts}
    assert set(conflicts["wang"].entry_ids) == {
        "wang-yi",
        "wang-wenbin",
        "wang-wentao",
        "wang-xiaohong",
    }
    assert conflicts["wang"].short_only


def test_user_file_adds_and_overrides(tmp_path: Path) -> None:
    """A user file adds new entries and replaces bundled ones with the same id."""
    extra = tmp_path / "extra.toml"
    extra.write_text(
        '[[person]]\nid = "wang-yi"\nname = "Wang Yi (override)"\n'
        '[[issue]]\nid = "rare-earths"\nname = "Rare earths"\n'
        'aliases = ["rare earths", "rare-earth magnets"]\n',
        encoding="utf-8",
    )
    vocab = load_vocabulary([extra])
    entry = vocab.get("wang-yi")
    assert entry is not None
    assert entry.name == "Wang Yi (override)"
    assert "rare-earths" in vocab


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        (
            '[[person]]\nid = "a-b"\nname = "A"\n[[person]]\nid = "a-b"\nname = "B"\n',
            4,
            "id",
            "duplicate id",
        ),
        (
            '[[person]]\nid = "a"\nname = "A"\n[[person.role]]\ntitle = "X"\nfrom = "2023-13-01"\n',
            6,
            "person.role.from",
            "date",
        ),
        (
            '[[person]]\nid = "a"\nname = "A"\n[[person.role]]\ntitle = "X"\nfrom = 2023-02-01\n'
            "to = 2022-01-01\n",
            7,
            "person.role.to",
            "before it starts",
        ),
        ('[[issue]]\nid = "a"\nname = "A"\nalias = ["x"]\n', 4, "issue.alias", "unknown key"),
        ('[[issue]]\nid = "Bad Id"\nname = "A"\n', 2, "issue.id", "kebab-case"),
        ('[[issue]]\nid = "a"\nname = "A"\nveto = ["no placeholder"]\n', 4, "issue.veto", "'@'"),
        ('[[issue]]\nid = "a"\nname = "A"\nveto = ["(@"]\n', 4, "issue.veto", "bad veto"),
        (
            '[[issue]]\nid = "a"\nname = "A"\naliases = [{ text = "x", case = "upper" }]\n',
            4,
            "issue.aliases.case",
            "case",
        ),
        (
            '[[issue]]\nid = "a"\nname = "A"\naliases = [{ text = "x", since = "soon" }]\n',
            4,
            "issue.aliases.since",
            "date",
        ),
        (
            '[[issue]]\nid = "a"\nname = "A"\n'
            'aliases = [{ text = "x", since = 2031-05-01, until = 2031-04-01 }]\n',
            4,
            "issue.aliases.until",
            "before since",
        ),
        ('[[issue]]\nid = "a"\nname = "A"\nmarker = ["(@"]\n', 4, "issue.marker", "bad veto"),
        ('[[issue]]\nid = "a"\nname = "A"\nlabel = ["--"]\n', 4, "issue.label", "letter or digit"),
        ('[[issue]]\nid = "a"\nname = "A"\nlabel = "Watch"\n', 4, "issue.label", "list of strings"),
        (
            '[[person]]\nid = "a"\nname = "A"\nshort = [{ text = "A", standalone = "2020" }]\n',
            4,
            "person.short.standalone",
            "standalone must be true, false or",
        ),
        (
            '[[person]]\nid = "a"\nname = "A"\n'
            'short = [{ text = "A", standalone = { from = 2020-01-01 } }]\n',
            4,
            "person.short.standalone.from",
            "unknown standalone key 'from'",
        ),
        (
            '[[person]]\nid = "a"\nname = "A"\n'
            'short = [{ text = "A", standalone = { since = 2021-01-01, until = 2020-01-01 } }]\n',
            4,
            "person.short.standalone.until",
            "before since",
        ),
        (
            '[[person]]\nid = "a"\nname = "A"\n'
            'aliases = [{ text = "A B", standalone = { since = 2021-01-01 } }]\n',
            4,
            "person.aliases.standalone",
            "short forms only",
        ),
        ('[[party]]\nid = "a"\nname = "A"\n', 1, "party", "unknown section"),
        ('[[issue]\nid = "a"\n', 1, None, "not valid TOML"),
    ],
)
def test_errors_name_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str | None, words: str
) -> None:
    """Each mistake is refused with the file, the line and the key at fault."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VocabularyError) as caught:
        load_vocabulary([path])
    err = caught.value
    assert err.file == str(path)
    assert err.line == line
    if key is not None:
        assert err.key is not None
        assert err.key.endswith(key)
    assert words in str(err)


def test_home_titles_load_and_an_unknown_home_country_is_refused(tmp_path: Path) -> None:
    """A role's home titles, home country and signs are read; a home country id the
    vocabulary lacks is an error."""
    role = '[[person]]\nid = "a"\nname = "A"\n[[person.role]]\ntitle = "X"\norg = "a"\n'
    good = tmp_path / "good.toml"
    good.write_text(role + 'home = ["PM"]\nhome_in = "a"\nhome_signs = ["£"]\n', encoding="utf-8")
    (loaded,) = load_vocabulary([good]).entries[-1].roles
    assert (loaded.home, loaded.home_in, loaded.home_signs) == (("PM",), "a", ("£",))
    bad = tmp_path / "bad.toml"
    bad.write_text(role + 'home = ["PM"]\nhome_in = "nowhere"\n', encoding="utf-8")
    with pytest.raises(VocabularyError, match="unknown home country id 'nowhere'"):
        load_vocabulary([bad])


def test_unknown_role_organisation_is_refused(tmp_path: Path) -> None:
    """A role naming an organisation id the vocabulary lacks is an error."""
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[person]]\nid = "a"\nname = "A"\n[[person.role]]\ntitle = "X"\norg = "nowhere"\n',
        encoding="utf-8",
    )
    with pytest.raises(VocabularyError, match="unknown organisation id 'nowhere'"):
        load_vocabulary([path])


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A listed file that does not exist is reported with its path."""
    with pytest.raises(VocabularyError, match="cannot read"):
        load_vocabulary([tmp_path / "absent.toml"])


def test_name_is_an_alias_and_lowercase_aliases_ignore_case() -> None:
    """The display name matches by default; an alias written in lower case matches any case."""
    (entry,) = parse_text('[[person]]\nid = "a-b"\nname = "Ann Bee"\naliases = ["ann b"]\n')
    texts = {a.text: a.case for a in entry.aliases}
    assert texts == {"Ann Bee": "exact", "ann b": "any"}


def test_the_bundled_files_are_parsed_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command, reload and test loads the vocabulary: the bundled files are parsed once
    (their entries are frozen) while a user's file is read each time, so an edit is seen."""
    from monitor.vocab import loader

    load_vocabulary()  # the bundled files parsed (or already parsed by an earlier test)
    read: list[str] = []
    original = loader.load_file

    def counting(path: Path) -> list[Entry]:
        read.append(path.name)
        return original(path)

    monkeypatch.setattr(loader, "load_file", counting)
    user = tmp_path / "mine.toml"
    user.write_text(
        '[[issue]]\nid = "rare-earths"\nname = "Rare earths"\naliases = ["rare earths"]\n'
    )
    first = load_vocabulary([user])
    user.write_text('[[issue]]\nid = "rare-earths"\nname = "Rare earths"\naliases = ["gallium"]\n')
    second = load_vocabulary([user])
    assert read == ["mine.toml", "mine.toml"]
    assert first.get("rare-earths") != second.get("rare-earths")
    assert first.get("xi-jinping") is second.get("xi-jinping")  # one parse, shared


def test_an_alias_until_a_day_names_nothing_after_it() -> None:
    """`until` on an alias: it names the entry up to that day (with `since`, only between
    both days); the entry's other aliases name it on any day."""
    (entry,) = parse_text(
        '[[issue]]\nid = "outbreak"\nname = "Outbreak"\n'
        'aliases = ["marsh fever", { text = "the fever", since = 2031-05-01, until = 2033-01-31 },'
        ' { text = "sick days", until = "2032-12-31" }]\n'
    )
    by_text = {a.text: (a.since, a.until) for a in entry.aliases}
    assert by_text["the fever"] == (date(2031, 5, 1), date(2033, 1, 31))
    assert by_text["sick days"] == (None, date(2032, 12, 31))
    assert not entry.named_on("the fever", date(2031, 4, 30))
    assert entry.named_on("the fever", date(2033, 1, 31))
    assert not entry.named_on("the fever", date(2033, 2, 1))
    assert entry.named_on("sick days", date(1990, 1, 1))
    assert not entry.named_on("sick days", date(2033, 1, 1))
    assert entry.named_on("marsh fever", date(2040, 1, 1))


def test_an_alias_since_a_day_is_read_as_a_date() -> None:
    """`since` on an alias (a TOML date or an ISO string) is kept on the alias and on its
    entry by alias key; the entry's other aliases name it on any day."""
    (entry,) = parse_text(
        '[[issue]]\nid = "outbreak"\nname = "Outbreak"\n'
        'aliases = ["marsh fever", { text = "The Fever", since = 2031-05-01 }]\n'
        'weak = [{ text = "fever", since = "2031-06-01" }]\ncues = ["ward"]\n'
    )
    by_text = {a.text: a.since for a in entry.aliases}
    assert by_text["The Fever"] == date(2031, 5, 1)
    assert by_text["fever"] == date(2031, 6, 1)
    assert by_text["marsh fever"] is None
    assert not entry.named_on("the fever", date(2031, 4, 30))
    assert entry.named_on("the fever", date(2031, 5, 1))
    assert not entry.named_on("fever", date(2031, 5, 31))
    assert entry.named_on("marsh fever", date(1990, 1, 1))


def test_a_short_form_standalone_between_two_days() -> None:
    """`standalone = { since, until }` keeps the days on the short form (alone); a plain
    `standalone` keeps none."""
    (entry,) = parse_text(
        '[[person]]\nid = "ada-stone"\nname = "Ada Stone"\n'
        'short = [{ text = "Stone", standalone = { since = 2031-05-01, until = 2033-01-31 } },'
        ' { text = "Ada", standalone = { until = 2032-01-01 } }, "Stoney"]\n'
    )
    by_text = {a.text: (a.standalone, a.alone) for a in entry.aliases}
    assert by_text["Stone"] == (True, (date(2031, 5, 1), date(2033, 1, 31)))
    assert by_text["Ada"] == (True, (None, date(2032, 1, 1)))
    assert by_text["Stoney"] == (True, None)
