"""Pure polling decisions: a poll's outcome -> the feed's poll record (next poll time and its
reason, validators kept or dropped, error backoff, gone), and the feed's phase."""

import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple, Protocol

from monitor.fetch.hints import MAX_RETRY_AFTER
from monitor.types import ClaimedFeed, PollRecord

WEEK = timedelta(days=7)
MAX_BACKOFF_DOUBLINGS = 16
JITTER = 0.2  # backoff delays grow by up to 20 % at random so failing feeds do not march in step
# A feed's TTL or Cache-Control max-age may stretch a fixed interval up to this (an `auto` feed
# up to its max_interval): a CDN's default max-age must not turn "1m" into hours.
HINT_CAP = timedelta(hours=1)
AUTO_UNKNOWN = timedelta(minutes=15)  # an `auto` feed without dated entries, before clamping
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# Why a feed's next poll is where it is (`monitor feeds`, next_poll_reason).
Reason = Literal["interval", "retry-after", "backoff", "ttl", "disabled", "backlog"]
# A feed whose poll left new items for later (MONITOR_MAX_ITEMS_PER_POLL) comes back this soon
BACKLOG_DELAY = timedelta(minutes=1)
GONE_REASON = "feed is gone (HTTP 410); disabled until its URL changes in feeds.toml"


class Answer(Protocol):
    """What a poll record needs of a feed server's answer (monitor.fetch.feeds.FeedFetch)."""

    @property
    def status(self) -> int: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...
    @property
    def retry_after(self) -> timedelta | None: ...
    @property
    def cache_max_age(self) -> timedelta | None: ...
    @property
    def permanent_redirect(self) -> str | None: ...
    @property
    def gone(self) -> bool: ...


class Failure(NamedTuple):
    """A poll that read no feed: the answer's status (None: no answer), why, how long the
    server asked us to wait, and whether the failure was our own database's, not the feed's
    (it is retried after one interval: the backoff does not double for it)."""

    status: int | None
    reason: str
    retry_after: timedelta | None = None
    ours: bool = False


def failure_of(answer: Answer) -> Failure | None:
    """The failure an answer is when it carries no feed to read (a 410 excepted: the feed is
    gone, see `poll_record`); None for a 2xx or a 304."""
    if answer.gone or answer.status == 304 or 200 <= answer.status < 300:
        return None
    return Failure(answer.status, f"HTTP {answer.status}", answer.retry_after)


def poll_record(
    feed: ClaimedFeed,
    outcome: Answer | Failure,
    *,
    now: datetime,
    rng: random.Random,
    max_interval: timedelta,
    entry_times: Sequence[datetime] = (),
    ttl: timedelta | None = None,
    deferred: bool = False,
) -> PollRecord:
    """What one poll of `feed` leaves in its health: a failure backs off (`max_interval`
    caps it), a gone feed is disabled, an answer (2xx or 304) is scheduled from the feed's
    policy, its entry times and TTL and the server's hints. A poll that `deferred` new items
    comes back soon and drops the validators: they describe the whole document, so sent
    next time they would get a 304 and the deferred items would never be read."""
    if isinstance(outcome, Failure):
        retry = backoff(
            now=now,
            configured=feed.interval,
            consecutive_errors=1 if outcome.ours else feed.consecutive_errors + 1,
            retry_after=outcome.retry_after,
            rng=rng,
            max_interval=max_interval,
        )
        return PollRecord(
            ok=False,
            status=outcome.status,
            error=outcome.reason,
            next_poll=retry.when,
            reason=retry.reason,
        )
    if outcome.gone:
        return PollRecord(
            ok=False,
            status=outcome.status,
            error=GONE_REASON,
            gone=True,
            next_poll=now + max_interval,
        )
    planned = next_poll(
        now=now,
        name=feed.name,
        interval=feed.interval,
        auto=feed.auto,
        max_interval=feed.max_interval,
        entry_times=entry_times,
        ttl=ttl,
        cache_max_age=outcome.cache_max_age,
        retry_after=outcome.retry_after,
    )
    if deferred:
        planned = with_backlog(planned, now)
    return PollRecord(
        ok=True,
        status=outcome.status,
        next_poll=planned.when,
        etag=None if deferred else outcome.etag,
        last_modified=None if deferred else outcome.last_modified,
        new_url=outcome.permanent_redirect,
        reason=planned.reason,
    )


class NextPoll(NamedTuple):
    """When to poll a feed next, and why then."""

    when: datetime
    reason: Reason


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def with_backlog(planned: NextPoll, now: datetime) -> NextPoll:
    """The next poll of a feed that left new items for later: within BACKLOG_DELAY, so a
    backlog arrives in minutes, not one interval per capped poll; unless the server asked
    for a pause (Retry-After), which stands."""
    soon = _aware(now) + BACKLOG_DELAY
    if planned.reason == "retry-after" or planned.when <= soon:
        return planned
    return NextPoll(soon, "backlog")


