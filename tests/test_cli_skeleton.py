"""The command line: every CONTRACT command exists and explains itself."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from monitor.cli import app
from monitor.cli.common import print_csv, print_table

CONTRACT_COMMANDS = [
    ("run",),
    ("tag",),
    ("extract",),
    ("matches",),
    ("serve",),
    ("feeds",),
    ("show",),
    ("alerts",),
    ("alerts", "retry"),
    ("vocab",),
    ("vocab", "suggest"),
    ("db", "upgrade"),
    ("retag",),
]


def _walk(cmd: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    # typer vendors its own click, so duck-type groups by their `commands` mapping.
    found = {path: cmd}
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            found.update(_walk(sub, (*path, name)))
    return found


def test_every_contract_command_exists_with_help() -> None:
    """Each command of CONTRACT is registered and has help text."""
    commands = _walk(typer.main.get_command(app))
    for path in CONTRACT_COMMANDS:
        assert path in commands, f"monitor {' '.join(path)} is missing"
    for path, cmd in commands.items():
        assert (cmd.help or "").strip(), f"monitor {' '.join(path)} has no help text"


@pytest.mark.parametrize("path", CONTRACT_COMMANDS)
def test_help_runs(path: tuple[str, ...]) -> None:
    """`monitor CMD --help` prints usage and exits 0."""
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m monitor --version` works like the console script."""
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.startswith("monitor ")


def test_db_upgrade_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`monitor db upgrade` migrates the database MONITOR_DATABASE_URL names."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from monitor.store import Database
    from monitor.store.migrate import current_revision, head_revision

    db = Database(url)
    assert current_revision(db) == head_revision(db) is not None
    db.dispose()


def test_db_upgrade_bad_url_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable database is a clear error with a hint, exit 1."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "MONITOR_DATABASE_URL" in result.output


def test_tables_show_times_to_the_second_and_csv_keeps_iso(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A table cell reads "2026-12-02 09:54:36" (UTC); CSV keeps the exact ISO instant."""
    when = datetime(2026, 12, 2, 10, 54, 36, 772366, tzinfo=timezone(timedelta(hours=1)))
    print_table(None, ["when"], [[when]])
    assert "2026-12-02 09:54:36" in capsys.readouterr().out
    print_csv([{"when": when.astimezone(UTC)}], ["when"])
    assert "2026-12-02T09:54:36.772366Z" in capsys.readouterr().out
