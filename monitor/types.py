"""Frozen value types passed between the stages; standard library only."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

TagKind = Literal["actor", "issue"]
# How strongly an article concerns a tag: `about` (a headline or lede topic, or substantive
# discussion) or `mention` (a real, passing mention in the right sense).
TagLevel = Literal["about", "mention"]
ChannelType = Literal["webhook", "email", "apprise"]
EmailMode = Literal["immediate", "digest"]
ChatFormat = Literal["text", "markdown", "html"]
AlertState = Literal["pending", "failed", "dead", "delivered"]


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One `[[feed]]` of feeds.toml."""

    name: str
    url: str
    interval: timedelta = timedelta(minutes=15)
    full_text: bool = True
    enabled: bool = True
    # The country id whose government publishes this feed (a White House or FCDO feed): its
    # bare titles ("the President") then name the holder on the article's date.
    official: str | None = None
    # interval = "auto": the pace follows the feed's publishing between `interval` (its
    # min_interval) and `max_interval`; otherwise `interval` is fixed.
    auto: bool = False
    max_interval: timedelta = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """One `[[watch]]` of feeds.toml; `query` None means every match."""

    name: str
    query: str | None
    notify: tuple[str, ...] = ()
    # the watch's own digest (email and apprise channels): schedule + timezone, or every
    schedule: str | None = None
    timezone: str | None = None
    every: timedelta | None = None
    # a new or changed watch is evaluated against the articles stored this far back (None:
    # never); its backfilled matches alert only with backfill_alerts
    backfill: timedelta | None = timedelta(days=7)
    backfill_alerts: bool = False


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """One `[channel.NAME]` of feeds.toml."""

    name: str
    type: ChannelType
    url: str | None = None
    secret_env: str | tuple[str, ...] | None = None  # webhook: one name, or several to rotate
    to: tuple[str, ...] = ()
    mode: EmailMode = "immediate"
    every: timedelta | None = None
    url_env: str | None = None  # apprise: the variable holding the Apprise URL
    schedule: str | None = None  # digest: "daily 08:00" or "weekly mon 08:00" (else `every`)
    timezone: str | None = None  # digest: the IANA zone of `schedule` (default UTC)
    format: ChatFormat = "markdown"  # apprise: how the notification body is written


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a parsed feed, before its page is fetched."""

    feed: str
    guid: str
    url: str | None
    title: str | None = None
    summary: str | None = None  # the feed's own content, plain text; fallback when extraction fails
    author: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """What extraction found in one page."""

    url: str | None
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    text: str


# Evidence and Tag are made ~18 times per tagged document. Their storage is a plain slots
# base class: the matcher's builders (new_evidence, new_tag) fill it with plain (fast) slot
# stores and then give the object its frozen class, a third of the generated frozen __init__'s
# cost (it calls object.__setattr__ per field). The public constructors keep their signature
# and set each slot through its member descriptor, half the cost; fields, equality, hashing,
# pickling and frozenness are the dataclass's own.
class _EvidenceSlots:
    __slots__ = ("end", "start", "text")
    text: str
    start: int
    end: int


class _TagSlots:
    __slots__ = ("count", "evidence", "id", "kind", "level", "name", "score")
    id: str
    kind: TagKind
    name: str
    count: int
    evidence: "Evidence"
    level: TagLevel
    score: float


@dataclass(frozen=True, slots=True, init=False)
class Evidence(_EvidenceSlots):
    """The sentence of a tag's first mention, with its offsets in the document text."""

    text: str
    start: int
    end: int

    def __init__(self, text: str, start: int, end: int) -> None:
        _EVIDENCE_TEXT(self, text)
        _EVIDENCE_START(self, start)
        _EVIDENCE_END(self, end)


@dataclass(frozen=True, slots=True, init=False)
class Tag(_TagSlots):
    """One actor or issue found in a document, with how strongly the document concerns it:
    `level` ("about" or "mention") and `score` in [0, 1]."""

    id: str
    kind: TagKind
    name: str
    count: int
    evidence: Evidence
    level: TagLevel
    score: float

    def __init__(
        self,
        id: str,
        kind: TagKind,
        name: str,
        count: int,
        evidence: Evidence,
        level: TagLevel = "mention",
        score: float = 0.0,
    ) -> None:
        _TAG_ID(self, id)
        _TAG_KIND(self, kind)
        _TAG_NAME(self, name)
        _TAG_COUNT(self, count)
        _TAG_EVIDENCE(self, evidence)
        _TAG_LEVEL(self, level)
        _TAG_SCORE(self, score)


_EVIDENCE_TEXT, _EVIDENCE_START, _EVIDENCE_END = (
    _EvidenceSlots.__dict__[name].__set__ for name in ("text", "start", "end")
)
_TAG_ID, _TAG_KIND, _TAG_NAME, _TAG_COUNT, _TAG_EVIDENCE, _TAG_LEVEL, _TAG_SCORE = (
    _TagSlots.__dict__[name].__set__
    for name in ("id", "kind", "name", "count", "evidence", "level", "score")
)
_new = object.__new__


def new_evidence(text: str, start: int, end: int) -> Evidence:
    """The same as Evidence(text, start, end), built faster."""
    made = _new(_EvidenceSlots)
    made.text, made.start, made.end = text, start, end
    made.__class__ = Evidence
    return made  # type: ignore[return-value]  # it is an Evidence now


