"""`monitor extract`: files, stdin and guarded URLs to JSON Lines or text; failures per source."""

import json
from pathlib import Path

from httpserver import HTTPTestServer
from test_extract import PARAGRAPHS, page
from typer.testing import CliRunner

from monitor.cli import app

runner = CliRunner()


def test_extract_file_and_stdin_as_json(tmp_path: Path) -> None:
    """A file and stdin each give one JSON line with the contract's fields."""
    path = tmp_path / "article.html"
    path.write_bytes(page())
    result = runner.invoke(app, ["extract", str(path), "-"], input=page().decode())
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in rows] == [str(path), "-"]
    assert set(rows[0]) == {"source", "title", "author", "published", "language", "text"}
    assert rows[0]["title"] == "Diplomats hold maritime talks in Geneva"
    assert rows[0]["published"].startswith("2026-11-19")
    assert PARAGRAPHS[0] in rows[0]["text"]
    assert "Most read today" not in rows[0]["text"]


def test_extract_url_through_the_guard(http_server: HTTPTestServer) -> None:
    """A URL is fetched when MONITOR_ALLOWED_NETWORKS allows it, refused otherwise."""
    http_server.route("/story", body=page(), headers={"content-type": "text/html"})
    url = http_server.url("/story")
    ok = runner.invoke(
        app, ["extract", "--format", "text", url], env={"MONITOR_ALLOWED_NETWORKS": "127.0.0.1/32"}
    )
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("# Diplomats hold maritime talks in Geneva")
    refused = runner.invoke(app, ["extract", url], env={"MONITOR_ALLOWED_NETWORKS": ""})
    assert refused.exit_code == 1
    assert url in refused.stderr
    assert "not public" in refused.stderr
    assert len(http_server.hits("/story")) == 1


def test_failing_source_does_not_stop_the_others(tmp_path: Path) -> None:
    """A missing file is reported by name on stderr, the good one is printed, exit 1."""
    good = tmp_path / "good.html"
    good.write_bytes(page())
    result = runner.invoke(app, ["extract", str(tmp_path / "missing.html"), str(good)])
    assert result.exit_code == 1
    assert "missing.html" in result.stderr
    assert [json.loads(x)["source"] for x in result.stdout.splitlines()] == [str(good)]
