"""Engine and sessions: URL normalisation, SQLite WAL + IMMEDIATE writes, error wrapping."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlmodel import Session

from monitor.errors import StoreDisconnectedError, StoreError

log = logging.getLogger(__name__)

SQLITE_BUSY_MS = 10_000
# SQLite reads the database file through a memory map of up to this size: pages come from
# the OS cache without a read() call and a copy each (a third off a full-text search page).
SQLITE_MMAP_BYTES = 1 << 30
# A connection's page cache, at most (KiB; filled only as pages are read): the default 2 MiB
# is smaller than the pages one batch of articles changes (band keys and index entries land
# on random pages), so the writer re-read pages of the WAL file with a read() call each.
SQLITE_CACHE_KIB = 32 * 1024
# Pages in the WAL before a commit copies them back into the database file (default 1,000,
# about one batch of articles: nearly every commit checkpointed, a page changed by several
# batches copied back once per batch). The WAL file grows to ~40 MiB and is reused.
SQLITE_WAL_CHECKPOINT_PAGES = 10_000
# Pooled PostgreSQL connections are replaced after this long, before server or network idle
# limits cut them.
PG_RECYCLE_S = 1800
# The read-only pool's sessions: every statement its own read-only transaction; no JIT
# compilation (it costs ms to tens of ms, more than any of our short reads, and a
# misestimated search easily crosses jit_above_cost); and a plan made for each statement's
# own values, never a generic one (psycopg prepares statements run often, and one plan for
# a rare and a common tag or word would be wrong for one of them); and no parallel workers:
# a page reads its first rows and stops, but the planner estimates a join of two tags on
# (matched_at, article_id) at one row, so for two common tags a parallel hash join of all
# their rows looked cheaper than the merge join that stops at the page's end (130 ms
# against 0.5 ms at 1M matches).
PG_READ_OPTIONS = (
    "-c default_transaction_read_only=on -c jit=off "
    "-c plan_cache_mode=force_custom_plan -c max_parallel_workers_per_gather=0"
)

T = TypeVar("T")


_EXAMPLES = "write sqlite:///path/to/monitor.db or postgresql://user@host/dbname"
_DRIVERS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",)}


def normalise_url(url: str) -> str:
    """Pick our drivers: plain postgresql:// (or postgres://) URLs use psycopg 3."""
    return check_url(url).render_as_string(hide_password=False)


def check_url(url: str) -> URL:
    """The parsed database URL with our driver; StoreError (saying what to write) for one that
    cannot work: not a URL, another database or driver, a SQLite file in no directory."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(f"{shown_url(url)!r} is not a database URL; {_EXAMPLES}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # From the name alone: asking SQLAlchemy for the driver imports the dialect (or fails to).
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in _DRIVERS:
        raise StoreError(f"unsupported database {backend!r} in {shown_url(url)!r}; {_EXAMPLES}")
    if driver and driver not in _DRIVERS[backend]:
        raise StoreError(
            f"driver {driver!r} is not supported; use {backend}:// "
            f"(monitor picks {_DRIVERS[backend][0]})"
        )
    if backend == "sqlite":
        _check_sqlite_path(parsed.database)
    return parsed


def _check_sqlite_path(database: str | None) -> None:
    # A typo in the directory must not start a fresh, empty database (every item would alert
    # again): the directory has to exist already.
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).expanduser().parent
    try:
        exists = folder.is_dir()
    except OSError:
        exists = False
    if not exists:
        raise StoreError(
            f"the directory of the SQLite database {database!r} does not exist "
            f"({folder}); create it, or fix the path"
        )


def shown_url(url: str) -> str:
    """`url` with any password masked, for a message (a URL that does not parse and has a
    `@` is not shown at all: what precedes it may be a password)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url if "@" not in url else "<unparsable URL>"


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite so BEGIN is ours (HAZARDS 6).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # A write transaction that starts DEFERRED fails at once with "database is locked" when
    # another writer commits between its read and its write; IMMEDIATE waits its turn instead.
    write = bool(conn.get_execution_options().get("monitor_write"))
    _temp_in_memory(conn, write)
    conn.exec_driver_sql(f"BEGIN {'IMMEDIATE' if write else 'DEFERRED'}")


def _temp_in_memory(conn: sa.Connection, write: bool) -> None:
    """Write transactions keep SQLite's temporary files in memory, reads in files (the
    build's default). A savepoint (one per article of a batch, ArticleStore.add_articles)
    and a statement that may write several rows keep a journal of the pages they change
    that the transaction had changed before; past 64 KiB SQLite moves it to a temporary
    file, and every page then costs two write calls: ~80% of the writes a first ingestion
    made, ~0.2 ms of system CPU an article (bench/bench_reader.py). Such a journal is
    bounded by the pages one write transaction changes; a read's temporary files (sorts of
    large results) stay on disk. Set only when it changes, on the pooled connection."""
    info = conn.connection.info
    if info.get("temp_in_memory") is not write:
        driver = conn.connection.driver_connection
        driver.execute(f"PRAGMA temp_store={'MEMORY' if write else 'DEFAULT'}")  # type: ignore[union-attr]
        info["temp_in_memory"] = write


