"""Apply Alembic migrations from the installed package (`monitor db upgrade`, `monitor run`)."""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from monitor.errors import StoreError
from monitor.store.db import Database


def script_location() -> Path:
    """Where the migration scripts are: the monitor.migrations package (alembic/ in source)."""
    spec = importlib.util.find_spec("monitor.migrations")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    source = Path(__file__).resolve().parents[2] / "alembic"
    if source.is_dir():
        return source
    raise StoreError("migration scripts not found; reinstall monitor")


def _config(db: Database) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["configure_logging"] = False
    return cfg


# The PostgreSQL advisory lock that serialises migrations (any fixed 64-bit key of ours).
MIGRATION_LOCK = 0x6D6F6E69746F72  # "monitor"


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on every start, by several processes at
    once: the first migrates while the others wait for it, then find nothing to do.

    PostgreSQL: a transaction-scoped advisory lock taken before Alembic reads the version;
    SQLite: the write lock of the BEGIN IMMEDIATE transaction the migration runs in.
    """
    cfg = _config(db)
    with db.engine.execution_options(monitor_write=True).begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    """The revision the database is at (None when empty)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    """The newest revision the scripts know."""
    return ScriptDirectory.from_config(_config(db)).get_current_head()
