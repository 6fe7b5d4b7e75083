"""Webhook delivery through the relay against a real receiver that verifies signatures."""

import asyncio
import logging
import random
import threading
from collections.abc import Iterator
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
from alerts_support import SECRET, T0, Answer, Clock, WebhookReceiver, seed

from monitor.alerts.relay import MAX_ATTEMPTS, SCHEDULE, Relay
from monitor.alerts.webhook import WebhookChannel
from monitor.store import Database, Store


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A Store on a fresh, migrated SQLite file (channel behaviour needs one dialect)."""
    with Store.open(f"sqlite:///{tmp_path / 'alerts.db'}", schema="upgrade") as store:
        yield store


def hook(
    rec: WebhookReceiver,
    clock: Clock,
    *,
    name: str = "hook",
    path: str = "/hook",
    timeout: float = 5.0,
    secret: str | None = SECRET,
) -> WebhookChannel:
    """A webhook channel to `rec` on `path`, signing with the test secret."""
    return WebhookChannel(name, rec.url(path), secret, timeout=timeout, now=clock)


def relay(store: Store, *channels: WebhookChannel, clock: Clock, **kw: object) -> Relay:
    """A relay over `channels` with a seeded RNG and the settable clock."""
    return Relay(
        store, {c.name: c for c in channels}, owner="test", now=clock, rng=random.Random(7), **kw
    )  # type: ignore[arg-type]


def real_clock() -> Clock:
    """A clock at the real time: the receiver checks the timestamp is within 5 minutes."""
    from datetime import datetime

    return Clock(datetime.now(UTC))


async def test_delivery_is_signed_and_carries_the_contract_body(lite: Store) -> None:
    """The receiver verifies webhook-id/-timestamp/-signature with `standardwebhooks` and
    gets the CONTRACT body; the row is delivered."""
    clock = real_clock()
    (row,) = seed(lite.db, ["hook"], now=clock.value)
    with WebhookReceiver() as rec:
        async with relay(lite, hook(rec, clock), clock=clock) as r:
            assert await r.run_until_idle() == 1
    (got,) = rec.deliveries
    assert got.verified
    assert got.msg_id == f"msg_{row}"
    assert got.timestamp == str(int(clock.value.timestamp()))
    body = got.payload
    assert body["type"] == "match.created"
    assert body["timestamp"].endswith("Z")
    data = body["data"]
    assert data["watch"] == "desk"
    assert set(data["article"]) == {"url", "title", "published", "feed"}
    assert data["article"]["feed"] == "world"
    assert data["actors"] == [
        {"id": "wang-yi", "name": "Wang Yi", "count": 3, "level": "mention", "score": 0.0}
    ]
    assert data["issues"] == [
        {"id": "taiwan", "name": "Taiwan", "count": 2, "level": "mention", "score": 0.0}
    ]
    assert {"id": "taiwan", "text": "Both sides discussed Taiwan at length."} in data["evidence"]
    alert = lite.get_alert(row)
    assert alert is not None
    assert alert.state == "delivered"


async def test_signature_timestamp_is_right_with_a_non_utc_clock(lite: Store) -> None:
    """HAZARDS 10: a clock giving aware non-UTC datetimes still yields a verifiable
    signature over the true Unix time (sign() would read the wall time as UTC)."""
    utc = real_clock()
    clock = Clock(utc.value.astimezone(timezone(timedelta(hours=8))))
    seed(lite.db, ["hook"], now=utc.value)
    with WebhookReceiver() as rec:
        async with relay(lite, hook(rec, clock), clock=clock) as r:
            await r.run_until_idle()
    (got,) = rec.deliveries
    assert got.verified
    assert got.timestamp == str(int(utc.value.timestamp()))


async def test_receiver_with_another_secret_rejects_the_signature(lite: Store) -> None:
    """The signature really depends on the secret: a receiver holding another one fails
    verification (so the verified deliveries above are meaningful)."""
    clock = real_clock()
    seed(lite.db, ["hook"], now=clock.value)
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    with WebhookReceiver() as rec:
        async with relay(lite, hook(rec, clock, secret=other), clock=clock) as r:
            await r.run_until_idle()
    assert [d.verified for d in rec.deliveries] == [False]


async def test_any_2xx_is_success(lite: Store) -> None:
    """200, 201, 202 and 204 all deliver."""
    clock = Clock()
    ids = seed(lite.db, ["hook"], count=4)
    statuses = iter([200, 201, 202, 204])
    with WebhookReceiver(script=lambda path, n: Answer(next(statuses))) as rec:
        async with relay(lite, hook(rec, clock), clock=clock, batch=1) as r:
            await r.run_until_idle()
    assert len(rec.deliveries) == 4
    assert all(lite.get_alert(i).state == "delivered" for i in ids)  # type: ignore[union-attr]


async def test_failures_follow_the_schedule_then_dead_letter(lite: Store) -> None:
    """A receiver answering 500 sees the same webhook-id on every attempt; waits follow
    Svix's schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, with ±20% jitter) and after
    the 8th attempt the row is dead."""
    clock = Clock()
    (row,) = seed(lite.db, ["hook"])
    with WebhookReceiver(script=lambda path, n: Answer(500)) as rec:
        async with relay(lite, hook(rec, clock), clock=clock) as r:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                assert await r.run_until_idle() == 1
                alert = lite.get_alert(row)
                assert alert is not None
                assert alert.attempts == attempt
                if attempt == MAX_ATTEMPTS:
                    break
                assert alert.state == "failed"
                assert alert.last_error == f"attempt {attempt}: HTTP 500"
                assert alert.next_attempt is not None
                wait = (alert.next_attempt - clock.value).total_seconds()
                expected = SCHEDULE[attempt].total_seconds()
                assert 0.8 * expected <= wait <= 1.2 * expected
                clock.value = alert.next_attempt
    dead = lite.get_alert(row)
    assert dead is not None
    assert dead.state == "dead"
    assert rec.ids() == [f"msg_{row}"] * MAX_ATTEMPTS
    assert lite.list_alerts("dead")[0].id == row


async def test_429_retry_after_is_honoured(lite: Store) -> None:
    """429 with Retry-After: 120 schedules the next attempt exactly 120 s later (no
    jitter), and the retry then succeeds."""
    clock = Clock()
    (row,) = seed(lite.db, ["hook"])

    def script(path: str, n: int) -> Answer:
        return Answer(429, {"retry-after": "120"}) if n == 0 else Answer(200)

    with WebhookReceiver(script=script) as rec:
        async with relay(lite, hook(rec, clock), clock=clock) as r:
            await r.run_until_idle()
            alert = lite.get_alert(row)
            assert alert is not None
            assert alert.state == "failed"
            assert alert.next_attempt == T0 + timedelta(seconds=120)
            clock.advance(seconds=119)
            assert await r.run_until_idle() == 0
            clock.advance(seconds=1)
            assert await r.run_until_idle() == 1
    assert rec.ids() == [f"msg_{row}"] * 2
    assert lite.get_alert(row).state == "delivered"  # type: ignore[union-attr]


async def test_redirect_is_a_failure_and_not_followed(lite: Store) -> None:
    """A 302 fails the attempt (retried later) and its Location is never requested."""
    clock = Clock()
    (row,) = seed(lite.db, ["hook"])
    with WebhookReceiver(
        script=lambda path, n: (
            Answer(302, {"location": "/elsewhere"}) if path == "/hook" else Answer(200)
        )
    ) as rec:
        async with relay(lite, hook(rec, clock), clock=clock) as r:
            await r.run_until_idle()
    assert [d.path for d in rec.deliveries] == ["/hook"]
    alert = lite.get_alert(row)
    assert alert is not None
    assert alert.state == "failed"
    assert "302 redirect not followed" in (alert.last_error or "")


async def test_410_disables_the_channel_and_keeps_its_rows(lite: Store) -> None:
    """A 410 disables the channel: its rows stay (failed, not dead), nothing more is sent
    to it, and `retry` enables it again."""
    clock = Clock()
    ids = seed(lite.db, ["hook"], count=3)
    answers = {"gone": True}
    with WebhookReceiver(script=lambda path, n: Answer(410 if answers["gone"] else 204)) as rec:
        async with relay(lite, hook(rec, clock), clock=clock, batch=1) as r:
            await r.run_until_idle()
            assert len(rec.deliveries) == 1
            state = lite.channel_states()["hook"]
            assert not state.enabled
            assert "410" in (state.disabled_reason or "")
            assert sorted(a.id for a in lite.list_alerts()) == ids
            assert lite.list_alerts("dead") == []
            clock.advance(hours=1)
            assert await r.run_until_idle() == 0
            answers["gone"] = False
            assert lite.retry(None, clock.value) == 3
            await r.run_until_idle()
    assert len(rec.deliveries) == 4
    assert all(lite.get_alert(i).state == "delivered" for i in ids)  # type: ignore[union-attr]


async def test_timeout_bounds_an_attempt(lite: Store) -> None:
    """A receiver that stalls past the channel's timeout fails the attempt (retried)."""
    clock = Clock()
    (row,) = seed(lite.db, ["hook"])
    with WebhookReceiver(script=lambda path, n: Answer(204, stall=3.0)) as rec:
        async with relay(lite, hook(rec, clock, timeout=0.5), clock=clock) as r:
            await r.run_until_idle()
    alert = lite.get_alert(row)
    assert alert is not None
    assert alert.state == "failed"
    assert "timed out" in (alert.last_error or "")


