"""The outbox relay: claims due alerts with a lease and delivers them, one worker per channel."""

import asyncio
import logging
import math
import os
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

from monitor.alerts.base import DEFAULT_TIMEOUT, Channel
from monitor.clock import utcnow
from monitor.errors import ChannelGoneError, DeliveryError, MonitorError
from monitor.store import Store
from monitor.types import Alert

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Svix's schedule: the first attempt at once, then these waits after each failure.
SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.2  # each wait is stretched or shrunk by up to 20% so retries do not stampede
MIN_RETRY_AFTER = 1.0  # a receiver's Retry-After of 0 must not spin a row through its attempts
MAX_RETRY_WAIT = 86_400.0  # nor may one park a row for more than a day
# A channel's worker sleeps until its next row is due, waking at most this long apart to look
# again (rows another process wrote or released; on PostgreSQL a NOTIFY wakes it sooner).
MAX_LINGER = 60.0


def default_owner() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def next_attempt(
    attempts: int, now: datetime, rng: random.Random, retry_after: float | None = None
) -> datetime | None:
    """When to try again after `attempts` failed attempts; None when the schedule is spent.

    A receiver's Retry-After (seconds) replaces the scheduled wait.
    """
    if attempts >= MAX_ATTEMPTS:
        return None
    if retry_after is not None and math.isfinite(retry_after):  # a NaN hint is no hint
        return now + timedelta(seconds=min(max(retry_after, MIN_RETRY_AFTER), MAX_RETRY_WAIT))
    wait = SCHEDULE[attempts].total_seconds() * rng.uniform(1 - JITTER, 1 + JITTER)
    return now + timedelta(seconds=wait)


