"""SQLModel tables: the whole schema, changed only through Alembic migrations."""

# No `from __future__ import annotations` here: SQLModel reads the annotations at runtime.

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes on both dialects (SQLite stores them naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dt(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class FeedRow(SQLModel, table=True):
    """A configured feed and its health; due-ness lives here (next_poll)."""

    __tablename__ = "feeds"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    url: str = Field(max_length=2000)
    # The address feeds.toml gives; `url` may have moved on from it by a 301. A resync compares
    # the config with this, so a moved feed stays moved across restarts.
    config_url: str | None = Field(default=None, max_length=2000)
    enabled: bool = True
    in_config: bool = True
    full_text: bool = True
    interval_seconds: int = 900  # the fixed interval, or an `auto` feed's min_interval
    auto_interval: bool = False
    max_interval_seconds: int | None = None  # an `auto` feed's bound
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=200)
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    consecutive_errors: int = 0
    last_success: datetime | None = _dt()
    last_polled: datetime | None = _dt()
    next_poll: datetime | None = _dt(index=True)
    # why next_poll is where it is: interval, retry-after, backoff, ttl, disabled
    next_poll_reason: str | None = Field(default=None, max_length=20)
    leased_until: datetime | None = _dt()
    lease_owner: str | None = Field(default=None, max_length=200)  # host:pid:start of the holder
    created_at: datetime | None = _dt(nullable=False)


class ArticleRow(SQLModel, table=True):
    """One stored article; syndicated copies share a story_id (the first copy's id)."""

    __tablename__ = "articles"
    __table_args__ = (
        sa.UniqueConstraint("feed_id", "guid", name="uq_articles_feed_guid"),
        sa.Index("ix_articles_feed_stored", "feed_id", "stored_at"),
        # The copies (not their story's earliest) in page order: what a folded page skips (0007).
        sa.Index("ix_articles_is_copy_stored", "is_copy", "stored_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feeds.id", index=True)
    guid: str = Field(max_length=2000)
    url: str = Field(max_length=2000)
    canonical_url: str = Field(max_length=2000, unique=True)
    title: str | None = Field(default=None, sa_type=sa.Text)
    author: str | None = Field(default=None, max_length=500)
    published: datetime | None = _dt(index=True)
    language: str | None = Field(default=None, max_length=20)
    text: str = Field(default="", sa_type=sa.Text)
    fingerprint: str = Field(max_length=64, index=True)
    simhash: int = Field(sa_type=sa.BigInteger)
    band0: int = Field(index=True)
    band1: int = Field(index=True)
    band2: int = Field(index=True)
    band3: int = Field(index=True)
    story_id: int | None = Field(default=None, index=True)
    stored_at: datetime | None = _dt(nullable=False, index=True)
    # Stories (0007): the MinHash sketch (monitor.stories), its distinct shingle count, and
    # whether a copy of the story is earlier than this one (lists show the earliest only).
    story_signature: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    story_shingles: int | None = None
    is_copy: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class StoryBandRow(SQLModel, table=True):
    """One LSH band key of an article's story sketch: equal keys make candidate copies."""

    __tablename__ = "story_bands"

    key: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    article_id: int = Field(foreign_key="articles.id", primary_key=True, index=True)


# What a stored tag says of its article, in the order add_article writes and retag compares.
TAG_FIELDS = (
    "kind",
    "name",
    "count",
    "evidence",
    "evidence_start",
    "evidence_end",
    "level",
    "score",
)


class ArticleTagRow(SQLModel, table=True):
    """One actor or issue of one article, with evidence; shaped for (tag, time) queries."""

    __tablename__ = "article_tags"
    __table_args__ = (sa.Index("ix_article_tags_tag_time", "tag_id", "matched_at", "article_id"),)

    article_id: int = Field(foreign_key="articles.id", primary_key=True)
    tag_id: str = Field(max_length=200, primary_key=True)
    kind: str = Field(max_length=10)
    name: str = Field(max_length=300)
    count: int = 1
    evidence: str = Field(default="", sa_type=sa.Text)
    evidence_start: int = 0
    evidence_end: int = 0
    # "about" or "mention", and the relevance score in [0, 1] (0006)
    level: str = Field(
        default="mention", max_length=10, sa_column_kwargs={"server_default": "mention"}
    )
    score: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    matched_at: datetime | None = _dt(nullable=False)


class TrendTagDayRow(SQLModel, table=True):
    """Per (tag, UTC day of matched_at): tag rows and distinct stories; kept on write (0010)."""

    __tablename__ = "trend_tag_days"
    __table_args__ = (sa.Index("ix_trend_tag_days_day", "day"),)

    tag_id: str = Field(max_length=200, primary_key=True)
    day: date = Field(sa_type=sa.Date, primary_key=True)
    kind: str = Field(max_length=10)
    name: str = Field(max_length=300)
    articles: int = 0
    stories: int = 0


class TrendPairDayRow(SQLModel, table=True):
    """Per (actor, issue, UTC day of the actor's row): stories with an article tagged with
    both; kept on write (0010)."""

    __tablename__ = "trend_pair_days"

    actor_id: str = Field(max_length=200, primary_key=True)
    issue_id: str = Field(max_length=200, primary_key=True)
    day: date = Field(sa_type=sa.Date, primary_key=True)
    stories: int = 0


class TrendPairSpreadRow(SQLModel, table=True):
    """The days of an (actor, issue) pair in a story that carries it on two days or more:
    what a period's distinct count subtracts (0010)."""

    __tablename__ = "trend_pair_spread"

    actor_id: str = Field(max_length=200, primary_key=True)
    issue_id: str = Field(max_length=200, primary_key=True)
    story_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    day: date = Field(sa_type=sa.Date, primary_key=True)


class WatchMatchRow(SQLModel, table=True):
    """An article that satisfied a watch's query."""

    __tablename__ = "watch_matches"
    __table_args__ = (
        sa.UniqueConstraint("watch", "article_id", name="uq_watch_matches_watch_article"),
        # Covers the page query (watch, time, article): no table lookup per row (0003).
        sa.Index("ix_watch_matches_watch_time_article", "watch", "matched_at", "article_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    watch: str = Field(max_length=200)
    article_id: int = Field(foreign_key="articles.id", index=True)
    story_id: int = Field(index=True)
    matched_at: datetime | None = _dt(nullable=False)


class OutboxRow(SQLModel, table=True):
    """An alert for one channel, written in the match's transaction; at-least-once relay."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=200, index=True)
    watch: str = Field(max_length=200)
    article_id: int = Field(foreign_key="articles.id", index=True)
    story_id: int
    dedup_key: str = Field(max_length=500, unique=True)
    payload: str = Field(sa_type=sa.Text)
    state: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = _dt(nullable=False)
    leased_until: datetime | None = _dt()
    lease_owner: str | None = Field(default=None, max_length=100)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime | None = _dt(nullable=False)
    delivered_at: datetime | None = _dt()


class ChannelRow(SQLModel, table=True):
    """Per-channel state: disabled by a 410, digest bookkeeping, the latest outcomes."""

    __tablename__ = "channels"

    name: str = Field(max_length=200, primary_key=True)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, sa_type=sa.Text)
    last_digest_at: datetime | None = _dt()
    updated_at: datetime | None = _dt(nullable=False)
    # the latest delivery outcome, for `monitor alerts` (0009)
    last_success_at: datetime | None = _dt()
    last_failure_at: datetime | None = _dt()
    last_failure: str | None = Field(default=None, sa_type=sa.Text)


class DigestPeriodRow(SQLModel, table=True):
    """When a watch's own digest last went to a channel (watches with a schedule, 0009)."""

    __tablename__ = "digest_periods"

    channel: str = Field(max_length=200, primary_key=True)
    watch: str = Field(max_length=200, primary_key=True)
    last_digest_at: datetime | None = _dt()


class WatchStateRow(SQLModel, table=True):
    """The definition a watch was last backfilled with (a hash of its query, 0011): a new or
    changed watch is evaluated against stored articles once."""

    __tablename__ = "watch_state"

    watch: str = Field(max_length=200, primary_key=True)
    definition: str = Field(max_length=64)
    backfilled_at: datetime | None = _dt(nullable=False)


class ControlRow(SQLModel, table=True):
    """A request to running daemons (`monitor reload`, 0011) and the latest answer to it."""

    __tablename__ = "control"

    name: str = Field(max_length=50, primary_key=True)
    requested_at: datetime | None = _dt()
    answered_at: datetime | None = _dt()
    answer: str | None = Field(default=None, sa_type=sa.Text)
