"""search time buckets: full-text hits narrowed to a stretch of time inside the index

PostgreSQL: `articles.search_vector` (0002) also holds five "time bucket" lexemes of the
article's stored_at, '@1:N', '@4:N', '@16:N', '@64:N', '@256:N' (N: the UTC day since 1970
divided by the bucket's size in days, rounded down). A search ANDs its words with the buckets
of the stretch it reads, so the GIN index finds only that stretch's hits and a rare word's
newest page reads a few dozen rows instead of walking ~20k articles or reading every hit
(monitor/store/textsearch.py, monitor/store/queries.py). The generated column is dropped and
added again with the new expression, which recomputes it for every stored article (a table
rewrite), and its GIN index is rebuilt.

SQLite: `article_order_breaks` (a table outside the ORM metadata, like articles_fts) records,
through triggers on `articles`, every article stored out of id order: with a smaller id than
one already stored, or an older stored_at than one already stored, or whose stored_at or id
changed. Each row keeps the highest article id at that moment. With no such row at or above
an id, no article below that id is newer than one at or above it, so a search read newest
id first can stop without checking (monitor/store/queries.py). The upgrade backfills it by
recording one break at the highest id when the stored articles are not already in order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_TEXT_CAP = 500_000  # as in 0002
_WORDS = ("setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
          "setweight(to_tsvector('english'::regconfig, "
          f"left(coalesce(text, ''), {PG_TEXT_CAP})), 'B')")
_EPOCH = "extract(epoch FROM (stored_at - timestamptz '1970-01-01 00:00:00+00'))"
_BUCKETS = ("array_to_tsvector(ARRAY["
            + ", ".join(f"'@{days}:' || floor({_EPOCH} / {86_400 * days})::bigint"
                        for days in (1, 4, 16, 64, 256))
            + "])")
_INDEX = "CREATE INDEX articles_fts_search_vector ON articles USING gin (search_vector)"

_SQLITE = [
    "CREATE TABLE article_order_breaks (id INTEGER PRIMARY KEY, at_id INTEGER NOT NULL)",
    "CREATE INDEX article_order_breaks_at_id ON article_order_breaks (at_id)",
    # new.id below the highest id, or new.stored_at below the newest: out of order.
    "CREATE TRIGGER article_order_breaks_ai AFTER INSERT ON articles "
    "WHEN new.id < (SELECT max(id) FROM articles) "
    "OR new.stored_at < (SELECT max(stored_at) FROM articles) "
    "BEGIN INSERT INTO article_order_breaks (at_id) SELECT max(id) FROM articles; END",
    "CREATE TRIGGER article_order_breaks_au AFTER UPDATE OF id, stored_at ON articles "
    "BEGIN INSERT INTO article_order_breaks (at_id) SELECT max(id) FROM articles; END",
]


def _pg_search_vector(expression: str) -> None:
    op.execute("DROP INDEX IF EXISTS articles_fts_search_vector")
    op.execute("ALTER TABLE articles DROP COLUMN search_vector, ADD COLUMN search_vector "
               f"tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute(_INDEX)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _pg_search_vector(f"{_WORDS} || {_BUCKETS}")
    elif dialect == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)
        # Backfill: one break at the top unless every stored article is already in order
        # (each one's stored_at at least that of every smaller id), checked in one pass.
        op.execute(
            "INSERT INTO article_order_breaks (at_id) SELECT top FROM (SELECT max(id) AS top "
            "FROM articles) WHERE top IS NOT NULL AND EXISTS (SELECT 1 FROM (SELECT stored_at, max(stored_at) OVER (ORDER BY id "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM articles) "
            "WHERE stored_at < before)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _pg_search_vector(_WORDS)
    elif dialect == "sqlite":
        for name in ("article_order_breaks_ai", "article_order_breaks_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS article_order_breaks")
