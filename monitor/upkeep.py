"""The daemon's upkeep passes: backfilling new watches and applying retention."""

import asyncio
import logging
from typing import TYPE_CHECKING

from monitor.backfill import backfill_watches
from monitor.store.prune import PruneCounts

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger(__name__)


async def backfill_pass(daemon: "Daemon") -> None:
    """Fill new or changed watches from stored articles, off the event loop; one line each."""
    try:
        done = await asyncio.to_thread(
            backfill_watches, daemon.rt.store, daemon.rt.pipeline.watches, now=daemon.clock()
        )
    except Exception:  # the watches still match what comes; the next start tries again
        log.exception("backfill.failed")
        return
    for item in done:
        counts = item.counts
        if counts.added or counts.removed:
            daemon.say(
                f"monitor: watch {item.watch}: {_count(counts.added, 'match')} from "
                "stored articles"
                + (f", {counts.removed} removed" if counts.removed else "")
                + (f", {_count(counts.alerts, 'alert')} queued" if counts.alerts else "")
            )


async def retention_pass(daemon: "Daemon") -> int:
    """Prune articles older than feeds.toml's `retention`, a batch per write (between the
    polls' writes); returns how many went. Stops between batches when the daemon stops."""
    keep = daemon.prepared.config.retention
    if keep is None:
        return 0
    before, total = daemon.clock() - keep, PruneCounts()
    try:
        while not daemon.stopping:
            counts = await daemon.rt.store.submit("", daemon.rt.store.prune_batch, before)
            if not counts.articles:
                break
            total += counts
    except Exception:  # the next pass tries again; nothing half-deleted (one transaction)
        log.exception("retention.failed")
    if total.articles:
        log.info(
            "retention.pruned articles=%d matches=%d alerts=%d before=%s",
            total.articles,
            total.matches,
            total.alerts,
            before.isoformat(),
        )
    return total.articles


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else ('es' if noun.endswith('ch') else 's')}"
