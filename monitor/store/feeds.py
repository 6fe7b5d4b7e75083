"""Feeds and their health: config sync, claiming due feeds, recording polls."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from monitor.errors import StoreError
from monitor.store.base import StoreBase, table_of
from monitor.store.models import FeedRow
from monitor.types import FeedHealth, FeedSpec


@dataclass(frozen=True, slots=True)
class ClaimedFeed:
    """A feed leased to this process for one poll: everything the pipeline needs to fetch it."""

    name: str
    url: str
    full_text: bool
    interval: timedelta
    etag: str | None
    last_modified: str | None
    consecutive_errors: int
    last_status: int | None


@dataclass(frozen=True, slots=True)
class PollRecord:
    """The outcome of one poll as the feed's health stores it.

    `ok` resets the error count and stamps last_success; otherwise the count grows by one.
    `etag`/`last_modified` replace the stored validators on a 200 and on a 304 that sends new
    ones; errors keep them. `new_url` is a permanent redirect's target; `gone` disables the feed.
    """

    ok: bool
    next_poll: datetime
    status: int | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    new_url: str | None = None
    gone: bool = False


GONE = 410
_FEEDS = table_of(FeedRow)


class FeedStore(StoreBase):
    """Use-case methods; see the module docstring."""

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Upsert feeds.toml's feeds by name; rows no longer configured are disabled, kept."""
        by_name = {s.name: s for s in specs}
        with self.db.write() as s:
            rows = {r.name: r for r in s.exec(select(FeedRow)).all()}
            for name, row in rows.items():
                if name not in by_name:
                    row.enabled, row.in_config, row.leased_until = False, False, None
            for spec in specs:
                known = rows.get(spec.name)
                if known is None:
                    s.add(FeedRow(
                        name=spec.name, url=spec.url, config_url=spec.url,
                        enabled=spec.enabled, in_config=True,
                        full_text=spec.full_text,
                        interval_seconds=int(spec.interval.total_seconds()),
                        next_poll=now, created_at=now))
                else:
                    _apply_spec(known, spec, now)

    def claim_due_feeds(
        self, now: datetime, limit: int, lease: timedelta, *,
        polled_before: datetime | None = None,
    ) -> list[ClaimedFeed]:
        """Lease up to `limit` enabled feeds that are due, oldest due first.

        With `polled_before` (a cycle's start, `monitor run --once`) the schedule is ignored:
        every enabled feed not polled since then is taken. A leased feed is invisible to other
        daemons until it is recorded or the lease ends; PostgreSQL skips rows another
        transaction is claiming, SQLite serialises the claim (BEGIN IMMEDIATE).
        """
        if limit <= 0:
            return []
        query = select(FeedRow).where(
            col(FeedRow.enabled).is_(True),
            sa.or_(col(FeedRow.leased_until).is_(None), col(FeedRow.leased_until) <= now))
        if polled_before is None:
            query = query.where(
                sa.or_(col(FeedRow.next_poll).is_(None), col(FeedRow.next_poll) <= now))
        else:
            query = query.where(sa.or_(col(FeedRow.last_polled).is_(None),
                                       col(FeedRow.last_polled) < polled_before))
        query = query.order_by(col(FeedRow.next_poll), col(FeedRow.id)).limit(limit)
        if self.db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        with self.db.write() as s:
            rows = s.exec(query).all()
            for row in rows:
                row.leased_until = now + lease
            return [_claimed(row) for row in rows]

    def record_poll(self, name: str, poll: PollRecord, now: datetime) -> None:
        """Store one poll's outcome as the feed's health and release its lease: one UPDATE
        (a Core statement, not a unit of work: this runs once per poll)."""
        feeds = _FEEDS.c
        values: dict[str, Any] = {"last_polled": now, "leased_until": None,
                                  "last_status": poll.status, "next_poll": poll.next_poll}
        if poll.ok:
            values.update(consecutive_errors=0, last_success=now, last_error=None)
            if poll.status != 304 or poll.etag is not None:
                values["etag"] = _clip(poll.etag, 500)
            if poll.status != 304 or poll.last_modified is not None:
                values["last_modified"] = _clip(poll.last_modified, 200)
        else:
            values["consecutive_errors"] = feeds.consecutive_errors + 1
            values["last_error"] = poll.error or f"HTTP {poll.status}"
        if poll.new_url:
            values["url"] = poll.new_url
        if poll.gone:
            values["enabled"] = False
        with self.db.write() as s:
            done = s.connection().execute(
                sa.update(_FEEDS).where(feeds.name == name).values(values))
            if done.rowcount == 0:
                raise StoreError(f"unknown feed {name!r}")

    def feed_health(self) -> list[FeedHealth]:
        """Every configured feed's health, by name."""
        with self.db.read() as s:
            rows = s.exec(select(FeedRow).where(col(FeedRow.in_config).is_(True))
                          .order_by(col(FeedRow.name))).all()
            return [_health(row) for row in rows]


def _apply_spec(row: FeedRow, spec: FeedSpec, now: datetime) -> None:
    """Bring a stored feed in line with its spec, keeping its health and schedule."""
    interval = int(spec.interval.total_seconds())
    # Compared with the configured address, not the current one: a feed a 301 moved keeps its
    # new address until feeds.toml itself names another.
    if row.config_url != spec.url:  # a new address: start afresh there
        row.url, row.config_url, row.etag, row.last_modified = spec.url, spec.url, None, None
        row.consecutive_errors, row.last_error, row.last_status = 0, None, None
        row.next_poll = now
    was_enabled = row.enabled
    # A feed disabled by a 410 stays off until its URL changes in feeds.toml.
    row.enabled = spec.enabled and row.last_status != GONE
    if row.enabled and (not was_enabled or row.next_poll is None):
        row.next_poll = now
    elif row.next_poll is not None and interval < row.interval_seconds:
        row.next_poll = min(row.next_poll, now + spec.interval)
    row.in_config, row.full_text, row.interval_seconds = True, spec.full_text, interval
    if not row.enabled:
        row.leased_until = None


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None else None


def _claimed(row: FeedRow) -> ClaimedFeed:
    return ClaimedFeed(
        name=row.name, url=row.url, full_text=row.full_text,
        interval=timedelta(seconds=row.interval_seconds), etag=row.etag,
        last_modified=row.last_modified, consecutive_errors=row.consecutive_errors,
        last_status=row.last_status)


def _health(row: FeedRow) -> FeedHealth:
    return FeedHealth(
        name=row.name, url=row.url, enabled=row.enabled, last_status=row.last_status,
        last_error=row.last_error, consecutive_errors=row.consecutive_errors,
        last_success=row.last_success, next_poll=row.next_poll, etag=row.etag,
        last_modified=row.last_modified, interval=timedelta(seconds=row.interval_seconds))
