"""What every store mixin can rely on: the Database handle."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from monitor.store.db import Database


def table_of(model: type[Any]) -> sa.Table:
    """The Core table behind a SQLModel class, for Core statements on hot paths."""
    table = model.__table__
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def insert_text(
    table: sa.Table,
    columns: Sequence[str],
    tail: str = "ON CONFLICT DO NOTHING",
    returning: Sequence[str] = (),
) -> sa.TextClause | sa.TextualSelect:
    """`INSERT INTO table (columns) VALUES (:columns) tail [RETURNING ...]` as a text statement
    whose parameters carry their columns' types: one SQL text for both dialects.

    SQLAlchemy does not cache the compiled form of its dialect `insert(...).on_conflict_*()`
    constructs (their class sets inherit_cache = False): each execution compiled the
    statement again, ~0.1-0.3 ms a time, several times per stored article. A text statement
    is compiled once and then found in the engine's cache. Every column named must be given
    a value on each execution (None for NULL).
    """
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) {tail}'  # noqa: S608 (names of the schema's own columns, checked below)
    if returning:
        sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
    clause = sa.text(sql).bindparams(*(sa.bindparam(c, type_=table.c[c].type) for c in columns))
    if returning:
        return clause.columns(*(table.c[c] for c in returning))
    return clause


class StoreBase:
    """Holds the Database; mixins add use-case methods."""

    def __init__(self, db: Database) -> None:
        self.db = db
