"""A webhook receiver's hostile Retry-After (nan, huge, negative) through the relay: the
failure is recorded and the alert retried on schedule or at the bounded time."""

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alerts_support import SECRET, T0, Answer, Clock, WebhookReceiver, seed

from monitor.alerts.relay import JITTER, SCHEDULE, Relay
from monitor.alerts.webhook import RETRY_AFTER_LIMIT, WebhookChannel
from monitor.store import Store


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A Store on a fresh, migrated SQLite file."""
    with Store.open(f"sqlite:///{tmp_path / 'alerts.db'}", schema="upgrade") as store:
        yield store


@pytest.mark.parametrize(
    ("value", "delay"),
    [
        ("nan", None),
        ("-inf", None),
        ("-30", None),
        ("1e3", None),
        ("99999999999999999999", RETRY_AFTER_LIMIT),
        ("9" * 5000, RETRY_AFTER_LIMIT),
        ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_LIMIT),
        ("120", timedelta(seconds=120)),
    ],
)
async def test_hostile_retry_after_is_recorded_and_bounded(
    lite: Store, value: str, delay: timedelta | None
) -> None:
    """A 503 with Retry-After `value` records the failed attempt; garbage (None) leaves the
    alert on its schedule (5 s +-20 %), huge values wait at most a day."""
    clock = Clock()
    (row,) = seed(lite.db, ["hook"])
    with WebhookReceiver(script=lambda path, n: Answer(503, {"retry-after": value})) as rec:
        channel = WebhookChannel("hook", rec.url("/hook"), SECRET, timeout=5.0, now=clock)
        async with Relay(
            lite, {"hook": channel}, owner="test", now=clock, rng=random.Random(7)
        ) as relay:
            await relay.run_until_idle()
    alert = lite.get_alert(row)
    assert alert is not None
    assert (alert.state, alert.attempts) == ("failed", 1)
    assert "HTTP 503" in (alert.last_error or "")
    assert alert.next_attempt is not None
    if delay is None:
        wait = SCHEDULE[1]  # after the first attempt
        assert wait * (1 - JITTER) <= alert.next_attempt - T0 <= wait * (1 + JITTER)
    else:
        assert alert.next_attempt == T0 + delay
