"""The analyst's desk in process, on both databases: every page, its filters, its errors,
escaping, highlights and the token rules (bearer header or the login form's cookie)."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import feedparser
import httpx
import pytest
import sqlalchemy as sa
from matches_seed import T0, Seed, add, ensure_feed
from pydantic import SecretStr
from serve_support import in_process

from monitor.api import create_app
from monitor.config import Config, Settings
from monitor.store import Database, Store
from monitor.store.models import ArticleRow, ArticleTagRow, FeedRow, OutboxRow
from monitor.types import WatchSpec
from monitor.web import auth, routes

CONFIG = Config(
    path=Path("feeds.toml"),
    feeds=(),
    channels=(),
    vocabulary=(),
    watches=(WatchSpec("desk", "issue:taiwan", ("ops",)), WatchSpec("quiet", None)),
)
DAY = timedelta(days=1)
TOKEN = "desk-test-token"


def _about(db: Database, article: int, tag: str) -> None:
    with db.write() as s:
        s.execute(
            sa.update(ArticleTagRow)
            .where(ArticleTagRow.article_id == article, ArticleTagRow.tag_id == tag)  # type: ignore[arg-type]
            .values(level="about", score=0.9)
        )


def _copy_of(db: Database, copy: int, original: int) -> None:
    with db.write() as s:
        s.execute(
            sa.update(ArticleRow)
            .where(ArticleRow.id == copy)  # type: ignore[arg-type]
            .values(story_id=original, is_copy=True)
        )


@pytest.fixture
def seeded(db: Database) -> dict[str, int]:
    """Matches over three days, a copy of one story on another feed, hostile feed text, an
    alert delivered and one dead, and a feed in error."""
    ids = {
        "a": add(
            db,
            Seed(
                "Wang Yi on Taiwan",
                "Officials met. Wang Yi spoke on Taiwan today.",
                T0,
                tags={"wang-yi": 2, "taiwan": 1},
                watches=["desk"],
            ),
        ),
        "b": add(
            db,
            Seed(
                "Tariffs <script>alert(1)</script>",
                "Antony Blinken on trade & <b>Taiwan</b>.",
                T0 + DAY,
                tags={"antony-blinken": 1, "trade": 1, "taiwan": 1},
                watches=["desk"],
            ),
        ),
        "c": add(
            db,
            Seed(
                "Fentanyl talks",
                "Fentanyl talks continue.",
                T0 + 2 * DAY,
                feed="other",
                tags={"fentanyl": 1},
            ),
        ),
        "a2": add(
            db,
            Seed(
                "Wang Yi on Taiwan (copy)",
                "Officials met. Wang Yi spoke on Taiwan.",
                T0 + timedelta(hours=1),
                feed="other",
                tags={"wang-yi": 1, "taiwan": 1},
            ),
        ),
    }
    _about(db, ids["a"], "taiwan")
    _copy_of(db, ids["a2"], ids["a"])
    with db.write() as s:
        for n, (state, error) in enumerate(
            (("delivered", None), ("dead", "HTTP 500 <from the hook>"))
        ):
            s.add(
                OutboxRow(
                    channel="ops" if n == 0 else "mail",
                    watch="desk",
                    article_id=ids["a"],
                    story_id=ids["a"],
                    dedup_key=f"k{n}",
                    payload="{}",
                    state=state,
                    attempts=n + 1,
                    next_attempt_at=T0,
                    last_error=error,
                    created_at=T0,
                    delivered_at=T0 if state == "delivered" else None,
                )
            )
    ensure_feed(db, "broken")
    with db.write() as s:
        s.execute(
            sa.update(FeedRow)
            .where(FeedRow.name == "broken")  # type: ignore[arg-type]
            .values(consecutive_errors=3, last_status=503, last_error="HTTP 503")
        )
    Store(db).recount_trends()  # the rows above went around the store's write path
    return ids


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(create_app(store, CONFIG, Settings(api_token=None))) as c:
        yield c


def _articles(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="match" data-article="(\d+)"', html)]


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


async def test_matches_page_lists_stories_newest_first(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """GET / is an HTML page of one row per story, newest first, with copies counted."""
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert _articles(page.text) == [seeded["c"], seeded["b"], seeded["a"]]
    row_a = page.text.split(f'data-article="{seeded["a"]}"')[1]
    assert "2 copies" in row_a
    assert f"/desk/articles/{seeded['a2']}" in row_a
    assert '<time datetime="2026-11-20T12:00:00Z">' in row_a
    # the form suggests the vocabulary's ids, and the configured watches
    assert '<option value="wang-yi">Wang Yi</option>' in page.text
    assert '<option value="taiwan">Taiwan</option>' in page.text
    assert "<option>quiet</option>" in page.text


async def test_chips_tell_about_from_mention(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """Each tag is a chip linking to its filter, classed by kind and level."""
    row_a = (await client.get("/")).text.split(f'data-article="{seeded["a"]}"')[1]
    assert re.search(r'class="chip issue about" href="/\?issue=taiwan"', row_a)
    assert re.search(r'class="chip actor mention" href="/\?actor=wang-yi"', row_a)


async def test_evidence_words_are_highlighted(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """The evidence sentence is shown with the matched words in <mark>."""
    row_a = (await client.get("/")).text.split(f'data-article="{seeded["a"]}"')[1]
    row_a = row_a.split("</li>\n</ol>")[0]
    assert '<mark class="hit actor">Wang Yi</mark>' in row_a
    assert '<mark class="hit issue">Taiwan</mark>' in row_a


async def test_feed_text_is_escaped(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """Titles and texts from feeds never become markup."""
    page = (await client.get("/")).text
    assert "<script>alert(1)</script>" not in page
    assert "Tariffs &lt;script&gt;alert(1)&lt;/script&gt;" in page
    article = (await client.get(f"/desk/articles/{seeded['b']}")).text
    assert "<b>Taiwan</b>" not in article
    assert "&lt;b&gt;" in article
    alerts = (await client.get("/desk/alerts")).text
    assert "HTTP 500 &lt;from the hook&gt;" in alerts


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "wang-yi"}, ["a"]),
        ({"issue": "taiwan"}, ["b", "a"]),
        ({"actor": "antony-blinken", "issue": "taiwan"}, ["b"]),
        ({"actor": "antony-blinken wang-yi"}, []),
        ({"watch": "desk"}, ["b", "a"]),
        ({"feed": "other"}, ["c"]),
        ({"text": "fentanyl"}, ["c"]),
        ({"since": "2026-11-21", "until": "2026-11-21"}, ["b"]),
    ],
)
async def test_filters_as_in_monitor_matches(
    client: httpx.AsyncClient, seeded: dict[str, int], params: dict[str, str], expected: list[str]
) -> None:
    """The filters of `monitor matches` as URL parameters; the form shows them back."""
    page = await client.get("/", params=params)
    assert page.status_code == 200
    assert _articles(page.text) == [seeded[k] for k in expected]
    for key, value in params.items():
        assert (
            re.search(rf'id="f-{key}"[^>]*value="{re.escape(value)}"', page.text)
            or f"<option selected>{value}</option>" in page.text
        )
    if not expected:
        assert "No matches for these filters" in page.text
    assert "Not in the vocabulary" not in page.text


async def test_unknown_ids_are_pointed_out(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """A mistyped id finds nothing, and the page says the id is not in the vocabulary."""
    page = await client.get("/", params={"actor": "wang-yl", "issue": "taiwan"})
    assert page.status_code == 200
    assert _articles(page.text) == []
    assert re.search(r"Not in the vocabulary: <code>wang-yl</code>\.", page.text)
    trend = await client.get("/desk/trends", params={"tag": "taiwan nobody-at-all"})
    assert re.search(r"Not in the vocabulary: <code>nobody-at-all</code>\.", trend.text)
    assert 'data-tag="taiwan"' in trend.text


async def test_empty_form_fields_are_no_filter(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """A submitted form with blank fields lists everything."""
    blank = {k: "" for k in ("actor", "issue", "watch", "feed", "text", "since", "until")}
    page = await client.get("/", params=blank)
    assert len(_articles(page.text)) == 3


async def test_cursor_pagination(
    client: httpx.AsyncClient, seeded: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'Older matches' carries the filters and a cursor; following it reaches the end."""
    monkeypatch.setattr(routes, "PAGE", 2)
    first = await client.get("/", params={"issue": "taiwan taiwan", "since": "2026-01-01"})
    assert _articles(first.text) == [seeded["b"], seeded["a"]]
    assert 'rel="next"' not in first.text
    first = await client.get("/")
    assert _articles(first.text) == [seeded["c"], seeded["b"]]
    older = unescape(re.search(r'<a href="([^"]+)" rel="next"', first.text)[1])  # type: ignore[index]
    assert "cursor=" in older
    second = await client.get(older)
    assert _articles(second.text) == [seeded["a"]]
    assert 'rel="next"' not in second.text
    assert ">Newest</a>" in second.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "last tuesday"}, "since"),
        ({"until": "2026-13-45"}, "until"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"text": "-taiwan"}, "text"),
        ({"since": "99999999999d"}, "since"),
        ({"until": "9999-12-31"}, "until"),
    ],
)
async def test_bad_filters_are_explained(
    client: httpx.AsyncClient, seeded: dict[str, int], params: dict[str, str], field: str
) -> None:
    """A filter that cannot be used answers 400 with a page naming it, never a traceback."""
    page = await client.get("/", params=params)
    assert page.status_code == 400
    assert f"Cannot use {field}:" in page.text
    assert 'role="alert"' in page.text
    assert "<form" in page.text


