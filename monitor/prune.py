"""Orders retention: old articles pruned batch by batch (`monitor prune`, the daemon daily)."""

from collections.abc import Callable
from datetime import datetime

from monitor.store import Store
from monitor.store.prune import PruneCounts

BATCH = 500  # articles per write transaction: short enough beside a running daemon


def prune(
    store: Store,
    before: datetime,
    *,
    batch: int = BATCH,
    progress: Callable[[PruneCounts], None] | None = None,
) -> PruneCounts:
    """Delete every article stored before `before` that has no alert still to deliver,
    `batch` per transaction; `progress` gets each batch's counts. Returns the totals."""
    total = PruneCounts()
    while True:
        counts = store.prune_batch(before, limit=batch)
        if not counts.articles:
            return total
        total += counts
        if progress is not None:
            progress(counts)
