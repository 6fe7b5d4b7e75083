"""`monitor tag` and `monitor vocab [suggest]` from the command line."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.vocab import parse_text

TEXT = (
    "Blinken meets Wang Yi\n\nSecretary of State Antony Blinken met Chinese Foreign "
    "Minister Wang Yi on Friday. Wang raised Taiwan and export controls.\n"
)
HTML = (
    "<!doctype html><html><head><title>Blinken in Beijing</title></head><body><article>"
    "<h1>Blinken in Beijing</h1><p>Secretary of State Antony Blinken met Chinese Foreign "
    "Minister Wang Yi in Beijing on Friday, and the two men spoke for hours about Taiwan, "
    "fentanyl and the detained U.S. citizens whose release Washington has sought.</p>"
    "<p>Blinken said the talks were candid and constructive. Wang said the United States "
    "must stop interfering in China's internal affairs. Both sides agreed to keep military "
    "communication channels open, officials said after the meeting ended.</p>"
    "</article></body></html>"
)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner with no feeds.toml in reach."""
    monkeypatch.setenv("MONITOR_CONFIG", str(tmp_path / "absent-feeds.toml"))
    monkeypatch.delenv("MONITOR_ALLOWED_NETWORKS", raising=False)
    return CliRunner()


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_tag_plain_text_file_as_json(runner: CliRunner, tmp_path: Path) -> None:
    """JSON Lines carry source, title, actors and issues with counts, plus evidence."""
    path = tmp_path / "story.txt"
    path.write_text(TEXT, encoding="utf-8")
    result = runner.invoke(app, ["tag", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    (row,) = _lines(result.stdout)
    assert row["source"] == str(path)
    assert row["title"] == "Blinken meets Wang Yi"
    actors = {a["id"]: a["count"] for a in row["actors"]}  # type: ignore[attr-defined]
    assert actors["antony-blinken"] == 2
    assert actors["wang-yi"] == 3
    assert {i["id"] for i in row["issues"]} == {"taiwan", "export-controls"}  # type: ignore[attr-defined]
    assert row["actors"][0].keys() == {"id", "name", "count", "level", "score"}  # type: ignore[index]
    evidence = {e["id"]: e for e in row["evidence"]}  # type: ignore[attr-defined]
    assert (
        TEXT[evidence["taiwan"]["start"] : evidence["taiwan"]["end"]] == evidence["taiwan"]["text"]
    )


def test_tag_stdin_and_table(runner: CliRunner) -> None:
    """With no argument stdin is tagged; the default format is a readable table."""
    result = runner.invoke(app, ["tag"], input=TEXT)
    assert result.exit_code == 0, result.output
    assert "wang-yi" in result.stdout
    assert "export-controls" in result.stdout


def test_tag_html_goes_through_extraction(runner: CliRunner, tmp_path: Path) -> None:
    """HTML files are extracted before tagging; markup never reaches the matcher."""
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    result = runner.invoke(app, ["tag", "-f", "json", str(path)])
    assert result.exit_code == 0, result.output
    (row,) = _lines(result.stdout)
    assert row["title"] == "Blinken in Beijing"
    issues = {i["id"] for i in row["issues"]}  # type: ignore[attr-defined]
    assert {"taiwan", "fentanyl", "detained-citizens", "military-communication"} <= issues


def test_tag_date_resolves_roles(runner: CliRunner) -> None:
    """--date resolves role phrases to whoever held the post."""
    text = "The Chinese foreign minister met the U.S. Secretary of State.\n"
    result = runner.invoke(app, ["tag", "-f", "json", "--date", "2023-03-01"], input=text)
    (row,) = _lines(result.stdout)
    assert {a["id"] for a in row["actors"]} >= {"qin-gang", "antony-blinken"}  # type: ignore[attr-defined]
    bad = runner.invoke(app, ["tag", "--date", "March"], input=text)
    assert bad.exit_code == 1


def test_tag_missing_file_reports_and_continues(runner: CliRunner, tmp_path: Path) -> None:
    """A failing source is reported on stderr, the others are tagged, the exit status is 1."""
    path = tmp_path / "ok.txt"
    path.write_text(TEXT, encoding="utf-8")
    result = runner.invoke(app, ["tag", "-f", "json", str(tmp_path / "nope.txt"), str(path)])
    assert result.exit_code == 1
    assert len(_lines(result.stdout)) == 1
    assert "nope.txt" in result.stderr


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = HTML.encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def page_url() -> Iterator[str]:
    """An article served on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/story.html"
    server.shutdown()
    server.server_close()


def test_tag_url_through_the_guard(
    runner: CliRunner, page_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """URLs are fetched through the SSRF guard: refused by default, tagged when allowed."""
    refused = runner.invoke(app, ["tag", "-f", "json", page_url])
    assert refused.exit_code == 1
    monkeypatch.setenv("MONITOR_ALLOWED_NETWORKS", "127.0.0.0/8")
    result = runner.invoke(app, ["tag", "-f", "json", page_url])
    assert result.exit_code == 0, result.output
    (row,) = _lines(result.stdout)
    assert "antony-blinken" in {a["id"] for a in row["actors"]}  # type: ignore[attr-defined]


def test_vocab_lists_and_validates(runner: CliRunner, tmp_path: Path) -> None:
    """`monitor vocab` lists entries; JSON has one entry per line; conflicts go to stderr."""
    result = runner.invoke(app, ["vocab", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in _lines(result.stdout)}
    assert rows["wang-yi"]["kind"] == "actor"
    assert rows["taiwan"]["kind"] == "issue"
    assert "shared alias 'wang'" in result.stderr
    table = runner.invoke(app, ["vocab"])
    assert table.exit_code == 0
    assert "aukus" in table.stdout


def test_vocab_refuses_a_bad_file_with_its_place(runner: CliRunner, tmp_path: Path) -> None:
    """A bad user vocabulary exits 1 naming file, line and key."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[[issue]]\nid = "x"\nname = "X"\nbogus = 1\n', encoding="utf-8")
    result = runner.invoke(app, ["vocab", "--vocab", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:4" in result.stderr
    assert "bogus" in result.stderr


def test_vocab_uses_feeds_toml_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files listed under `vocabulary` in feeds.toml join the bundled vocabulary."""
    (tmp_path / "extra.toml").write_text(
        '[[issue]]\nid = "rare-earths"\nname = "Rare earths"\n', encoding="utf-8"
    )
    config = tmp_path / "feeds.toml"
    config.write_text('vocabulary = ["extra.toml"]\n', encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    result = CliRunner().invoke(app, ["tag", "-f", "json"], input="Rare earths matter.\n")
    assert result.exit_code == 0, result.output
    issues = _lines(result.stdout)[0]["issues"]
    assert [(t["id"], t["name"], t["count"]) for t in issues] == [  # type: ignore[index]
        ("rare-earths", "Rare earths", 1)
    ]


def test_vocab_suggest_proposes_valid_stubs(runner: CliRunner, tmp_path: Path) -> None:
    """Suggestions are TOML stubs the loader accepts, leaving out what is already known."""
    path = tmp_path / "news.txt"
    path.write_text(
        "Defense Minister Richard Marles met Lloyd Austin. Richard Marles said "
        "supply chain security and supply chain resilience matter; the supply "
        "chain is fragile. "
        "The Asia Society Policy Institute hosted; the Asia Society Policy "
        "Institute agreed.\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["vocab", "suggest", str(path)])
    assert result.exit_code == 0, result.output
    entries = {e.id: e for e in parse_text(result.stdout)}
    assert entries["richard-marles"].roles[0].title == "Defense Minister"
    assert [a.text for a in entries["richard-marles"].aliases if a.form == "short"] == ["Marles"]
    assert entries["asia-society-policy-institute"].type == "organization"
    assert entries["supply-chain"].kind == "issue"
    assert "lloyd-austin" not in entries