async def test_atom_link_of_the_view(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """The page links an Atom feed of the same filters, which any feed reader parses."""
    page = (await client.get("/", params={"actor": "wang-yi"})).text
    href = unescape(
        re.search(
            r'<link rel="alternate" type="application/atom\+xml"[^>]*'
            r'href="([^"]+)"',
            page,
        )[1]
    )  # type: ignore[index]
    assert href == "/desk/matches.atom?actor=wang-yi"
    feed = await client.get(href)
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == ["Wang Yi on Taiwan"]
    bad = await client.get("/desk/matches.atom", params={"since": "soon"})
    assert bad.status_code == 400
    assert "since" in bad.text


async def test_article_page(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """An article: highlighted text and evidence, tags with levels, copies, watches, alerts."""
    page = await client.get(f"/desk/articles/{seeded['a']}")
    assert page.status_code == 200
    html = page.text
    body = html.split('<div class="text">')[1].split("</div>")[0]
    assert _text(body) == "Officials met. Wang Yi spoke on Taiwan today."
    assert '<mark class="hit actor">Wang Yi</mark>' in body
    assert '<mark class="hit issue">Taiwan</mark>' in body
    assert '<span class="evidence">' in body
    tags = html.split('id="h-tags"')[1].split("</table>")[0]
    assert re.search(r"Taiwan</a></th>\s*<td>issue</td><td>about</td><td>0.90</td>", tags)
    assert re.search(r"Wang Yi</a></th>\s*<td>actor</td><td>mention</td>", tags)
    assert f'/desk/articles/{seeded["a2"]}">other: Wang Yi on Taiwan (copy)' in html
    watches = html.split('id="h-watches"')[1].split('id="h-copies"')[0]
    assert 'href="/?watch=desk">desk</a>' in watches
    assert re.search(r"<td>ops</td><td>desk</td><td><span class=\"state delivered\">", watches)
    assert re.search(
        r"<td>mail</td><td>desk</td><td><span class=\"state dead\">dead</span>"
        r"</td><td>2</td>",
        watches,
    )


@pytest.mark.parametrize("ref", ["999999", "abc", "-1", "99999999999999999999999", "٣"])
async def test_missing_article_is_a_page(
    client: httpx.AsyncClient, seeded: dict[str, int], ref: str
) -> None:
    """An unknown or malformed article id answers 404 with a page, not an error dump."""
    page = await client.get(f"/desk/articles/{ref}")
    assert page.status_code == 404
    assert "<h1>No such article</h1>" in page.text


async def test_trends_chart_links_days_to_matches(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """The chart has a point per tag and day; a point's link lists that day's matches."""
    page = await client.get(
        "/desk/trends",
        params={"tag": "taiwan fentanyl", "since": "2026-11-19", "until": "2026-11-23"},
    )
    assert page.status_code == 200
    points = re.findall(r'<a href="([^"]+)" class="point" aria-label="([^"]+)"', page.text)
    assert len(points) == 2 * 5
    labels = {unescape(label): unescape(href) for href, label in points}
    assert labels["Taiwan: 1 on 2026-11-20"] == "/?issue=taiwan&since=2026-11-20&until=2026-11-20"
    assert "Taiwan: 1 on 2026-11-21" in labels
    assert "Fentanyl: 1 on 2026-11-22" in labels
    assert "Taiwan: 0 on 2026-11-23" in labels
    day = await client.get(labels["Taiwan: 1 on 2026-11-20"])
    assert _articles(day.text) == [seeded["a"]]


async def test_trends_default_series_and_cooccurrence(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """Without a choice the most tagged ids are charted; the actor x issue table counts
    stories with both tags and links to them."""
    page = await client.get("/desk/trends", params={"since": "2026-11-15", "until": "2026-11-25"})
    assert page.status_code == 200
    assert '<svg class="chart"' in page.text
    grid = page.text.split('<table class="grid">')[1].split("</table>")[0]
    cell = re.search(r'href="([^"]+)" aria-label="Wang Yi and Taiwan: (\d+)"', grid)
    assert cell is not None
    assert cell[2] == "1"  # the copy on "other" folds into the story
    both = await client.get(unescape(cell[1]))
    assert _articles(both.text) == [seeded["a"]]
    assert 'aria-label="Antony Blinken and Fentanyl' not in grid


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "never"}, "since"),
        ({"since": "2026-11-25", "until": "2026-11-20"}, "since"),
        ({"since": "2020-01-01", "until": "2026-01-01"}, "since"),
        ({"since": "1d", "until": "99999999999d"}, "until"),
    ],
)
async def test_trends_bad_period_is_explained(
    client: httpx.AsyncClient, seeded: dict[str, int], params: dict[str, str], field: str
) -> None:
    """A period that cannot be charted answers 400 naming the field, with a usable page."""
    page = await client.get("/desk/trends", params=params)
    assert page.status_code == 400
    assert f"Cannot use {field}:" in page.text
    assert '<table class="grid">' in page.text or "No actor and issue" in page.text


