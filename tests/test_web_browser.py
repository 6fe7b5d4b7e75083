"""The desk in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against `monitor serve` on a seeded database: sign in, filter, page, open an article, follow
a day of the trend chart; JavaScript off, since the pages need none. Screenshots of each
page go to $MONITOR_DESK_SCREENSHOTS (default: the test's tmp_path)."""

import os
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from matches_seed import T0, Seed, add
from serve_support import serving

from monitor.store import Database, Store
from monitor.store.models import ArticleTagRow

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token"
FEEDS_TOML = """
[[feed]]
name = "wire"
url = "https://example.org/wire.xml"

[[watch]]
name = "desk"
query = "issue:taiwan"
notify = []
"""
DAY = timedelta(days=1)
FILLER = 30  # more than a page of the desk (25)


def _tagged(
    db: Database,
    title: str,
    text: str,
    at: datetime,
    *,
    feed: str = "wire",
    watches: Sequence[str] = (),
) -> int:
    """Store an article with the tags the real matcher gives it (levels, scores, evidence
    sentences), as the pipeline would."""
    from monitor.match import compile_matcher
    from monitor.vocab import load_vocabulary

    matcher = compile_matcher(load_vocabulary())
    article = add(db, Seed(title, text, at, feed=feed, watches=watches))
    with db.write() as s:
        for tag in matcher.tag_document(title, text):
            s.add(
                ArticleTagRow(
                    article_id=article,
                    tag_id=tag.id,
                    kind=tag.kind,
                    name=tag.name,
                    count=tag.count,
                    evidence=tag.evidence.text,
                    evidence_start=tag.evidence.start,
                    evidence_end=tag.evidence.end,
                    level=tag.level,
                    score=tag.score,
                    matched_at=at,
                )
            )
    return article


def _seed(db: Database) -> dict[str, int]:
    ids = {
        "wang": _tagged(
            db,
            "Wang Yi tells Blinken Taiwan is the 'first red line'",
            "Beijing — Wang Yi told Antony Blinken on Tuesday that Taiwan remained the first "
            "red line that must not be crossed.\nThe two men met for four hours and also "
            "discussed fentanyl and export controls.",
            T0,
            watches=["desk"],
        ),
        "trade": _tagged(
            db,
            "Raimondo defends chip export rules <amid> pushback",
            "Gina Raimondo said the export controls on advanced chips were narrow and aimed "
            "at military uses.\nChina's commerce ministry called them a <b>trade</b> barrier.",
            T0 + DAY,
            feed="capital-news",
        ),
    }
    for n in range(FILLER):
        _tagged(
            db,
            f"Fentanyl precursors, briefing {n + 1}",
            "Officials from both countries discussed fentanyl precursors and how to stop "
            "their export.",
            T0 - (n + 1) * timedelta(hours=3),
        )
    Store(db).recount_trends()  # the rows above went around the store's write path
    return ids


@pytest.fixture
def served(db_url: str, db: Database, tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    """`monitor serve` with a token on a free loopback port over the seeded database."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium)")
    ids = _seed(db)
    config = tmp_path / "feeds.toml"
    config.write_text(FEEDS_TOML, encoding="utf-8")
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": db_url,
        "MONITOR_CONFIG": str(config),
        "MONITOR_API_TOKEN": TOKEN,
    }
    with serving(tmp_path, env) as base:
        yield base, ids


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    where = Path(os.environ.get("MONITOR_DESK_SCREENSHOTS") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def test_desk_in_chromium(served: tuple[str, dict[str, int]], shots: Path) -> None:
    """Sign in, filter by actor and issue, page, open an article, follow a chart's day."""
    from playwright.sync_api import expect, sync_playwright

    base, ids = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()

        page.goto(f"{base}/?actor=wang-yi")  # no cookie yet: the login form
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/\?actor=wang-yi$"))
        page.goto(f"{base}/")
        expect(page.locator("li.match")).to_have_count(25)
        page.screenshot(path=str(shots / "matches.png"), full_page=False)

        # keyboard: the first Tab reaches the skip link
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

        page.get_by_label("Actors", exact=True).fill("antony-blinken")
        page.get_by_label("Issues", exact=True).fill("taiwan")
        page.get_by_label("Issues", exact=True).press("Enter")
        page.wait_for_url(re.compile(r"actor=antony-blinken.*issue=taiwan"))
        expect(page.locator("li.match")).to_have_count(1)
        row = page.locator("li.match").first
        expect(row.get_by_role("heading")).to_have_text(
            "Wang Yi tells Blinken Taiwan is the 'first red line'"
        )
        expect(row.locator("a.chip.issue.about")).to_have_text(re.compile("Taiwan"))
        expect(row.locator("a.chip.issue.mention").first).to_be_visible()
        expect(row.locator("mark.hit").first).to_be_visible()

        page.goto(f"{base}/?issue=fentanyl")
        expect(page.locator("li.match")).to_have_count(25)
        first_page = page.locator("li.match h2").all_inner_texts()
        page.get_by_role("link", name="Older matches").click()
        expect(page.locator("li.match")).to_have_count(FILLER + 1 - 25)  # + the Wang Yi one
        assert not set(first_page) & set(page.locator("li.match h2").all_inner_texts())
        expect(page.get_by_role("link", name="Older matches")).to_have_count(0)
        assert "issue=fentanyl" in page.url

        page.goto(f"{base}/")
        headline = "Wang Yi tells Blinken Taiwan is the 'first red line'"
        page.get_by_role("link", name=headline).click()
        page.wait_for_url(re.compile(rf"/desk/articles/{ids['wang']}$"))
        text = page.locator("div.text")
        expect(text.locator("mark.hit.actor", has_text="Wang Yi")).to_be_visible()
        expect(text.locator("mark.hit.actor", has_text="Antony Blinken")).to_be_visible()
        expect(text.locator("mark.hit.issue", has_text="Taiwan")).to_be_visible()
        expect(text.locator("span.evidence").first).to_be_visible()
        page.screenshot(path=str(shots / "article.png"), full_page=True)

        page.goto(f"{base}/desk/trends?tag=taiwan&tag=fentanyl&since=2026-11-15&until=2026-11-22")
        expect(page.locator("svg.chart")).to_be_visible()
        page.screenshot(path=str(shots / "trends.png"), full_page=True)
        page.locator('a.point[data-tag="fentanyl"][data-day="2026-11-19"]').click()
        page.wait_for_url(re.compile(r"issue=fentanyl&since=2026-11-19&until=2026-11-19"))
        on_19th = sum((T0 - (n + 1) * timedelta(hours=3)).day == 19 for n in range(FILLER))
        expect(page.locator("li.match")).to_have_count(on_19th)
        assert on_19th == 8
        for name in ("watches", "feeds", "alerts"):
            page.goto(f"{base}/desk/{name}")
            expect(page.get_by_role("heading", level=1)).to_have_text(name.capitalize())
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        phone = browser.new_context(
            java_script_enabled=False,
            storage_state=context.storage_state(),
            viewport={"width": 390, "height": 844},
            is_mobile=True,
        )
        small = phone.new_page()
        for path in ("/", f"/desk/articles/{ids['wang']}", "/desk/trends"):
            small.goto(f"{base}{path}")
            wide = small.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, (path, wide)
        small.goto(f"{base}/")
        small.screenshot(path=str(shots / "matches-phone.png"))
        browser.close()
