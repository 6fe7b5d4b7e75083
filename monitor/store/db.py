"""Engine and sessions: URL normalisation, SQLite WAL + IMMEDIATE writes, error wrapping."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from monitor.errors import StoreError

log = logging.getLogger(__name__)

SQLITE_BUSY_MS = 10_000


def normalise_url(url: str) -> str:
    """Pick our drivers: plain postgresql:// (or postgres://) URLs use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite so BEGIN is ours (HAZARDS 6).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # A write transaction that starts DEFERRED fails at once with "database is locked" when
    # another writer commits between its read and its write; IMMEDIATE waits its turn instead.
    mode = "IMMEDIATE" if conn.get_execution_options().get("monitor_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine for `url` with the per-dialect settings this project relies on."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """The one handle on the database: sessions for reading and for writing."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._writer = self.engine.execution_options(monitor_write=True)

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
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back on exit."""
        with self._session(self.engine, commit=False) as session:
            yield session

    @contextmanager
    def _session(self, bind: Engine, commit: bool = True) -> Iterator[Session]:
        try:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                yield session
                if not commit:
                    session.expunge_all()  # keep loaded values readable after the rollback
                    session.rollback()
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc.__class__.__name__}: "
                             f"{str(exc).splitlines()[0]}") from exc

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
