"""The storage foundation: URLs, migrations, SQLite concurrency, error wrapping."""

import socket
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from monitor.errors import StoreDisconnectedError, StoreError
from monitor.store import Database, Store
from monitor.store.db import normalise_url, unreachable
from monitor.store.migrate import current_revision, head_revision, upgrade
from monitor.store.models import FeedRow


def test_plain_postgresql_url_gets_psycopg_driver() -> None:
    """A plain postgresql:// or postgres:// URL is served by psycopg 3."""
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://u@h/db")
    assert normalise_url("postgres://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_migrations_reach_head(db: Database) -> None:
    """The fixture database sits at the newest migration, and upgrading again is a no-op."""
    assert current_revision(db) == head_revision(db)
    upgrade(db)
    assert current_revision(db) == head_revision(db)


def test_datetimes_round_trip_as_aware_utc(db: Database) -> None:
    """Datetimes come back aware and in UTC on both dialects."""
    when = datetime(2026, 11, 23, 12, 0, tzinfo=UTC) + timedelta(microseconds=5)
    with db.write() as s:
        s.add(FeedRow(name="f", url="https://example.org/f", next_poll=when, created_at=when))
    with db.read() as s:
        row = s.exec(sa.select(FeedRow)).scalars().one()  # type: ignore[call-overload]
    assert row.next_poll == when
    assert row.next_poll.tzinfo is not None


def test_naive_datetime_is_refused(db: Database) -> None:
    """Storing a naive datetime is an error, not a silent shift of hours."""
    with pytest.raises(StoreError), db.write() as s:
        s.add(FeedRow(name="f", url="u", created_at=datetime(2026, 1, 1)))


def test_driver_errors_are_wrapped(db: Database) -> None:
    """A constraint violation surfaces as StoreError, never a raw driver exception."""
    now = datetime.now(UTC)
    with db.write() as s:
        s.add(FeedRow(name="dup", url="u", created_at=now))
    with pytest.raises(StoreError, match="IntegrityError"), db.write() as s:
        s.add(FeedRow(name="dup", url="u", created_at=now))


def test_read_session_does_not_commit(db: Database) -> None:
    """Writes made through a read session are rolled back."""
    with db.read() as s:
        s.add(FeedRow(name="ghost", url="u", created_at=datetime.now(UTC)))
        s.flush()
    with db.read() as s:
        assert s.exec(sa.select(sa.func.count()).select_from(FeedRow)).scalar() == 0  # type: ignore[call-overload]


def test_sqlite_read_then_write_survives_a_concurrent_writer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """HAZARDS 6: a read-then-write transaction waits for a concurrent writer instead of failing."""
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(db)
    now = datetime.now(UTC)
    with db.write() as s:
        s.add(FeedRow(name="seed", url="u", created_at=now))
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        try:
            start.wait()
            for j in range(10):
                with db.write() as s:
                    n = s.exec(sa.select(sa.func.count()).select_from(FeedRow)).scalar()  # type: ignore[call-overload]
                    s.add(FeedRow(name=f"w{i}-{j}-{n}", url="u", created_at=now))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as s:
        assert s.exec(sa.select(sa.func.count()).select_from(FeedRow)).scalar() == 81  # type: ignore[call-overload]
    db.dispose()


def test_sqlite_deferred_read_then_write_fails_without_immediate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The hazard itself: a DEFERRED read-then-write loses to a writer that committed between."""
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    upgrade(db)
    now = datetime.now(UTC)
    with db.engine.connect() as a, db.engine.connect() as b:
        a.exec_driver_sql("SELECT count(*) FROM feeds").all()  # DEFERRED: a now holds a snapshot
        b.execute(
            sa.insert(FeedRow).values(
                name="b",
                url="u",
                created_at=now,
                enabled=True,
                in_config=True,
                full_text=True,
                interval_seconds=900,
                consecutive_errors=0,
            )
        )
        b.commit()
        with pytest.raises(OperationalError, match="locked"):
            a.execute(
                sa.insert(FeedRow).values(
                    name="a",
                    url="u",
                    created_at=now,
                    enabled=True,
                    in_config=True,
                    full_text=True,
                    interval_seconds=900,
                    consecutive_errors=0,
                )
            )
    db.dispose()


def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLite runs in WAL so the CLI reads while the daemon writes."""
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # a batch's changed pages fit the cache; the WAL is not copied back on every commit
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -32 * 1024
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
    db.dispose()


def test_sqlite_writes_keep_temporary_journals_in_memory_and_reads_on_disk(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A write transaction's savepoint and statement journals stay in memory (temp_store 2);
    a read on the same pooled connection is back on the build's default (0: files)."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    for _ in range(2):  # the setting follows each transaction, on a reused connection too
        with db.transaction() as conn:
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2
        with db.read() as s:
            assert s.connection().exec_driver_sql("PRAGMA temp_store").scalar() == 0
    with db.write() as s:
        assert s.connection().exec_driver_sql("PRAGMA temp_store").scalar() == 2
    db.dispose()


def test_driver_times_are_utc_text_whatever_the_zone_and_repeats() -> None:
    """SQLite binds an aware time as its UTC text, the same for one instant in any zone and
    on a repeated (cached) binding; PostgreSQL gets the UTC datetime; a naive one is refused."""
    from monitor.store.base import _driver_value

    utc = datetime(2026, 12, 7, 6, 30, 0, 250, tzinfo=UTC)
    east = utc.astimezone(timezone(timedelta(hours=5, minutes=30)))
    for _ in range(2):
        assert _driver_value(utc, False) == "2026-12-07 06:30:00.000250"
        assert _driver_value(east, False) == "2026-12-07 06:30:00.000250"
    later = utc + timedelta(microseconds=1)
    assert _driver_value(later, False) == "2026-12-07 06:30:00.000251"
    assert _driver_value(east, True) == utc
    assert _driver_value(east, True).tzinfo == UTC
    with pytest.raises(ValueError, match="naive"):
        _driver_value(utc.replace(tzinfo=None), False)


def test_alembic_check_is_clean(db: Database) -> None:
    """`alembic check`: the migrated schema matches the models exactly, on both dialects."""
    from alembic import command

    from monitor.store.migrate import _config

    cfg = _config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)  # raises AutogenerateDiffsDetected on any drift


def test_fetch_reads_and_never_writes(db: Database) -> None:
    """The hot read path answers reads; a write through it never lands (PostgreSQL refuses
    it, read-only; SQLite rolls it back)."""
    assert db.fetch(lambda conn: conn.exec_driver_sql("SELECT 1").scalar()) == 1
    insert = sa.insert(FeedRow).values(
        name="ghost",
        url="u",
        created_at=datetime.now(UTC),
        enabled=True,
        in_config=True,
        full_text=True,
        interval_seconds=900,
        consecutive_errors=0,
    )
    if db.dialect == "postgresql":
        with pytest.raises(StoreError, match="read-only"):
            db.fetch(lambda conn: conn.execute(insert))
    else:
        db.fetch(lambda conn: conn.execute(insert))
    with db.read() as s:
        assert s.exec(sa.select(sa.func.count()).select_from(FeedRow)).scalar() == 0  # type: ignore[call-overload]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_reads_plan_for_the_first_rows(db: Database) -> None:
    """The read pool's sessions compile nothing (JIT off), plan for each statement's own
    values, and start no parallel workers (for two common tags the planner, estimating their
    join at one row, would read all their rows in a parallel hash join instead of the merge
    join that stops at the page's end: bench/bench_desk.py, "matches, actor + issue")."""

    def settings(conn: sa.Connection) -> list[str]:
        return [
            conn.exec_driver_sql(f"SHOW {name}").scalar_one()
            for name in (
                "jit",
                "plan_cache_mode",
                "max_parallel_workers_per_gather",
                "default_transaction_read_only",
            )
        ]

    assert db.fetch(settings) == ["off", "force_custom_plan", "0", "on"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_fetch_recovers_when_the_server_drops_its_connections(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL: with no ping on checkout, a pooled read connection whose backend was
    killed (a server restart, an idle cut) is replaced and the read answers all the same."""
    import logging

    import psycopg

    caplog.set_level(logging.INFO, logger="monitor.store.db")
    pids = {
        db.fetch(lambda conn: conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())
        for _ in range(3)
    }
    with psycopg.connect(db.url.replace("+psycopg", ""), autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for _ in range(3):
        assert db.fetch(lambda conn: conn.exec_driver_sql("SELECT 1").scalar()) == 1
    assert "db_reconnect" in caplog.text  # the dead connection was met, and replaced


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_fetch_recovers_when_a_driver_statement_meets_a_dropped_connection(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The store's own statements run on the driver's cursor (DriverSQL), out of SQLAlchemy's
    sight: a killed backend under one of them still makes `fetch` drop the dead pool and read
    again, instead of failing the read (a poll that reads its feed's seen items right after a
    server restart once crashed, and its feed backed off)."""
    import logging

    import psycopg

    from monitor.store.base import DriverSQL

    pid_sql, one = DriverSQL("SELECT pg_backend_pid()"), DriverSQL("SELECT 1")
    caplog.set_level(logging.INFO, logger="monitor.store.db")
    pids = {db.fetch(lambda conn: pid_sql.run(conn, {}).fetchone()[0]) for _ in range(3)}
    with psycopg.connect(db.url.replace("+psycopg", ""), autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for _ in range(3):
        assert db.fetch(lambda conn: one.run(conn, {}).fetchone()[0]) == 1
    assert "db_reconnect error=StoreDisconnectedError" in caplog.text


@pytest.mark.slow
def test_upgrade_of_a_stored_database_backfills_revision_0005(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Articles stored before revision 0005 are found by searches after the upgrade (their
    PostgreSQL search vectors recomputed with time buckets), and SQLite records whether
    they were stored in id order."""
    import os
    import uuid

    import psycopg
    from conftest import PG_ADMIN_URL
    from matches_seed import T0

    from monitor.store import Store
    from monitor.store.queries import MatchFilter

    urls = [f"sqlite:///{tmp_path / 'old.db'}"]
    name = f"monitor_test_0005_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        urls.append(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            raise
        # no PostgreSQL outside CI: SQLite alone
    try:
        for url in urls:
            db = Database(url)
            upgrade(db, "0004")
            newer = _add_at_0004(db, "Late", "a harbour story", T0)
            older = _add_at_0004(db, "Early", "another harbour story", T0 - timedelta(days=90))
            upgrade(db)
            assert current_revision(db) == head_revision(db)
            found = Store(db).find_matches(MatchFilter(text="harbour")).items
            assert [m.article_id for m in found] == [newer, older]
            if db.dialect == "sqlite":
                with db.read() as s:
                    breaks = (
                        s.connection()
                        .exec_driver_sql("SELECT at_id FROM article_order_breaks")
                        .scalars()
                        .all()
                    )
                assert breaks == [older]  # stored out of id order: recorded
            else:
                with db.read() as s:
                    vector = (
                        s.connection()
                        .execute(
                            sa.text("SELECT search_vector::text FROM articles WHERE id = :id"),
                            {"id": older},
                        )
                        .scalar()
                    )
                assert "'@1:" in vector
            db.dispose()
    finally:
        if len(urls) > 1:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _add_at_0004(db: Database, title: str, text: str, at: datetime) -> int:
    """An article with a `trade` tag, written with the columns revision 0004 has (the models
    describe the newest schema, so they cannot write an old one)."""
    when = at.replace(tzinfo=None) if db.dialect == "sqlite" else at
    with db.write() as s:
        conn = s.connection()
        feed = conn.execute(sa.text("SELECT id FROM feeds WHERE name = 'old'")).scalar()
        if feed is None:
            feed = conn.execute(
                sa.text(
                    "INSERT INTO feeds (name, url, enabled, in_config, full_text, "
                    "interval_seconds, "
                    "consecutive_errors, created_at) VALUES ('old', 'https://example.org/f', "
                    "true, true, true, 900, 0, :at) RETURNING id"
                ),
                {"at": at},
            ).scalar()
        article = conn.execute(
            sa.text(
                "INSERT INTO articles (feed_id, guid, url, canonical_url, title, text, "
                "fingerprint, "
                "simhash, band0, band1, band2, band3, stored_at) "
                "VALUES (:feed, :guid, :url, :canonical, :title, :text, :fp, 0, 0, 0, 0, 0, :at) "
                "RETURNING id"
            ),
            {
                "feed": feed,
                "guid": title,
                "title": title,
                "fp": title,
                "text": text,
                "url": f"https://example.org/{title}",
                "canonical": f"https://example.org/{title}",
                "at": when,
            },
        ).scalar()
        conn.execute(sa.text("UPDATE articles SET story_id = id WHERE id = :id"), {"id": article})
        conn.execute(
            sa.text(
                "INSERT INTO article_tags (article_id, tag_id, kind, name, count, evidence, "
                "evidence_start, evidence_end, matched_at) "
                "VALUES (:id, 'trade', 'issue', 'Trade', 1, '', 0, 0, :at)"
            ),
            {"id": article, "at": when},
        )
        return int(article)


def _opening_error(url: str) -> StoreError:
    """The StoreError opening a Store on `url` gives (over the real driver's error)."""
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    return caught.value


def test_unreachable_tells_a_server_not_up_yet_from_a_wrong_database(pg_database: str) -> None:
    """`monitor run` waits for a refusing server or a dropped connection, never for a database
    or role that does not exist (MONITOR_DATABASE_WAIT)."""
    base = sa.make_url(pg_database)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    free = probe.getsockname()[1]
    probe.close()
    refused = _opening_error(base.set(port=free).render_as_string(hide_password=False))
    missing = _opening_error(base.set(database="monitor_no_such_db").render_as_string(False))
    no_role = _opening_error(base.set(username="monitor_no_such_role").render_as_string(False))
    assert unreachable(refused)
    assert not unreachable(missing)
    assert not unreachable(no_role)
    assert unreachable(StoreDisconnectedError("database error: the connection went"))
    shutting = OperationalError(
        "SELECT 1", {}, Exception("FATAL: the database system is shutting down")
    )
    assert not unreachable(StoreError("database error: OperationalError"))
    wrapped = StoreError("database error: OperationalError")
    wrapped.__cause__ = shutting
    assert unreachable(wrapped)
    assert not unreachable(ValueError("Connection to a mailbox"))
