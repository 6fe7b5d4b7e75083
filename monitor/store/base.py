"""What every store mixin can rely on: the Database handle, and statement helpers."""

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

import sqlalchemy as sa

from monitor.errors import StoreDisconnectedError, StoreError
from monitor.store.db import Database


def table_of(model: type[Any]) -> sa.Table:
    """The Core table behind a SQLModel class, for Core statements on hot paths."""
    table = model.__table__
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def insert_sql(
    table: sa.Table,
    columns: Sequence[str],
    tail: str = "ON CONFLICT DO NOTHING",
    returning: Sequence[str] = (),
) -> str:
    """`INSERT INTO table (columns) VALUES (:columns) tail [RETURNING ...]`, the same text on
    both dialects (for DriverSQL); KeyError for a column the table lacks."""
    for name in (*columns, *returning):
        table.c[name]  # a column of the schema's own, or KeyError
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) {tail}'  # noqa: S608 (names of the schema's own columns, checked above)
    if returning:
        sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
    return sql


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class DriverSQL:
    """A hot statement run on the driver's own cursor of a Core connection, inside the
    transaction that connection holds: one text per dialect (SQLite's `:name` parameters,
    psycopg's `%(name)s`), parameters converted as the project's column types would.

    A SQLAlchemy execution costs ~0.1 ms before the driver is reached (execution context,
    bind processors, events, result set-up) against ~10-20 us for these statements in
    SQLite itself: the ten or so statements of each stored article spent most of the
    daemon's CPU there (bench/bench_reader.py). Parameters: aware datetimes (UTC; SQLite
    stores them naive, in SQLAlchemy's text format), dates, and lists (SQLite: a JSON array
    the statement reads with json_each; PostgreSQL: an array for `= ANY(...)`).
    """

    __slots__ = ("postgresql", "sqlite")

    def __init__(self, sqlite: str, postgresql: str | None = None) -> None:
        self.sqlite = sqlite
        self.postgresql = _NAMED.sub(r"%(\1)s", (postgresql or sqlite).replace("%", "%%"))

    def run(self, conn: sa.Connection, params: Mapping[str, Any]) -> Any:
        """Execute once; the driver's cursor (fetchone/fetchall)."""
        postgres = conn.dialect.name == "postgresql"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.postgresql if postgres else self.sqlite, _bound(params, postgres))
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _driver_error(exc, conn) from exc
        return cursor

    def many(self, conn: sa.Connection, rows: Iterable[Mapping[str, Any]]) -> int:
        """Execute once per row (the driver's executemany); the rows changed, all told."""
        postgres = conn.dialect.name == "postgresql"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(
                self.postgresql if postgres else self.sqlite,
                [_bound(row, postgres) for row in rows],
            )
            return int(cursor.rowcount)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _driver_error(exc, conn) from exc
        finally:
            cursor.close()


def with_lists(sql: str, *names: str, postgresql: str | None = None) -> DriverSQL:
    """DriverSQL of `sql` (and of `postgresql`, its PostgreSQL text when it differs) in which
    each `IN :name` reads one list parameter: SQLite's JSON array, PostgreSQL's array."""
    lite, pg = sql, postgresql or sql
    for name in names:
        lite = lite.replace(f"IN :{name}", f"IN (SELECT value FROM json_each(:{name}))")  # noqa: S608 (parameter names of constant statements)
        pg = pg.replace(f"IN :{name}", f"= ANY(:{name})")
    return DriverSQL(lite, pg)


_CONVERTED = (date, list, tuple)  # (datetime is a date)


def _bound(params: Mapping[str, Any], postgres: bool) -> dict[str, Any]:
    out = dict(params)
    for name, value in params.items():
        if isinstance(value, _CONVERTED):
            out[name] = _driver_value(value, postgres)
    return out


def _driver_value(value: Any, postgres: bool) -> Any:
    """What monitor.store.models.UTCDateTime, sa.Date and the JSON-array lists bind."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC one")
        return value.astimezone(UTC) if postgres else _sqlite_time(value)
    if isinstance(value, date):
        return value if postgres else value.isoformat()
    if isinstance(value, list | tuple):
        return list(value) if postgres else json.dumps(list(value))
    return value


@functools.lru_cache(maxsize=1024)
def _sqlite_time(value: datetime) -> str:
    """SQLite's text of an aware datetime (UTC, naive, microseconds). Cached: the rows of
    one stored article (its tags, matches, alerts, counts) bind the same time several times
    over; equal instants in other zones give the same text."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _driver_error(exc: Exception, conn: sa.Connection) -> StoreError:
    """The StoreError of a driver's exception; StoreDisconnectedError when the connection died
    (as SQLAlchemy tells its own statements' disconnects apart, which these bypass)."""
    first = (str(exc).splitlines() or [""])[0]
    message = f"database error: {exc.__class__.__name__}: {first}"
    try:
        dead = conn.dialect.is_disconnect(cast(Any, exc), conn.connection.dbapi_connection, None)
    except Exception:  # (a dialect that cannot tell) an ordinary error
        dead = False
    return StoreDisconnectedError(message) if dead else StoreError(message)


class StoreBase:
    """Holds the Database; mixins add use-case methods."""

    def __init__(self, db: Database) -> None:
        self.db = db
