"""The alert outbox: claiming rows with a lease, recording attempts, listing and replaying."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from monitor.store.base import StoreBase, table_of
from monitor.store.models import ArticleRow, ChannelRow, DigestPeriodRow, OutboxRow
from monitor.types import Alert

OPEN_STATES = ("pending", "failed")  # rows the relay still delivers
LISTED_STATES = ("pending", "failed", "dead")  # what `monitor alerts` shows by default


_OUTBOX = table_of(OutboxRow)
_CHANNELS = table_of(ChannelRow)
_ARTICLES = table_of(ArticleRow)
_PERIODS = table_of(DigestPeriodRow)


class DigestDue(Protocol):
    """A digest schedule (monitor.alerts.schedule): is a period begun at `since` due?"""

    def due(self, since: datetime, now: datetime) -> bool:
        """True when the digest is due at `now`."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelState:
    """A channel's stored state: disabled by a 410, when its last digest went out, and its
    latest delivery outcomes."""

    name: str
    enabled: bool
    disabled_reason: str | None
    last_digest_at: datetime | None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryStats:
    """Delivery metrics of one channel, from the outbox rows (see README, Alerts)."""

    channel: str
    pending: int
    failed: int
    dead: int
    delivered: int
    attempts: int  # delivery attempts started, including ones in flight
    failures: int  # attempts that did not deliver (attempts - delivered - in flight)
    latency_count: int  # delivered alerts with a measured latency
    latency_sum: float  # seconds from article stored to alert delivered, summed
    latency_p50: float | None
    latency_p95: float | None
    latency_max: float | None


