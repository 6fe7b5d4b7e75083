"""`monitor vocab suggest`: new entries with unique ids, no titles as people, alias gaps of
existing issues, and TOML that loads back alone and beside the bundled vocabulary."""

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.match import Matcher, compile_matcher
from monitor.match.gaps import alias_gaps
from monitor.match.phrases import clauses, stem
from monitor.match.stubs import to_toml, toml_string
from monitor.match.suggest import suggest
from monitor.vocab import load_vocabulary, parse_text

# (issue, phrase, a text using the phrase twice): gaps of the bundled vocabulary seen in news.
GAPS = [
    (
        "export-controls",
        "semiconductor trade restrictions",
        "Lawmakers debated semiconductor trade restrictions on Tuesday. Critics of semiconductor "
        "trade restrictions warned of higher prices for consumers.",
    ),
    (
        "export-controls",
        "sanctions on Chinese tech firms",
        "The senator wants sanctions on Chinese tech firms. Earlier sanctions on Chinese tech "
        "firms, she argued, were too narrow.",
    ),
    (
        "export-controls",
        "prevent advanced U.S. technologies from being used",
        "The rule aims to prevent advanced U.S. technologies from being used in weapons. "
        "Officials vowed to prevent advanced U.S. technologies from being used against allies.",
    ),
    (
        "south-china-sea",
        "East China and South China seas",
        "Patrols crossed the East China and South China seas this month. Tension in the East "
        "China and South China seas has grown.",
    ),
    (
        "russia-ukraine-war",
        "fighting in Ukraine",
        "Heavy fighting in Ukraine went on overnight. Diplomats discussed the fighting in "
        "Ukraine at length.",
    ),
    (
        "russia-ukraine-war",
        "Russian forces in eastern Ukraine",
        "Russian forces in eastern Ukraine shelled a town. Reports said Russian forces in "
        "eastern Ukraine regrouped.",
    ),
    (
        "human-rights",
        "media freedom",
        "Advocates say media freedom is shrinking. A report on media freedom ranked the city low.",
    ),
    (
        "human-rights",
        "freedom of the press",
        "Judges defended freedom of the press. Without freedom of the press, reporters leave.",
    ),
    (
        "human-rights",
        "rights and freedoms",
        "The charter protects rights and freedoms. Residents fear losing rights and freedoms.",
    ),
    (
        "espionage-surveillance",
        "stealing trade secrets",
        "He admitted stealing trade secrets from his employer. Prosecutors said stealing trade "
        "secrets carries a long sentence.",
    ),
    (
        "transnational-repression",
        "spying on diaspora",
        "Agents were accused of spying on diaspora groups in Canada. The inquiry into spying on "
        "diaspora groups widened.",
    ),
    (
        "transnational-repression",
        "intimidating a foreign MP",
        "Officials condemned intimidating a foreign MP. Intimidating a foreign MP is a crime, "
        "the minister said.",
    ),
    (
        "climate-change",
        "fossil fuel pollution",
        "Cities choke on fossil fuel pollution. Doctors blame fossil fuel pollution for asthma.",
    ),
    (
        "climate-change",
        "planet-warming emissions",
        "Factories cut planet-warming emissions. The deal caps planet-warming emissions.",
    ),
]


@pytest.fixture(scope="module")
def earlier() -> Path:
    """The issues of GAPS as the bundled vocabulary had them before it learnt these phrases:
    the gaps stay gaps here whatever the bundled vocabulary learns later."""
    return Path(__file__).parent / "data" / "earlier-issues.toml"


