"""Shared fixtures: a migrated database on SQLite and on PostgreSQL for every storage test."""

import contextlib
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from monitor.store import Database, Store
from monitor.store.migrate import upgrade

if TYPE_CHECKING:
    from httpserver import HTTPTestServer

# The PostgreSQL server CI provides (trust auth); each pytest session gets its own database.
PG_ADMIN_URL = os.environ.get("MONITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SEEDS = SHARED / "seeds"


def need_shared(path: Path) -> Path:
    """`path` under ../shared, or a visible skip when it is absent (never in CI: that fails)."""
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI must run with ../shared beside the clone")
        pytest.skip(f"{path} is absent (outside CI, ../shared is optional)")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, migrated; dropped at the end."""
    name = f"monitor_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} does not answer in CI: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} does not answer: {exc}")
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _truncate_all(db: Database) -> None:
    from monitor.store.schema import metadata

    names = ", ".join(t.name for t in metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file migrated once for the session, which `db_url` copies (running
    every migration again for each of the hundreds of SQLite tests costs ~0.1 s apiece)."""
    path = tmp_path_factory.mktemp("template") / "monitor.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    assert not path.with_name("monitor.db-wal").exists(), "the template must be one file"
    return path


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, emptied (for tests that run on PostgreSQL only)."""
    db = Database(pg_database)
    _truncate_all(db)
    db.dispose()
    return pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty, migrated database: a new SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "monitor.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    db = Database(url)
    _truncate_all(db)
    db.dispose()
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A Database on `db_url`."""
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def store(db: Database) -> Iterator[Store]:
    """A Store over `db`, closed after the test (its writer thread stopped)."""
    with Store(db) as opened:
        yield opened


@pytest.fixture
def http_server() -> Iterator["HTTPTestServer"]:
    """A real threaded HTTP server on 127.0.0.1 (tests/httpserver.py: routes + request log)."""
    from httpserver import HTTPTestServer

    with HTTPTestServer("127.0.0.1") as server:
        yield server


# ---- serial tests ----------------------------------------------------------------------
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A `serial` test (it restarts the PostgreSQL server) breaks whatever runs beside it, so
    it fails at once in a parallel worker (-n): the parallel run says `-m "not serial"`, and
    `python -m pytest -m serial` runs such tests alone (README, Tests)."""
    if hasattr(item.config, "workerinput") and item.get_closest_marker("serial"):
        pytest.fail(
            "a test marked serial cannot run in a parallel worker (-n): add "
            "-m 'not serial', and run it alone with: python -m pytest -m serial",
            pytrace=False,
        )


# ---- no process left behind ------------------------------------------------------------
SESSION_MARK = "MONITOR_TEST_SESSION"


def marked_processes(mark: str, name: str = SESSION_MARK) -> list[int]:
    """Pids of live (non-zombie) processes whose environment holds `name=mark`."""
    needle = f"{name}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            stat = (entry / "stat").read_text(errors="replace")
        except OSError:
            continue
        if stat[stat.rfind(")") + 2 :][:1] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _own_helpers() -> set[int]:
    """This process's multiprocessing helpers, which end when it does."""
    from multiprocessing import forkserver, resource_tracker

    helpers = {os.getpid()}
    for pid in (
        getattr(forkserver._forkserver, "_forkserver_pid", None),
        getattr(resource_tracker._resource_tracker, "_pid", None),
    ):
        if pid:
            helpers.add(pid)
    return helpers


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Every process the suite starts (daemons, their forkservers and extraction workers)
    carries a mark in its environment; when the suite ends, none may still run."""
    if not Path("/proc/self/environ").exists():
        yield
        return
    mark = uuid.uuid4().hex
    os.environ[SESSION_MARK] = mark
    yield
    deadline = time.monotonic() + 10
    left = [p for p in marked_processes(mark) if p not in _own_helpers()]
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [p for p in marked_processes(mark) if p not in _own_helpers()]
    if left:
        commands = {p: _cmdline(p) for p in left}
        for pid in left:  # ours by the mark: do not leave them running either
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the test suite left processes behind: {commands}")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"
