"""The HTTP API in process: every endpoint, parameter errors, Atom, metrics and the token."""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
from matches_seed import T0, Seed, add
from pydantic import SecretStr
from serve_support import in_process

from monitor import api
from monitor.api import create_app
from monitor.config import Config, Settings
from monitor.store import Database, Store
from monitor.types import WatchSpec

ATOM = "{http://www.w3.org/2005/Atom}"
CONFIG = Config(
    path=Path("feeds.toml"),
    feeds=(),
    channels=(),
    vocabulary=(),
    watches=(WatchSpec("desk", "issue:taiwan", ("ops",)), WatchSpec("quiet", None)),
)


@pytest.fixture
def seeded(db: Database) -> dict[str, int]:
    """Three matches (one titled with XML specials and control characters) and a non-match."""
    day = timedelta(days=1)
    return {
        "a": add(
            db,
            Seed(
                "Wang Yi on Taiwan",
                "Wang Yi spoke on Taiwan.",
                T0,
                tags={"wang-yi": 2, "taiwan": 1},
                watches=["desk"],
                url="https://example.org/a?x=1&y=2",
            ),
        ),
        "b": add(
            db,
            Seed(
                "Tariffs <&> \x0btrade",
                "Antony Blinken on trade and Taiwan.",
                T0 + day,
                tags={"antony-blinken": 1, "trade": 1, "taiwan": 1},
                watches=["desk"],
            ),
        ),
        "c": add(
            db,
            Seed(
                "Fentanyl talks",
                "Fentanyl talks continue.",
                T0 + 2 * day,
                feed="other",
                tags={"fentanyl": 1},
            ),
        ),
        "none": add(db, Seed("Weather", "Rain.", T0 + 3 * day)),
    }


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app without a token, in process."""
    async with in_process(create_app(store, CONFIG, Settings(api_token=None))) as c:
        yield c


async def test_matches_page_and_cursor(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """GET /matches answers items newest first and a cursor that walks the rest."""
    first = (await client.get("/matches", params={"limit": 2})).json()
    assert [m["id"] for m in first["items"]] == [seeded["c"], seeded["b"]]
    assert first["next_cursor"]
    params = {"limit": 2, "cursor": first["next_cursor"]}
    rest = (await client.get("/matches", params=params)).json()
    assert [m["id"] for m in rest["items"]] == [seeded["a"]]
    assert rest["next_cursor"] is None


async def test_match_objects_have_the_contract_fields(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """Each item carries url, title, published, feed, watches, matched_at, actors, issues."""
    item = (await client.get("/matches", params={"actor": "wang-yi"})).json()["items"][0]
    assert item == {
        "id": seeded["a"],
        "url": "https://example.org/a?x=1&y=2",
        "title": "Wang Yi on Taiwan",
        "published": "2026-11-20T12:00:00Z",
        "feed": "wire",
        "matched_at": "2026-11-20T12:00:00Z",
        "watches": ["desk"],
        "actors": [
            {"id": "wang-yi", "name": "Wang Yi", "count": 2, "level": "mention", "score": 0.0}
        ],
        "issues": [
            {"id": "taiwan", "name": "Taiwan", "count": 1, "level": "mention", "score": 0.0}
        ],
        "story": seeded["a"],
        "copies": [],
    }


async def test_matches_filters(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """Repeated actor/issue parameters must all hold; watch, feed, since, until, text filter."""

    async def ids(**params: object) -> list[int]:
        return [m["id"] for m in (await client.get("/matches", params=params)).json()["items"]]

    assert await ids(issue=["taiwan", "trade"]) == [seeded["b"]]
    assert await ids(issue="taiwan", actor=["wang-yi", "antony-blinken"]) == []
    assert await ids(watch="desk") == [seeded["b"], seeded["a"]]
    assert await ids(feed="other") == [seeded["c"]]
    assert await ids(since="2026-11-21", until="2026-11-21") == [seeded["b"]]
    assert await ids(since="3650d") == [seeded["c"], seeded["b"], seeded["a"]]
    assert await ids(text="blinken OR fentanyl") == [seeded["c"], seeded["b"]]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"text": "-taiwan"}, "text"),
    ],
)
async def test_bad_parameters_get_422_naming_them(
    client: httpx.AsyncClient, params: dict[str, object], name: str
) -> None:
    """A bad query parameter gets 422 and a message saying which one and why."""
    resp = await client.get("/matches", params=params)
    assert resp.status_code == 422
    body = resp.json()
    assert body["message"].startswith(f"invalid parameter {name}: ")
    assert len(body["message"]) > len(f"invalid parameter {name}: ") + 5
    assert body["detail"][0]["loc"] == ["query", name]


async def test_article_endpoint(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """/articles/{id} gives the article, tags with evidence and watches; 404 and 422 otherwise."""
    body = (await client.get(f"/articles/{seeded['a']}")).json()
    assert body["text"] == "Wang Yi spoke on Taiwan."
    assert body["watches"] == ["desk"]
    wang = body["actors"][0]
    assert wang["evidence"] == {"text": "Wang Yi", "start": 0, "end": 7}
    assert (await client.get("/articles/999999")).status_code == 404
    resp = await client.get("/articles/abc")
    assert resp.status_code == 422
    assert "article_id" in resp.json()["message"]


async def test_feeds_and_watches(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """/feeds lists feed health; /watches merges configured watches with stored counts."""
    feeds = (await client.get("/feeds")).json()
    assert {f["name"] for f in feeds} == {"wire", "other"}
    assert set(feeds[0]) == {
        "name",
        "url",
        "enabled",
        "last_status",
        "last_error",
        "consecutive_errors",
        "last_success",
        "next_poll",
        "next_poll_reason",
    }
    watches = {w["name"]: w for w in (await client.get("/watches")).json()}
    assert watches["desk"]["matches"] == 2
    assert watches["desk"]["query"] == "issue:taiwan"
    assert watches["desk"]["atom"].endswith("/watches/desk.atom")
    assert watches["quiet"]["matches"] == 0
    assert watches["quiet"]["last_match"] is None


def _check_atom_structure(xml: bytes) -> ET.Element:
    """RFC 4287's required elements: feed id/title/updated/author, entry id/title/updated/link."""
    root = ET.fromstring(xml)  # noqa: S314 (our own server's output, not untrusted input)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    assert stamp.match(root.findtext(f"{ATOM}updated") or "")
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert stamp.match(entry.findtext(f"{ATOM}updated") or "")
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        assert (entry.findtext(f"{ATOM}id") or "").startswith("urn:monitor:article:")
    return root


