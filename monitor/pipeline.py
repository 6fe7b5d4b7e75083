"""Orders one feed's poll: fetch, parse, new items, page, extract, tag, store, alert rows."""

import asyncio
import contextlib
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from monitor import decide, stories
from monitor.alerts.payload import build_payload
from monitor.clock import utcnow
from monitor.errors import ExtractError, FetchError, MonitorError, ParseError, StoreError
from monitor.fetch.feeds import FeedFetch, fetch_feed
from monitor.fetch.http import GuardedClient, origin
from monitor.limits import bounded_article
from monitor.match.watches import CompiledWatch, Tagger, watch_hits
from monitor.parse import ParsedFeed, parse_feed
from monitor.store import Store
from monitor.types import (
    Article,
    ClaimedFeed,
    Item,
    NewArticle,
    PollRecord,
    StorySketch,
    WatchHit,
)
from monitor.urls import normalise_url

if TYPE_CHECKING:
    from monitor.extract import ExtractorPool  # trafilatura: loaded by the composition root

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_J = TypeVar("_J")  # a job of a _Carpool
_R = TypeVar("_R")  # its result

HTML_TYPES = ("text/html", "application/xhtml+xml")
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


@dataclass(frozen=True, slots=True)
class Rules:
    """What tags and matches an item: swapped whole on reload, read once per item."""

    matcher: Tagger
    watches: tuple[CompiledWatch, ...]
    officials: Mapping[str, str]  # feed name -> the government publishing it


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did: a value, never an exception."""

    feed: str
    status: int | None
    error: str | None = None
    items: int = 0
    new: int = 0
    stored: int = 0
    extracted: int = 0
    fallbacks: int = 0
    matches: int = 0
    deferred: int = 0  # new items left for the next poll (over max_items_per_poll)


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Knobs: timeouts, concurrency, the interval cap."""

    page_timeout: float = 20.0  # extraction of one page, in the worker pool
    page_concurrency: int = 64  # pages being fetched or extracted (per host: the client's limit)
    max_interval: timedelta = timedelta(hours=24)
    page_max_bytes: int = 5 * 1024 * 1024
    # New items taken from one poll, newest first; the rest wait for the next poll (a feed
    # listing 100,000 items must not hold the writer and the memory for minutes).
    max_items_per_poll: int = 200
    write_batch: int = 20  # at most this many articles of one poll handed over at once
    # SQLite: at most this many articles (of all polls) stored per trip to the writer, in one
    # transaction: each commit writes every index page its articles changed (the random
    # story-band keys touch a page each), so larger trips write fewer pages an article;
    # a trip of 300 holds the writer ~0.15 s (bench/bench_reader.py, "Side by side").
    trip_articles: int = 300
    # SQLite: a trip that follows the last one within this many seconds waits as long for
    # more articles (_Carpool's linger): pages end their extraction one by one, and alone
    # each article was a transaction of its own (a commit, its index pages and an FTS5
    # segment written for one article). Adds at most this much to an article's way to its
    # alerts, and nothing to one after a quiet spell.
    trip_linger: float = 0.2


