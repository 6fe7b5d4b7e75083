"""From stored match to delivered alert: add_article's outbox rows go out through the relay."""

import random
from datetime import UTC, datetime, timedelta

from alerts_support import SECRET, WebhookReceiver, tags

from monitor import stories
from monitor.alerts.payload import build_payload
from monitor.alerts.relay import Relay
from monitor.alerts.webhook import WebhookChannel
from monitor.store import Store
from monitor.types import FeedSpec, NewArticle, WatchHit

BODY = (
    "Foreign Minister Wang Yi met a visiting delegation in Beijing on Monday for talks that "
    "both sides called candid. They discussed the situation across the Taiwan Strait, the "
    "flow of fentanyl precursors and export controls on advanced chips, and agreed that "
    "working groups would meet again before the end of the year. Officials said the meeting "
    "lasted more than five hours and ended with an agreement to restore military channels "
    "that had been suspended for more than a year, a step business groups welcomed."
)


def copy(feed: str, guid: str, url: str, text: str) -> NewArticle:
    """One copy of the story as `feed` published it."""
    return NewArticle(
        feed=feed,
        guid=guid,
        url=url,
        canonical_url=url,
        title="Talks in Beijing",
        author=None,
        published=None,
        language="en",
        text=text,
        fingerprint=stories.fingerprint(text),
        tags=tags(),
    )


async def test_a_syndicated_story_alerts_each_watch_once(store: Store) -> None:
    """Two feeds carry the same story; the stored matches yield one signed webhook per
    watch, with the CONTRACT body the pipeline built (SQLite and PostgreSQL)."""
    now = datetime.now(UTC)
    store.sync_feeds(
        [
            FeedSpec("wire", "https://wire.example/rss"),
            FeedSpec("paper", "https://paper.example/rss"),
        ],
        now,
    )
    for feed, guid, url, text in [
        ("wire", "w1", "https://wire.example/a", BODY),
        ("paper", "p1", "https://paper.example/b", "By our correspondent. " + BODY),
    ]:
        art = copy(feed, guid, url, text)
        hits = [
            WatchHit(w, ("hook",), build_payload(watch=w, article=art, tags=art.tags, now=now))
            for w in ("desk", "taiwan")
        ]
        assert store.add_article(art, hits, now=now) is not None
    with WebhookReceiver() as rec:
        channel = WebhookChannel("hook", rec.url(), SECRET, now=lambda: now)
        async with Relay(
            store, {"hook": channel}, now=lambda: now + timedelta(seconds=1), rng=random.Random(1)
        ) as relay:
            assert await relay.run_until_idle() == 2
    assert sorted(d.payload["data"]["watch"] for d in rec.deliveries) == ["desk", "taiwan"]
    assert all(d.verified for d in rec.deliveries)
    assert {d.payload["data"]["article"]["feed"] for d in rec.deliveries} == {"wire"}
    (stats,) = store.delivery_stats(now + timedelta(minutes=1))
    assert stats.delivered == 2
    assert stats.latency_max == 1.0