def _alert(row: Any) -> Alert:
    m = row._mapping
    return Alert(
        id=int(m["id"]),
        channel=m["channel"],
        watch=m["watch"],
        article_id=int(m["article_id"]),
        payload=json.loads(m["payload"]),
        state=m["state"],
        attempts=int(m["attempts"]),
        next_attempt=m["next_attempt_at"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        delivered_at=m["delivered_at"],
    )


class OutboxStore(StoreBase):
    """Use-case methods; see the module docstring."""

    # ---- claiming -----------------------------------------------------------------------
    def claim_alerts(
        self,
        now: datetime,
        owner: str,
        lease: timedelta,
        limit: int,
        channels: Sequence[str] | None = None,
        *,
        except_watches: Sequence[str] = (),
    ) -> list[Alert]:
        """Lease up to `limit` due rows of enabled channels to `owner`, counting an attempt.

        PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent relays take disjoint rows;
        SQLite: the IMMEDIATE write transaction serialises claimers. A leased row is not
        claimed again until its lease runs out (the holder crashed or hung). Rows of
        `except_watches` (watches with their own digest) are left for claim_digest.
        """
        if not self._any_due(now, channels, None, except_watches):  # most ticks: no lock
            return []
        with self.db.write() as s:
            return self._claim(s, now, owner, lease, limit, channels, None, except_watches)

    def next_due(
        self, channel: str, now: datetime, *, except_watches: Sequence[str] = ()
    ) -> datetime | None:
        """When the channel's earliest open row not leased at `now` is due (its retry or its
        first attempt); None when it has none or the channel is disabled."""
        o = _OUTBOX.c
        disabled = sa.select(_CHANNELS.c.name).where(
            _CHANNELS.c.name == channel, _CHANNELS.c.enabled == sa.false()
        )
        query = _by_watch(
            sa.select(sa.func.min(o.next_attempt_at)).where(
                o.channel == channel,
                o.state.in_(OPEN_STATES),
                ~sa.exists(disabled),
                sa.or_(o.leased_until.is_(None), o.leased_until <= now),
            ),
            None,
            except_watches,
        )
        with self.db.read() as s:
            when = s.execute(query).scalar()
        if when is None:
            return None
        if isinstance(when, str):  # SQLite's aggregate loses the column's type
            when = datetime.fromisoformat(when)
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    def _any_due(
        self,
        now: datetime,
        channels: Sequence[str] | None,
        watch: str | None = None,
        except_watches: Sequence[str] = (),
    ) -> bool:
        o = _OUTBOX.c
        query = _by_watch(
            sa.select(o.id)
            .where(
                o.state.in_(OPEN_STATES),
                o.next_attempt_at <= now,
                sa.or_(o.leased_until.is_(None), o.leased_until <= now),
            )
            .limit(1),
            watch,
            except_watches,
        )
        if channels is not None:
            query = query.where(o.channel.in_(list(channels)))
        with self.db.read() as s:
            return s.execute(query).first() is not None

    def _claim(
        self,
        s: Session,
        now: datetime,
        owner: str,
        lease: timedelta,
        limit: int,
        channels: Sequence[str] | None,
        watch: str | None = None,
        except_watches: Sequence[str] = (),
    ) -> list[Alert]:
        o = _OUTBOX.c
        disabled = sa.select(_CHANNELS.c.name).where(_CHANNELS.c.enabled == sa.false())
        query = (
            sa.select(o.id)
            .where(
                o.state.in_(OPEN_STATES),
                o.next_attempt_at <= now,
                sa.or_(o.leased_until.is_(None), o.leased_until <= now),
                o.channel.not_in(disabled),
            )
            .order_by(o.next_attempt_at, o.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=_OUTBOX)
        )
        if channels is not None:
            query = query.where(o.channel.in_(list(channels)))
        ids = list(s.execute(_by_watch(query, watch, except_watches)).scalars())
        if not ids:
            return []
        rows = s.execute(
            sa.update(_OUTBOX)
            .where(o.id.in_(ids))
            .values(leased_until=now + lease, lease_owner=owner, attempts=o.attempts + 1)
            .returning(*_OUTBOX.c)
        ).all()
        return sorted((_alert(r) for r in rows), key=lambda a: (a.next_attempt or now, a.id))

    def claim_digest(
        self,
        channel: str,
        every: "timedelta | DigestDue",
        now: datetime,
        owner: str,
        lease: timedelta,
        limit: int = 500,
        *,
        watch: str | None = None,
    ) -> list[Alert]:
        """The period's due rows of a digest channel, leased, once `every` has passed (or
        `every.due(start, now)` holds: a wall-clock schedule). With `watch`, that watch's
        rows only, on the watch's own period (a watch with its own digest schedule).

        The period starts at the last digest, or (before the first one) at the oldest open
        row; the channel row is locked so two relays do not both send it.
        """
        if not self._any_due(now, [channel], watch):
            return []
        with self.db.write() as s:
            self._ensure_channel(s, channel, now)
            state = s.execute(
                sa.select(_CHANNELS.c.enabled, _CHANNELS.c.last_digest_at)
                .where(_CHANNELS.c.name == channel)
                .with_for_update()
            ).one()
            if not state.enabled:
                return []
            last = state.last_digest_at if watch is None else self._watch_period(s, channel, watch)
            start = (
                last
                or s.execute(
                    _by_watch(
                        sa.select(sa.func.min(_OUTBOX.c.created_at)).where(
                            _OUTBOX.c.channel == channel, _OUTBOX.c.state.in_(OPEN_STATES)
                        ),
                        watch,
                        (),
                    )
                ).scalar_one_or_none()
            )
            if start is None:
                return []
            start = _aware(start)
            due = (start + every <= now) if isinstance(every, timedelta) else every.due(start, now)
            if not due:
                return []
            return self._claim(s, now, owner, lease, limit, [channel], watch)

    def _watch_period(self, s: Session, channel: str, watch: str) -> datetime | None:
        return cast(
            datetime | None,
            s.execute(
                sa.select(_PERIODS.c.last_digest_at).where(
                    _PERIODS.c.channel == channel, _PERIODS.c.watch == watch
                )
            ).scalar_one_or_none(),
        )

    # ---- outcomes -----------------------------------------------------------------------
    def mark_delivered(self, alert_id: int, now: datetime) -> None:
        """The alert reached its channel (which notes its latest success)."""
        self._set(alert_id, None, now, state="delivered", delivered_at=now, last_error=None)

    def mark_digest_delivered(
        self, channel: str, alert_ids: Sequence[int], now: datetime, *, watch: str | None = None
    ) -> None:
        """A digest carrying `alert_ids` went out: its rows are delivered, its period (the
        channel's, or with `watch` that watch's on the channel) closes."""
        with self.db.write() as s:
            if watch is not None:
                insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
                s.execute(
                    insert(_PERIODS)
                    .values(channel=channel, watch=watch, last_digest_at=now)
                    .on_conflict_do_update(
                        index_elements=["channel", "watch"], set_={"last_digest_at": now}
                    )
                )
            s.execute(
                sa.update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(list(alert_ids)))
                .values(
                    state="delivered",
                    delivered_at=now,
                    last_error=None,
                    leased_until=None,
                    lease_owner=None,
                )
            )
            self._ensure_channel(s, channel, now)
            closes = {"last_digest_at": now} if watch is None else {}
            s.execute(
                sa.update(_CHANNELS)
                .where(_CHANNELS.c.name == channel)
                .values(last_success_at=now, updated_at=now, **closes)
            )

    def mark_failed(
        self,
        alert_id: int,
        error: str,
        next_attempt: datetime,
        owner: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """The attempt failed; the relay tries again at `next_attempt`.

        With `owner`, only while that relay still holds the lease, so a relay whose lease
        ran out cannot turn a row another relay delivered back into a failure. With `now`,
        the channel notes it as its latest failure.
        """
        self._set(
            alert_id,
            owner,
            now,
            state="failed",
            next_attempt_at=next_attempt,
            last_error=error[:2000],
        )

    def mark_dead(
        self, alert_id: int, error: str, owner: str | None = None, now: datetime | None = None
    ) -> None:
        """No more attempts: the schedule is spent or the failure is permanent."""
        self._set(alert_id, owner, now, state="dead", last_error=error[:2000])

    def _set(self, alert_id: int, owner: str | None, now: datetime | None, **values: Any) -> None:
        o = _OUTBOX.c
        stmt = (
            sa.update(_OUTBOX)
            .where(o.id == alert_id)
            .values(leased_until=None, lease_owner=None, **values)
        )
        if values.get("state") != "delivered":
            stmt = stmt.where(o.state != "delivered")
        if owner is not None:
            stmt = stmt.where(o.lease_owner == owner)
        with self.db.write() as s:
            changed = cast(sa.CursorResult[Any], s.execute(stmt)).rowcount
            if now is None or not changed:
                return
            channel = s.execute(sa.select(o.channel).where(o.id == alert_id)).scalar_one()
            self._note_outcome(
                s,
                channel,
                now,
                None if values["state"] == "delivered" else values.get("last_error"),
            )

    def record_outcome(self, channel: str, now: datetime, error: str | None) -> None:
        """Note a delivery outcome of `channel` outside the outbox (`monitor alerts test`):
        a success when `error` is None, else a failure with that reason."""
        with self.db.write() as s:
            self._note_outcome(s, channel, now, error)

    def _note_outcome(self, s: Session, channel: str, now: datetime, error: str | None) -> None:
        self._ensure_channel(s, channel, now)
        values: dict[str, Any] = (
            {"last_success_at": now}
            if error is None
            else {"last_failure_at": now, "last_failure": error[:2000]}
        )
        s.execute(sa.update(_CHANNELS).where(_CHANNELS.c.name == channel).values(**values))

    # ---- listing and replaying ----------------------------------------------------------
    def list_alerts(
        self, states: Sequence[str] | str | None = None, limit: int | None = None
    ) -> list[Alert]:
        """Outbox rows in `states` (default: pending, failed and dead), oldest first."""
        wanted = [states] if isinstance(states, str) else list(states or LISTED_STATES)
        query = (
            sa.select(_OUTBOX)
            .where(_OUTBOX.c.state.in_(wanted))
            .order_by(_OUTBOX.c.id)
            .limit(limit)
        )
        with self.db.read() as s:
            return [_alert(r) for r in s.execute(query)]

    def get_alert(self, alert_id: int) -> Alert | None:
        """One outbox row by id."""
        with self.db.read() as s:
            row = s.execute(sa.select(_OUTBOX).where(_OUTBOX.c.id == alert_id)).one_or_none()
        return None if row is None else _alert(row)

    def retry(
        self,
        ids: Sequence[int] | None,
        now: datetime,
        *,
        since: datetime | None = None,
        channel: str | None = None,
    ) -> int:
        """Replay alerts now: the given ids (any state); with `since`, every row written
        since then (any state, delivered ones too); otherwise every failed, dead and pending
        row. `channel` narrows the selection to one channel. Rows in flight (live lease) are
        left alone. Their channels are enabled again (a 410 disabled them). Returns how
        many rows will be replayed."""
        o = _OUTBOX.c
        where = [sa.or_(o.leased_until.is_(None), o.leased_until <= now)]
        if ids is not None:
            where.append(o.id.in_(list(ids)))
        elif since is not None:
            where.append(o.created_at >= since)
        else:
            where.append(o.state.in_(LISTED_STATES))
        if channel is not None:
            where.append(o.channel == channel)
        with self.db.write() as s:
            channels = list(s.execute(sa.select(o.channel).where(*where).distinct()).scalars())
            result = cast(
                sa.CursorResult[Any],
                s.execute(
                    sa.update(_OUTBOX)
                    .where(*where)
                    .values(
                        state="pending",
                        next_attempt_at=now,
                        leased_until=None,
                        lease_owner=None,
                        delivered_at=None,
                    )
                ),
            )
            count = result.rowcount
            if channels:
                s.execute(
                    sa.update(_CHANNELS)
                    .where(_CHANNELS.c.name.in_(channels))
                    .values(enabled=True, disabled_reason=None, updated_at=now)
                )
        return int(count or 0)

    # ---- channels -----------------------------------------------------------------------
    def _ensure_channel(self, s: Session, name: str, now: datetime) -> None:
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        s.execute(
            insert(_CHANNELS)
            .values(name=name, enabled=True, updated_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )

    def disable_channel(self, name: str, reason: str, now: datetime) -> None:
        """Stop delivering to `name` (its receiver answered 410 Gone); its rows stay."""
        with self.db.write() as s:
            self._ensure_channel(s, name, now)
            s.execute(
                sa.update(_CHANNELS)
                .where(_CHANNELS.c.name == name)
                .values(enabled=False, disabled_reason=reason[:2000], updated_at=now)
            )

    def enable_channel(self, name: str, now: datetime) -> None:
        """Deliver to `name` again."""
        with self.db.write() as s:
            self._ensure_channel(s, name, now)
            s.execute(
                sa.update(_CHANNELS)
                .where(_CHANNELS.c.name == name)
                .values(enabled=True, disabled_reason=None, updated_at=now)
            )

    def channel_states(self) -> dict[str, ChannelState]:
        """Every channel the store has state for, by name."""
        with self.db.read() as s:
            rows = s.execute(sa.select(_CHANNELS)).all()
        return {
            r.name: ChannelState(
                r.name,
                bool(r.enabled),
                r.disabled_reason,
                r.last_digest_at,
                r.last_success_at,
                r.last_failure_at,
                r.last_failure,
            )
            for r in rows
        }

    # ---- metrics ------------------------------------------------------------------------
    def delivery_stats(
        self, now: datetime, latency_window: timedelta = timedelta(days=7)
    ) -> list[DeliveryStats]:
        """Per channel: rows by state, attempts, failures, and the latency from article
        stored to alert delivered over deliveries within `latency_window` of `now`."""
        o = _OUTBOX.c
        live = sa.and_(o.leased_until.is_not(None), o.leased_until > now)
        with self.db.read() as s:
            counts = s.execute(
                sa.select(
                    o.channel,
                    o.state,
                    sa.func.count(),
                    sa.func.sum(o.attempts),
                    sa.func.sum(sa.case((live, 1), else_=0)),
                ).group_by(o.channel, o.state)
            ).all()
            latencies = s.execute(
                sa.select(o.channel, o.delivered_at, _ARTICLES.c.stored_at)
                .join(_ARTICLES, _ARTICLES.c.id == o.article_id)
                .where(o.state == "delivered", o.delivered_at >= now - latency_window)
            ).all()
        by_channel: dict[str, dict[str, int]] = {}
        for channel, state, n, attempts, in_flight in counts:
            acc = by_channel.setdefault(channel, {"attempts": 0, "in_flight": 0})
            acc[state] = acc.get(state, 0) + int(n)
            acc["attempts"] += int(attempts or 0)
            acc["in_flight"] += int(in_flight or 0)
        spans: dict[str, list[float]] = {}
        for channel, delivered_at, stored_at in latencies:
            seconds = (_aware(delivered_at) - _aware(stored_at)).total_seconds()
            spans.setdefault(channel, []).append(max(0.0, seconds))
        return [
            _stats(name, acc, sorted(spans.get(name, [])))
            for name, acc in sorted(by_channel.items())
        ]


def _by_watch(query: Any, watch: str | None, except_watches: Sequence[str]) -> Any:
    """`query` narrowed to one watch's outbox rows, or to the rows of other watches."""
    if watch is not None:
        query = query.where(_OUTBOX.c.watch == watch)
    if except_watches:
        query = query.where(_OUTBOX.c.watch.not_in(list(except_watches)))
    return query


def _stats(name: str, acc: dict[str, int], spans: list[float]) -> DeliveryStats:
    delivered = acc.get("delivered", 0)

    def pct(q: float) -> float | None:
        return spans[min(len(spans) - 1, int(q * len(spans)))] if spans else None

    return DeliveryStats(
        channel=name,
        pending=acc.get("pending", 0),
        failed=acc.get("failed", 0),
        dead=acc.get("dead", 0),
        delivered=delivered,
        attempts=acc["attempts"],
        failures=max(0, acc["attempts"] - delivered - acc["in_flight"]),
        latency_count=len(spans),
        latency_sum=sum(spans),
        latency_p50=pct(0.5),
        latency_p95=pct(0.95),
        latency_max=spans[-1] if spans else None,
    )


def _aware(value: datetime) -> datetime:
    """Values read back through UTCDateTime are aware already; raw aggregates may not be."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