@pytest.fixture(scope="module")
def matcher(earlier: Path) -> Matcher:
    """The bundled vocabulary with the earlier issues of GAPS, compiled."""
    return compile_matcher(load_vocabulary([earlier]))


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, earlier: Path) -> CliRunner:
    """A runner whose feeds.toml adds the earlier issues of GAPS to the bundled vocabulary."""
    config = tmp_path / "feeds.toml"
    config.write_text(f"vocabulary = [{str(earlier)!r}]\n", encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    return CliRunner()


@pytest.mark.parametrize(("issue", "phrase", "text"), GAPS, ids=[g[1] for g in GAPS])
def test_alias_gaps_of_existing_issues_are_found(
    matcher: Matcher, issue: str, phrase: str, text: str
) -> None:
    """A phrase news uses for an issue the vocabulary has, but no alias of it matches, is
    proposed for that issue (once the vocabulary has it, it is a gap no more)."""
    gaps = {(g.issue, g.text.lower()): g for g in alias_gaps([text], matcher)}
    if issue in {t.id for t in matcher.tag(phrase)}:  # the bundled vocabulary learnt it
        assert (issue, phrase.lower()) not in gaps
        return
    assert (issue, phrase.lower()) in gaps, sorted(gaps)
    assert gaps[issue, phrase.lower()].count == 2


def test_gap_needs_min_count(matcher: Matcher) -> None:
    """--min-count is how often a gap must be seen: once is not enough by default."""
    once = "Doctors blame fossil fuel pollution for asthma."
    assert alias_gaps([once], matcher) == []
    assert [g.text for g in alias_gaps([once], matcher, min_count=1)] == ["fossil fuel pollution"]


def test_no_gap_where_the_issue_is_already_found(matcher: Matcher) -> None:
    """Phrases that already are aliases, or around a mention of their issue, are no gaps."""
    texts = [
        "New export controls on chips took effect. The export controls on chips anger buyers.",
        "Global warming worsens. Scientists study global warming.",
    ]
    assert alias_gaps(texts, matcher, min_count=1) == []


def test_names_are_not_gaps(matcher: Matcher) -> None:
    """Capitalised names holding a topic word ("Press Secretary", "Secret Service") are
    not phrases for an issue."""
    text = (
        "Secret Service agents met Press Secretary Jen Psaki. Later, Secret Service agents "
        "and Press Secretary Jen Psaki left."
    )
    assert alias_gaps([text], matcher, min_count=1) == []


def test_one_gap_phrase_goes_to_one_issue(matcher: Matcher) -> None:
    """Each phrase is proposed for one issue only (two would make a shared alias)."""
    gaps = alias_gaps([t for _, _, t in GAPS], matcher)
    phrases = [g.text.lower() for g in gaps]
    assert len(phrases) == len(set(phrases))


def test_gap_stubs_load_back_and_add_the_aliases(
    matcher: Matcher, tmp_path: Path, earlier: Path
) -> None:
    """The stubs load beside the bundled vocabulary: each gap entry keeps every bundled alias
    of its issue as it was (cases and vetoes) and adds the new ones, which then tag."""
    texts = [t for _, _, t in GAPS]
    found = suggest(texts, matcher)
    assert len({g.issue for g in found.gaps}) >= 5
    path = tmp_path / "suggested.toml"
    path.write_text(to_toml(found, len(texts), matcher.vocabulary), encoding="utf-8")
    parse_text(path.read_text(encoding="utf-8"))
    merged = load_vocabulary([earlier, path])
    for issue in {g.issue for g in found.gaps}:
        bundled, loaded = matcher.vocabulary.get(issue), merged.get(issue)
        assert bundled is not None
        assert loaded is not None
        assert loaded.aliases[: len(bundled.aliases)] == bundled.aliases
        assert loaded.file == str(path)
    retagged = compile_matcher(merged)
    for issue, phrase, _ in GAPS:
        assert issue in {t.id for t in retagged.tag(f"Officials spoke of {phrase} today.")}


def test_new_entries_take_unique_new_ids(matcher: Matcher, tmp_path: Path) -> None:
    """A name written with and without a possessive, or as a name and as a phrase, is one
    proposal; no proposal takes a bundled id."""
    text = (
        "The Harbor Trust said on Monday that Premier Li Qiang's visit would go ahead. "
        "Premier Li Qiang spoke. The Harbor Trust agreed. Observers of the harbor trust "
        "said the harbor trust and the harbor trust board disagreed. Wang Yi and Wang Yi."
    )
    found = suggest([text], matcher, min_count=2)
    ids = [s.id for s in found.entries]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {e.id for e in matcher.vocabulary.entries}
    path = tmp_path / "new.toml"
    path.write_text(to_toml(found, 1, matcher.vocabulary), encoding="utf-8")
    load_vocabulary([path])


def test_titles_are_not_people(matcher: Matcher) -> None:
    """Posts and honorifics are stripped from names and never proposed as people."""
    text = (
        "Secretary General Antonio Guterres spoke first. The Attorney General met the Press "
        "Secretary. The Attorney General and the Press Secretary left. Foreign Secretary "
        "Tamsin Vale said Mr Cheng and Mr Cheng were absent. Deputy Foreign Minister Ma "
        "Zhaoxu agreed."
    )
    people = {s.id: s for s in suggest([text], matcher).entries if s.section == "person"}
    assert "antonio-guterres" in people
    assert people["antonio-guterres"].title == "Secretary General"
    assert people["tamsin-vale"].title == "Foreign Secretary"
    assert "ma-zhaoxu" in people
    assert not {
        "attorney-general",
        "press-secretary",
        "foreign-secretary",
        "mr-cheng",
        "general-antonio-guterres",
    } & set(people)


def test_topic_phrases_leave_posts_and_gaps_out(matcher: Matcher) -> None:
    """A recurring lower-case post ("prime minister") is no new issue, and a phrase that is
    an alias gap of an existing issue is proposed for it, not as a new issue."""
    text = (
        "The prime minister spoke. The prime minister left. The prime minister returned. "
        "Doctors blame fossil fuel pollution. Cities fight fossil fuel pollution. Farms "
        "suffer from fossil fuel pollution."
    )
    found = suggest([text], matcher)
    assert [s for s in found.entries if s.section == "issue"] == []
    assert [(g.issue, g.text) for g in found.gaps] == [("climate-change", "fossil fuel pollution")]


def test_toml_strings_escape_what_toml_refuses() -> None:
    """Quotes, backslashes and control characters survive a round trip."""
    import tomllib

    value = 'say "no" \\ \x07 \x1b end'
    assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


def test_cli_output_loads_back_with_the_bundled_vocabulary(
    runner: CliRunner, tmp_path: Path, earlier: Path
) -> None:
    """`monitor vocab suggest` prints stubs with gap entries that load as a vocabulary file
    together with the bundled one; the README's --min-count applies to gaps."""
    source = tmp_path / "news.txt"
    source.write_text(
        "\n".join(t for _, _, t in GAPS) + "\nDefense Minister Dong Jun met Lloyd Austin.\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["vocab", "suggest", str(source)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.toml"
    out.write_text(result.stdout, encoding="utf-8")
    merged = load_vocabulary([earlier, out])
    assert merged.get("dong-jun") is not None
    lines = result.stdout.splitlines()
    new = [
        json.loads(lines[i + 1].strip().rstrip(","))
        for i, line in enumerate(lines)
        if line.strip().startswith("# new: seen 2x")
    ]
    assert len(new) >= 5
    aliases = {a.text for e in merged.entries if e.kind == "issue" for a in e.aliases}
    assert set(new) <= aliases
    strict = runner.invoke(app, ["vocab", "suggest", "--min-count", "3", str(source)])
    assert strict.exit_code == 0
    assert "# new:" not in strict.stdout


def test_cli_reports_an_unreadable_source_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    """A missing file is named on stderr without a traceback, and the exit status is 1."""
    result = runner.invoke(app, ["vocab", "suggest", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert "missing.txt" in result.stderr
    assert "Traceback" not in result.stderr


def test_phrases_split_clauses_and_stem_words() -> None:
    """Clauses end at punctuation but not inside "U.S."; stems meet plural and -ing forms."""
    words = [[w.text for w in c] for c in clauses("Curbs on U.S. chips, he said; fine.")]
    assert words == [["Curbs", "on", "U.S.", "chips"], ["he", "said"], ["fine"]]
    assert stem("technologies") == stem("technology")
    assert stem("intimidating") == stem("intimidation")
    assert stem("spying") == stem("spies") == "spy"


def test_a_rebuilt_entry_keeps_the_day_its_aliases_name_it_from() -> None:
    """An entry whose file cannot be read back is rebuilt from its loaded form with `since`
    and `until` on its dated aliases, so the stub loads back to the same aliases."""
    from monitor.match.stubs import _table_of, toml_value

    (entry,) = parse_text(
        '[[issue]]\nid = "tide-mills"\nname = "Tide mills"\n'
        'aliases = ["tide mills", { text = "the mill levy", since = 2032-03-01 },'
        ' { text = "mill rates", until = 2033-06-30 }]\n'
        'weak = [{ text = "mills", since = 2032-04-01 }]\ncues = ["estuary"]\n'
        'marker = ["(?i:amid)\\\\s+(?:the\\\\s+)?@"]\n'
    )
    table = _table_of(entry)
    text = "[[issue]]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in table.items())
    (again,) = parse_text(text)
    assert again.aliases == entry.aliases
    assert again.dated == entry.dated
    assert again.markers == entry.markers == (r"(?i:amid)\s+(?:the\s+)?@",)


def test_a_rebuilt_entry_keeps_the_days_a_short_form_is_standalone() -> None:
    """A short form with `standalone = { since, until }` is rebuilt with its days, so the
    stub loads back to the same aliases."""
    from monitor.match.stubs import _table_of, toml_value

    (entry,) = parse_text(
        '[[person]]\nid = "ada-stone"\nname = "Ada Stone"\n'
        'short = [{ text = "Stone", standalone = { since = 2031-05-01, until = 2033-01-31 } },'
        ' { text = "Ada", standalone = false }]\n'
    )
    table = _table_of(entry)
    assert table["short"][0]["standalone"] == {
        "since": date(2031, 5, 1),
        "until": date(2033, 1, 31),
    }
    text = "[[person]]\n" + "".join(
        f"{key} = {toml_value(value)}\n" for key, value in table.items()
    )
    (again,) = parse_text(text)
    assert again.aliases == entry.aliases
