"""Stories where users see them: `monitor matches/show/stories`, GET /matches, Atom, email."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from monitor import stories
from monitor.alerts.email import html_entry, text_entry
from monitor.api import create_app
from monitor.cli import app
from monitor.config import Config, Settings
from monitor.store import Store
from monitor.types import Alert, Evidence, FeedSpec, NewArticle, Tag, WatchHit, WatchSpec

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
TAG = Tag("wang-yi", "actor", "Wang Yi", 1, Evidence("Wang Yi", 0, 7))
REPORT = (
    "Chinese Foreign Minister Wang Yi told visiting American lawmakers on Tuesday that "
    "Beijing would not accept new restrictions on semiconductor equipment sales, warning "
    "that retaliation against Dutch and Japanese suppliers was being considered. The "
    "delegation, led by the chair of the House select committee, also raised the cases of "
    "detained American citizens and the closure of consulates in Houston and Chengdu.\n\n"
    "Officials in Washington said the meeting was scheduled for an hour but lasted three, "
    "and that the two sides agreed to keep a working channel on trade statistics open "
    "through the winter despite the dispute over export licences and shipping inspections."
)
OTHER = (
    "The Bank of England held interest rates steady on Thursday, citing persistent services "
    "inflation and a labour market that has cooled more slowly than expected. Markets had "
    "priced in a small chance of a cut; sterling rose modestly after the announcement, while "
    "gilt yields edged higher across the curve as investors pushed back their expectations "
    "for the first reduction in borrowing costs until well into the next calendar year."
)
CONFIG = Config(
    path=Path("feeds.toml"),
    feeds=(),
    watches=(WatchSpec("desk", None, ()),),
    channels=(),
    vocabulary=(),
)


def _article(feed: str, n: int, text: str, published: datetime) -> NewArticle:
    url = f"https://{feed}.example/{n}"
    return NewArticle(
        feed=feed,
        guid=f"g{n}",
        url=url,
        canonical_url=url,
        title=f"{feed} headline {n}",
        author=None,
        published=published,
        language="en",
        text=text,
        fingerprint=stories.fingerprint(text),
        tags=(TAG,),
        sketch=stories.sketch(text),
    )


@pytest.fixture
def story(store: Store) -> dict[str, int]:
    """A wire story stored first, an earlier-published copy with a dateline on another feed,
    and an unrelated report; every one matched watch `desk`."""
    store.sync_feeds([FeedSpec(n, f"https://{n}.example/rss") for n in ("wire", "paper")], NOW)
    hit = WatchHit("desk", ("hook",), {"type": "match.created", "data": {"watch": "desk"}})
    first = store.add_article(_article("wire", 1, REPORT, NOW), [hit], now=NOW)
    copy = store.add_article(
        _article("paper", 2, "BEIJING (Wire) - " + REPORT, NOW - timedelta(hours=1)),
        [hit],
        now=NOW + timedelta(minutes=5),
    )
    other = store.add_article(
        _article("paper", 3, OTHER, NOW), [hit], now=NOW + timedelta(minutes=10)
    )
    assert first is not None
    assert copy is not None
    assert other is not None
    assert copy.story_id == first.id
    return {"first": first.id, "copy": copy.id, "other": other.id}


@pytest.fixture
def cli_env(db_url: str, story: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """MONITOR_DATABASE_URL names the database holding `story`."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "80")
    return story


