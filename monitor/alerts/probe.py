"""`monitor alerts test`: one sample alert through a channel's real sender, and its outcome."""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerts.base import DEFAULT_TIMEOUT, Channel
from monitor.alerts.payload import build_payload
from monitor.clock import utcnow
from monitor.errors import DeliveryError
from monitor.types import Alert, ChannelSpec, Evidence, NewArticle, Tag

SAMPLE_WATCH = "monitor-test"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one sample delivery did: None error means delivered."""

    channel: str
    seconds: float
    error: str | None


def sample_alert(channel: str, now: datetime) -> Alert:
    """A sample alert shaped like a real one; `data.test` is true so receivers can tell."""
    text = "This is a test alert sent by `monitor alerts test`; no article matched."
    tags = (Tag("taiwan", "issue", "Taiwan", 1, Evidence(text, 0, len(text)), "about", 1.0),)
    article = NewArticle(
        feed="monitor",
        guid="monitor-test",
        url="https://example.org/monitor-test",
        canonical_url="https://example.org/monitor-test",
        title=f"Test alert for channel {channel}",
        author=None,
        published=now,
        language="en",
        text=text,
        fingerprint="0" * 64,
        simhash=0,
        tags=tags,
    )
    payload = build_payload(watch=SAMPLE_WATCH, article=article, tags=tags, now=now)
    payload["data"]["test"] = True
    # A fresh id each run, so receivers that deduplicate on webhook-id do not drop it.
    alert_id = int(now.timestamp() * 1000)
    return Alert(
        id=alert_id,
        channel=channel,
        watch=SAMPLE_WATCH,
        article_id=0,
        payload=payload,
        state="pending",
        attempts=1,
        next_attempt=now,
        last_error=None,
        created_at=now,
    )


async def probe(channel: Channel, now: datetime | None = None) -> ProbeResult:
    """Send one sample alert through `channel`, bounded as the relay bounds an attempt."""
    alert = sample_alert(channel.name, now or utcnow())
    timeout = float(getattr(channel, "timeout", DEFAULT_TIMEOUT))
    started = time.monotonic()
    error: str | None = None
    try:
        async with asyncio.timeout(2 * timeout + 5):
            await channel.send([alert])
    except DeliveryError as exc:
        error = exc.reason
    except TimeoutError:
        error = "attempt exceeded its deadline"
    finally:
        await channel.aclose()
    return ProbeResult(channel.name, time.monotonic() - started, error)


def hint(spec: ChannelSpec) -> str:
    """What to check when the sample did not arrive, by channel type."""
    if spec.type == "webhook":
        return (
            "check that the channel's url answers 2xx to a POST and that the receiver "
            "knows its secret"
        )
    if spec.type == "email":
        return (
            "check MONITOR_SMTP_HOST/_PORT/_TLS/_USERNAME/_PASSWORD and that the server "
            "accepts mail for the channel's recipients"
        )
    return (
        f"check the Apprise URL in {spec.url_env} (its tokens and host) and that the "
        "service is reachable from this machine"
    )


def digest_note(spec: ChannelSpec) -> str:
    """For digest channels: the sample went out at once, as a one-entry digest."""
    every = spec.every or timedelta(0)
    return f" (a one-entry digest; real digests go every {every})" if spec.mode == "digest" else ""
