"""Orders watches seeing the past: a new or changed watch filled from stored articles, and
`monitor watches test` (a query tried on stored articles, nothing written)."""

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from monitor.alerts.payload import build_payload
from monitor.match.query import Query, TextTerm
from monitor.match.watches import CompiledWatch, satisfied_watches
from monitor.store import Store
from monitor.store.backfill import FillCounts, StoredDoc
from monitor.types import NewArticle, WatchSpec

log = logging.getLogger(__name__)
BATCH = 500  # articles per read and per write transaction
KEY = "backfill"  # its writes' turn on the store's writer (SQLite), beside the feeds'


def definition(spec: WatchSpec) -> str:
    """A hash of what decides a watch's matches (its query, whitespace folded): a change
    of it makes the watch new again; notify, digest and backfill settings do not."""
    query = " ".join((spec.query or "").split())
    return hashlib.sha256(f"query={query}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Backfilled:
    """One watch filled from stored articles."""

    watch: str
    changed: bool  # the watch existed with another definition (its window's matches redone)
    counts: FillCounts


def backfill_watches(
    store: Store, watches: Sequence[CompiledWatch], *, now: datetime, batch: int = BATCH
) -> list[Backfilled]:
    """Fill each new or changed watch's matches from the articles of its backfill window
    (stored at or after now - backfill), alerting only with backfill_alerts, and record its
    definition. A changed watch also loses its matches in the window it no longer takes.
    Watches no longer configured are forgotten: one added back is new again."""
    known = store.watch_definitions()
    if known.keys() - {w.spec.name for w in watches}:
        store.write_now(KEY, store.forget_watch_definitions, [w.spec.name for w in watches])
    due = [w for w in watches if known.get(w.spec.name) != definition(w.spec)]
    if not due:
        return []
    last_id = store.newest_article_id()  # articles stored later met these watches in the daemon
    done = []
    for watch in due:
        counts = FillCounts()
        changed = watch.spec.name in known
        if watch.spec.backfill is not None and last_id:
            counts = _fill(store, watch, now - watch.spec.backfill, last_id, changed, now, batch)
        store.write_now(
            KEY, store.record_watch_definition, watch.spec.name, definition(watch.spec), now
        )
        log.info(
            "watch.backfilled watch=%s changed=%s added=%d removed=%d alerts=%d",
            watch.spec.name,
            changed,
            counts.added,
            counts.removed,
            counts.alerts,
        )
        done.append(Backfilled(watch.spec.name, changed, counts))
    return done


def _fill(
    store: Store,
    watch: CompiledWatch,
    since: datetime,
    last_id: int,
    changed: bool,
    now: datetime,
    batch: int,
) -> FillCounts:
    spec = watch.spec
    added = removed = alerts = 0
    for docs in stored_batches(store, since=since, last_id=last_id, batch=batch):
        matched = [d for d in docs if satisfies(watch, d)]
        unmatched = [d.id for d in docs if d not in matched] if changed else []
        payloads: dict[str, dict[int, Any]] | None = None
        if spec.backfill_alerts and spec.notify:
            each = {
                d.id: build_payload(watch=spec.name, article=_as_article(d), tags=d.tags, now=now)
                for d in matched
            }
            payloads = {channel: each for channel in spec.notify}
        counts = store.write_now(
            KEY, store.fill_matches, spec.name, matched, unmatched, alerts=payloads, now=now
        )
        added, removed, alerts = (
            added + counts.added,
            removed + counts.removed,
            alerts + counts.alerts,
        )
    return FillCounts(added, removed, alerts)


def stored_batches(
    store: Store,
    *,
    since: datetime,
    until: datetime | None = None,
    last_id: int | None = None,
    batch: int = BATCH,
) -> Iterator[list[StoredDoc]]:
    """Stored articles of a window in id order, `batch` at a time."""
    after = 0
    while True:
        docs = store.stored_docs(
            since=since, until=until, after=after, last_id=last_id, limit=batch
        )
        if not docs:
            return
        yield docs
        after = docs[-1].id


def satisfies(watch: CompiledWatch, doc: StoredDoc) -> bool:
    """Whether a stored article satisfies a watch, by the daemon's rule on its stored tags."""
    return bool(satisfied_watches([watch], doc.tags, feed=doc.feed, title=doc.title, text=doc.text))


def _as_article(doc: StoredDoc) -> NewArticle:
    """What the alert payload reads of an article (url, title, published, feed)."""
    return NewArticle(
        feed=doc.feed,
        guid="",
        url=doc.url,
        canonical_url=doc.url,
        title=doc.title,
        author=None,
        published=doc.published,
        language=None,
        text="",
        fingerprint="",
        tags=doc.tags,
    )


# ---- `monitor watches test` -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TrialHit:
    """One article a query would have matched, with the evidence for it."""

    doc: StoredDoc
    evidence: tuple[tuple[str, str], ...]  # (tag id or the word, sentence)


@dataclass(slots=True)
class Trial:
    """What a query would have matched: articles examined, matches per day stored, newest."""

    examined: int = 0
    matched: int = 0
    per_day: Counter[date] = field(default_factory=Counter)
    newest: list[TrialHit] = field(default_factory=list)


def try_query(
    store: Store,
    query: Query,
    *,
    since: datetime,
    until: datetime | None = None,
    newest: int = 10,
    progress: Callable[[int], None] | None = None,
) -> Trial:
    """Evaluate `query` on the articles stored in [since, until): counts per day stored and
    the `newest` matches with evidence. Reads only."""
    watch = CompiledWatch(WatchSpec("(test)", query.source), query)
    result = Trial()
    for docs in stored_batches(store, since=since, until=until):
        result.examined += len(docs)
        for doc in docs:
            if satisfies(watch, doc):
                result.matched += 1
                result.per_day[doc.stored_at.date()] += 1
                result.newest.append(TrialHit(doc, evidence_for(query, doc)))
        result.newest = sorted(
            result.newest, key=lambda h: (h.doc.stored_at, h.doc.id), reverse=True
        )[:newest]
        if progress is not None:
            progress(len(docs))
    return result


def evidence_for(query: Query, doc: StoredDoc) -> tuple[tuple[str, str], ...]:
    """The stored evidence of the tags the query names (those the article has), else the
    first sentence holding one of the query's words."""
    named = query.referenced_ids()
    found = tuple((t.id, t.evidence.text) for t in doc.tags if t.id in named and t.evidence.text)
    if found:
        return found
    words = _query_words(query)
    for sentence in _sentences(f"{doc.title or ''}\n{doc.text}"):
        lowered = sentence.lower()
        for word in words:
            if word in lowered:
                return ((word, sentence),)
    return ()


def _query_words(query: Query) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, TextTerm):
            out.append(" ".join(node.words))
            return
        for name in ("children", "child", "left", "right"):
            value = getattr(node, name, None)
            if isinstance(value, tuple):
                for child in value:
                    walk(child)
            elif value is not None:
                walk(value)

    walk(query.root)
    return [w for w in out if w]


def _sentences(text: str) -> Iterator[str]:
    import re

    for part in re.split(r"(?<=[.!?])\s+|\n+", text):
        if part.strip():
            yield part.strip()[:300]