def new_tag(
    id: str,
    kind: TagKind,
    name: str,
    count: int,
    evidence: Evidence,
    level: TagLevel = "mention",
    score: float = 0.0,
) -> Tag:
    """The same as Tag(id, kind, name, count, evidence, level, score), built faster."""
    made = _new(_TagSlots)
    made.id, made.kind, made.name, made.count, made.evidence = id, kind, name, count, evidence
    made.level, made.score = level, score
    made.__class__ = Tag
    return made  # type: ignore[return-value]  # it is a Tag now


class Named(Protocol):
    """What new_tags() reads of a vocabulary entry."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> TagKind: ...
    @property
    def name(self) -> str: ...


def new_tags(
    named: Iterable[Named],
    counts: Iterable[int],
    evidence: Iterable[Evidence],
    grades: Sequence[tuple[TagLevel, float]],
) -> tuple[Tag, ...]:
    """new_tag() for each entry with its count and evidence, its level and score grades[count]
    (the last grade for any higher count), in one loop without a call per tag."""
    new, slots, top = _new, _TagSlots, len(grades) - 1
    out = []
    for entry, count, proof in zip(named, counts, evidence):  # noqa: B905 (one each)
        made = new(slots)
        made.id, made.kind, made.name, made.count = entry.id, entry.kind, entry.name, count
        made.evidence = proof
        made.level, made.score = grades[count if count < top else top]
        made.__class__ = Tag
        out.append(made)
    return tuple(out)  # type: ignore[arg-type]  # they are Tags now


@dataclass(frozen=True, slots=True)
class Span:
    """One resolved mention: where in the text, and which tag."""

    tag_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class StorySketch:
    """What the store keeps of a text to find its copies (monitor.stories.sketch): the
    MinHash minima, the distinct shingle count, the LSH band keys, the content-word count."""

    signature: bytes
    size: int
    bands: tuple[int, ...]
    words: int


@dataclass(frozen=True, slots=True)
class StoryCopy:
    """One copy of a story as lists name it."""

    article_id: int
    feed: str
    url: str
    title: str | None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article ready to be stored: feed item, extraction result and tags combined."""

    feed: str
    guid: str
    url: str
    canonical_url: str
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    text: str
    fingerprint: str
    simhash: int = 0  # SimHash no longer decides stories (monitor.stories does); kept stored
    tags: tuple[Tag, ...] = ()
    sketch: StorySketch | None = None  # None: the store sketches `text` itself


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the store returns it."""

    id: int
    feed: str
    url: str
    canonical_url: str
    guid: str
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    text: str
    story_id: int
    stored_at: datetime
    tags: tuple[Tag, ...] = ()
    copies: tuple[StoryCopy, ...] = ()  # the story's other copies, earliest first


@dataclass(frozen=True, slots=True)
class ClaimedFeed:
    """A feed leased to this process for one poll: everything the pipeline needs to fetch it."""

    name: str
    url: str
    full_text: bool
    interval: timedelta  # fixed, or an `auto` feed's min_interval
    etag: str | None
    last_modified: str | None
    consecutive_errors: int
    last_status: int | None
    auto: bool = False
    max_interval: timedelta = timedelta(hours=6)


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
    reason: str = "interval"  # why next_poll is there (decide.Reason)


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """A feed's state as `monitor feeds` shows it."""

    name: str
    url: str
    enabled: bool
    last_status: int | None
    last_error: str | None
    consecutive_errors: int
    last_success: datetime | None
    next_poll: datetime | None
    etag: str | None = None
    last_modified: str | None = None
    interval: timedelta = timedelta(minutes=15)
    # why next_poll is where it is: interval, retry-after, backoff, ttl or disabled
    next_poll_reason: str | None = None
    auto: bool = False
    max_interval: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """One outbox row: a payload waiting for (or done with) delivery to one channel."""

    id: int
    channel: str
    watch: str
    article_id: int
    payload: Mapping[str, Any]
    state: AlertState
    attempts: int
    next_attempt: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MatchRow:
    """One stored match as `monitor matches` and `GET /matches` show it."""

    article_id: int
    url: str
    title: str | None
    published: datetime | None
    feed: str
    matched_at: datetime
    actors: tuple[Tag, ...] = ()
    issues: tuple[Tag, ...] = ()
    watches: tuple[str, ...] = field(default_factory=tuple)
    story_id: int | None = None
    copies: tuple[StoryCopy, ...] = ()  # the story's other copies (folded lists)


@dataclass(frozen=True, slots=True)
class WatchHit:
    """A watch an article satisfied: the store writes its match and one outbox row per channel."""

    watch: str
    channels: tuple[str, ...]
    payload: Mapping[str, Any]  # the CONTRACT alert body (alerts.payload.build_payload)


@dataclass(frozen=True, slots=True)
class FeedCount:
    """One feed's numbers for /metrics."""

    name: str
    enabled: bool
    polled: bool
    consecutive_errors: int
    last_success: datetime | None
    articles: int


@dataclass(frozen=True, slots=True)
class MetricsCounts:
    """Everything /metrics reports, counted in one read transaction."""

    articles: int
    matches: int
    watch_matches: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    feeds: tuple[FeedCount, ...] = ()
