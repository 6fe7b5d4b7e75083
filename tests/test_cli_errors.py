"""Every user mistake is one line on stderr that says what to do: never a traceback."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer
from matches_seed import T0, Seed, add
from serve_support import free_port, in_process
from typer.testing import CliRunner

from monitor.api import create_app
from monitor.cli import app
from monitor.cli.common import fail
from monitor.config import Settings, load_config
from monitor.store import Database, Store

FEED = '[[feed]]\nname = "wire"\nurl = "http://127.0.0.1:9/f"\n'
WATCH = '[[watch]]\nname = "w"\nquery = "{}"\n'

BAD_CONFIGS = {
    "interval overflow": (FEED + 'interval = "99999999999999w"\n', "feed[0].interval"),
    "every overflow": (
        FEED + '[channel.m]\ntype = "email"\nto = ["a@example.org"]\n'
        'mode = "digest"\nevery = "999999999999w"\n',
        "channel.m.every",
    ),
    "5000 parentheses": (FEED + WATCH.format("(" * 5000 + "x" + ")" * 5000), "watch[0].query"),
    "4000 NOTs": (FEED + WATCH.format("NOT " * 4000 + "x"), "watch[0].query"),
    "TOML 3000 deep": ("a = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    "vocabulary not UTF-8": ('vocabulary = ["latin1.toml"]\n' + FEED, "not UTF-8"),
    "URL with a space": (FEED.replace("127.0.0.1:9", "exa mple.org"), "feed[0].url"),
    "port 99999999": (FEED.replace(":9/", ":99999999/"), "feed[0].url"),
    "broken IPv6": (FEED.replace("127.0.0.1:9/f", "[::1/"), "feed[0].url"),
    "1 MB URL": (FEED.replace("/f", "/" + "a" * 1_000_000), "feed[0].url"),
    "control character": (FEED.replace("/f", "/\\u0007f"), "feed[0].url"),
    "bad IDNA": (FEED.replace("127.0.0.1:9/f", "xn--zz.org/"), "feed[0].url"),
    "secret not whsec_": (
        FEED + '[channel.h]\ntype = "webhook"\nurl = "http://127.0.0.1:9/h"\n'
        'secret_env = "HOOK_SECRET"\n',
        "HOOK_SECRET",
    ),
    "feed:nonexistent": (FEED + WATCH.format("feed:nonexistent"), "unknown feed"),
    "lower-case and": (FEED + WATCH.format("actor:wang-yi and issue:taiwan"), "did you mean AND?"),
    "not an e-mail": (
        FEED + '[channel.m]\ntype = "email"\nto = ["not-an-email"]\n',
        "channel.m.to",
    ),
    "unknown actor": (FEED + WATCH.format("actor:wang"), "did you mean wang-yi"),
}


def _environ(config: Path, db_url: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    out.update(
        MONITOR_CONFIG=str(config),
        MONITOR_DATABASE_URL=db_url,
        MONITOR_SMTP_HOST="127.0.0.1",
        HOOK_SECRET="c2VjcmV0",
        COLUMNS="80",
    )
    return out


def _monitor(env: dict[str, str], *args: str) -> "subprocess.CompletedProcess[str]":
    """`python -m monitor ARGS` in `env`, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr[:2000]
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("command", [["run", "--once"], ["check"]])
@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_configuration_is_one_line_at_start(
    tmp_path: Path, case: str, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`monitor run --once` and `monitor check` refuse each bad configuration of issues 14
    and 18 with exit 1 and one line naming the file and the key, before touching the
    database."""
    text, says = BAD_CONFIGS[case]
    (tmp_path / "latin1.toml").write_bytes(
        '[[issue]]\nid = "x"\nname = "Caf\xe9"\n'.encode("latin-1")
    )
    config = tmp_path / "desk-feeds.toml"
    config.write_text(text, encoding="utf-8")
    db_path = tmp_path / "m.db"
    for key, value in _environ(config, f"sqlite:///{db_path}").items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    line = _one_error_line(result.stderr)
    assert says in line
    assert str(tmp_path) in line
    assert not db_path.exists()


BAD_URLS = [
    ("nosuchdb://", "unsupported database 'nosuchdb'"),
    ("::::", "is not a database URL"),
    ("sqlite:////proc/self/nope/x.db", "does not exist"),
    ("postgresql://nobody@127.0.0.1:1/none", "cannot open the database"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("url", "says"), BAD_URLS)
def test_bad_database_url_is_one_line_from_run(tmp_path: Path, url: str, says: str) -> None:
    """A database URL that cannot work (or a server that is down) is one line from the real
    `monitor run` process, naming MONITOR_DATABASE_URL: no traceback. (The server that is
    down is given no wait here; test_run_cli has the wait.)"""
    config = tmp_path / "feeds.toml"
    config.write_text(FEED, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once"],
        text=True,
        capture_output=True,
        env={**_environ(config, url), "MONITOR_DATABASE_WAIT": "0"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    line = _one_error_line(done.stderr)
    assert says in line
    assert "MONITOR_DATABASE_URL" in line


@pytest.mark.parametrize(("url", "says"), BAD_URLS)
@pytest.mark.parametrize("command", [["feeds"], ["matches"], ["check"], ["alerts"]])
def test_bad_database_url_is_one_line(
    tmp_path: Path, url: str, says: str, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same from the other commands that open the database."""
    config = tmp_path / "feeds.toml"
    config.write_text(FEED, encoding="utf-8")
    for key, value in _environ(config, url).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    line = _one_error_line(result.stderr)
    assert says in line
    assert "MONITOR_DATABASE_URL" in line


def test_check_passes_a_good_setup_without_creating_anything(
    tmp_path: Path, db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`monitor check` on a valid file and a reachable database says ok and exits 0; a SQLite
    file that does not exist yet is not created."""
    config = tmp_path / "feeds.toml"
    config.write_text(FEED + WATCH.format("actor:wang-yi AND feed:wire"), encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"ok: {config}: 1 feed(s), 1 watch(es), 0 channel(s)")
    assert "answers (up to date)" in result.stdout
    fresh = tmp_path / "fresh.db"
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{fresh}")
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.stderr
    assert "will be created by `monitor run`" in result.stdout
    assert not fresh.exists()


def test_sqlite_directory_is_not_created(tmp_path: Path) -> None:
    """A typo in the SQLite directory is refused; no fresh database appears anywhere."""
    from monitor.errors import StoreError

    with pytest.raises(StoreError, match="does not exist"):
        Database(f"sqlite:///{tmp_path / 'tpyo' / 'monitor.db'}")
    assert not (tmp_path / "tpyo").exists()


def test_fail_prints_brackets_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """`[channel.x]` in a message reaches the user: fail() prints text, not rich markup."""
    with pytest.raises(typer.Exit):
        fail("feeds.toml:3: [channel.ops-hook.url] bad [bold]x[/bold]", "see [channel.x]")
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "[channel.ops-hook.url] bad [bold]x[/bold]" in err
    assert "see [channel.x]" in err


def test_config_hint_names_the_actual_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hint names the config file in use, not "feeds.toml"."""
    config = tmp_path / "desk.toml"
    config.write_text(FEED + 'interval = "soon"\n', encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    result = CliRunner().invoke(app, ["run", "--once"])
    line = _one_error_line(result.stderr)
    assert f"fix {config} at the place named" in line
    assert "feeds.toml" not in line


@pytest.mark.parametrize(
    "command", [["run", "--once"], ["check"], ["retag"], ["watches", "test", "wang-yi"]]
)
def test_commands_give_one_wording_of_the_fix_hint(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command that reads feeds.toml ends a mistake in it with the same hint."""
    config = tmp_path / "desk.toml"
    config.write_text(FEED + 'interval = "soon"\n', encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert line.endswith(f"(hint: fix {config} at the place named above, then run again)")


# ---- matches: unknown ids and names get did-you-mean, on the CLI and in the API ----


@pytest.fixture
def seeded(db_url: str, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A database with one match of watch `desk` on feed `wire`, and a config naming them."""
    config = tmp_path / "feeds.toml"
    config.write_text(
        FEED.replace('"wire"', '"wire-world"')
        + WATCH.format("issue:taiwan").replace('"w"', '"desk"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    add(
        db,
        Seed(
            "Wang Yi on Taiwan",
            "Wang Yi spoke.",
            T0,
            tags={"wang-yi": 1, "taiwan": 1},
            watches=["desk"],
        ),
    )
    return db


UNKNOWN = [
    (["--actor", "wang"], "actor", "unknown actor id 'wang'; did you mean wang-yi, wang-wenbin"),
    (["--issue", "taiwn"], "issue", "unknown issue id 'taiwn'; did you mean taiwan?"),
    (["--watch", "nope"], "watch", "unknown watch 'nope'"),
    (["--watch", "dsk"], "watch", "unknown watch 'dsk'; did you mean desk?"),
    (["--feed", "wire-wrld"], "feed", "unknown feed 'wire-wrld'; did you mean wire-world"),
]


@pytest.mark.parametrize(("args", "field", "says"), UNKNOWN)
def test_matches_refuses_unknown_names(
    seeded: Database, args: list[str], field: str, says: str
) -> None:
    """`monitor matches` answers an unknown id or name with one line and the nearest valid
    ones (not an empty table and exit 0)."""
    result = CliRunner().invoke(app, ["matches", *args])
    assert result.exit_code == 1
    assert says in _one_error_line(result.stderr)


def test_matches_known_names_with_no_match_are_fine(seeded: Database) -> None:
    """A valid id with nothing stored is an empty answer, not an error."""
    result = CliRunner().invoke(app, ["matches", "--actor", "wang-wenbin", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "field", "says"), UNKNOWN)
async def test_api_refuses_unknown_names_with_422(
    seeded: Database, args: list[str], field: str, says: str
) -> None:
    """GET /matches answers 422 with the same message for the same unknown names."""
    config = load_config(Path(os.environ["MONITOR_CONFIG"]))
    async with in_process(create_app(Store(seeded), config, Settings())) as client:
        resp = await client.get("/matches", params={args[0].removeprefix("--"): args[1]})
        assert resp.status_code == 422
        assert says in resp.json()["message"]
        assert resp.json()["detail"][0]["loc"] == ["query", field]
        ok = await client.get("/matches", params={"actor": "wang-wenbin"})
        assert (ok.status_code, ok.json()["items"]) == (200, [])


# ---- tables fit 80 columns; serve says where it listens ----


def test_feeds_table_fits_80_columns(seeded: Database) -> None:
    """`monitor feeds` on an 80-column terminal: no line is wider; each feed is a table row
    (two lines for a long name) and its last error one line below the table."""
    from datetime import timedelta

    from monitor.types import FeedSpec, PollRecord

    store = Store(seeded)
    specs = [
        FeedSpec(
            f"outlet-{i}-{'x' * 30}",
            f"https://news{i}.example.org/" + "p/" * 30,
            timedelta(minutes=15),
        )
        for i in range(5)
    ]
    store.sync_feeds(specs, T0)
    for spec in specs[:3]:
        store.record_poll(
            spec.name,
            PollRecord(
                ok=False,
                next_poll=T0 + timedelta(hours=1),
                status=500,
                reason="backoff",
                error=f"HTTP 500 from {spec.url} after the server said something long",
            ),
            T0,
        )
    result = CliRunner().invoke(app, ["feeds"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) <= 5 + 2 * (len(specs) + 1) + 3
    assert sum("HTTP 500 from https://news" in line for line in lines) == 3
    wide = CliRunner().invoke(app, ["feeds"], env={"COLUMNS": "250"})
    assert "https://news0.example.org/" in wide.stdout
    assert "last success" in wide.stdout


@pytest.mark.slow
def test_serve_prints_the_url_it_listens_on(tmp_path: Path) -> None:
    """`monitor serve` says on stderr where it listens; that URL answers."""
    config = tmp_path / "feeds.toml"
    config.write_text(FEED, encoding="utf-8")
    port = free_port()
    env = _environ(config, f"sqlite:///{tmp_path / 'm.db'}")
    subprocess.run(
        [sys.executable, "-m", "monitor", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        assert int(found.group(1)) == port
        assert httpx.get(found.group(0) + "healthz", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr is not None:
            proc.stderr.close()


READ_COMMANDS = [
    ["feeds"],
    ["matches"],
    ["alerts"],
    ["alerts", "stats"],
    ["stories"],
    ["show", "1"],
    ["watches", "test", "issue:taiwan"],
    ["serve", "--port", "0"],
    ["prune", "--before", "365d", "--dry-run"],
]


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_read_commands_refuse_an_unmigrated_database_alike(
    tmp_path: Path, command: list[str]
) -> None:
    """Every command that opens the database but `run` and `db upgrade` answers one that is
    not migrated (a fresh SQLite file) with the same line naming `monitor db upgrade`, and
    leaves it as it was: `monitor feeds` used to create and migrate it silently and
    `monitor alerts` printed an empty table."""
    config = tmp_path / "feeds.toml"
    config.write_text(FEED, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = CliRunner().invoke(app, command, env=_environ(config, db_url))
    assert result.exit_code == 1, result.output
    line = _one_error_line(result.stderr)
    assert "the database is at revision none, not " in line
    assert "monitor db upgrade" in line
    with Store.open(db_url, schema="any") as store:
        assert store.revision()[0] is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://desk:s3cret@db.example.org/monitor",
            "postgresql://desk:***@db.example.org/monitor",
        ),
        ("sqlite:///./monitor.db", "sqlite:///./monitor.db"),
        ("::::s3cret@host", "<unparsable URL>"),
    ],
)
def test_a_database_url_is_shown_without_its_password(url: str, shown: str) -> None:
    """Messages, `monitor check` and the daemon's start line show a database URL through one
    function: the password masked; an unparsable URL with a `@` not at all."""
    from monitor.store.db import shown_url

    assert shown_url(url) == shown
    if not url.startswith(":"):
        db = Database(url)
        try:
            assert db.display_url == shown.replace("postgresql:", "postgresql+psycopg:")
        finally:
            db.dispose()


def test_db_upgrade_makes_the_read_commands_answer(tmp_path: Path) -> None:
    """After `monitor db upgrade` on that fresh file, the same read command answers (an
    empty table), and a second upgrade finds nothing to do."""
    config = tmp_path / "feeds.toml"
    config.write_text(FEED, encoding="utf-8")
    env = _environ(config, f"sqlite:///{tmp_path / 'fresh.db'}")
    for _ in range(2):
        upgraded = CliRunner().invoke(app, ["db", "upgrade"], env=env)
        assert upgraded.exit_code == 0, upgraded.output
        assert "database at revision " in upgraded.stderr
    result = CliRunner().invoke(app, ["alerts"], env=env)
    assert result.exit_code == 0, result.output
    assert "0 alert(s)" in result.stdout


@pytest.mark.slow
def test_a_failed_source_is_the_commands_one_line(tmp_path: Path) -> None:
    """`monitor extract` of a blocked URL and of a page without article text prints its own
    one line per source, without the guard's or trafilatura's warning before it; with -v the
    warnings are there."""
    config = tmp_path / "feeds.toml"
    config.write_text(FEED, encoding="utf-8")
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body></body></html>", encoding="utf-8")
    env = _environ(config, f"sqlite:///{tmp_path / 'm.db'}")

    def extract(*args: str) -> str:
        done = _monitor(env, *args)
        assert done.returncode == 1, done.stderr
        return done.stderr

    assert "is not public" in _one_error_line(extract("extract", "http://10.0.0.1/page"))
    assert "no article text" in _one_error_line(extract("extract", str(empty)))
    assert "fetch.blocked" in extract("-v", "extract", "http://10.0.0.1/page")


def test_source_loggers_are_quiet_only_within_the_command() -> None:
    """The fetch and extraction loggers are raised to ERROR while a command reads its sources
    (unless INFO is on) and put back afterwards: other work in the process keeps its warnings."""
    import logging

    from monitor.cli.common import sources_report_their_errors

    guard = logging.getLogger("monitor.fetch.guard")
    before = logging.getLogger("monitor.fetch").level
    with sources_report_their_errors():
        assert not guard.isEnabledFor(logging.WARNING)
        assert guard.isEnabledFor(logging.ERROR)
    assert logging.getLogger("monitor.fetch").level == before
    assert guard.isEnabledFor(logging.WARNING)


@pytest.mark.parametrize(
    ("args", "says", "help_of"),
    [
        (["matches", "--sinse", "1d"], "No such option: --sinse", "monitor matches --help"),
        (["nosuch"], "No such command 'nosuch'", "monitor --help"),
        (["matches", "--limit", "x"], "Invalid value for '--limit'", "monitor matches --help"),
        (["feeds", "add"], "Missing argument", "monitor feeds add --help"),
    ],
)
def test_usage_mistakes_are_one_line(
    tmp_path: Path, args: list[str], says: str, help_of: str
) -> None:
    """A wrong option, command or value is one line naming the help to read (exit 2), as the
    command line's own errors are, not typer's framed box over several lines."""
    done = _monitor(_environ(tmp_path / "feeds.toml", f"sqlite:///{tmp_path / 'm.db'}"), *args)
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done.stderr)
    assert says in line
    assert help_of.replace("monitor", "python -m monitor", 1) in line
    assert done.stdout == ""
