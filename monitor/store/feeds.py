"""Feeds and their health: config sync, claiming due feeds, recording polls."""

import functools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from monitor.errors import StoreError
from monitor.store.base import DriverSQL, StoreBase, table_of
from monitor.store.models import FeedRow
from monitor.types import ClaimedFeed, FeedHealth, FeedSpec, PollRecord

GONE = 410
HELD_BACK = ("retry-after", "backoff")  # reasons `run --once` respects unless --force
_FEEDS = table_of(FeedRow)
# record_poll's UPDATE runs on the driver's cursor (DriverSQL, one text per set of columns
# SET, see _record_sql): SQLAlchemy's execution and bind processing were half its cost.
# claim_due_feeds: what a ClaimedFeed needs (Core rows, no ORM unit of work) and the lease
_CLAIMED = (
    _FEEDS.c.id,
    _FEEDS.c.name,
    _FEEDS.c.url,
    _FEEDS.c.full_text,
    _FEEDS.c.interval_seconds,
    _FEEDS.c.etag,
    _FEEDS.c.last_modified,
    _FEEDS.c.consecutive_errors,
    _FEEDS.c.last_status,
    _FEEDS.c.auto_interval,
    _FEEDS.c.max_interval_seconds,
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.cache
def _claim_statement(postgresql: bool, cycle: bool, force: bool, dead: bool) -> Any:
    """claim_due_feeds as ONE statement, built once per variant (so compiled once): UPDATE
    the lease of the feeds a subquery picks (oldest due first, LIMIT; on PostgreSQL FOR
    UPDATE SKIP LOCKED) RETURNING what a ClaimedFeed needs. No expanding IN list of ids to
    render on every claim, no second statement."""
    feeds = _FEEDS.c
    now = sa.bindparam("now", type_=feeds.next_poll.type)
    free = sa.or_(feeds.leased_until.is_(None), feeds.leased_until <= now)
    if dead:
        free = sa.or_(free, feeds.lease_owner.in_(sa.bindparam("dead", expanding=True)))
    pick = sa.select(feeds.id).where(feeds.enabled.is_(True), free)
    due = sa.or_(feeds.next_poll.is_(None), feeds.next_poll <= now)
    if not cycle:
        pick = pick.where(due)
    else:
        before = sa.bindparam("cycle", type_=feeds.last_polled.type)
        pick = pick.where(sa.or_(feeds.last_polled.is_(None), feeds.last_polled < before))
        if not force:
            reason = feeds.next_poll_reason
            pick = pick.where(
                sa.or_(due, reason.is_(None), sa.and_(*(reason != held for held in HELD_BACK)))
            )
    pick = pick.order_by(feeds.next_poll, feeds.id).limit(sa.bindparam("limit", type_=sa.Integer))
    if postgresql:
        pick = pick.with_for_update(skip_locked=True)
    return (
        sa.update(_FEEDS)
        .where(feeds.id.in_(pick.scalar_subquery()))
        .values(
            leased_until=sa.bindparam("until", type_=feeds.leased_until.type),
            lease_owner=sa.bindparam("owner", type_=feeds.lease_owner.type),
        )
        .returning(*_CLAIMED, feeds.next_poll)
    )


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
                    row.lease_owner, row.next_poll_reason = None, "disabled"
            for spec in specs:
                known = rows.get(spec.name)
                if known is None:
                    s.add(
                        FeedRow(
                            name=spec.name,
                            url=spec.url,
                            config_url=spec.url,
                            enabled=spec.enabled,
                            in_config=True,
                            full_text=spec.full_text,
                            interval_seconds=int(spec.interval.total_seconds()),
                            auto_interval=spec.auto,
                            max_interval_seconds=_bound(spec),
                            next_poll=now,
                            next_poll_reason="interval" if spec.enabled else "disabled",
                            created_at=now,
                        )
                    )
                else:
                    _apply_spec(known, spec, now)

    def claim_due_feeds(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        polled_before: datetime | None = None,
        owner: str | None = None,
        alive: Callable[[str], bool] | None = None,
        force: bool = False,
    ) -> list[ClaimedFeed]:
        """Lease up to `limit` enabled feeds that are due, oldest due first, to `owner`.

        With `polled_before` (a cycle's start, `monitor run --once`) the schedule is ignored:
        every enabled feed not polled since then is taken, except one whose server asked for
        a pause (Retry-After) or that is backing off from errors, unless `force`. A leased
        feed is invisible to others until it is recorded, released or the lease ends, or
        `alive(owner)` says its holder is gone. PostgreSQL skips rows another transaction is
        claiming, SQLite serialises the claim (BEGIN IMMEDIATE).
        """
        if limit <= 0:
            return []
        with self.db.transaction() as conn:
            dead = self._dead_owners(conn, now, alive)
            statement = _claim_statement(
                self.db.dialect == "postgresql", polled_before is not None, force, bool(dead)
            )
            values: dict[str, Any] = {
                "now": now,
                "limit": limit,
                "until": now + lease,
                "owner": owner,
                "cycle": polled_before,
            }
            if dead:
                values["dead"] = dead
            rows = conn.execute(statement, values).all()
        # RETURNING gives no order: oldest due first, as ORDER BY sorts (NULL first on
        # SQLite, last on PostgreSQL)
        nulls_last = self.db.dialect == "postgresql"
        return [
            _claimed(row)
            for row in sorted(
                rows,
                key=lambda r: ((r.next_poll is None) == nulls_last, r.next_poll or _EPOCH, r.id),
            )
        ]

    @staticmethod
    def _dead_owners(
        conn: sa.Connection, now: datetime, alive: Callable[[str], bool] | None
    ) -> list[str]:
        """Holders of live leases that `alive` says are gone."""
        if alive is None:
            return []
        feeds = _FEEDS.c
        owners = conn.execute(
            sa.select(feeds.lease_owner)
            .where(feeds.leased_until > now, feeds.lease_owner.is_not(None))
            .distinct()
        ).scalars()
        return [o for o in owners if o is not None and not alive(o)]

    def held_back_feeds(self, now: datetime) -> list[str]:
        """Enabled feeds whose Retry-After or error backoff runs past `now` (`run --once`
        leaves them alone unless --force)."""
        with self.db.read() as s:
            return list(
                s.exec(
                    select(FeedRow.name)
                    .where(
                        col(FeedRow.enabled).is_(True),
                        col(FeedRow.next_poll) > now,
                        col(FeedRow.next_poll_reason).in_(HELD_BACK),
                    )
                    .order_by(col(FeedRow.name))
                )
            )

    def renew_leases(self, owner: str, now: datetime, until: datetime) -> int:
        """Extend `owner`'s live feed leases to `until` (its polls are still running), so a
        short lease only lapses when its holder stops renewing it. Returns how many."""
        feeds = _FEEDS.c
        stmt = (
            sa.update(_FEEDS)
            .where(feeds.lease_owner == owner, feeds.leased_until > now)
            .values(leased_until=until)
        )
        with self.db.write() as s:
            return int(s.connection().execute(stmt).rowcount or 0)

    def release_leases(self, owner: str, names: Sequence[str] | None = None) -> int:
        """Give up `owner`'s feed leases (all, or those of `names`): polls it will not
        finish (cancelled, drained) are due again at once for anyone. Returns how many."""
        feeds = _FEEDS.c
        stmt = (
            sa.update(_FEEDS)
            .where(feeds.lease_owner == owner)
            .values(leased_until=None, lease_owner=None)
        )
        if names is not None:
            stmt = stmt.where(feeds.name.in_(list(names)))
        with self.db.write() as s:
            return int(s.connection().execute(stmt).rowcount or 0)

    def record_poll(self, name: str, poll: PollRecord, now: datetime) -> None:
        """Store one poll's outcome as the feed's health and release its lease: one UPDATE
        (a Core statement built once, on a Core connection: this runs once per poll)."""
        with self.db.transaction() as conn:
            _record(conn, name, poll, now)

    def record_polls(
        self, polls: Sequence[tuple[str, PollRecord, datetime]]
    ) -> list[StoreError | None]:
        """`record_poll` for several feeds in ONE transaction (one BEGIN and COMMIT, one trip
        to the writer for the polls that ended meanwhile); each poll's outcome in order:
        None when recorded, else its error. When the shared transaction fails (an unknown
        feed among them, ...), each poll is recorded in a transaction of its own, so one bad
        record never loses the others."""
        if len(polls) > 1 and len({name for name, _, _ in polls}) == len(polls):
            try:
                with self.db.transaction() as conn:
                    _record_many(conn, polls)
                return [None] * len(polls)
            except (_Unknown, StoreError):
                pass
        return [self._record_alone(*poll) for poll in polls]

    def _record_alone(self, name: str, poll: PollRecord, now: datetime) -> StoreError | None:
        try:
            self.record_poll(name, poll, now)
        except StoreError as exc:
            return exc
        return None

    def feed_health(self) -> list[FeedHealth]:
        """Every configured feed's health, by name."""
        with self.db.read() as s:
            rows = s.exec(
                select(FeedRow).where(col(FeedRow.in_config).is_(True)).order_by(col(FeedRow.name))
            ).all()
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
        row.next_poll, row.next_poll_reason = now, "interval"
    elif row.next_poll is not None and (
        interval < row.interval_seconds
        or spec.auto != row.auto_interval
        or (not spec.auto and row.next_poll_reason in (None, "interval"))
    ):
        # A shorter interval applies now; and a fixed interval is a promise, also to a feed
        # an older release (or `auto`) had scheduled further out.
        row.next_poll = min(row.next_poll, now + spec.interval)
    row.in_config, row.full_text, row.interval_seconds = True, spec.full_text, interval
    row.auto_interval, row.max_interval_seconds = spec.auto, _bound(spec)
    if not row.enabled:
        row.leased_until, row.lease_owner, row.next_poll_reason = None, None, "disabled"
    elif row.next_poll_reason == "disabled":
        row.next_poll_reason = "interval"


def _record_values(name: str, poll: PollRecord, now: datetime) -> dict[str, Any]:
    """The columns one poll's outcome sets (its keys pick the compiled form of the UPDATE)."""
    values: dict[str, Any] = {
        "b_name": name,
        "last_polled": now,
        "leased_until": None,
        "lease_owner": None,
        "last_status": poll.status,
        "next_poll": poll.next_poll,
        "next_poll_reason": "disabled" if poll.gone else poll.reason,
    }
    if poll.ok:
        values.update(consecutive_errors=0, last_success=now, last_error=None)
        if poll.status != 304 or poll.etag is not None:
            values["etag"] = _clip(poll.etag, 500)
        if poll.status != 304 or poll.last_modified is not None:
            values["last_modified"] = _clip(poll.last_modified, 200)
    else:
        values["last_error"] = poll.error or f"HTTP {poll.status}"
    if poll.new_url:
        values["url"] = poll.new_url
    if poll.gone:
        values["enabled"] = False
    return values


@functools.cache
def _record_sql(ok: bool, columns: tuple[str, ...]) -> DriverSQL:
    """The UPDATE of a poll record setting `columns` (the keys of _record_values, `b_name`
    the feed's name); a failed poll also counts one more consecutive error."""
    sets = [f'"{_FEEDS.c[c].name}" = :{c}' for c in columns if c != "b_name"]
    if not ok:
        sets.append('"consecutive_errors" = "consecutive_errors" + 1')
    return DriverSQL(f'UPDATE "{_FEEDS.name}" SET {", ".join(sets)} WHERE "name" = :b_name')  # noqa: S608 (the schema's own column names, checked by _FEEDS.c)


def _record(conn: sa.Connection, name: str, poll: PollRecord, now: datetime) -> None:
    """One poll's UPDATE on `conn`; StoreError when no feed has that name."""
    values = _record_values(name, poll, now)
    if _record_sql(poll.ok, tuple(values)).many(conn, [values]) == 0:
        raise StoreError(f"unknown feed {name!r}")


class _Unknown(Exception):
    """An executemany of poll records changed fewer rows than it had records."""


def _record_many(conn: sa.Connection, polls: Sequence[tuple[str, PollRecord, datetime]]) -> None:
    """Every poll's UPDATE on `conn`, one executemany per compiled form (records setting the
    same columns); _Unknown when a name matched no feed (the caller rolls back)."""
    groups: dict[tuple[bool, tuple[str, ...]], list[dict[str, Any]]] = {}
    for name, poll, now in polls:
        values = _record_values(name, poll, now)
        groups.setdefault((poll.ok, tuple(values)), []).append(values)
    for (ok, columns), rows in groups.items():
        if _record_sql(ok, columns).many(conn, rows) != len(rows):
            raise _Unknown


def _bound(spec: FeedSpec) -> int | None:
    return int(spec.max_interval.total_seconds()) if spec.auto else None


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None else None


def _claimed(row: Any) -> ClaimedFeed:
    return ClaimedFeed(
        name=row.name,
        url=row.url,
        full_text=row.full_text,
        interval=timedelta(seconds=row.interval_seconds),
        etag=row.etag,
        last_modified=row.last_modified,
        consecutive_errors=row.consecutive_errors,
        last_status=row.last_status,
        auto=row.auto_interval,
        max_interval=timedelta(seconds=row.max_interval_seconds or 6 * 3600),
    )


def _health(row: FeedRow) -> FeedHealth:
    return FeedHealth(
        name=row.name,
        url=row.url,
        enabled=row.enabled,
        last_status=row.last_status,
        last_error=row.last_error,
        consecutive_errors=row.consecutive_errors,
        last_success=row.last_success,
        next_poll=row.next_poll,
        etag=row.etag,
        last_modified=row.last_modified,
        interval=timedelta(seconds=row.interval_seconds),
        next_poll_reason="disabled" if not row.enabled else row.next_poll_reason,
        auto=row.auto_interval,
        max_interval=(
            timedelta(seconds=row.max_interval_seconds)
            if row.max_interval_seconds is not None
            else None
        ),
    )
