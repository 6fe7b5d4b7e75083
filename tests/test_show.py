"""`monitor show ARTICLE`: the article, its tags and evidence highlighted; JSON too."""

import json

import pytest
from matches_seed import T0, Seed, add
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import Database

TEXT = "Officials met in Geneva. Wang Yi raised Taiwan with his counterpart."


@pytest.fixture
def article(db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch) -> int:
    """One stored article tagged wang-yi and taiwan."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    return add(
        db,
        Seed(
            "Geneva talks",
            TEXT,
            T0,
            tags={"wang-yi": 1, "taiwan": 1},
            watches=["desk"],
            url="https://example.org/geneva",
        ),
    )


def test_show_prints_article_tags_and_evidence(article: int) -> None:
    """The text view has title, URL, a tag table with evidence, and the article text."""
    result = CliRunner().invoke(app, ["show", str(article)])
    assert result.exit_code == 0, result.stderr
    for text in (
        "Geneva talks",
        "https://example.org/geneva",
        "wang-yi",
        "taiwan",
        "Officials met in Geneva",
        "desk",
    ):
        assert text in result.stdout, text


def test_show_highlights_evidence(article: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a colour terminal the evidence spans of the text are styled (actor yellow)."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = CliRunner().invoke(app, ["show", str(article)])
    assert "\x1b[1;33mWang Yi\x1b[0m" in result.stdout
    assert "\x1b[1;36mTaiwan\x1b[0m" in result.stdout


def test_show_json_and_lookup_by_url(article: int) -> None:
    """--format json prints the article with evidence offsets; a stored URL finds it too."""
    result = CliRunner().invoke(app, ["show", "https://example.org/geneva", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["id"] == article
    wang = body["actors"][0]
    assert TEXT[wang["evidence"]["start"] : wang["evidence"]["end"]] == "Wang Yi"
    assert body["watches"] == ["desk"]


def test_show_unknown_article_fails_clearly(article: int) -> None:
    """An unknown id exits 1 with a hint."""
    result = CliRunner().invoke(app, ["show", "424242"])
    assert result.exit_code == 1
    assert "no stored article '424242'" in result.stderr