class Pipeline:
    """Runs one claimed feed through every stage and records its health."""

    def __init__(
        self,
        *,
        store: Store,
        client: GuardedClient,
        extractor: "ExtractorPool",
        matcher: Tagger,
        watches: Sequence[CompiledWatch],
        options: PipelineOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        payload: Callable[..., Mapping[str, Any]] | None = None,
        officials: Mapping[str, str] | None = None,
    ) -> None:
        self.store, self.client, self.extractor = store, client, extractor
        self.rules = Rules(matcher, tuple(watches), dict(officials or {}))
        self.options = options or PipelineOptions()
        self.clock, self.rng = clock, rng or random.Random()
        self._pages = asyncio.Semaphore(self.options.page_concurrency)
        self._payload = payload or build_payload
        self.on_alerts: Callable[[], None] | None = None  # called once alert rows are stored
        # Poll records share the writer's trips and transactions (_Carpool, store.record_polls).
        self._records: _Carpool[_Record, BaseException | None] = _Carpool(self._write_records)
        # Writes that run one at a time (SQLite's writer thread): the articles of every poll
        # share trips and transactions too, up to `trip_articles` a trip (whole polls), in one
        # transaction with a savepoint per article (Store.add_articles: one bad article fails
        # alone). A commit writes every page its transaction changed, and the articles of a
        # trip share most of theirs (the story band index above all): fewer, larger
        # transactions write each page fewer times. Elsewhere: a feed's own trips.
        self._trips: _Carpool[Sequence[_Prepared], list[_ItemOutcome]] | None = (
            _Carpool(
                self._write_trip,
                len,
                max(1, self.options.trip_articles),
                linger=self.options.trip_linger,
            )
            if store.writes_in_turn
            else None
        )

    @property
    def matcher(self) -> Tagger:
        """The matcher items are tagged with now."""
        return self.rules.matcher

    @property
    def watches(self) -> tuple[CompiledWatch, ...]:
        """The watches items are matched against now."""
        return self.rules.watches

    def reconfigure(self, rules: Rules) -> None:
        """Tag and match the next items with `rules` (reload); an item being stored keeps
        the rules it started with (one attribute swap: never half of each)."""
        self.rules = rules

    async def write_for(self, feed: str, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """A write on behalf of `feed`, through the store (on SQLite it waits for one write
        per other busy feed at most, never for all that another feed has queued)."""
        return await self.store.submit(feed, fn, *args, **kwargs)

    async def _write_articles(
        self, feed: str, batch: Sequence["_Prepared"]
    ) -> list["_ItemOutcome"]:
        """Store one poll's prepared items: with the other polls' items that are waiting
        when the writes run one at a time, else on a trip of this feed's own."""
        if self._trips is not None:
            return await self._trips.send(batch)
        return await self.write_for(feed, self._store_batch, batch)

    async def _write_trip(self, batches: list[Sequence["_Prepared"]]) -> list[list["_ItemOutcome"]]:
        """One trip of several polls' items: stored together, each poll's outcomes apart."""
        outcomes = await self.write_for(
            _TRIPS_KEY, self._store_batch, [item for batch in batches for item in batch]
        )
        ends = itertools.accumulate(len(batch) for batch in batches)
        return [outcomes[end - len(batch) : end] for end, batch in zip(ends, batches, strict=True)]

    async def _write_records(self, records: list["_Record"]) -> list[BaseException | None]:
        return await self.write_for("", self._record_all, records)

    async def poll(self, feed: ClaimedFeed) -> PollResult:
        """Poll `feed` once; every outcome (including a crash of a stage) ends in its health."""
        try:
            return await self._poll(feed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing feed is a value and a log line
            log.exception("feed.crashed feed=%s", feed.name)
            reason = f"{type(exc).__name__}: {exc}"[:500]
            # our own database failing (a restart) is not the feed's fault: no doubled backoff
            failure = decide.Failure(None, reason, ours=isinstance(exc, StoreError))
            await self._record_failure(feed, failure)
            return PollResult(feed.name, None, reason)

    async def _poll(self, feed: ClaimedFeed) -> PollResult:
        try:
            fetched = await fetch_feed(
                self.client,
                feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                clock=self.clock,
            )
        except FetchError as exc:
            log.warning(
                "feed.failed feed=%s origin=%s status=%s error=%s",
                feed.name,
                origin(feed.url),
                exc.status,
                exc.reason,
            )
            await self._record_failure(feed, decide.Failure(exc.status, exc.reason))
            return PollResult(feed.name, exc.status, exc.reason)
        if fetched.gone:
            log.warning("feed.gone feed=%s origin=%s", feed.name, origin(feed.url))
            await self._record(feed, fetched, now=self.clock())
            return PollResult(feed.name, fetched.status, decide.GONE_REASON)
        if fetched.status == 304:
            await self._record(feed, fetched, entry_times=None)
            log.info("feed.unchanged feed=%s status=304", feed.name)
            return PollResult(feed.name, 304)
        failure = decide.failure_of(fetched)
        if failure is None and fetched.body is not None:  # (a 2xx answer has a body)
            return await self._modified(feed, fetched, fetched.body)
        failure = failure or decide.Failure(fetched.status, f"HTTP {fetched.status}")
        log.warning(
            "feed.failed feed=%s origin=%s status=%d", feed.name, origin(feed.url), fetched.status
        )
        await self._record_failure(feed, failure)
        return PollResult(feed.name, fetched.status, failure.reason)

    async def _modified(self, feed: ClaimedFeed, fetched: FeedFetch, body: bytes) -> PollResult:
        try:
            read = await asyncio.to_thread(self._read_feed, feed, fetched.url, body)
        except ParseError as exc:
            log.warning("feed.unparsable feed=%s error=%s", feed.name, exc)
            await self._record_failure(feed, decide.Failure(fetched.status, f"parse error: {exc}"))
            return PollResult(feed.name, fetched.status, f"parse error: {exc}")
        parsed, items, new, deferred, ready = read
        batch = _Batch(self, feed.name, self.options.write_batch)
        if ready is not None:  # no pages to fetch: prepared on the same trip
            await batch.add_all(ready)
        else:
            await asyncio.gather(*(self._item(feed, item, batch) for item in new))
        outcomes = batch.outcomes
        if fetched.permanent_redirect:
            log.info("feed.moved feed=%s origin=%s", feed.name, origin(fetched.permanent_redirect))
        if deferred:
            log.info("feed.capped feed=%s taken=%d deferred=%d", feed.name, len(new), deferred)
        await self._record(
            feed,
            fetched,
            now=self.clock(),
            ttl=parsed.ttl,
            deferred=bool(deferred),
            entry_times=[i.published for i in items if i.published is not None],
        )
        result = PollResult(
            feed.name,
            fetched.status,
            items=len(items),
            new=len(new),
            stored=sum(o.stored for o in outcomes),
            extracted=sum(o.extracted for o in outcomes),
            fallbacks=sum(o.fallback for o in outcomes),
            matches=sum(o.matches for o in outcomes),
            deferred=deferred,
        )
        log.info(
            "feed.polled feed=%s status=%d items=%d new=%d stored=%d matches=%d",
            feed.name,
            fetched.status,
            result.items,
            result.new,
            result.stored,
            result.matches,
        )
        return result

    async def _record_failure(self, feed: ClaimedFeed, failure: decide.Failure) -> None:
        """Record a failed poll; a store that cannot record it is a log line, not a crash."""
        try:
            await self._record(feed, failure, now=self.clock())
        except MonitorError as exc:
            log.error("feed.unrecorded feed=%s error=%s", feed.name, exc)

    async def _record(
        self,
        feed: ClaimedFeed,
        outcome: FeedFetch | decide.Failure,
        *,
        now: datetime | None = None,
        entry_times: Sequence[datetime] | None = (),
        ttl: timedelta | None = None,
        deferred: bool = False,
    ) -> None:
        """Store the poll record decide makes of `outcome`: on the next trip to the writer,
        together with the other polls that ended meanwhile (one transaction)."""
        error = await self._records.send(_Record(feed, outcome, now, entry_times, ttl, deferred))
        if error is not None:
            raise error

    def _record_all(self, records: Sequence["_Record"]) -> list[BaseException | None]:
        """(On the writer.) Every poll record of `records` in one transaction; each one's
        outcome in order (None: stored). A record's `entry_times` None: a 304, whose entry
        times (`auto` feeds only) are the stored ones, read on the same trip, and whose time
        is the writer's."""
        outcomes: list[BaseException | None] = [None] * len(records)
        polls: list[tuple[str, PollRecord, datetime]] = []
        made: list[int] = []
        for index, record in enumerate(records):
            try:
                polls.append(self._poll_record(record))
            except Exception as exc:  # (a failed read of entry times) this poll's outcome
                outcomes[index] = exc
            else:
                made.append(index)
        for index, error in zip(made, self.store.record_polls(polls), strict=True):
            outcomes[index] = error
        return outcomes

    def _poll_record(self, record: "_Record") -> tuple[str, PollRecord, datetime]:
        feed, entry_times = record.feed, record.entry_times
        if entry_times is None:
            entry_times = self.store.recent_entry_times(feed.name) if feed.auto else []
        now = self.clock() if record.now is None else record.now
        poll = decide.poll_record(
            feed,
            record.outcome,
            now=now,
            rng=self.rng,
            max_interval=self.options.max_interval,
            entry_times=entry_times,
            ttl=record.ttl,
            deferred=record.deferred,
        )
        return feed.name, poll, now

    def _read_feed(self, feed: ClaimedFeed, base_url: str, body: bytes) -> "_Read":
        """(A worker thread.) The feed parsed, its items normalised, the new ones picked and,
        when the feed fetches no pages, prepared too: one thread trip a poll, not one an
        item. ParseError when the body is not a feed."""
        parsed = parse_feed(body, feed=feed.name, base_url=base_url)
        items = [_normalised(item) for item in parsed.items]
        unseen = self.store.unseen_items(feed.name, items) if items else []
        new, deferred = newest_first(unseen, self.options.max_items_per_poll)
        if feed.full_text:
            return parsed, items, new, deferred, None
        bodies = [_story_body(item) for item in new]
        ready = [
            self._prepare_logged(
                feed,
                item,
                None if sketch is None else stories.Identity(stories.fingerprint(body), sketch),
            )
            for item, body, sketch in zip(new, bodies, _sketches(bodies), strict=True)
        ]
        return parsed, items, new, deferred, ready

    def _prepare_logged(
        self, feed: ClaimedFeed, item: Item, story: stories.Identity | None
    ) -> "_Prepared | None":
        """`_prepare` of an item without a page (`story`: its story identity, made with the
        poll's other items); None (logged) when it fails."""
        try:
            return self._prepare(item, None, None, story=story)
        except Exception:  # one bad item never sinks its feed
            log.exception("item.failed feed=%s guid=%s", feed.name, item.guid[:200])
            return None

    async def _item(self, feed: ClaimedFeed, item: Item, batch: "_Batch") -> None:
        """Page, extraction and tags of one item (CPU work off the writer), then its batch."""
        prepared: _Prepared | None = None
        try:
            article, page_url, story = await self._page(feed, item)
            prepared = await asyncio.to_thread(self._prepare, item, article, page_url, story=story)
        except asyncio.CancelledError:
            raise
        except Exception:  # one bad item never sinks its feed
            log.exception("item.failed feed=%s guid=%s", feed.name, item.guid[:200])
        await batch.add(prepared)

    def _prepare(
        self,
        item: Item,
        article: Article | None,
        page_url: str | None,
        story: stories.Identity | None = None,
    ) -> "_Prepared":
        """Tag the item and evaluate the watches (a worker thread, not the writer)."""
        rules = self.rules  # one set for the item's tags and watches (a reload swaps it)
        new = bounded_article(self._new_article(item, article, page_url, rules, story))
        return _Prepared(new, tuple(self._hits(new, rules)), article is not None)

    def _store_batch(self, batch: Sequence["_Prepared"]) -> list["_ItemOutcome"]:
        """Store prepared items (runs on the writer): one transaction for the batch on
        SQLite, each item in a savepoint of its own (Store.add_articles)."""
        try:
            stored = self.store.add_articles([(p.article, p.hits) for p in batch], clock=self.clock)
        except Exception as exc:  # the batch's transaction failed: every item with it
            stored = [exc] * len(batch)
        outcomes = []
        for prepared, outcome in zip(batch, stored, strict=True):
            if isinstance(outcome, Exception):  # one bad item never sinks its batch
                log.error(
                    "item.failed feed=%s guid=%s",
                    prepared.article.feed,
                    prepared.article.guid[:200],
                    exc_info=outcome,
                )
                outcomes.append(_ItemOutcome())
                continue
            extracted = prepared.extracted
            outcomes.append(
                _ItemOutcome(
                    stored=int(outcome is not None),
                    extracted=extracted,
                    fallback=not extracted,
                    matches=len(prepared.hits) if outcome is not None else 0,
                )
            )
        return outcomes

    async def _page(
        self, feed: ClaimedFeed, item: Item
    ) -> tuple[Article | None, str | None, stories.Identity | None]:
        """Fetch and extract the item's page: (article, page url, the story identity of the
        article's text, made in the extraction worker); (None, url, None) when that fails or
        is off.

        A page holds its slot until it is extracted, so fetched pages waiting for a worker
        stay bounded (page_concurrency pages of at most page_max_bytes).
        """
        if not feed.full_text or not item.url:
            return None, None, None
        async with self._pages:
            try:
                page = await self.client.get(
                    item.url, headers={"accept": PAGE_ACCEPT}, max_bytes=self.options.page_max_bytes
                )
            except FetchError as exc:
                log.info(
                    "page.failed feed=%s origin=%s error=%s",
                    feed.name,
                    origin(item.url),
                    exc.reason,
                )
                return None, None, None
            ctype = page.headers.get("content-type", "text/html").split(";")[0].strip().lower()
            if page.status != 200 or (ctype and ctype not in HTML_TYPES):
                log.info(
                    "page.skipped feed=%s origin=%s status=%d type=%s",
                    feed.name,
                    origin(page.url),
                    page.status,
                    ctype,
                )
                return None, page.url if page.status == 200 else None, None
            try:
                extracted = await self.extractor.extract_story(
                    page.body, page.url, title=item.title, timeout=self.options.page_timeout
                )
            except (ExtractError, TimeoutError) as exc:
                log.info(
                    "page.unextracted feed=%s origin=%s error=%s", feed.name, origin(page.url), exc
                )
                return None, page.url, None
            return extracted.article, page.url, extracted.story

    def _new_article(
        self,
        item: Item,
        article: Article | None,
        page_url: str | None,
        rules: Rules | None = None,
        story: stories.Identity | None = None,
    ) -> NewArticle:
        """The article to store; `story`: the identity of its story text, made already (in
        the extraction worker, ExtractorPool.extract_story, or with the poll's other items
        without pages, stories.sketches), else it is made here."""
        rules = rules or self.rules
        usable = _usable(article)
        text = usable.text if usable else _fallback_text(item)
        published = item.published or (usable.published if usable else None)
        url = item.url or ""
        # The item's URL is normalised already (`_normalised`): the page's only if it differs.
        page = url if page_url == url else normalise_url(page_url) if page_url else None
        canonical = page or url or f"urn:monitor:{item.feed}:{item.guid}"
        title = item.title or (usable.title if usable else None)
        tags = rules.matcher.tag_document(
            title,
            text,
            published=published.date() if published else None,
            official=rules.officials.get(item.feed),
        )
        if story is None:
            story = stories.identify(text, item.title, usable.title if usable else None)
        return NewArticle(
            feed=item.feed,
            guid=item.guid,
            url=url,
            canonical_url=canonical,
            title=title,
            author=(usable.author if usable else None) or item.author,
            published=published,
            language=usable.language if usable else None,
            text=text,
            fingerprint=story.fingerprint,
            tags=tags,
            sketch=story.sketch,
        )

    def _hits(self, article: NewArticle, rules: Rules | None = None) -> list[WatchHit]:
        return watch_hits(
            (rules or self.rules).watches,
            article,
            lambda watch: self._payload(
                watch=watch, article=article, tags=article.tags, now=self.clock()
            ),
        )


@dataclass(frozen=True, slots=True)
class _Record:
    """A poll's outcome on its way to the writer (decide makes the record there)."""

    feed: ClaimedFeed
    outcome: FeedFetch | decide.Failure
    now: datetime | None
    entry_times: Sequence[datetime] | None
    ttl: timedelta | None
    deferred: bool


class _Carpool(Generic[_J, _R]):
    """Jobs on their way to the writer, all that are waiting on each trip.

    A job handed over while no trip is under way goes at once (alone: no waiting for
    others); jobs handed over meanwhile go together on the next trip, one call of `write`
    (one transaction), up to `limit` units of work (`units` of a job; whole jobs, at least
    one). So the writer is handed one call per batch of jobs, not one per job, and batches
    grow only while it is busy. Each caller waits for its own job's result (or gets the
    trip's error); a job whose caller was cancelled before its trip starts is not written,
    as a write cancelled in the writer's queue is not run.

    With `linger` (seconds), jobs that come as a stream share trips even while the writer
    is idle: a trip that would start within `linger` of the end of the one before waits up
    to `linger` for company (less once `limit` units are waiting). A job after a quiet spell
    still goes at once. (Articles of pages come one by one, as their extraction ends: alone,
    each was a transaction and a commit of its own.)
    """

    def __init__(
        self,
        write: Callable[[list[_J]], Awaitable[list[_R]]],
        units: Callable[[_J], int] = lambda _: 1,
        limit: int | None = None,
        linger: float = 0.0,
    ) -> None:
        self._write, self._units, self._limit = write, units, limit
        self._linger = linger
        self._pending: list[tuple[_J, asyncio.Future[_R]]] = []
        self._task: asyncio.Task[None] | None = None
        self._last_trip = float("-inf")  # (the loop's clock) when the last trip ended
        self._full: asyncio.Event | None = None  # set while lingering, once `limit` waits

    async def send(self, job: _J) -> _R:
        """Queue `job` and wait for its result (the trip's error raised here)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[_R] = loop.create_future()
        self._pending.append((job, done))
        if self._task is None:
            self._task = loop.create_task(self._run())
        elif self._full is not None and self._is_full():
            self._full.set()
        return await done

    def _is_full(self) -> bool:
        """`limit` units of work are waiting (a trip's worth)."""
        limit = self._limit
        return limit is not None and sum(self._units(job) for job, _ in self._pending) >= limit

    async def _company(self) -> None:
        """Wait up to `linger` for more jobs when this trip follows the last one closely."""
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_trip >= self._linger or self._is_full():
            return
        self._full = asyncio.Event()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._linger)
        finally:
            self._full = None

    async def _run(self) -> None:
        try:
            while self._pending:
                if self._linger > 0:
                    await self._company()
                trip: list[tuple[_J, asyncio.Future[_R]]] = []
                count = 0
                while self._pending and (
                    not trip
                    or self._limit is None
                    or count + self._units(self._pending[0][0]) <= self._limit
                ):
                    job, done = self._pending.pop(0)
                    if not done.done():
                        trip.append((job, done))
                        count += self._units(job)
                if trip:
                    await self._trip(trip)
                    self._last_trip = asyncio.get_running_loop().time()
        finally:
            self._task = None
            for _, done in self._pending:  # (only when this task itself is cancelled)
                done.cancel()

    async def _trip(self, trip: list[tuple[_J, "asyncio.Future[_R]"]]) -> None:
        try:
            results = await self._write([job for job, _ in trip])
        except asyncio.CancelledError:
            for _, done in trip:
                done.cancel()
            raise
        except Exception as exc:  # (the store is closed, ...) each caller gets the error
            for _, done in trip:
                if not done.done():
                    done.set_exception(exc)
            return
        for (_, done), result in zip(trip, results, strict=True):
            if not done.done():
                done.set_result(result)


# What `_read_feed` hands back: the parsed feed, its items (normalised), the new ones to take
# now, how many wait for the next poll, and the new ones prepared (None: they fetch pages).
_Read = tuple[ParsedFeed, list[Item], list[Item], int, "list[_Prepared | None] | None"]


@dataclass(frozen=True, slots=True)
class _ItemOutcome:
    stored: int = 0
    extracted: bool = False
    fallback: bool = False
    matches: int = 0


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An item ready to store: its article (tagged) and the watches it satisfies."""

    article: NewArticle
    hits: tuple[WatchHit, ...]
    extracted: bool


# The writer's queue of the shared trips (its turns alternate with the daemon's own writes,
# "", and the relay's, "relay:<channel>").
_TRIPS_KEY = "pipeline:articles"


class _Batch:
    """One poll's prepared items on their way to the writer, at most `size` a trip.

    An item ready while none of the feed's writes is under way goes at once (alone: no
    waiting for others); items ready meanwhile go together on the next trip. So a feed has
    one article write queued at a time, and its batches grow only when the writer is busy.
    """

    def __init__(self, pipeline: Pipeline, feed: str, size: int) -> None:
        self._pipeline, self._feed, self._size = pipeline, feed, max(1, size)
        self._pending: list[_Prepared] = []
        self._writing = False
        self.outcomes: list[_ItemOutcome] = []

    async def add(self, prepared: _Prepared | None) -> None:
        """Queue one prepared item (None: it failed) and, unless a write of this feed is
        under way (it takes the item along), store what is pending."""
        await self.add_all([prepared])

    async def add_all(self, prepared: Sequence[_Prepared | None]) -> None:
        """`add` for several items at once (they go on the same trips)."""
        self._pending.extend(p for p in prepared if p is not None)
        if self._writing:
            return
        self._writing = True
        try:
            while self._pending:
                chunk = self._pending[: self._size]
                del self._pending[: self._size]
                outcomes = await self._pipeline._write_articles(self._feed, chunk)
                self.outcomes.extend(outcomes)
                if any(o.matches for o in outcomes) and self._pipeline.on_alerts is not None:
                    self._pipeline.on_alerts()  # the relay delivers at once, not on a tick
        finally:
            self._writing = False


def newest_first(items: Sequence[Item], limit: int) -> tuple[list[Item], int]:
    """At most `limit` of `items`, the newest first (undated ones after, in feed order), and
    how many are left for later."""
    oldest = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(items, key=lambda i: i.published or oldest, reverse=True)
    return ranked[: max(1, limit)], max(0, len(ranked) - max(1, limit))


def _normalised(item: Item) -> Item:
    """The item with its URL's one canonical spelling (parse_feed resolved it already)."""
    return replace(item, url=normalise_url(item.url) if item.url else None)


def _usable(article: Article | None) -> Article | None:
    """The extracted article when it has text (else the item's own text stands)."""
    return article if article is not None and article.text.strip() else None


def _story_body(item: Item) -> str:
    """The text that identifies the story of an item without a page (its feed text)."""
    return stories.story_text(_fallback_text(item), item.title)


def _sketches(bodies: Sequence[str]) -> list[StorySketch | None]:
    """The sketches of a poll's story bodies made together (stories.sketches: a feed's
    items share numpy's fixed costs); when that fails, None each: every item then makes
    its own, and one bad item fails alone."""
    try:
        return list(stories.sketches(bodies))
    except Exception:  # (never seen) each item's own sketch says which one
        log.exception("sketch.batch_failed items=%d", len(bodies))
        return [None] * len(bodies)


def _fallback_text(item: Item) -> str:
    """The feed's own content: its summary, else its title."""
    return (item.summary or "").strip() or (item.title or "").strip()
