"""`vocab suggest` as behaviour: what it proposes from texts written here (new people,
organisations and topics; new aliases of entries the vocabulary has), what it never proposes
(known names, posts as people, one id twice), TOML that the loader takes back, the CLI's
options and its one-line errors, and the same properties on real China news."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, need_shared
from typer.testing import CliRunner

from monitor.cli import app
from monitor.match import Matcher, compile_matcher
from monitor.match.phrases import Spans, key
from monitor.match.stubs import to_toml
from monitor.match.suggest import TITLES, Suggestions, SuggestTimeout, suggest
from monitor.vocab import load_vocabulary, parse_text
from monitor.vocab.loader import SLUG

REPO = Path(__file__).resolve().parents[1]

# A vocabulary of our own: its issue's gaps and its person do not move when the bundled
# vocabulary learns more.
OURS = """
[[issue]]
id = "glacier-loss"
name = "Glacier loss"
aliases = ["glacier retreat", "melting glaciers", "ice sheet collapse"]

[[person]]
id = "aurelio-vantz"
name = "Aurelio Vantz"
aliases = ["Aurelio Vantz"]

[[organization]]
id = "tidewater"
name = "Tidewater Board"
aliases = ["Tidewater Board"]
veto = ['@\\s+fans']
"""

# Made-up news: a titled newcomer (once), a recurring name and organisation, a recurring topic
# phrase, a known person, and "glacier melt" twice, which our issue's aliases miss.
NEWS = (
    "Surveyors said glacier melt had sped up across the northern range this summer, and the "
    "village council agreed that glacier melt now feeds fewer rivers than it did. Aurelio "
    "Vantz toured the valley on foot, and Trade Minister Odile Ferrand joined him there; "
    "later Aurelio Vantz went home. "
    "Planners from the Meridian Harbour Authority said the Meridian Harbour Authority would "
    "build two dams. Residents worry about groundwater depletion, since groundwater depletion "
    "has dried their wells, and groundwater depletion keeps getting worse. Petra Lindqvist, a "
    "mechanic in the valley, said that Petra Lindqvist had seen dry years before.\n"
)

# Posts written as names: none of them is a person.
POSTS = (
    "The Secretary of State met the President on Monday, and the Secretary of State said the "
    "President had agreed. President said nothing more to the reporters who were waiting. The "
    "Special Counsel filed a motion, and the Special Counsel asked for a delay of a week. The "
    "Press Secretary and the Attorney General spoke after the Prime Minister had left the room. "
    "Later the Deputy Prime Minister and the Foreign Secretary met the Vice President there.\n"
)


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our vocabulary file."""
    path = tmp_path_factory.mktemp("vocab") / "ours.toml"
    path.write_text(OURS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def matcher(ours: Path) -> Matcher:
    """The bundled vocabulary plus ours, compiled."""
    return compile_matcher(load_vocabulary([ours]))


def by_id(found: Suggestions) -> dict[str, tuple[str, str, str | None]]:
    """Each proposed entry's (section, name, title) by id."""
    return {s.id: (s.section, s.name, s.title) for s in found.entries}


def test_proposes_new_people_organisations_and_topics(matcher: Matcher) -> None:
    """A titled newcomer is proposed once seen, with the title as a role; a recurring name
    as a person, a name with an organisation word as an organisation, and a lower-case
    phrase seen three times as an issue."""
    entries = by_id(suggest([NEWS], matcher))
    assert entries["odile-ferrand"] == ("person", "Odile Ferrand", "Trade Minister")
    assert entries["petra-lindqvist"] == ("person", "Petra Lindqvist", None)
    assert entries["meridian-harbour-authority"][0] == "organization"
    assert entries["groundwater-depletion"][0] == "issue"


def test_proposes_unseen_aliases_of_known_issues_not_known_names(matcher: Matcher) -> None:
    """A phrase that speaks for an issue the vocabulary has, where the matcher misses it,
    is proposed as an alias of that issue under its id; a name the vocabulary has is not
    proposed at all, and nothing is proposed under a known id."""
    found = suggest([NEWS], matcher)
    assert [(g.issue, g.text, g.count) for g in found.gaps if g.issue == "glacier-loss"] == [
        ("glacier-loss", "glacier melt", 2)
    ]
    known = {e.id for e in matcher.vocabulary.entries}
    assert not known & set(by_id(found))
    assert not any("Vantz" in s.name for s in found.entries)


def test_a_known_alias_left_out_by_a_veto_is_not_new(matcher: Matcher) -> None:
    """A name the vocabulary has, where a veto keeps the matcher off it, is not proposed
    as a new entry (it would load as an alias shared by two entries)."""
    text = (
        "Last night, the Tidewater Board fans met in the port, and the Tidewater Board "
        "fans said that the band would play again in the spring."
    )
    assert [m for m in matcher.mentions(text) if m.entry.id == "tidewater"] == []
    assert "Tidewater Board" not in {s.name for s in suggest([text], matcher).entries}


def test_min_count_is_how_often_an_untitled_name_or_gap_recurs(matcher: Matcher) -> None:
    """min_count=3 drops what was seen twice (a name, an organisation, a gap) but keeps the
    titled newcomer seen once and the topic seen three times; min_count=4 drops the topic."""
    three = suggest([NEWS], matcher, min_count=3)
    assert set(by_id(three)) >= {"odile-ferrand", "groundwater-depletion"}
    assert not {"petra-lindqvist", "meridian-harbour-authority"} & set(by_id(three))
    assert not [g for g in three.gaps if g.issue == "glacier-loss"]
    assert "groundwater-depletion" not in by_id(suggest([NEWS], matcher, min_count=4))


def test_max_phrases_caps_new_topics(matcher: Matcher) -> None:
    """At most max_phrases new issues are proposed, the most frequent first."""
    text = NEWS + (
        "Farmers fear crop failure; the crop failure spreads, and when crop failure "
        "returns, they leave.\n"
    )
    topics = [s.name for s in suggest([text], matcher).entries if s.section == "issue"]
    assert {"groundwater depletion", "crop failure"} <= set(topics)
    capped = [
        s.name for s in suggest([text], matcher, max_phrases=1).entries if s.section == "issue"
    ]
    assert len(capped) == 1
    assert capped[0] in topics


def test_posts_are_never_people(matcher: Matcher) -> None:
    """Bare posts ("the Secretary of State", "the President", "Special Counsel") are never
    proposed as people, however often they recur, nor as anything with a post in its name."""
    found = suggest([POSTS * 3], matcher, min_count=1)
    people = [s.name for s in found.entries if s.section == "person"]
    assert people == []
    for s in found.entries:
        assert not any(w.lower() in TITLES for w in s.name.split()), s


def test_a_title_is_stripped_and_kept_as_the_role(matcher: Matcher) -> None:
    """The person after a post is proposed with the post as the title; a title never
    reaches back into the sentence before it, and a possessive owner is no part of a name."""
    text = (
        "Crowds in the square greeted Ilse Marwood when she arrived. Vice President Oren "
        "Talvik said that the Host Nadia Brel would stay for the rest of the evening. "
        "Secretary General Amara Quist agreed with the plan after a short talk with aides. "
        "Later that night, Harbourton's Jonas Weir thanked Jonas Weir's staff and the "
        "President Ilse Marwood for what they had done for the town over the years."
    )
    found = suggest([text], matcher, min_count=2)
    people = {s.id: s for s in found.entries if s.section == "person"}
    assert people["oren-talvik"].title == "Vice President"
    assert people["amara-quist"].title == "Secretary General"
    assert people["ilse-marwood"].title == "President"
    assert "jonas-weir" in people
    assert not any(i.startswith(("host", "harbourton", "vice", "secretary")) for i in people)


def test_one_id_per_proposal(matcher: Matcher) -> None:
    """Names that fold to one id (accents, possessives, a name and a phrase) are proposed
    once, and every id is a slug the loader accepts."""
    text = (
        "José Arrieta met Jose Arrieta's aides. José Arrieta's deal with the Harbour Trust "
        "stood; the Harbour Trust agreed. Critics of the harbour trust said the harbour "
        "trust board and the harbour trust staff disagreed."
    )
    found = suggest([text, text], matcher, min_count=2)
    ids = [s.id for s in found.entries]
    assert len(ids) == len(set(ids))
    assert "harbour-trust" in ids
    assert all(SLUG.match(i) for i in ids)


def test_toml_loads_back_and_the_new_names_tag(
    matcher: Matcher, ours: Path, tmp_path: Path
) -> None:
    """The TOML loads through the vocabulary loader beside the bundled vocabulary and ours:
    every proposal is an entry of its section, the issue keeps its aliases and gains the
    new one, and the merged vocabulary tags what the old one missed."""
    found = suggest([NEWS, POSTS], matcher)
    out = tmp_path / "suggested.toml"
    out.write_text(to_toml(found, 2, matcher.vocabulary), encoding="utf-8")
    parsed = {e.id: e for e in parse_text(out.read_text(encoding="utf-8"))}
    merged = load_vocabulary([ours, out])
    for s in found.entries:
        entry = merged.get(s.id)
        assert entry is not None
        assert entry.kind == ("issue" if s.section == "issue" else "actor")
        assert parsed[s.id].file == "<string>"
    glacier = merged.get("glacier-loss")
    assert glacier is not None
    before = matcher.vocabulary.get("glacier-loss")
    assert before is not None
    assert glacier.aliases[: len(before.aliases)] == before.aliases
    assert "glacier melt" in {a.text for a in glacier.aliases}
    tags = {
        t.id
        for t in compile_matcher(merged).tag(
            "Odile Ferrand spoke of glacier melt at the Meridian Harbour Authority."
        )
    }
    assert {"odile-ferrand", "glacier-loss", "meridian-harbour-authority"} <= tags


def test_deadline_stops_suggesting(matcher: Matcher) -> None:
    """A deadline already past stops the work with SuggestTimeout."""
    with pytest.raises(SuggestTimeout):
        suggest([NEWS], matcher, deadline=0.0)


def test_spans_answer_overlap_like_a_scan() -> None:
    """Spans.overlaps agrees with a scan of every span, nested and overlapping ones too."""
    spans = [(10, 20), (12, 14), (30, 31), (5, 40), (50, 60), (55, 56), (70, 70)]
    index = Spans(spans)
    for start in range(0, 80):
        for end in range(start, start + 12):
            assert index.overlaps(start, end) == any(s < end and start < e for s, e in spans), (
                start,
                end,
            )
    assert not Spans([]).overlaps(0, 100)


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner without feeds.toml (only the bundled vocabulary and --vocab files)."""
    monkeypatch.setenv("MONITOR_CONFIG", str(tmp_path / "no-feeds.toml"))
    return CliRunner()


def test_cli_vocab_option_and_stdin(runner: CliRunner, ours: Path, tmp_path: Path) -> None:
    """`--vocab FILE` counts as known (its person is not proposed; its issue gets its gap,
    repeated under its id) and `-` reads stdin; the output validates with `monitor vocab`."""
    done = runner.invoke(app, ["vocab", "suggest", "--vocab", str(ours), "-"], input=NEWS)
    assert done.exit_code == 0, done.output
    entries = {e.id: e for e in parse_text(done.stdout)}
    assert "aurelio-vantz" not in entries
    assert "glacier melt" in {a.text for a in entries["glacier-loss"].aliases}
    assert entries["odile-ferrand"].roles[0].title == "Trade Minister"
    out = tmp_path / "out.toml"
    out.write_text(done.stdout, encoding="utf-8")
    check = runner.invoke(app, ["vocab", "--vocab", str(ours), "--vocab", str(out)])
    assert check.exit_code == 0, check.output
    assert "vocabulary ok" in check.stderr
    bare = runner.invoke(app, ["vocab", "suggest", "-"], input=NEWS)
    assert "aurelio-vantz" in {e.id for e in parse_text(bare.stdout)}


def test_cli_min_count_and_html(runner: CliRunner, tmp_path: Path) -> None:
    """`--min-count` applies to recurring names; an HTML page is read through extraction."""
    page = tmp_path / "page.html"
    paragraphs = "".join(f"<p>{p}</p>" for p in NEWS.split(". "))
    page.write_text(
        f"<html><head><title>Valley news</title></head><body><article>"
        f"<h1>Valley news</h1>{paragraphs}</article></body></html>",
        encoding="utf-8",
    )
    two = runner.invoke(app, ["vocab", "suggest", str(page)])
    assert two.exit_code == 0, two.output
    assert {"petra-lindqvist", "odile-ferrand"} <= {e.id for e in parse_text(two.stdout)}
    three = runner.invoke(app, ["vocab", "suggest", "--min-count", "3", str(page)])
    assert three.exit_code == 0, three.output
    ids = {e.id for e in parse_text(three.stdout)}
    assert "odile-ferrand" in ids
    assert "petra-lindqvist" not in ids


def run(args: list[str], tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """`python -m monitor ARGS` with MONITOR_* settings and no feeds.toml unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update({"MONITOR_CONFIG": str(tmp_path / "no-feeds.toml"), **settings})
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "case", ["missing file", "directory", "bad --vocab", "bad timeout", "broken feeds.toml"]
)
def test_cli_errors_are_one_line(case: str, tmp_path: Path) -> None:
    """Each mistake is one `error:` line on stderr naming what is wrong, exit status 1."""
    good = tmp_path / "news.txt"
    good.write_text(NEWS, encoding="utf-8")
    bad_vocab = tmp_path / "bad.toml"
    bad_vocab.write_text('[[person]]\nid = "Not A Slug"\nname = "X"\n', encoding="utf-8")
    feeds = tmp_path / "feeds.toml"
    feeds.write_text("vocabulary = [\n", encoding="utf-8")
    args, settings, names = {
        "missing file": ([str(tmp_path / "gone.txt")], {}, "gone.txt"),
        "directory": ([str(tmp_path)], {}, str(tmp_path)),
        "bad --vocab": (["--vocab", str(bad_vocab), str(good)], {}, "bad.toml"),
        "bad timeout": (
            [str(good)],
            {"MONITOR_SUGGEST_TIMEOUT": "soon"},
            "MONITOR_SUGGEST_TIMEOUT",
        ),
        "broken feeds.toml": ([str(good)], {"MONITOR_CONFIG": str(feeds)}, "feeds.toml"),
    }[case]
    done = run(["vocab", "suggest", *args], tmp_path, **settings)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error:")
    assert names in lines[0]
    assert done.stdout == ""


