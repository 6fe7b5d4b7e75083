"""Huge feed fields are cut where they enter, and a webhook body stays under 20 KB."""

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from alerts_support import SECRET, WebhookReceiver
from httpserver import HTTPTestServer
from ingest_site import RSS, write_config
from test_run_cli import env, monitor, stored

from monitor.alerts.payload import MAX_PAYLOAD_BYTES, fit_payload
from monitor.limits import MAX_AUTHOR, MAX_EVIDENCE, MAX_TITLE, cut
from monitor.store.models import ArticleRow, OutboxRow

STANDARD_WEBHOOKS_MAX = 20_000  # "payloads under 20kb"


def _wire_size(payload: Any) -> int:
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


def hostile_feed() -> bytes:
    """One RSS item whose title (1.2 MB of emoji), author (1 MB) and summary (one 600 KB
    sentence naming Taiwan, no full stop) are huge; it names Wang Yi and Taiwan."""
    title = "Wang Yi on Taiwan " + "\U0001f680 " * 300_000
    author = "a" * 1_000_000
    summary = "Wang Yi spoke about Taiwan " + "and more " * 66_000
    item = (
        f"<item><title>{escape(title)}</title><link>http://127.0.0.1/a</link>"
        f"<guid>hostile-1</guid><author>{author}@example.org ({author})</author>"
        f"<description>{escape(summary)}</description></item>"
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>t</title><link>http://example.org/</link><description>d</description>"
        f"{item}</channel></rss>"
    ).encode()


@pytest.mark.slow
def test_hostile_feed_is_cut_and_its_webhook_fits(tmp_path: Path, db_url: str) -> None:
    """`run --once` on a feed with megabyte fields stores them cut to their limits (with an
    ellipsis) and the webhook the match sends is a verified body under 20 KB."""
    with HTTPTestServer("127.0.0.1") as site, WebhookReceiver() as hook:
        site.route("/feed.xml", body=hostile_feed(), headers=RSS)
        config = write_config(
            tmp_path / "feeds.toml",
            [("hostile", site.url("/feed.xml"))],
            full_text=False,
            watches=(
                '[[watch]]\nname = "desk"\nquery = "actor:wang-yi"\nnotify = ["hook"]\n\n'
                f'[channel.hook]\ntype = "webhook"\nurl = "{hook.url()}"\n'
                'secret_env = "MONITOR_TEST_HOOK_SECRET"\n'
            ),
        )
        done = monitor(["run", "--once"], env(config, db_url, MONITOR_TEST_HOOK_SECRET=SECRET))
        assert done.returncode == 0, done.stderr[-3000:]
        assert hook.wait_for(lambda r: len(r.deliveries) >= 1, timeout=10)
    [row] = stored(db_url, ArticleRow)
    assert len(row.title) <= MAX_TITLE
    assert row.title.endswith("…")
    assert row.title.startswith("Wang Yi on Taiwan \U0001f680")
    assert len(row.author) <= MAX_AUTHOR
    assert row.author.endswith("…")
    [delivery] = hook.deliveries
    assert delivery.verified
    data = delivery.payload["data"]
    assert _wire_size(delivery.payload) < STANDARD_WEBHOOKS_MAX
    assert data["article"]["title"] == row.title
    assert data["evidence"]
    assert all(len(e["text"]) <= MAX_EVIDENCE for e in data["evidence"])
    [alert] = stored(db_url, OutboxRow)
    assert len(alert.payload.encode()) < STANDARD_WEBHOOKS_MAX


def test_cut_keeps_characters_whole_with_an_ellipsis() -> None:
    """A cut never splits a character (emoji are one each), ends in an ellipsis at a space
    near the limit, and leaves a value that fits unchanged."""
    assert cut("short", 10) == "short"
    long = "\U0001f680" * 50
    assert cut(long, 10) == "\U0001f680" * 9 + "…"
    assert cut("word " * 100, 23) == "word word word word…"
    assert len(cut("x" * 1000, 500)) == 500
    assert cut("é" * 600, 500).encode("utf-8").decode("utf-8")  # valid UTF-8


def _payload(copies: int, tags: int) -> dict[str, Any]:
    return {
        "type": "match.created",
        "timestamp": "2026-11-23T10:00:00Z",
        "data": {
            "watch": "desk",
            "article": {
                "url": "https://e.org/" + "p" * 1990,
                "title": "t" * 500,
                "published": None,
                "feed": "wire",
            },
            "actors": [
                {
                    "id": f"actor-{i}",
                    "name": f"Actor {i}",
                    "count": 1,
                    "level": "mention",
                    "score": i / tags,
                }
                for i in range(tags)
            ],
            "issues": [],
            "evidence": [{"id": f"actor-{i}", "text": "e" * 500} for i in range(tags)],
            "story": 7,
            "copies": [
                {"feed": f"f{i}", "url": "https://e.org/" + "c" * 1990, "title": "t" * 500}
                for i in range(copies)
            ],
        },
    }


@pytest.mark.parametrize(("copies", "tags"), [(50, 0), (0, 300), (50, 300), (3, 2)])
def test_fit_payload_drops_list_tails_and_counts_them(copies: int, tags: int) -> None:
    """A payload over the bound loses copies first, then evidence, then the lowest-scored
    tags, and says how many in data.omitted; one that fits is unchanged."""
    payload = _payload(copies, tags)
    fitted = fit_payload(payload)
    assert _wire_size(fitted) <= MAX_PAYLOAD_BYTES
    if _wire_size(payload) <= MAX_PAYLOAD_BYTES:
        assert fitted is payload
        return
    data, omitted = fitted["data"], fitted["data"]["omitted"]
    assert len(data["copies"]) + omitted.get("copies", 0) == copies
    assert len(data["actors"]) + omitted.get("actors", 0) == tags
    if omitted.get("actors"):
        assert not data["copies"]
        assert not data["evidence"]
        kept = [a["score"] for a in data["actors"]]
        assert min(kept, default=1) >= max(
            a["score"] for a in payload["data"]["actors"] if a not in data["actors"]
        )
    assert data["article"] == payload["data"]["article"]