async def test_watch_atom_feed_is_valid(client: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    """/watches/{name}.atom is well-formed Atom 1.0 that feedparser reads without complaint."""
    resp = await client.get("/watches/desk.atom")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/atom+xml")
    root = _check_atom_structure(resp.content)
    assert len(root.findall(f"{ATOM}entry")) == 2
    parsed = feedparser.parse(resp.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "monitor: desk"
    newest = parsed.entries[0]
    assert newest.title == "Tariffs <&> trade"  # escaped, control character dropped
    assert parsed.entries[1].link == "https://example.org/a?x=1&y=2"
    assert "Wang Yi (2)" in parsed.entries[1].summary
    assert newest.updated_parsed[:3] == (2026, 11, 21)


async def test_atom_of_a_configured_watch_without_matches(client: httpx.AsyncClient) -> None:
    """A configured watch with no matches is an empty but valid feed; unknown names 404."""
    resp = await client.get("/watches/quiet.atom")
    assert resp.status_code == 200
    _check_atom_structure(resp.content)
    assert not feedparser.parse(resp.content).bozo
    assert (await client.get("/watches/nope.atom")).status_code == 404


async def test_healthz(client: httpx.AsyncClient, tmp_path: Path) -> None:
    """/healthz is 200 when the database answers and 503 when it does not."""
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    dead = Store(Database("postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2"))
    async with in_process(create_app(dead, CONFIG, Settings(api_token=None))) as down:
        assert (await down.get("/healthz")).status_code == 503
        assert (await down.get("/matches")).status_code == 503


async def test_metrics_are_prometheus_text_without_urls_or_titles(
    client: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    """/metrics is Prometheus text; label values are only states, health, watch/feed names."""
    resp = await client.get("/metrics")
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = resp.text.splitlines()
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"\})? -?\d+(\.\d+)?(e[+-]?\d+)?$')
    for line in lines:
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line
    assert "monitor_articles 4" in lines
    assert "monitor_matches 3" in lines
    assert 'monitor_watch_matches{watch="desk"} 2' in lines
    assert 'monitor_outbox_alerts{state="pending"} 0' in lines
    assert 'monitor_feeds{health="never_polled"} 2' in lines
    assert 'monitor_feed_articles{feed="wire"} 3' in lines
    labels = re.findall(r'="([^"]*)"', resp.text)
    assert set(labels) <= {
        "desk",
        "wire",
        "other",
        "pending",
        "failed",
        "dead",
        "delivered",
        "ok",
        "failing",
        "disabled",
        "never_polled",
    }
    assert "http" not in resp.text
    assert "Taiwan" not in resp.text


async def test_openapi_lists_the_endpoints(client: httpx.AsyncClient) -> None:
    """/openapi.json documents every endpoint and the /matches parameters."""
    spec = (await client.get("/openapi.json")).json()
    assert {
        "/matches",
        "/articles/{article_id}",
        "/feeds",
        "/watches",
        "/watches/{name}.atom",
        "/healthz",
        "/metrics",
    } <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/matches"]["get"]["parameters"]}
    assert params == {
        "actor",
        "issue",
        "watch",
        "feed",
        "since",
        "until",
        "text",
        "limit",
        "cursor",
        "all_copies",
        "story",
    }


async def test_token_is_required_and_compared_in_constant_time(
    store: Store, seeded: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a token, every endpoint but /healthz needs the right Bearer; hmac compares it."""
    calls: list[tuple[bytes, bytes]] = []
    real = api.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(api.hmac, "compare_digest", spy)
    app = create_app(store, CONFIG, Settings(api_token=SecretStr("s3cret-token")))
    async with in_process(app) as client:
        for path in ("/matches", "/openapi.json", "/metrics", "/watches/desk.atom", "/feeds"):
            resp = await client.get(path)
            assert resp.status_code == 401, path
            assert resp.headers["www-authenticate"].startswith("Bearer")
            wrong = await client.get(path, headers={"Authorization": "Bearer wrong"})
            assert wrong.status_code == 401
            ok = await client.get(path, headers={"Authorization": "Bearer s3cret-token"})
            assert ok.status_code == 200, path
        assert (
            await client.get("/matches", headers={"Authorization": "Basic s3cret-token"})
        ).status_code == 401
        assert (await client.get("/healthz")).status_code == 200
        assert (b"s3cret-token", b"s3cret-token") in calls
        assert "s3cret-token" not in (await client.get("/healthz")).text


async def test_duration_is_relative_to_request_time(
    client: httpx.AsyncClient, db: Database
) -> None:
    """since=1h counts back from the moment of the request."""
    now = datetime.now(UTC)
    recent = add(db, Seed("Now", "Wang Yi today.", now - timedelta(minutes=5), tags={"wang-yi": 1}))
    add(db, Seed("Then", "Wang Yi before.", now - timedelta(hours=5), tags={"wang-yi": 1}))
    items = (await client.get("/matches", params={"since": "1h"})).json()["items"]
    assert [m["id"] for m in items] == [recent]


def test_metrics_rendering_is_pure_and_needs_no_store() -> None:
    """`monitor.metrics` renders plain values: importing it loads neither the store nor
    SQLAlchemy, and it renders counts built by hand."""
    code = (
        "import sys; from monitor import metrics; "
        "from monitor.types import FeedCount, MetricsCounts; "
        "print(metrics.render(MetricsCounts(3, 2, feeds=(FeedCount('news', True, True, 0, "
        "None, 3),)))); "
        "print(sorted(m for m in sys.modules if m.startswith(('monitor.store', 'sqlalchemy',"
        " 'sqlmodel'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] == "[]"
    assert 'monitor_feed_articles{feed="news"} 3' in done.stdout
