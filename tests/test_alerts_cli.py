"""`monitor alerts`, `monitor alerts retry` and `monitor alerts stats` on the command line."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from alerts_support import T0, seed
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import Database, Store

LEASE = timedelta(seconds=30)


@pytest.fixture
def rows(
    db_url: str, db: Database, store: Store, monkeypatch: pytest.MonkeyPatch
) -> dict[str, int]:
    """One delivered, one failed, one dead and one pending alert."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")
    delivered, failed, dead = seed(db, ["hook"], count=3, title="Wang Yi on Taiwan")
    store.claim_alerts(T0, "r", LEASE, 10)
    store.mark_delivered(delivered, T0 + timedelta(seconds=3))
    store.mark_failed(failed, "attempt 1: HTTP 500", T0 + timedelta(seconds=5), owner="r")
    store.mark_dead(dead, "attempt 8: HTTP 500", owner="r")
    (pending,) = seed(db, ["desk-mail"])
    return {"delivered": delivered, "failed": failed, "dead": dead, "pending": pending}


def run(*args: str) -> tuple[int, str, str]:
    """Invoke `monitor alerts ARGS`."""
    result = CliRunner().invoke(app, ["alerts", *args])
    return result.exit_code, result.stdout, result.stderr


def test_lists_undelivered_alerts_as_json_lines(rows: dict[str, int]) -> None:
    """The default lists pending, failed and dead rows with their state and last error."""
    code, out, _ = run("--format", "json")
    assert code == 0
    got = [json.loads(line) for line in out.splitlines()]
    assert [g["id"] for g in got] == [rows["failed"], rows["dead"], rows["pending"]]
    failed = got[0]
    assert failed["state"] == "failed"
    assert failed["channel"] == "hook"
    assert failed["attempts"] == 1
    assert failed["last_error"] == "attempt 1: HTTP 500"
    assert failed["next_attempt"] == "2026-11-23T10:00:05Z"
    assert failed["title"] == "Wang Yi on Taiwan"
    assert failed["watch"] == "desk"


def test_state_filter_and_table(rows: dict[str, int]) -> None:
    """--state narrows the list; the table names the columns and rows."""
    code, out, _ = run("--state", "dead", "--format", "json")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [rows["dead"]]
    code, out, _ = run("--state", "failed")
    assert code == 0
    assert "HTTP 500" in out
    assert "hook" in out
    assert "1 alert(s)" in out


def test_retry_by_id_and_all(rows: dict[str, int], store: Store) -> None:
    """`retry ID` replays one row now; `retry --all` the rest; an unknown id is an error."""
    code, out, _ = run("retry", str(rows["dead"]))
    assert code == 0
    assert out.startswith("1 alert(s)")
    dead = store.get_alert(rows["dead"])
    assert dead is not None
    assert dead.state == "pending"
    code, out, _ = run("retry", "--all")
    assert code == 0
    assert out.startswith("3 alert(s)")
    code, _, err = run("retry", "987654")
    assert code == 1
    assert "987654" in err
    code, _, err = run("retry")
    assert code == 2
    assert "--all" in err


def test_stats_reports_attempts_failures_and_latency(
    db_url: str, db: Database, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alerts stats --format json` gives per-channel delivery metrics (latency over the
    last 7 days, so these rows are stored at the real time)."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    now = datetime.now(UTC)
    delivered, failed, dead = seed(db, ["hook"], count=3, now=now)
    seed(db, ["desk-mail"], now=now)
    store.claim_alerts(now, "r", LEASE, 10, ["hook"])
    store.mark_delivered(delivered, now + timedelta(seconds=3))
    store.mark_failed(failed, "attempt 1: HTTP 500", now, owner="r")
    store.mark_dead(dead, "attempt 1: HTTP 500", owner="r")
    code, out, _ = run("stats", "--format", "json")
    assert code == 0
    by = {s["channel"]: s for s in map(json.loads, out.splitlines())}
    hook = by["hook"]
    assert (hook["delivered"], hook["failed"], hook["dead"]) == (1, 1, 1)
    assert hook["attempts"] == 3
    assert hook["failures"] == 2
    assert hook["latency_seconds_max"] == 3.0
    assert by["desk-mail"]["pending"] == 1
