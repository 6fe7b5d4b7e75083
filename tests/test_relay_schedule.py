"""A failing channel's retries come on schedule: its worker wakes when the next row is due
instead of waiting for a tick behind the backlog."""

import asyncio
import random
import time
from datetime import UTC, datetime

import pytest
from alerts_support import SECRET, Answer, WebhookReceiver, seed

from monitor.alerts.relay import MIN_RETRY_AFTER, Relay, next_attempt
from monitor.alerts.webhook import WebhookChannel
from monitor.store import Database, Store

BACKLOG = 60
LATE = 1.5  # seconds a retry may come after its due time on a loaded 2-core machine


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.slow
async def test_retries_come_on_schedule_behind_a_backlog(store: Store) -> None:
    """A receiver that fails each alert's first attempt and accepts its retry: after one
    tick (the next a minute away), every one of a backlog of alerts is retried within
    LATE seconds of its due time, never before it, with the same webhook-id, on SQLite
    and PostgreSQL."""
    ids = seed(store.db, ["hook"], count=BACKLOG, now=_now())
    to_wall = time.time() - time.monotonic()
    with WebhookReceiver(script=lambda path, n: Answer(500 if n == 0 else 204)) as rec:
        channel = WebhookChannel("hook", rec.url(), SECRET, timeout=5.0, now=_now)
        async with Relay(
            store, {"hook": channel}, owner="t", now=_now, rng=random.Random(7), step_wait=0.5
        ) as relay:
            await relay.deliver_due()  # the one tick
            due: dict[int, datetime] = {}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                for alert in await asyncio.to_thread(store.list_alerts, "failed"):
                    if alert.next_attempt is not None:
                        due.setdefault(alert.id, alert.next_attempt)
                if len(rec.deliveries) >= 2 * BACKLOG:
                    break
                await asyncio.sleep(0.05)
    assert sorted(due) == sorted(ids)
    assert len(rec.deliveries) == 2 * BACKLOG
    for row in ids:
        tries = [d for d in rec.deliveries if d.msg_id == f"msg_{row}"]
        assert len(tries) == 2
        retried = tries[1].at + to_wall
        late = retried - due[row].timestamp()
        assert -0.05 <= late <= LATE, (row, late)
    assert store.list_alerts() == []  # every one delivered


def test_retry_after_zero_still_waits() -> None:
    """A receiver's Retry-After: 0 schedules the retry MIN_RETRY_AFTER later, so a row
    cannot spin through its attempts now that a failure no longer ends the worker."""
    now = _now()
    when = next_attempt(1, now, random.Random(1), retry_after=0.0)
    assert when is not None
    assert (when - now).total_seconds() == MIN_RETRY_AFTER


@pytest.mark.parametrize("hint", [float("nan"), float("inf"), -5.0, 1e30])
def test_retry_after_out_of_range_is_bounded(hint: float) -> None:
    """A Retry-After that is not a number falls back to the schedule; one out of range is
    held within 1 s and a day (no OverflowError, no immediate spin)."""
    now = _now()
    when = next_attempt(1, now, random.Random(1), retry_after=hint)
    assert when is not None
    assert 1.0 <= (when - now).total_seconds() <= 86_400.0


async def test_a_sleeping_worker_ends_at_once_on_close(store: Store) -> None:
    """A worker asleep until a retry an hour away does not hold up closing the relay."""
    seed(store.db, ["hook"], now=_now())
    with WebhookReceiver(script=lambda path, n: Answer(503, {"retry-after": "3600"})) as rec:
        channel = WebhookChannel("hook", rec.url(), SECRET, timeout=5.0, now=_now)
        relay = Relay(store, {"hook": channel}, owner="t", now=_now, step_wait=0.5)
        await relay.deliver_due()
        assert rec.wait_for(lambda r: len(r.deliveries) == 1, timeout=5)
        started = time.monotonic()
        await relay.aclose()
    assert time.monotonic() - started < 2.0
    [alert] = store.list_alerts("failed")
    assert alert.attempts == 1


async def test_a_sleeping_worker_takes_rows_another_process_wrote_at_the_tick(store: Store) -> None:
    """While a channel's worker sleeps until a retry an hour away, a row another process
    writes (no wake reaches this relay) is delivered at the next tick, not after the sleep."""
    first = seed(store.db, ["hook"], now=_now())[0]
    answers = {f"msg_{first}": Answer(503, {"retry-after": "3600"})}
    with WebhookReceiver(script=lambda path, n: Answer(204)) as rec:
        rec.script = lambda path, n: answers.get(rec.deliveries[-1].msg_id, Answer(204))
        channel = WebhookChannel("hook", rec.url(), SECRET, timeout=5.0, now=_now)
        async with Relay(store, {"hook": channel}, owner="t", now=_now, step_wait=0.5) as relay:
            await relay.deliver_due()
            assert rec.wait_for(lambda r: len(r.deliveries) == 1, timeout=5)
            other = Store(Database(store.db.url))
            try:
                [second] = await asyncio.to_thread(seed, other.db, ["hook"], now=_now())
            finally:
                other.db.dispose()
            await relay.deliver_due()  # the tick
            for _ in range(100):  # the worker runs on this loop: wait without blocking it
                if len(rec.deliveries) == 2:
                    break
                await asyncio.sleep(0.05)
    assert rec.ids() == [f"msg_{first}", f"msg_{second}"]
