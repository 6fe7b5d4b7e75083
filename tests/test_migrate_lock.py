"""Several processes starting at once on one empty database: migrations run under a lock."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import PG_ADMIN_URL
from psycopg import sql

from monitor.store import Database
from monitor.store.migrate import current_revision, head_revision


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database without any schema (PostgreSQL: created, then dropped)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    request.getfixturevalue("pg_database")  # skips (or fails in CI) without PostgreSQL
    name = f"monitor_lock_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.mark.slow
def test_concurrent_upgrades_on_an_empty_database_all_succeed(empty_url: str) -> None:
    """Four `monitor db upgrade` started together: one migrates, the others wait for it;
    all exit 0 and the schema is at the newest revision."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ["MONITOR_DATABASE_URL"] = empty_url
    if "MONITOR_TEST_SESSION" in os.environ:
        environ["MONITOR_TEST_SESSION"] = os.environ["MONITOR_TEST_SESSION"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "monitor", "db", "upgrade"],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(p.wait(120), p.communicate()[1]) for p in procs]
    assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
    db = Database(empty_url)
    try:
        assert current_revision(db) == head_revision(db)
    finally:
        db.dispose()