def make_engine(url: str) -> Engine:
    """An engine for `url` with the per-dialect settings this project relies on."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_recycle=PG_RECYCLE_S
    )


def make_read_engine(url: str) -> Engine:
    """PostgreSQL: a pool for pure reads whose connections are in autocommit and read-only.

    A read then costs its statements' round trips only: no BEGIN, no ROLLBACK, and no
    pre-ping (`Database.fetch` reruns the read once when the connection proves dead).
    """
    parsed = make_url(normalise_url(url))
    given = parsed.query.get("options")
    options = " ".join([*([given] if isinstance(given, str) else given or ()), PG_READ_OPTIONS])
    return sa.create_engine(
        parsed,
        isolation_level="AUTOCOMMIT",
        pool_size=5,
        max_overflow=15,
        pool_recycle=PG_RECYCLE_S,
        connect_args={"options": options},
    )


class Database:
    """The one handle on the database: sessions for reading and for writing."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        try:
            self.engine = make_engine(self.url)
            # SQLite reads stay in a (cheap, local) deferred transaction: one snapshot for the
            # several statements of a chunked text search.
            self._reader = (
                make_read_engine(self.url) if self.dialect == "postgresql" else self.engine
            )
        except (SQLAlchemyError, ImportError, ValueError, TypeError) as exc:
            raise StoreError(
                f"cannot use the database {self.display_url!r}: "
                f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
            ) from None
        self._writer = self.engine.execution_options(monitor_write=True)

    @property
    def display_url(self) -> str:
        """The URL with its password masked, for output."""
        return shown_url(self.url)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction (BEGIN IMMEDIATE on SQLite), committed on exit."""
        with self._session(self._writer) as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in one write transaction (BEGIN IMMEDIATE on SQLite), committed
        on exit: `write` without the ORM session, for hot paths that run Core statements."""
        try:
            with self._writer.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise _store_error(exc) from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back on exit."""
        with self._session(self.engine, commit=False) as session:
            yield session

    def fetch(self, work: Callable[[Connection], T]) -> T:
        """Run the pure read `work(conn)` and return its result: the hot read path.

        PostgreSQL: on the read-only autocommit pool, so each statement is its own snapshot
        (use `read()` when several statements must agree) and a write is refused. SQLite: in
        a deferred transaction that is rolled back. A connection found dead (the server
        restarted, the backend was killed) is discarded with the rest of the pool and `work`
        runs once more on a fresh one: a read is safe to repeat.
        """
        for attempt in (1, 2):
            try:
                with self._reader.connect() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt == 1 and exc.connection_invalidated:
                    log.info("db_reconnect error=%s", exc.__class__.__name__)
                    continue
                raise _store_error(exc) from exc
            except StoreDisconnectedError:  # (a driver statement: SQLAlchemy did not see it)
                if attempt == 2:
                    raise
                log.info("db_reconnect error=StoreDisconnectedError")
                # the pool's other connections died with this one (a restart): a new pool, as
                # SQLAlchemy invalidates its pool on a disconnect it sees itself
                self._reader.dispose(close=False)
            except SQLAlchemyError as exc:
                raise _store_error(exc) from exc
        raise AssertionError("unreachable")

    @contextmanager
    def _session(self, bind: Engine, commit: bool = True) -> Iterator[Session]:
        try:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                yield session
                if not commit:
                    session.expunge_all()  # keep loaded values readable after the rollback
                    session.rollback()
        except SQLAlchemyError as exc:
            raise _store_error(exc) from exc

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except SQLAlchemyError:
            return False

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
        if self._reader is not self.engine:
            self._reader.dispose()


# What a server that is down, starting, stopping or full says (libpq's words, lower case);
# a wrong name, role or password says something else and is not worth waiting for.
_NOT_YET = (
    "connection refused",
    "the database system is",  # starting up, shutting down, in recovery mode
    "too many clients",
    "timeout expired",
    "server closed the connection",
    "terminating connection due to administrator command",
    "connection reset",
    "could not receive data",
    "no connection to the server",
)


def unreachable(exc: BaseException) -> bool:
    """True when `exc` (a StoreError, SQLAlchemy's or the driver's, through their causes)
    says the server is not answering yet, as while it starts or restarts: worth waiting
    for. A wrong database, role or password, or any other error, is not."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreDisconnectedError):
            return True
        text = str(current).lower()
        if any(words in text for words in _NOT_YET):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def cannot_open(exc: BaseException) -> str:
    """One line for a driver error met while opening the database (server down or starting,
    wrong credentials): its first line, without SQLAlchemy's background link."""
    first = next((ln for ln in str(exc).splitlines() if ln.strip()), "")
    first = first.split(" (Background on this error at:")[0]
    return f"cannot open the database: {exc.__class__.__name__}: {first}"


def _store_error(exc: SQLAlchemyError) -> StoreError:
    return StoreError(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
