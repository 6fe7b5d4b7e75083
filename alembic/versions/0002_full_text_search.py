"""full-text search over articles (title, text)

SQLite: an FTS5 external-content table `articles_fts` kept in step with `articles` by three
triggers (porter stemming over unicode61, diacritics folded). PostgreSQL: a stored generated
`search_vector` tsvector column (english; title weighted A, text B) with a GIN index.
Neither is described by the ORM metadata; monitor/store/schema.py tells `alembic check` to
leave `articles_fts*` objects and the `search_vector` column alone.

Caution for later SQLite migrations: a batch operation that *recreates* `articles` (column
type or constraint changes) drops these triggers with the old table; recreate them after
(see `_sqlite_triggers` below). tests/test_fts.py fails when they are missing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL refuses a tsvector over 1 MB; cap the text indexed so a huge page cannot make
# storing its article fail. 500k characters is far beyond any news article.
PG_TEXT_CAP = 500_000


_NEW = "new.id, coalesce(new.title, ''), new.text"
_OLD = "old.id, coalesce(old.title, ''), old.text"
_ADD = "INSERT INTO articles_fts(rowid, title, text) VALUES ({row});"
_REMOVE = "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', {row});"


def _sqlite_triggers() -> list[str]:
    """The statements that keep articles_fts in step with articles (constants only)."""
    add, remove = _ADD.format(row=_NEW), _REMOVE.format(row=_OLD)
    return [
        "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN " + add + " END",
        "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN " + remove + " END",
        "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN "
        + remove + " " + add + " END",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')")
        for statement in _sqlite_triggers():
            op.execute(statement)
        op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, "
            f"left(coalesce(text, ''), {PG_TEXT_CAP})), 'B')) STORED")
        op.execute("CREATE INDEX articles_fts_search_vector ON articles USING gin (search_vector)")
    else:
        raise NotImplementedError(f"full-text search is not set up for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS articles_fts_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
