"""What every store mixin can rely on: the Database handle."""

from typing import Any

import sqlalchemy as sa

from monitor.store.db import Database


def table_of(model: type[Any]) -> sa.Table:
    """The Core table behind a SQLModel class, for Core statements on hot paths."""
    table = model.__table__
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


class StoreBase:
    """Holds the Database; mixins add use-case methods."""

    def __init__(self, db: Database) -> None:
        self.db = db
