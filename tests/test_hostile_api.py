"""Hostile parameters on the real API and desk, on both databases: a clean 4xx, never a 500."""

import base64
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from matches_seed import T0, Seed, add
from serve_support import in_process

from monitor.api import create_app
from monitor.config import Config, Settings
from monitor.store import Database, Store
from monitor.types import WatchSpec

CONFIG = Config(
    path=Path("feeds.toml"),
    feeds=(),
    channels=(),
    vocabulary=(),
    watches=(WatchSpec("desk", "issue:taiwan", ("ops",)),),
)
HUGE = "99999999999999999999"  # past a PostgreSQL bigint and a SQLite INTEGER
BIGINT_PAST = str(2**63)  # one past the largest bigint


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# (parameter, value): each must be refused by /matches with 422 and a message naming it
MATCH_PARAMS = [
    ("until", "9999-12-31"),
    ("since", "0000-01-01"),
    ("since", "0001-01-01T00:00:00+14:00"),
    ("until", "9999-12-31T23:59:59-14:00"),
    ("since", "99999999999w"),
    ("since", "9" * 400 + "d"),
    ("since", "-5d"),
    ("until", "1e9999d"),
    ("since", "soon\x00"),
    ("limit", HUGE),
    ("limit", "-1"),
    ("limit", "0"),
    ("limit", "1e3"),
    ("cursor", "!!!not-a-cursor"),
    ("cursor", _cursor(f"2026-11-20T12:00:00+00:00|{HUGE}")),
    ("cursor", _cursor(f"2026-11-20T12:00:00+00:00|{BIGINT_PAST}")),
    ("cursor", _cursor("2026-11-20T12:00:00+00:00|-1")),
    ("cursor", _cursor("9999-12-31T23:59:59-14:00|1")),
    ("cursor", _cursor("2026-11-20T12:00:00|1")),
    ("cursor", "x" * 5000),
    ("story", HUGE),
    ("story", BIGINT_PAST),
    ("story", "-1"),
    ("watch", "desk\x00"),
    ("feed", "wire\x00"),
    ("actor", "wang-yi\x00"),
    ("issue", "x" * 5000),
    ("text", "taiwan\x00"),
    ("text", "taiwan " * 2000),
    ("text", "(" * 3000),
]