class Relay:
    """Delivers due outbox rows; each channel has its own worker, so a slow or dead
    endpoint only ever holds up its own alerts.

    The channels come built (the composition root, `monitor.app.build_channels`, makes
    them from feeds.toml). Its writes go through `Store.submit` under the key
    `relay:<channel>`, so on SQLite they take their turn on the store's writer thread.
    Use it as an async context manager (or call `aclose`) to drain and close connections.
    """

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        owner: str | None = None,
        now: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        batch: int = 4,
        timeout: float = DEFAULT_TIMEOUT,
        step_wait: float = 2.0,
    ) -> None:
        self.store, self.channels = store, dict(channels)
        self.owner = owner or default_owner()
        self._now, self._rng = now, rng or random.Random()
        self.batch, self.step_wait = batch, step_wait
        # A batch is sent concurrently and each attempt is bounded by the channel's timeout;
        # the lease outlives that, so only a crashed or hung relay loses its rows to another.
        self.lease = timedelta(seconds=2 * timeout + 10)
        self._attempt_deadline = 2 * timeout + 5
        self._workers: dict[str, asyncio.Task[int]] = {}
        self._woken: set[str] = set()  # channels told of a new row since their last claim
        # A worker sleeps until its channel's next row is due (a retry on schedule, not at
        # the next tick); `wake` and `drain` end the sleep. --once and a stop do not linger.
        self._linger = True
        self._bells: dict[str, asyncio.Event] = {}
        self.counters: Counter[tuple[str, str]] = Counter()  # (channel, outcome) this process

    async def __aenter__(self) -> "Relay":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ---- the public steps ---------------------------------------------------------------
    async def deliver_due(self) -> int:
        """Start a worker for every idle channel and wait up to `step_wait` seconds for them.

        Returns how many alerts the finished workers claimed. Workers still busy (a slow
        endpoint) go on in the background; the next call skips their channel.
        """
        for bell in self._bells.values():  # a sleeping worker looks again (rows another
            bell.set()  # process wrote, e.g. `monitor alerts retry`)
        started = self._start_workers()
        if not started:
            return 0
        done, _ = await asyncio.wait(started, timeout=self.step_wait)
        return sum(t.result() for t in done if not t.cancelled() and t.exception() is None)

    def wake(self) -> None:
        """Outbox rows were just written: deliver now, not on the next tick. Idle channels
        start a worker; busy ones claim once more before they stop (call on the loop)."""
        self._woken.update(self.channels)
        for bell in self._bells.values():
            bell.set()
        self._start_workers()

    def _start_workers(self) -> list[asyncio.Task[int]]:
        started = []
        for name, channel in self.channels.items():
            task = self._workers.get(name)
            if task is not None and not task.done():
                continue
            task = asyncio.get_running_loop().create_task(
                self._work(name, channel), name=f"relay:{name}"
            )
            self._workers[name] = task
            started.append(task)
        return started

    async def drain(self, budget: float | None = 30.0) -> None:
        """Wait for the workers in flight; cancel what outlives `budget` seconds (their
        leases expire and the rows are claimed again)."""
        self._linger = False
        for bell in self._bells.values():
            bell.set()
        busy = {t for t in self._workers.values() if not t.done()}
        if not busy:
            return
        _, pending = await asyncio.wait(busy, timeout=budget)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("relay.drain_timeout channels=%d", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    async def run_until_idle(self, max_rounds: int = 100) -> int:
        """Deliver until nothing is due now (for `monitor run --once`); alerts claimed."""
        total = 0
        self._linger = False  # deliver what is due now, then return
        for _ in range(max_rounds):
            await self.drain(budget=None)  # workers a previous step left running
            started = self._start_workers()
            claimed = sum(await asyncio.gather(*started))
            if claimed == 0:
                break
            total += claimed
        return total

    async def replace_channels(self, channels: Mapping[str, Channel]) -> None:
        """Deliver with `channels` from now on (reload). Deliveries in flight finish on the
        channels they started with, which are closed once they are done; a channel's new
        worker starts only after its old one ended, so no alert is claimed twice."""
        old, self.channels = self.channels, dict(channels)
        busy = {t for t in self._workers.values() if not t.done()}
        if busy:
            await asyncio.wait(busy)
        for channel in old.values():
            try:
                await channel.aclose()
            except Exception:  # closing must not hide the real outcome
                log.exception("relay.close_failed channel=%s", channel.name)

    async def aclose(self) -> None:
        """Drain, then close every channel's connections."""
        await self.drain()
        for channel in self.channels.values():
            try:
                await channel.aclose()
            except Exception:  # closing must not hide the real outcome
                log.exception("relay.close_failed channel=%s", channel.name)

    async def _write(self, channel: str, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """A store write for `channel`'s worker, through the store's write path."""
        return await self.store.submit(f"relay:{channel}", fn, *args, **kwargs)

    # ---- one channel --------------------------------------------------------------------
    async def _work(self, name: str, channel: Channel) -> int:
        """Claim and send this channel's due alerts by due time, batch after batch; when none
        is due, sleep until the next one is (a failed alert's retry comes on its schedule,
        not behind a backlog at some later tick), unless the relay stops lingering."""
        claimed = 0
        try:
            if channel.digest is None:
                claimed += await self._watch_digests(name, channel)
            while True:
                self._woken.discard(name)
                alerts = await self._claim(name, channel)
                if alerts:
                    claimed += len(alerts)
                    if channel.digest is not None:
                        await self._send_digest(channel, alerts)
                        break
                    # a failure ends nothing: each row keeps its own schedule
                    await asyncio.gather(*(self._attempt(channel, a) for a in alerts))
                    continue
                if name in self._woken:
                    continue
                if channel.digest is not None or not await self._sleep_until_due(name, channel):
                    break
        except MonitorError as exc:  # the store failed: leases expire, rows are retried
            log.error("relay.worker_failed channel=%s error=%s", name, exc)
        except Exception:  # never let one channel's surprise end the relay
            log.exception("relay.worker_failed channel=%s", name)
        return claimed

    async def _sleep_until_due(self, name: str, channel: Channel) -> bool:
        """Sleep until the channel's next open row is due (at most MAX_LINGER seconds, and
        woken by `wake` or `drain`); False when there is nothing to wait for."""
        if not self._linger:
            return False
        bell = self._bells.setdefault(name, asyncio.Event())
        bell.clear()  # before the first await: a wake from now on ends the sleep
        due = await asyncio.to_thread(
            self.store.next_due, name, self._now(), except_watches=list(channel.watch_digests)
        )
        if due is None:
            return False
        # due already (it came due since the claim): a short nap, then claim it
        wait = max((due - self._now()).total_seconds(), 0.05)
        try:
            async with asyncio.timeout(min(wait, MAX_LINGER)):
                await bell.wait()
        except TimeoutError:
            pass
        return self._linger

    async def _watch_digests(self, name: str, channel: Channel) -> int:
        """Send the due digests of watches that have their own schedule on this channel."""
        claimed = 0
        for watch, schedule in channel.watch_digests.items():
            alerts = await self._write(
                name,
                self.store.claim_digest,
                name,
                schedule,
                self._now(),
                self.owner,
                self.lease,
                watch=watch,
            )
            if alerts:
                claimed += len(alerts)
                await self._send_digest(channel, alerts, watch)
        return claimed

    async def _claim(self, name: str, channel: Channel) -> list[Alert]:
        now = self._now()
        if channel.digest is not None:
            return await self._write(
                name, self.store.claim_digest, name, channel.digest, now, self.owner, self.lease
            )
        return await self._write(
            name,
            self.store.claim_alerts,
            now,
            self.owner,
            self.lease,
            self.batch,
            [name],
            except_watches=list(channel.watch_digests),
        )

    async def _attempt(self, channel: Channel, alert: Alert) -> bool:
        """One delivery attempt of one alert, its outcome recorded; True when delivered."""
        started = time.monotonic()
        self.counters[(channel.name, "attempt")] += 1
        try:
            async with asyncio.timeout(self._attempt_deadline):
                await channel.send([alert])
        except (DeliveryError, TimeoutError) as exc:
            await self._failed(channel, [alert], _as_delivery_error(exc, channel.name))
            return False
        except Exception as exc:  # a channel bug must not stop the relay: retry later
            log.exception("relay.channel_error channel=%s alert=%d", channel.name, alert.id)
            await self._failed(
                channel,
                [alert],
                DeliveryError(f"internal error: {type(exc).__name__}", channel=channel.name),
            )
            return False
        now = self._now()
        await self._write(channel.name, self.store.mark_delivered, alert.id, now)
        self._delivered(channel, [alert], now, time.monotonic() - started)
        return True

    async def _send_digest(
        self, channel: Channel, alerts: Sequence[Alert], watch: str | None = None
    ) -> None:
        started = time.monotonic()
        self.counters[(channel.name, "attempt")] += len(alerts)
        try:
            async with asyncio.timeout(self._attempt_deadline):
                await channel.send_digest(alerts)
        except (DeliveryError, TimeoutError) as exc:
            await self._failed(channel, alerts, _as_delivery_error(exc, channel.name))
            return
        except Exception as exc:  # see _attempt
            log.exception("relay.channel_error channel=%s digest=%d", channel.name, len(alerts))
            await self._failed(
                channel,
                alerts,
                DeliveryError(f"internal error: {type(exc).__name__}", channel=channel.name),
            )
            return
        now = self._now()
        await self._write(
            channel.name,
            self.store.mark_digest_delivered,
            channel.name,
            [a.id for a in alerts],
            now,
            watch=watch,
        )
        self._delivered(channel, alerts, now, time.monotonic() - started)

    # ---- outcomes -----------------------------------------------------------------------
    def _delivered(
        self, channel: Channel, alerts: Sequence[Alert], now: datetime, seconds: float
    ) -> None:
        for alert in alerts:
            self.counters[(channel.name, "delivered")] += 1
            lag = (now - alert.created_at).total_seconds()
            log.info(
                "alert.delivered channel=%s alert=%d attempt=%d seconds=%.2f lag=%.1f",
                channel.name,
                alert.id,
                alert.attempts,
                seconds,
                lag,
            )

    async def _failed(
        self, channel: Channel, alerts: Sequence[Alert], error: DeliveryError
    ) -> None:
        now = self._now()
        if isinstance(error, ChannelGoneError):
            await self._write(
                channel.name, self.store.disable_channel, channel.name, error.reason, now
            )
            log.warning("channel.disabled channel=%s reason=%s", channel.name, error.reason)
        for alert in alerts:
            await self._record_failure(channel, alert, error, now)

    async def _record_failure(
        self, channel: Channel, alert: Alert, error: DeliveryError, now: datetime
    ) -> None:
        message = f"attempt {alert.attempts}: {error.reason}"
        if isinstance(error, ChannelGoneError):  # keep the row for when the channel is back
            when: datetime | None = now
        elif error.permanent:
            when = None
        else:
            when = next_attempt(alert.attempts, now, self._rng, error.retry_after)
        if when is None:
            self.counters[(channel.name, "dead")] += 1
            await self._write(
                channel.name, self.store.mark_dead, alert.id, message, self.owner, now
            )
            log.warning(
                "alert.dead channel=%s alert=%d attempts=%d error=%s",
                channel.name,
                alert.id,
                alert.attempts,
                error.reason,
            )
            return
        self.counters[(channel.name, "failed")] += 1
        await self._write(
            channel.name, self.store.mark_failed, alert.id, message, when, self.owner, now
        )
        log.warning(
            "alert.failed channel=%s alert=%d attempts=%d next=%s error=%s",
            channel.name,
            alert.id,
            alert.attempts,
            when.isoformat(),
            error.reason,
        )


def _as_delivery_error(exc: Any, channel: str) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    return DeliveryError("attempt exceeded its deadline", channel=channel)
