"""The daemon: APScheduler ticks claim due feeds; a stop drains in-flight work before exit."""

import asyncio
import logging
import signal
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.app import Relay, Runtime, refreeze
from monitor.clock import utcnow
from monitor.owner import is_alive
from monitor.pipeline import PollResult
from monitor.types import ClaimedFeed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one `--once` cycle did."""

    feeds: int
    failed: int
    stored: int
    matches: int
    alerts_attempted: int
    seconds: float


class Daemon:
    """Claims due feeds on each tick and runs them with bounded concurrency."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        clock: Callable[[], datetime] = utcnow,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.rt, self.clock = runtime, clock
        self.tuning = runtime.tuning
        self.owner = runtime.owner
        self.say = say or (lambda line: log.info("%s", line))  # lines for the operator
        self._inflight: set[asyncio.Task[Any]] = set()
        self._polls = 0
        self._stopping = False
        self._ticking = False
        self._relaying = False
        self._more_due = False  # the last claim filled every free slot: more may be due
        self.ticks = 0  # scheduler wake-ups seen (tests and logs)
        self.prepared = runtime.prepared  # the configuration running now (reload swaps it)
        self.relay: Relay | None = runtime.relay
        self._own_relay: Relay | None = None  # made by a reload that added the first channel
        self._reloading = False
        self._reload_again: str | None = None  # a request that came while reloading
        self._reload_seen: datetime | None = None  # the latest `monitor reload` acted on
        self._checking = False

    def start_line(self) -> str:
        """`monitor: 13 feeds, 2 watches, 3 channels; database ...; next poll in 4s`."""
        config = self.prepared.config
        enabled = [f for f in config.feeds if f.enabled]
        due = [
            h.next_poll
            for h in self.rt.store.feed_health()
            if h.enabled and h.next_poll is not None
        ]
        wait = max(0.0, (min(due) - self.clock()).total_seconds()) if due else None
        url = self.rt.store.display_url
        return (
            f"monitor: {_count(len(enabled), 'feed')}, {_count(len(config.watches), 'watch')}"
            f", {_count(len(config.channels), 'channel')}; database {url}; "
            + (f"next poll in {_duration(wait)}" if wait is not None else "no feed to poll")
        )

    # ---- --once -------------------------------------------------------------------------
    async def run_once(self, *, force: bool = False) -> CycleReport:
        """Poll every enabled feed once regardless of schedule (but a feed whose server asked
        for a pause, or that backs off from errors, only with `force`), then deliver what is
        due. Feeds leased by a live process are theirs; a dead holder's are taken over.

        A continuous claim loop: whenever a poll ends another starts, so a feed with slow
        pages never leaves the other slots (and the extraction workers) waiting for it.
        """
        await self.backfill()
        started, cycle = time.monotonic(), self.clock()
        heartbeat = asyncio.get_running_loop().create_task(self._keep_leases())
        try:
            results = await self._poll_all(cycle, force)
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        attempted = await self._deliver(until_idle=True)
        await self.apply_retention()
        report = CycleReport(
            feeds=len(results),
            failed=sum(r.error is not None for r in results),
            stored=sum(r.stored for r in results),
            matches=sum(r.matches for r in results),
            alerts_attempted=attempted,
            seconds=time.monotonic() - started,
        )
        log.info(
            "cycle.done feeds=%d failed=%d stored=%d matches=%d alerts=%d seconds=%.1f",
            report.feeds,
            report.failed,
            report.stored,
            report.matches,
            report.alerts_attempted,
            report.seconds,
        )
        return report

    async def _poll_all(self, cycle: datetime, force: bool) -> list[PollResult]:
        limit = max(1, self.tuning.feed_concurrency)
        results: list[PollResult] = []
        queued: deque[ClaimedFeed] = deque()
        polling: set[asyncio.Task[PollResult]] = set()
        claimed_all = False
        while True:
            while len(polling) < limit and not claimed_all:
                if not queued:
                    batch = await self.rt.store.submit(
                        "",
                        self.rt.store.claim_due_feeds,
                        self.clock(),
                        limit,
                        self.tuning.lease,
                        polled_before=cycle,
                        owner=self.owner,
                        alive=self._alive,
                        force=force,
                    )
                    queued.extend(batch)
                    claimed_all = not batch
                    continue
                polling.add(asyncio.create_task(self.rt.pipeline.poll(queued.popleft())))
            if not polling:
                break
            done, polling = await asyncio.wait(polling, return_when=asyncio.FIRST_COMPLETED)
            results.extend(task.result() for task in done)
        return results

    def _alive(self, owner: str) -> bool:
        """Whether a lease holder lives: this runtime does without a look at /proc (each
        claim asks about every holder of a live lease, mostly ourselves)."""
        return owner == self.owner or is_alive(owner)

    async def _keep_leases(self) -> None:
        """Renew this run's feed leases every tick (`--once`; the daemon's tick does it)."""
        while True:
            await asyncio.sleep(self.tuning.tick.total_seconds())
            await self._renew()

    async def _renew(self) -> None:
        now = self.clock()
        try:
            await self.rt.store.submit(
                "", self.rt.store.renew_leases, self.owner, now, now + self.tuning.lease
            )
        except Exception:  # the next tick tries again; the lease outlives several ticks
            log.exception("leases.renew_failed")

    # ---- the daemon ---------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Tick until SIGTERM/SIGINT (or `stop`), then stop claiming and drain in-flight work."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        listener: asyncio.Task[None] | None = None
        # (--once delivers at the end of its cycle instead)
        self.rt.pipeline.on_alerts = self._wake_relay
        listener = loop.create_task(self.rt.store.listen_outbox(self._wake_relay))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig, stop)
        loop.add_signal_handler(signal.SIGHUP, self.request_reload, "SIGHUP")
        try:  # `monitor reload` requests made before this start are not ours
            self._reload_seen = self.rt.store.control_state("reload").requested_at
        except Exception:
            log.exception("reload.check_failed")
        self.spawn(self.backfill())
        scheduler = AsyncIOScheduler(timezone="UTC")
        # Due-ness lives in the database; the job only wakes us. A late tick still runs
        # (misfire_grace_time=None: APScheduler 3's default of 1 s silently drops late runs,
        # HAZARDS 5) and missed ticks collapse into one (coalesce).
        scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.tuning.tick.total_seconds(),
            next_run_time=self.clock(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            id="monitor-tick",
        )
        # Retention: a pass soon after start, then daily; it reads `retention` each time, so
        # a reload that sets or changes it takes effect at the next pass.
        scheduler.add_job(
            self._retention,
            "interval",
            seconds=self.tuning.retention_every.total_seconds(),
            next_run_time=self.clock() + self.tuning.retention_first,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            id="monitor-retention",
        )
        scheduler.start()
        # (at DEBUG: the CLI's start line, start_line(), is the one line that says we run)
        log.debug("daemon.started tick=%ss", self.tuning.tick.total_seconds())
        try:
            await stop.wait()
        finally:
            self._stopping = True
            # shutdown(wait=True) would cancel running coroutine jobs (HAZARDS 5): our work
            # lives in tasks we own, so stop the scheduler without waiting and drain ourselves.
            scheduler.shutdown(wait=False)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
            await self.drain()

    def _on_signal(self, sig: signal.Signals, stop: asyncio.Event) -> None:
        if self._stopping:
            return
        log.debug("daemon.stopping signal=%s inflight=%d", sig.name, len(self._inflight))
        deliveries = self._relaying or (self.relay is not None and self._polls > 0)
        waits = [f"{self._polls} poll{'s' if self._polls != 1 else ''}"] if self._polls else []
        if deliveries:
            waits.append("alert deliveries")
        self.say(
            f"monitor: stopping ({sig.name}); "
            + (
                f"waiting up to {self.tuning.drain_timeout:.0f}s for {' and '.join(waits)}"
                if waits
                else "nothing in flight"
            )
        )
        self._stopping = True
        stop.set()

    # ---- reload -------------------------------------------------------------------------
    def request_reload(self, source: str) -> None:
        """Re-read feeds.toml and the vocabulary (SIGHUP, `monitor reload`); a request that
        comes during a reload runs once it is done."""
        if self._stopping:
            return
        if self._reloading:
            self._reload_again = source
            return
        self._reloading = True
        self.spawn(self._reload(source))

    async def _reload(self, source: str) -> None:
        from monitor.reload import apply_reload

        try:
            while True:
                answer = await apply_reload(self, source)
                refreeze()
                try:
                    await self.rt.store.submit(
                        "", self.rt.store.answer_control, "reload", answer, self.clock()
                    )
                except Exception:  # the reload itself is done; only its answer is lost
                    log.exception("reload.unanswered")
                source, self._reload_again = self._reload_again or "", None
                if not source or self._stopping:
                    break
        finally:
            self._reloading = False

    def install_relay(self, relay: Relay) -> None:
        """The relay a reload made because the first channel appeared (closed at stop)."""
        self.relay = self._own_relay = relay

    def claim_now(self) -> None:
        """Claim due feeds now, not on the next tick (new feeds after a reload)."""
        if not (self._stopping or self._ticking):
            self._ticking = True
            self.spawn(self._claim_and_start())

    async def _check_reload(self) -> None:
        """A `monitor reload` newer than the last one acted on asks for a reload."""
        try:
            state = await asyncio.to_thread(self.rt.store.control_state, "reload")
        except Exception:  # the next tick looks again
            log.exception("reload.check_failed")
            return
        finally:
            self._checking = False
        requested = state.requested_at
        if requested is not None and (self._reload_seen is None or requested > self._reload_seen):
            self._reload_seen = requested
            self.request_reload("monitor reload")

    async def backfill(self) -> None:
        """Fill new or changed watches from stored articles (at start and after a reload);
        the daemon polls meanwhile."""
        from monitor.upkeep import backfill_pass

        await backfill_pass(self)

    async def _retention(self) -> None:
        """Scheduler job: start a retention pass as our own task (drained at stop)."""
        if not self._stopping:
            self.spawn(self.apply_retention())

    async def apply_retention(self) -> int:
        """Prune articles older than feeds.toml's `retention`; how many went."""
        from monitor.upkeep import retention_pass

        return await retention_pass(self)

    @property
    def stopping(self) -> bool:
        """A stop was asked for: long passes end between batches."""
        return self._stopping

    async def _tick(self) -> None:
        """Scheduler job: start the tick's work as our own task and return at once."""
        self.ticks += 1
        if self._stopping:
            return
        if not self._checking:
            self._checking = True
            self.spawn(self._check_reload())
        if self._ticking:
            return
        self._ticking = True
        self.spawn(self._claim_and_start())

    async def _claim_and_start(self) -> None:
        try:
            if self._polls:
                await self._renew()
            free = self.tuning.feed_concurrency - self._polls
            if free > 0 and not self._stopping:
                batch = await self.rt.store.submit(
                    "",
                    self.rt.store.claim_due_feeds,
                    self.clock(),
                    free,
                    self.tuning.lease,
                    owner=self.owner,
                    alive=self._alive,
                )
                self._more_due = len(batch) == free  # a short batch: nothing else is due
                for feed in batch:
                    self._polls += 1
                    self.spawn(self._poll(feed))
            if not self._relaying and not self._stopping:
                self._relaying = True
                self.spawn(self._relay_step())
        except Exception:  # the next tick tries again
            self._more_due = False
            log.exception("tick.failed")
        finally:
            self._ticking = False

    async def _poll(self, feed: ClaimedFeed) -> None:
        try:
            await self.rt.pipeline.poll(feed)
        finally:
            self._polls -= 1
            self._refill()

    def _refill(self) -> None:
        """Claim more due feeds once half the slots are free, without waiting for the tick
        (a backlog of due feeds would otherwise move one batch per tick); when the last
        claim found fewer than it asked for, the next tick looks again."""
        half = max(1, self.tuning.feed_concurrency // 2)
        if (
            self._stopping
            or self._ticking
            or not self._more_due
            or self.tuning.feed_concurrency - self._polls < half
        ):
            return
        self._ticking = True
        self.spawn(self._claim_and_start())

    def _wake_relay(self) -> None:
        if self.relay is not None and not self._stopping:
            self.relay.wake()

    async def _relay_step(self) -> None:
        try:
            await self._deliver()
        finally:
            self._relaying = False

    async def _deliver(self, *, until_idle: bool = False) -> int:
        relay = self.relay
        if relay is None:
            return 0
        try:
            if until_idle:
                return await relay.run_until_idle()
            return await relay.deliver_due()
        except Exception:  # a failing relay is retried on the next tick
            log.exception("relay.failed")
            return 0

    def spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def drain(self) -> None:
        """Wait for in-flight polls and deliveries; cancel what outlives the drain timeout."""
        deadline = time.monotonic() + self.tuning.drain_timeout
        while self._inflight:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.wait(set(self._inflight), timeout=left)
        if self._inflight:
            log.warning("daemon.drain_timeout cancelled=%d", len(self._inflight))
            for task in self._inflight:
                task.cancel()
            await asyncio.gather(*self._inflight, return_exceptions=True)
        # Polls cut off give their feeds back at once (due again: the next start polls them).
        released = await self.rt.store.submit("", self.rt.store.release_leases, self.owner)
        if released:
            log.info("daemon.released feeds=%d", released)
        if self.relay is not None:
            # Alerts written by the drained polls get their attempt, within the stop budget;
            # whatever is cut off stays in the outbox (its lease expires) for the next start.
            budget = max(1.0, deadline - time.monotonic() + 5.0)
            try:
                async with asyncio.timeout(budget):
                    await self._deliver()
            except TimeoutError:
                log.warning("daemon.delivery_cut_short")
            await self.relay.drain(budget=max(1.0, deadline - time.monotonic() + 5.0))
        if self._own_relay is not None:
            await self._own_relay.aclose()
        log.info("daemon.stopped")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else ('es' if noun.endswith('ch') else 's')}"


def _duration(seconds: float) -> str:
    """`4s`, `12m`, `3h 5m`."""
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60)}m"