async def test_watches_page(
    client: httpx.AsyncClient, db: Database, seeded: dict[str, int]
) -> None:
    """Each watch with its query, recipients, count, per-day numbers and Atom link."""
    recent = datetime.now(UTC) - timedelta(minutes=1)
    add(db, Seed("Taiwan today", "Taiwan.", recent, tags={"taiwan": 1}, watches=["desk"]))
    page = await client.get("/desk/watches")
    assert page.status_code == 200
    desk = page.text.split('id="w-1">desk</h2>')[1].split("</section>")[0]
    assert "<code>issue:taiwan</code>" in desk
    assert "<dd>ops</dd>" in desk
    assert 'href="/?watch=desk">3</a>' in desk
    assert 'href="/watches/desk.atom"' in desk
    today = recent.date().isoformat()
    assert f'since={today}&amp;until={today}">1</a>' in desk
    quiet = page.text.split(">quiet</h2>")[1]
    assert "every match" in quiet
    assert 'href="/?watch=quiet">0</a>' in quiet


async def test_feeds_page(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """Feed health as `monitor feeds` shows it: errors stand out."""
    page = await client.get("/desk/feeds")
    assert page.status_code == 200
    row = page.text.split('<tr class="bad">')[1].split("</tr>")[0]
    assert ">broken</a>" in row
    assert "<td>503</td>" in row
    assert "<td>3</td>" in row
    assert "HTTP 503" in row
    assert page.text.count('<tr class="ok">') == 2


async def test_alerts_page_and_state_filter(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """The outbox with states, attempts and last errors; a state filter; a bad state is 400."""
    page = await client.get("/desk/alerts")
    assert page.status_code == 200
    assert page.text.count("<tr><td>") == 2
    assert '<option value="dead">dead (1)</option>' in page.text
    dead = await client.get("/desk/alerts", params={"state": "dead"})
    assert dead.text.count("<tr><td>") == 1
    assert "<td>mail</td>" in dead.text
    assert "<td>2</td>" in dead.text
    bad = await client.get("/desk/alerts", params={"state": "lost"})
    assert bad.status_code == 400
    assert "Cannot use state:" in bad.text


async def test_pages_are_accessible_markup(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """Every page: language, viewport, one h1, a skip link, labelled inputs, current page."""
    for path in (
        "/",
        f"/desk/articles/{seeded['a']}",
        "/desk/trends",
        "/desk/watches",
        "/desk/feeds",
        "/desk/alerts",
    ):
        html = (await client.get(path)).text
        assert '<html lang="en">' in html
        assert 'name="viewport"' in html
        assert html.count("<h1") == 1, path
        assert 'href="#main"' in html
        for field in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field}"' in html, (path, field)
        assert "<script" not in html
    assert 'href="/desk/feeds" aria-current="page"' in (await client.get("/desk/feeds")).text


async def test_static_stylesheet(client: httpx.AsyncClient) -> None:
    """The vendored stylesheet is served by the app itself."""
    css = await client.get("/desk/static/desk.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "@media" in css.text


async def test_token_rules(store: Store, seeded: dict[str, int]) -> None:
    """With a token, a page without it sends the browser to the login form; the right token
    sets a cookie the desk accepts (and the JSON API does not); the header works too."""
    app = create_app(store, CONFIG, Settings(api_token=SecretStr(TOKEN)))
    async with in_process(app) as c:
        page = await c.get("/desk/trends?since=7d")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fdesk%2Ftrends%3Fsince%3D7d"
        assert (await c.get("/desk/static/desk.css")).status_code == 200
        form = await c.get("/login", params={"next": "/desk/trends?since=7d"})
        assert form.status_code == 200
        assert '<label for="token">' in form.text
        wrong = await c.post("/login", data={"token": "nope", "next": "/"})
        assert wrong.status_code == 401
        assert auth.COOKIE not in wrong.cookies
        assert "not the token" in wrong.text
        right = await c.post("/login", data={"token": TOKEN, "next": "/desk/trends?since=7d"})
        assert right.status_code == 303
        assert right.headers["location"] == "/desk/trends?since=7d"
        cookie = right.headers["set-cookie"]
        assert TOKEN not in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
        assert (await c.get("/")).status_code == 200
        assert (await c.get("/matches")).status_code == 401  # the API wants the header
        out = await c.post("/logout")
        assert out.status_code == 303
    async with in_process(app) as c:
        assert (await c.get("/", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
        c.cookies.set(auth.COOKIE, "forged")
        assert (await c.get("/")).status_code == 303
        elsewhere = await c.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
        assert elsewhere.headers["location"] == "/"
        huge = await c.post("/login", data={"token": "x" * 10_000})
        assert huge.status_code == 413
