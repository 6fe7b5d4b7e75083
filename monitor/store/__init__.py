"""The only package that touches the database: one Store with methods named for use cases,
owning its engines, its pools and (on SQLite) its writer thread, from `open` to `close`."""

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

from monitor.errors import NotMigratedError, StoreError
from monitor.store.articles import ArticleStore
from monitor.store.backfill import BackfillStore
from monitor.store.control import ControlStore
from monitor.store.db import Database, cannot_open
from monitor.store.desk import DeskStore
from monitor.store.feeds import FeedStore
from monitor.store.outbox import OutboxStore
from monitor.store.prune import PruneStore
from monitor.store.queries import QueryStore
from monitor.store.retag import RetagStore
from monitor.store.trends import TrendStore
from monitor.store.writer import FairWriter

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.stories import StoryRules

__all__ = ["Database", "Schema", "Store"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# What `Store.open` does about the schema: "current" refuses a database that is not at the
# newest migration (every command that reads), "upgrade" migrates it first (`monitor run`,
# `monitor db upgrade`), "any" takes it as it is (`monitor check` reports its revision).
Schema = Literal["current", "upgrade", "any"]


class Store(
    FeedStore,
    ArticleStore,
    OutboxStore,
    QueryStore,
    RetagStore,
    DeskStore,
    BackfillStore,
    ControlStore,
    PruneStore,
    TrendStore,
):
    """Every use case over one Database, and the life of what it holds.

    Open it with `Store.open(url or settings)` (or wrap a Database: `Store(Database(url))`),
    use it as a context manager or call `close()`. Writes from the event loop go through
    `await store.submit(key, fn, ...)`: on SQLite they queue on one writer thread that
    takes turns between keys (monitor.store.writer); on PostgreSQL they run on the default
    executor's threads, concurrently (row and advisory locks order them).
    """

    def __init__(self, db: Database, *, story_rules: "StoryRules | None" = None) -> None:
        super().__init__(db)
        if story_rules is not None:
            self.story_rules = story_rules
        self._writer: FairWriter | None = None
        self._life = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, source: "str | Settings", *, schema: Schema = "current") -> Self:
        """The store on a database URL, or on MONITOR_DATABASE_URL with the MONITOR_STORY_*
        rules of `source` (Settings). StoreError (one line) when the URL cannot work or the
        server does not answer; NotMigratedError when `schema` is "current" and the database
        is not at the newest migration."""
        from sqlalchemy.exc import SQLAlchemyError

        from monitor.store.migrate import current_revision, head_revision, upgrade

        rules = None
        if isinstance(source, str):
            url = source
        else:
            from monitor.stories import rules_of

            url, rules = source.database_url, rules_of(source)
        db = Database(url)
        try:
            if schema == "upgrade":
                upgrade(db)
            elif schema == "current":
                current, head = current_revision(db), head_revision(db)
                if current != head:
                    raise NotMigratedError(current, head)
        except SQLAlchemyError as exc:  # the driver's error (server down or starting)
            db.dispose()
            raise StoreError(cannot_open(exc)) from exc
        except BaseException:
            db.dispose()
            raise
        return cls(db, story_rules=rules)

    def revision(self) -> tuple[str | None, str | None]:
        """(the migration the database is at or None, the newest one the scripts know)."""
        from sqlalchemy.exc import SQLAlchemyError

        from monitor.store.migrate import current_revision, head_revision

        try:
            return current_revision(self.db), head_revision(self.db)
        except SQLAlchemyError as exc:
            raise StoreError(cannot_open(exc)) from exc

    def ping(self) -> bool:
        """True when the database answers."""
        return self.db.ping()

    @property
    def display_url(self) -> str:
        """The database URL with its password masked, for output."""
        return self.db.display_url

    async def listen_outbox(self, wake: Callable[[], None]) -> None:
        """Call `wake()` for each transaction that inserts outbox rows, until cancelled
        (PostgreSQL's NOTIFY; returns at once on SQLite, where the tick covers it)."""
        from monitor.store.notify import listen_outbox

        await listen_outbox(self.db, wake)

    @property
    def writes_in_turn(self) -> bool:
        """True when the writes handed to `submit` run one at a time (SQLite's writer
        thread): writes handed over together then lose no concurrency, and one transaction
        for several of them saves commits."""
        return self.db.dialect == "sqlite"

    async def submit(self, key: str, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Run the write `fn(*args, **kwargs)` off the event loop and return its result.

        On SQLite it runs on the store's writer thread, after at most one queued write of
        each other busy `key` (a feed name, "" for the daemon's own writes): a feed that
        queued hundreds of writes does not hold up the others. CPU work belongs before the
        call, so the writer only writes.
        """
        call = functools.partial(fn, *args, **kwargs)
        writer = self._writer_thread()
        if writer is None:
            return await asyncio.to_thread(call)
        result: _T = await asyncio.wrap_future(writer.submit(key, call))
        return result

    def write_now(self, key: str, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """`submit` for work already off the event loop (a worker thread, such as the
        backfill of new watches): on SQLite the write waits its turn on the writer thread
        and this call blocks until it ran; on PostgreSQL it runs here."""
        writer = self._writer_thread()
        if writer is None or writer.is_current():
            return fn(*args, **kwargs)
        result: _T = writer.submit(key, functools.partial(fn, *args, **kwargs)).result()
        return result

    def _writer_thread(self) -> FairWriter | None:
        # SQLite has one writer at a time and its busy handler sleeps (up to 100 ms a try)
        # while another connection writes: writes from many threads wait far longer than
        # the writes take and hold the default executor's few threads meanwhile.
        if self.db.dialect != "sqlite":
            if self._closed:
                raise StoreError("the store is closed")
            return None
        with self._life:
            if self._closed:
                raise StoreError("the store is closed")
            if self._writer is None:
                self._writer = FairWriter()
            return self._writer

    def close(self) -> None:
        """Run the writes already queued, stop the writer thread and close the pools
        (idempotent; a write submitted afterwards is refused)."""
        with self._life:
            writer, self._writer, self._closed = self._writer, None, True
        if writer is not None:
            writer.shutdown(wait=True)
        self.db.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