@pytest.fixture
async def client(store: Store, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the real app (API and desk, no token) over a database with one match."""
    add(
        db,
        Seed(
            "Wang Yi on Taiwan",
            "Wang Yi spoke on Taiwan.",
            T0,
            tags={"wang-yi": 1, "taiwan": 1},
            watches=["desk"],
        ),
    )
    async with in_process(create_app(store, CONFIG, Settings(api_token=None))) as c:
        yield c


@pytest.fixture
def no_error_logged(caplog: pytest.LogCaptureFixture) -> AsyncIterator[None]:
    """Fails the test when anything was logged at ERROR (a traceback of an unhandled 500)."""
    caplog.set_level(logging.ERROR)
    yield None  # type: ignore[misc]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize(("name", "value"), MATCH_PARAMS)
async def test_matches_refuses_hostile_parameters(
    client: httpx.AsyncClient, no_error_logged: None, name: str, value: str
) -> None:
    """GET /matches answers 422 with a JSON message naming the parameter, never a 500."""
    resp = await client.get("/matches", params={name: value})
    assert resp.status_code == 422, resp.text[:500]
    body = resp.json()
    assert body["message"].startswith("invalid parameter "), body
    assert f"{name}:" in body["message"], body
    assert len(body["message"]) < 400


@pytest.mark.parametrize("article_id", [HUGE, BIGINT_PAST, "-1", "0", "1e5", "１２"])
async def test_article_refuses_ids_out_of_range(
    client: httpx.AsyncClient, no_error_logged: None, article_id: str
) -> None:
    """GET /articles/ID with an id no database can hold is a 422 naming article_id."""
    resp = await client.get(f"/articles/{article_id}")
    assert resp.status_code == 422, resp.text[:500]
    assert "article_id:" in resp.json()["message"]


async def test_largest_id_is_a_plain_404(client: httpx.AsyncClient, no_error_logged: None) -> None:
    """The largest id a bigint holds is in range: no such article, 404."""
    resp = await client.get(f"/articles/{2**63 - 1}")
    assert resp.status_code == 404
    assert (await client.get("/matches", params={"story": str(2**63 - 1)})).json() == {
        "items": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize("name", ["desk\x00", "x" * 5000])
async def test_watch_atom_refuses_hostile_names(
    client: httpx.AsyncClient, no_error_logged: None, name: str
) -> None:
    """GET /watches/NAME.atom with a NUL or a huge name is a 422, not a database error."""
    resp = await client.get(f"/watches/{name}.atom".replace("\x00", "%00"))
    assert resp.status_code == 422, resp.text[:500]


EDGES = [
    {"since": "0001-01-01", "until": "9999-12-30", "limit": "500"},
    {"since": "0001-01-01", "until": "9999-12-30", "text": "taiwan", "limit": "500"},
    {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z", "text": "taiwan"},
    {"since": "739000d", "text": "taiwan", "actor": "wang-yi"},
    {"cursor": _cursor("9999-12-31T23:59:59+00:00|1"), "text": "taiwan"},
    {"cursor": _cursor("9999-12-31T23:59:59+00:00|9223372036854775807")},
    {"cursor": _cursor("0001-01-01T00:00:00+00:00|1"), "text": "taiwan"},
    {"story": "1", "text": "taiwan"},
    {"since": "9999-12-31"},
    {"text": "taiwan " * 142},
]


@pytest.mark.parametrize("params", EDGES)
async def test_values_at_the_bounds_are_answered(
    client: httpx.AsyncClient, no_error_logged: None, params: dict[str, str]
) -> None:
    """Values at the edges of the bounds are answered: the years 1 and 9999, 500 items,
    the largest id in a cursor, names and queries at their longest."""
    ok = await client.get("/matches", params=params)
    assert ok.status_code == 200, ok.text
    assert ok.json()["next_cursor"] is None


async def test_names_at_their_longest_pass_the_bounds(
    client: httpx.AsyncClient, no_error_logged: None
) -> None:
    """A watch and a feed name of 200 characters pass the size bound: the answer names them
    as unknown (with no suggestion to make), not as too long."""
    resp = await client.get("/matches", params={"watch": "w" * 200, "feed": "f" * 200})
    assert resp.status_code == 422, resp.text[:500]
    assert "unknown" in resp.json()["message"], resp.text[:500]
    assert "too long" not in resp.text
    assert "at most" not in resp.text


DESK_PAGES = [
    ("/", {"until": "9999-12-31"}),
    ("/", {"since": "0001-01-01T00:00:00+14:00"}),
    ("/", {"cursor": _cursor(f"2026-11-20T12:00:00+00:00|{HUGE}")}),
    ("/", {"cursor": _cursor(f"2026-11-20T12:00:00+00:00|{BIGINT_PAST}")}),
    ("/", {"watch": "desk\x00"}),
    ("/", {"actor": "wang-yi\x00"}),
    ("/", {"text": "taiwan\x00"}),
    ("/", {"issue": "x" * 5000}),
    ("/desk/matches.atom", {"until": "9999-12-31"}),
    ("/desk/matches.atom", {"feed": "wire\x00"}),
    ("/desk/trends", {"until": "9999-12-31"}),
    ("/desk/trends", {"tag": "taiwan\x00"}),
    ("/desk/trends", {"since": "99999999999w"}),
    ("/desk/alerts", {"state": "x\x00"}),
]


@pytest.mark.parametrize(("path", "params"), DESK_PAGES)
async def test_desk_refuses_hostile_parameters(
    client: httpx.AsyncClient, no_error_logged: None, path: str, params: dict[str, str]
) -> None:
    """The desk answers a hostile filter with a clean 400 page naming it, never a 500."""
    resp = await client.get(path, params=params)
    assert resp.status_code == 400, resp.text[:500]
    name = next(iter(params))
    assert name in resp.text
    assert "Traceback" not in resp.text


@pytest.mark.parametrize("article_id", [HUGE, BIGINT_PAST, "-1", "x%00"])
async def test_desk_article_out_of_range_is_a_404_page(
    client: httpx.AsyncClient, no_error_logged: None, article_id: str
) -> None:
    """A desk article id no database holds is the missing-article page."""
    resp = await client.get(f"/desk/articles/{article_id}")
    assert resp.status_code == 404