def phase(name: str, interval: timedelta) -> timedelta:
    """A feed's stable offset within its interval (from its name): feeds sharing an interval
    fall due at even spacings instead of all at once."""
    digest = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")
    return timedelta(seconds=interval.total_seconds() * digest / 2**64)


def next_slot(*, now: datetime, name: str, interval: timedelta) -> datetime:
    """The first of the feed's slots (phase + k x interval) after `now`.

    Polled at a slot (or a tick after it), the next slot is at most one interval after the
    slot: the lateness of one poll never carries over to the next.
    """
    now = _aware(now)
    step = interval.total_seconds()
    if step <= 0:
        return now
    offset = (now - _EPOCH - phase(name, interval)).total_seconds()
    slots = int(offset // step) + 1
    return _EPOCH + phase(name, interval) + timedelta(seconds=slots * step)


def adaptive_interval(
    *, now: datetime, entry_times: Sequence[datetime], max_interval: timedelta
) -> timedelta | None:
    """The mean gap between the entries of the last week; None if unknown.

    A feed lists only its latest entries, so the gap among them (not a weekly count, which
    would make a busy feed with 20 items look slow) measures its pace. One recent entry: the
    time since it. Entries but none in the last week: `max_interval`. No dated entry: None.
    """
    now = _aware(now)
    times = sorted(_aware(t) for t in entry_times)
    if not times:
        return None
    recent = [t for t in times if now - WEEK <= t <= now + timedelta(minutes=5)]
    if not recent:
        return max_interval
    if len(recent) == 1:
        return max(now - recent[0], timedelta(0))
    return (recent[-1] - recent[0]) / (len(recent) - 1)


def feed_interval(
    *,
    now: datetime,
    interval: timedelta,
    auto: bool,
    max_interval: timedelta,
    entry_times: Sequence[datetime],
) -> timedelta:
    """The interval a healthy feed is polled at: the configured one, or with `auto` the
    feed's publishing pace clamped to [interval (its min_interval), max_interval]."""
    if not auto:
        return interval
    pace = adaptive_interval(now=now, entry_times=entry_times, max_interval=max_interval)
    return min(max(pace or AUTO_UNKNOWN, interval), max(interval, max_interval))


def next_poll(
    *,
    now: datetime,
    name: str,
    interval: timedelta,
    entry_times: Sequence[datetime],
    ttl: timedelta | None,
    cache_max_age: timedelta | None,
    retry_after: timedelta | None,
    auto: bool = False,
    max_interval: timedelta = timedelta(hours=6),
) -> NextPoll:
    """When to poll a feed after a successful fetch, and why.

    The feed's next slot (see `feed_interval` and `next_slot`); a TTL or max-age beyond it
    pushes it later (capped: HINT_CAP, or max_interval for `auto`), Retry-After (up to a
    week) later still. Nothing else ever makes a healthy feed wait longer than its interval.
    """
    now = _aware(now)
    every = feed_interval(
        now=now, interval=interval, auto=auto, max_interval=max_interval, entry_times=entry_times
    )
    result = NextPoll(next_slot(now=now, name=name, interval=every), "interval")
    cap = max(max_interval, interval) if auto else max(HINT_CAP, interval)
    hints = [h for h in (ttl, cache_max_age) if h is not None]
    if hints and now + min(max(hints), cap) > result.when:
        result = NextPoll(now + min(max(hints), cap), "ttl")
    if retry_after is not None and now + min(retry_after, MAX_RETRY_AFTER) > result.when:
        result = NextPoll(now + min(retry_after, MAX_RETRY_AFTER), "retry-after")
    return result


def backoff(
    *,
    now: datetime,
    configured: timedelta,
    consecutive_errors: int,
    retry_after: timedelta | None,
    rng: random.Random,
    max_interval: timedelta = timedelta(hours=24),
) -> NextPoll:
    """When to retry a failing feed: configured x 2^(errors-1), capped, plus up to 20 % jitter.

    Never sooner than `configured` nor than Retry-After (itself capped at a week).
    """
    doublings = min(max(consecutive_errors - 1, 0), MAX_BACKOFF_DOUBLINGS)
    delay: timedelta = min(configured * 2**doublings, max(configured, max_interval))
    delay += delay * JITTER * rng.random()
    if retry_after is not None and min(retry_after, MAX_RETRY_AFTER) > delay:
        return NextPoll(_aware(now) + min(retry_after, MAX_RETRY_AFTER), "retry-after")
    return NextPoll(_aware(now) + delay, "backoff")
