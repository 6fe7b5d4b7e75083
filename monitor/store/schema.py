"""The metadata Alembic compares against, and the objects it must leave alone."""

from typing import Any

from sqlmodel import SQLModel

from monitor.store import models  # noqa: F401  (registers the tables)

metadata = SQLModel.metadata

# Objects made by hand-written migrations that the ORM metadata does not describe
# (full-text search tables, triggers' shadow tables, SQLite's record of articles stored out
# of id order from 0005); `alembic check` must not drop them.
UNMANAGED_PREFIXES = ("articles_fts", "article_order_breaks")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic hook: skip unmanaged objects."""
    if name and any(name.startswith(p) for p in UNMANAGED_PREFIXES):
        return False
    return not (type_ == "column" and name == "search_vector")