async def test_network_error_is_retried(lite: Store) -> None:
    """A refused connection fails the attempt and schedules a retry."""
    clock = Clock()
    (row,) = seed(lite.db, ["hook"])
    with WebhookReceiver() as rec:
        url = rec.url()
    channel = WebhookChannel("hook", url, SECRET, timeout=2.0, now=clock)  # server closed
    async with relay(lite, channel, clock=clock) as r:
        await r.run_until_idle()
    alert = lite.get_alert(row)
    assert alert is not None
    assert alert.state == "failed"
    assert "network error" in (alert.last_error or "")


async def test_slow_endpoint_does_not_delay_another_channel(lite: Store) -> None:
    """While one channel's receiver holds its request, the other channel's alert is
    delivered: each channel has its own worker."""
    clock = Clock()
    slow_row, fast_row = seed(lite.db, ["slow", "fast"])
    release = threading.Event()

    def script(path: str, n: int) -> Answer:
        if path == "/slow":
            release.wait(10)
        return Answer(204)

    with WebhookReceiver(script=script) as rec:
        slow = hook(rec, clock, name="slow", path="/slow", timeout=10)
        fast = hook(rec, clock, name="fast", path="/fast", timeout=10)
        async with relay(lite, slow, fast, clock=clock, step_wait=0.2) as r:
            for _ in range(100):
                await r.deliver_due()
                fast_alert = lite.get_alert(fast_row)
                if fast_alert is not None and fast_alert.state == "delivered":
                    break
                await asyncio.sleep(0.05)
            assert lite.get_alert(fast_row).state == "delivered"  # type: ignore[union-attr]
            assert lite.get_alert(slow_row).state == "pending"  # type: ignore[union-attr]
            release.set()
            await r.drain()
    assert lite.get_alert(slow_row).state == "delivered"  # type: ignore[union-attr]


