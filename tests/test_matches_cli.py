"""`monitor matches` on the command line: filters, the three formats, clear errors."""

import csv
import io
import json

import pytest
from matches_seed import T0, Seed, add
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import Database


@pytest.fixture
def env(db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """MONITOR_DATABASE_URL points at a database with two matches and one non-match."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    return {
        "a": add(
            db,
            Seed(
                "Wang Yi on Taiwan",
                "Wang Yi spoke on Taiwan.",
                T0,
                tags={"wang-yi": 2, "taiwan": 1},
                watches=["desk"],
            ),
        ),
        "b": add(
            db,
            Seed(
                "Blinken, trade",
                "Antony Blinken on trade.",
                T0.replace(day=21),
                feed="other",
                tags={"antony-blinken": 1, "trade": 1},
            ),
        ),
        "none": add(db, Seed("Weather", "Rain.", T0.replace(day=22))),
    }


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["matches", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_lines_carry_the_contract_fields(env: dict[str, int]) -> None:
    """--format json prints one object per match, newest first, with the CONTRACT fields."""
    code, out, _ = _run("--format", "json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [m["id"] for m in lines] == [env["b"], env["a"]]
    assert set(lines[1]) >= {
        "url",
        "title",
        "published",
        "feed",
        "matched_at",
        "watches",
        "actors",
        "issues",
    }
    assert lines[1]["actors"] == [
        {"id": "wang-yi", "name": "Wang Yi", "count": 2, "level": "mention", "score": 0.0}
    ]
    assert lines[1]["matched_at"] == "2026-11-20T12:00:00Z"


def test_filters_on_the_command_line(env: dict[str, int]) -> None:
    """--actor/--issue/--watch/--feed/--since/--until/--text/--limit narrow the result."""

    def ids(*args: str) -> list[int]:
        code, out, err = _run("--format", "json", *args)
        assert code == 0, err
        return [json.loads(line)["id"] for line in out.splitlines()]

    assert ids("--actor", "wang-yi", "--issue", "taiwan") == [env["a"]]
    assert ids("--issue", "taiwan", "--issue", "trade") == []
    assert ids("--watch", "desk") == [env["a"]]
    assert ids("--feed", "other") == [env["b"]]
    assert ids("--since", "2026-11-21") == [env["b"]]
    assert ids("--until", "2026-11-20") == [env["a"]]
    assert ids("--text", "blinken") == [env["b"]]
    assert ids("--limit", "1") == [env["b"]]
    assert ids("--since", "100000d") == [env["b"], env["a"]]


def test_csv_has_a_header_and_tag_ids(env: dict[str, int]) -> None:
    """--format csv prints a header and one row per match, list fields joined with ';'."""
    code, out, _ = _run("--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[1]["actors"] == "wang-yi"
    assert rows[1]["issues"] == "taiwan"
    assert rows[1]["watches"] == "desk"
    assert rows[0]["title"] == "Blinken, trade"


def test_table_for_people(env: dict[str, int]) -> None:
    """The default table shows time, feed, title, tags and watches."""
    code, out, _ = _run()
    assert code == 0
    for text in (
        "time",
        "feed",
        "title",
        "tags",
        "watches",
        "2026-11-20 12:00",
        "Wang Yi on",
        "wang-yi×2",
        "desk",
        "2 matches",
    ):
        assert text in out, text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "soon"), "--since: 'soon' is neither"),
        (("--text", "-taiwan"), "--text:"),
    ],
)
def test_bad_filters_exit_1_with_a_message(
    env: dict[str, int], args: tuple[str, ...], message: str
) -> None:
    """A bad filter exits 1 with an error naming the option."""
    code, out, err = _run(*args)
    assert code == 1
    assert message in " ".join(err.split())
    assert out == ""


def test_unmigrated_database_is_refused(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that is not at the newest migration gets a hint to upgrade, not a traceback."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    code, _, err = _run()
    assert code == 1
    assert "monitor db upgrade" in err


def test_a_duration_past_the_calendar_is_a_clear_error() -> None:
    """A huge --since duration is refused in one line, not an OverflowError."""
    from datetime import UTC, datetime

    from monitor.store.filters import parse_when

    with pytest.raises(ValueError, match="past the year 1"):
        parse_when("99999999999d", datetime(2026, 1, 1, tzinfo=UTC))
