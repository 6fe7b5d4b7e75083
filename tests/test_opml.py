"""`monitor feeds import FILE.opml` and `feeds export`: OPML 2.0 in and out, round trip."""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from httpserver import HTTPTestServer
from ingest_site import RSS, T0, Entry, rss
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import load_config
from monitor.feedsfile import parse_opml

# What a feed reader's export looks like: categories as folders, `text` and `title`, a feed
# listed twice, one already in the file, one whose URL cannot work.
READER_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="China" title="China">
      <outline type="rss" text="SCMP China" title="SCMP China"
               xmlUrl="https://www.scmp.com/rss/4/feed" htmlUrl="https://www.scmp.com/"/>
      <outline type="rss" text="The Diplomat" xmlUrl="https://thediplomat.com/feed/"/>
    </outline>
    <outline text="Wires">
      <outline type="rss" text="SCMP again" xmlUrl="https://www.scmp.com/rss/4/feed"/>
      <outline type="rss" text="BBC China" xmlUrl="https://feeds.bbci.co.uk/news/world/asia/china/rss.xml"/>
      <outline type="rss" text="Broken" xmlUrl="https://exa mple.org/feed"/>
    </outline>
    <outline text="A folder without feeds"/>
  </body>
</opml>
"""
EXISTING = """# desk feeds
[[feed]]
name = "bbc"
url = "https://feeds.bbci.co.uk/news/world/asia/china/rss.xml"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A feeds file with one feed, named by MONITOR_CONFIG."""
    path = tmp_path / "feeds.toml"
    path.write_text(EXISTING, encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(path))
    return path


def run(*args: str) -> tuple[int, str, str]:
    """`monitor feeds ARGS` in process."""
    result = CliRunner().invoke(app, ["feeds", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_import_adds_new_feeds_and_reports_counts(config: Path, tmp_path: Path) -> None:
    """Every outline with an xmlUrl, at any depth, is added once; those already in the file
    or listed twice are skipped, and a URL that cannot work is named; counts are reported."""
    opml = tmp_path / "subs.opml"
    opml.write_text(READER_EXPORT, encoding="utf-8")
    code, out, err = run("import", str(opml))
    assert code == 0, err
    assert "imported 2 feed(s)" in out
    assert "skipped 2 already there and 1 that cannot work" in out
    assert "skipped https://exa mple.org/feed: " in err
    feeds = {f.name: f.url for f in load_config(config, {}).feeds}
    assert feeds == {
        "bbc": "https://feeds.bbci.co.uk/news/world/asia/china/rss.xml",
        "scmp-china": "https://www.scmp.com/rss/4/feed",
        "the-diplomat": "https://thediplomat.com/feed/",
    }
    assert config.read_text(encoding="utf-8").startswith(EXISTING)
    code, out, _ = run("import", str(opml))
    assert "imported 0 feed(s)" in out


def test_export_is_opml_2_that_imports_back(config: Path, tmp_path: Path) -> None:
    """The export is OPML 2.0 (stdlib XML parser: version, head, rss outlines with text,
    title, xmlUrl); importing it into an empty file gives the same names and URLs."""
    opml = tmp_path / "subs.opml"
    opml.write_text(READER_EXPORT, encoding="utf-8")
    assert run("import", str(opml))[0] == 0
    code, out, err = run("export")
    assert code == 0, err
    root = ET.fromstring(out)  # noqa: S314 - our own export
    assert (root.tag, root.get("version")) == ("opml", "2.0")
    assert root.findtext("head/title") == "monitor feeds"
    outlines = root.findall("body/outline")
    assert {o.get("type") for o in outlines} == {"rss"}
    assert (outlines[0].get("text"), outlines[0].get("title")) == ("bbc", "bbc")
    exported = tmp_path / "out.opml"
    assert run("export", "-o", str(exported))[0] == 0
    written = ET.parse(exported).getroot()  # noqa: S314 - our own export
    assert [o.attrib for o in written.iter("outline")] == [o.attrib for o in outlines]

    fresh = tmp_path / "fresh.toml"
    fresh.write_text("# empty\n", encoding="utf-8")
    result = CliRunner(env={"MONITOR_CONFIG": str(fresh)}).invoke(
        app, ["feeds", "import", str(exported)]
    )
    assert result.exit_code == 0, result.stderr
    before = {(f.name, f.url) for f in load_config(config, {}).feeds}
    assert {(f.name, f.url) for f in load_config(fresh, {}).feeds} == before


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """Feeds on 127.0.0.1."""
    with HTTPTestServer("127.0.0.1") as server:
        yield server


def test_exported_urls_are_feeds_feedparser_reads(
    tmp_path: Path, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Round trip through feedparser: each xmlUrl of the export, fetched, parses as the feed
    that was added."""
    for i in range(2):
        site.route(
            f"/f{i}.xml",
            body=rss(
                f"Wire {i}", [Entry(f"g{i}", f"http://example.org/{i}", f"Story {i}", published=T0)]
            ),
            headers=RSS,
        )
    path = tmp_path / "feeds.toml"
    monkeypatch.setenv("MONITOR_CONFIG", str(path))
    monkeypatch.setenv("MONITOR_ALLOWED_NETWORKS", "127.0.0.0/8")
    for i in range(2):
        assert run("add", site.url(f"/f{i}.xml"))[0] == 0
    code, out, _ = run("export")
    assert code == 0
    urls = [url for _, url in parse_opml(out.encode())]
    assert urls == [site.url("/f0.xml"), site.url("/f1.xml")]
    for i, url in enumerate(urls):
        parsed = feedparser.parse(httpx.get(url, timeout=5).content)
        assert parsed.feed.title == f"Wire {i}"
        assert parsed.entries[0].title == f"Story {i}"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"<rss version='2.0'><channel/></rss>", "not OPML"),
        (b"<opml><body><outline", "not XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">]><opml version="2.0">'
            b"<body><outline xmlUrl='https://x.example/&a;'/></body></opml>",
            "DOCTYPE or entities",
        ),
    ],
)
def test_files_that_are_not_opml_are_refused(
    config: Path, tmp_path: Path, data: bytes, says: str
) -> None:
    """Not OPML, not XML, or a DTD with entities (billion laughs): one line, no change."""
    opml = tmp_path / "bad.opml"
    opml.write_bytes(data)
    code, _, err = run("import", str(opml))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert says in lines[0]
    assert config.read_text(encoding="utf-8") == EXISTING
    assert "error: " in run("import", str(tmp_path / "missing.opml"))[2]