async def test_webhook_url_never_reaches_the_logs(
    lite: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """HAZARDS 8: neither httpx nor the relay logs the channel URL, which may hold a
    secret, on success or on failure."""
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    seed(lite.db, ["hook"], count=2)
    statuses = iter([204, 500])
    with WebhookReceiver(script=lambda path, n: Answer(next(statuses))) as rec:
        channel = hook(rec, clock, path="/token-s3cr3t-value")
        async with relay(lite, channel, clock=clock, batch=1) as r:
            await r.run_until_idle()
    assert len(rec.deliveries) == 2
    assert "alert.delivered" in caplog.text
    assert "alert.failed" in caplog.text
    assert "s3cr3t" not in caplog.text
    assert str(rec.port) not in caplog.text


async def test_concurrent_relays_deliver_each_alert_once(store: Store, db_url: str) -> None:
    """Three relays with their own connections running at once on one database (SQLite
    and PostgreSQL) deliver every alert exactly once."""
    clock = real_clock()
    ids = seed(store.db, ["hook"], count=24, now=clock.value)
    others = [Store(Database(db_url)) for _ in range(3)]
    try:
        with WebhookReceiver(script=lambda path, n: Answer(204, stall=0.02)) as rec:
            relays = [
                Relay(s, {"hook": hook(rec, clock)}, owner=f"r{i}", now=clock)
                for i, s in enumerate(others)
            ]
            await asyncio.gather(*(r.run_until_idle() for r in relays))
            for r in relays:
                await r.aclose()
    finally:
        for s in others:
            s.db.dispose()
    assert sorted(rec.ids()) == sorted(f"msg_{i}" for i in ids)
    assert all(d.verified for d in rec.deliveries)
    assert all(a.state == "delivered" for a in store.list_alerts(["delivered"]))
    assert store.list_alerts() == []