def test_cli_bad_source_beside_good_ones(tmp_path: Path) -> None:
    """A source that cannot be read is one line; the others are still read and printed,
    and the exit status is 1."""
    good = tmp_path / "news.txt"
    good.write_text(NEWS, encoding="utf-8")
    done = run(["vocab", "suggest", str(tmp_path / "gone.txt"), str(good)], tmp_path)
    assert done.returncode == 1
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        f"error: {tmp_path / 'gone.txt'}: No such file or directory"
    ]
    assert "odile-ferrand" in {e.id for e in parse_text(done.stdout)}


# --- real text -----------------------------------------------------------------------------


def test_real_china_news_gives_sound_proposals(tmp_path: Path) -> None:
    """On the 62 real China-news documents (one text each): ids unique, slugs, none a known
    id, no known name again, no post as a person, every person's title a post, every gap
    for an existing issue and unique, and TOML that loads beside the bundled vocabulary."""
    docs = sorted(need_shared(CORPUS / "china-news" / "docs").glob("*.txt"))
    assert len(docs) >= 50
    texts = [d.read_text(encoding="utf-8") for d in docs]
    matcher = compile_matcher(load_vocabulary())
    found = suggest(texts, matcher)
    people = [s for s in found.entries if s.section == "person"]
    assert len(people) >= 10
    assert {s.section for s in found.entries} == {"person", "organization", "issue"}
    ids = [s.id for s in found.entries]
    assert len(ids) == len(set(ids))
    assert all(SLUG.match(i) for i in ids)
    vocabulary = matcher.vocabulary
    assert not {e.id for e in vocabulary.entries} & set(ids)
    known = {key(a.text) for e in vocabulary.entries for a in e.aliases}
    joined = " ".join(" ".join(texts).split()).lower()
    for s in found.entries:
        assert key(s.name) not in known, s
        assert s.name.lower() in joined, s
        assert s.count >= (1 if s.title else 2), s
    for s in people:
        assert 2 <= len(s.name.split()) <= 4
        assert not any(w.lower() in TITLES for w in s.name.split()), s
        assert s.title is None or any(w.lower() in TITLES for w in s.title.split()), s
    issues = {e.id for e in vocabulary.entries if e.kind == "issue"}
    assert {g.issue for g in found.gaps} <= issues
    phrases = [key(g.text) for g in found.gaps]
    assert len(phrases) == len(set(phrases))
    out = tmp_path / "suggested.toml"
    out.write_text(to_toml(found, len(texts), vocabulary), encoding="utf-8")
    merged = load_vocabulary([out])
    assert {s.id for s in found.entries} <= {e.id for e in merged.entries}
    for gap in found.gaps:
        entry = merged.get(gap.issue)
        assert entry is not None
        assert gap.text in {a.text for a in entry.aliases}