def _cli(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_matches_lists_one_line_per_story_with_its_copies(cli_env: dict[str, int]) -> None:
    """`monitor matches`: the earliest-published copy stands for the story, the other is under
    copies; --all-copies lists every article; --story lists one story's copies."""
    lines = _cli("matches")
    assert [m["id"] for m in lines] == [cli_env["other"], cli_env["copy"]]
    assert lines[1]["story"] == cli_env["first"]
    assert lines[1]["copies"] == [
        {
            "id": cli_env["first"],
            "feed": "wire",
            "url": "https://wire.example/1",
            "title": "wire headline 1",
        }
    ]
    assert lines[0]["copies"] == []
    assert [m["id"] for m in _cli("matches", "--all-copies")] == [
        cli_env["other"],
        cli_env["copy"],
        cli_env["first"],
    ]
    assert [m["id"] for m in _cli("matches", "--story", str(cli_env["first"]))] == [
        cli_env["copy"],
        cli_env["first"],
    ]


def test_show_names_the_other_copies(cli_env: dict[str, int]) -> None:
    """`monitor show` lists the story's other copies (text and JSON)."""
    shown = _cli("show", str(cli_env["first"]))[0]
    assert shown["story_id"] == cli_env["first"]
    assert [c["url"] for c in shown["copies"]] == ["https://paper.example/2"]
    text = CliRunner().invoke(app, ["show", str(cli_env["first"])])
    assert text.exit_code == 0
    assert "paper headline 2" in text.stdout
    assert "1 other copy" in text.stdout


def test_stories_lists_the_biggest_stories(cli_env: dict[str, int]) -> None:
    """`monitor stories` lists stories by copy count, with the earliest copy's title."""
    lines = _cli("stories", "--since", "1d")
    assert [(s["story"], s["copies"], s["feeds"]) for s in lines] == [
        (cli_env["first"], 2, 2),
        (cli_env["other"], 1, 1),
    ]
    assert lines[0]["title"] == "paper headline 2"
    table = CliRunner().invoke(app, ["stories", "--since", "1d", "--limit", "1"])
    assert table.exit_code == 0
    assert "paper headline 2" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80


async def test_api_and_atom_fold_copies(store: Store, story: dict[str, int]) -> None:
    """GET /matches folds by default, all_copies=true and story= as on the CLI; the Atom feed
    has one entry per story with a related link per other copy."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(store, CONFIG, Settings(api_token=None))),
        base_url="http://test",
    ) as client:
        folded = (await client.get("/matches")).json()["items"]
        every = (await client.get("/matches", params={"all_copies": "true"})).json()["items"]
        one = (await client.get("/matches", params={"story": story["first"]})).json()["items"]
        atom = (await client.get("/watches/desk.atom")).text
    assert [m["id"] for m in folded] == [story["other"], story["copy"]]
    assert [m["id"] for m in every] == [story["other"], story["copy"], story["first"]]
    assert [m["id"] for m in one] == [story["copy"], story["first"]]
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(atom).findall("a:entry", ns)  # noqa: S314 - our own feed
    assert [e.findtext("a:id", namespaces=ns) for e in entries] == [
        f"urn:monitor:article:{story['other']}",
        f"urn:monitor:article:{story['copy']}",
    ]
    related = [
        link.get("href")
        for link in entries[1].findall("a:link", ns)
        if link.get("rel") == "related"
    ]
    assert related == ["https://wire.example/1"]


def test_the_payload_and_email_name_the_story_and_copies(
    store: Store, story: dict[str, int]
) -> None:
    """A watch first matched by a later copy alerts once, naming the story and the copies
    stored before it; the email lists them."""
    hit = WatchHit(
        "late-desk",
        ("mail",),
        {"type": "match.created", "data": {"watch": "late-desk", "article": {}}},
    )
    third = store.add_article(
        _article("wire", 4, REPORT + "\n\nReporting by Jane Roe", NOW),
        [hit],
        now=NOW + timedelta(minutes=20),
    )
    again = store.add_article(
        _article("paper", 5, REPORT + "\n\n(Editing by Alex Poe)", NOW),
        [hit],
        now=NOW + timedelta(minutes=30),
    )
    assert third is not None
    assert again is not None
    assert third.story_id == again.story_id == story["first"]
    payloads = _payloads(store, "late-desk")
    assert len(payloads) == 1
    data = payloads[0]["data"]
    assert data["story"] == story["first"]
    assert {c["url"] for c in data["copies"]} == {
        "https://wire.example/1",
        "https://paper.example/2",
    }
    alert = Alert(
        id=1,
        channel="mail",
        watch="late-desk",
        article_id=third.id,
        payload=payloads[0],
        state="pending",
        attempts=0,
        next_attempt=None,
        last_error=None,
        created_at=NOW,
    )
    assert "https://paper.example/2" in text_entry(alert)
    assert "Also published as" in html_entry(alert)


def _payloads(store: Store, watch: str) -> list[dict[str, object]]:
    import sqlalchemy as sa

    from monitor.store.models import OutboxRow

    t = OutboxRow.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        rows = s.connection().execute(sa.select(t.c.payload).where(t.c.watch == watch))
        return [json.loads(p) for (p,) in rows]
