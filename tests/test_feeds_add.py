"""`monitor feeds add` and `feeds remove`: discovery on pages served by a real loopback
server, the check through the guarded fetcher, and edits that keep the file's comments."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import HTTPTestServer
from ingest_site import HTML, RSS, T0, Entry, rss
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import load_config
from monitor.feedsfile import NewFeed, add_feeds, feed_name, remove_feed, slug

ATOM = {"content-type": "application/atom+xml"}
ORIGINAL = """# My desk's feeds.  Keep this comment.

[[feed]]
name = "bbc-china"        # the BBC, China section
url = "https://feeds.bbci.co.uk/news/world/asia/china/rss.xml"
interval = "15m"

# --- Watches ---
[[watch]]
name = "desk"
query = 'issue:taiwan AND feed:bbc-china'
"""


def atom(title: str) -> bytes:
    """A small Atom feed with one entry."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:x</id><updated>2026-11-23T09:00:00Z</updated>"
        '<entry><title>One</title><id>urn:1</id><link href="http://example.org/1"/>'
        "<updated>2026-11-23T09:00:00Z</updated></entry></feed>"
    ).encode()


def page(head: str = "") -> bytes:
    """A site's home page, linking what `head` says."""
    return (
        f"<!DOCTYPE html><html><head><title>Example News</title>{head}</head>"
        "<body><h1>Example News</h1><p>Stories.</p></body></html>"
    ).encode()


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1."""
    with HTTPTestServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A feeds file with comments, a feed and a watch that names it; loopback allowed."""
    path = tmp_path / "desk.toml"
    path.write_text(ORIGINAL, encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(path))
    monkeypatch.setenv("MONITOR_ALLOWED_NETWORKS", "127.0.0.0/8")
    return path


def feeds(*args: str) -> tuple[int, str, str]:
    """Run `monitor feeds ARGS` in process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, ["feeds", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def one_error(err: str) -> str:
    """The single error line of a refused command."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def test_add_finds_the_feed_a_page_links(config: Path, site: HTTPTestServer) -> None:
    """A home page's <link rel="alternate" type="application/rss+xml"> is followed, the feed
    is checked once, and a [[feed]] named from its title is appended; the file keeps every
    byte it had."""
    site.route(
        "/",
        body=page(
            '<link rel="alternate" type="application/rss+xml" title="World" href="/news/world.rss">'
        ),
        headers=HTML,
    )
    site.route(
        "/news/world.rss",
        body=rss(
            "Example News: World",
            [Entry("a", "http://example.org/a", "Minister warns", published=T0)],
        ),
        headers=RSS,
    )
    code, out, err = feeds("add", site.url("/"))
    assert code == 0, err
    assert "added feed 'example-news-world'" in out
    assert "linked from the page" in out
    assert "1 item, newest 2026-11-23" in out
    text = config.read_text(encoding="utf-8")
    assert text.startswith(ORIGINAL)
    assert text.endswith(
        f'\n\n[[feed]]\nname = "example-news-world"\nurl = "{site.url("/news/world.rss")}"\n'
    )
    cfg = load_config(config, {})
    assert [f.name for f in cfg.feeds] == ["bbc-china", "example-news-world"]
    assert len(site.hits("/news/world.rss")) == 1


def test_add_tries_common_paths_and_skips_html(config: Path, site: HTTPTestServer) -> None:
    """Without a link, /feed, /rss, /atom.xml, /feed.xml ... are tried; a path answering
    HTML (a soft 404) is not taken for a feed."""
    site.route("/section/", body=page(), headers=HTML)
    site.route("/feed", body=page(), headers=HTML)
    site.route("/feed.xml", body=atom("Section Wire"), headers=ATOM)
    code, out, err = feeds("add", site.url("/section/"), "--interval", "1h")
    assert code == 0, err
    assert "found at a common path" in out
    [feed] = [f for f in load_config(config, {}).feeds if f.name == "section-wire"]
    assert feed.url == site.url("/feed.xml")
    assert feed.interval.total_seconds() == 3600
    assert len(site.hits("/feed")) == 1


def test_add_takes_a_feed_url_as_is(config: Path, site: HTTPTestServer) -> None:
    """A URL that is a feed is added as given, with --name, even when the server calls it
    text/html."""
    site.route("/atom.xml", body=atom("Ignored title"), headers=HTML)
    code, out, err = feeds("add", site.url("/atom.xml"), "--name", "wire")
    assert code == 0, err
    assert "added feed 'wire'" in out
    assert "wire" in [f.name for f in load_config(config, {}).feeds]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["https://feeds.bbci.co.uk/news/world/asia/china/rss.xml"],
            "already in the file as feed 'bbc-china'",
        ),
        (["HTTPS://FEEDS.BBCI.CO.UK:443/news/world/asia/china/rss.xml#x"], "already in the file"),
        (["{site}/feed.xml", "--name", "bbc-china"], "a feed named 'bbc-china' exists already"),
        (["{site}/feed.xml", "--name", "no spaces"], "not a valid name"),
        (["{site}/feed.xml", "--interval", "soon"], "not a duration"),
        (["{site}/feed.xml", "--interval", "10s"], "at least 30s"),
        (["not a url"], "space or control character"),
    ],
)
def test_add_refuses_before_any_request(
    config: Path, site: HTTPTestServer, args: list[str], says: str
) -> None:
    """A duplicate URL or name, a bad name or interval: one line, nothing fetched, the file
    unchanged."""
    code, _, err = feeds("add", *(a.format(site=site.url("")) for a in args))
    assert code == 1
    assert says in one_error(err)
    assert site.requests == []
    assert config.read_text(encoding="utf-8") == ORIGINAL


def test_links_resolve_against_the_page_and_its_base(config: Path, site: HTTPTestServer) -> None:
    """A relative href resolves against <base href>; a type with parameters counts; links
    that are not feeds (a stylesheet, an HTML alternate) are not followed."""
    site.route(
        "/world/",
        body=page(
            '<base href="/edition/"><link rel="stylesheet" href="/s.css">'
            '<link rel="alternate" hreflang="fr" type="text/html" href="/fr/">'
            '<link rel="alternate" type="application/atom+xml; charset=utf-8" href="world.atom">'
        ),
        headers=HTML,
    )
    site.route("/edition/world.atom", body=atom("Edition World"), headers=ATOM)
    code, out, err = feeds("add", site.url("/world/"))
    assert code == 0, err
    assert site.url("/edition/world.atom") in out
    assert site.hits("/s.css") == []
    assert site.hits("/fr/") == []


def test_add_refuses_a_discovered_duplicate(config: Path, site: HTTPTestServer) -> None:
    """A page whose linked feed is already in the file is refused after discovery."""
    site.route("/rss.xml", body=rss("Wire", []), headers=RSS)
    assert feeds("add", site.url("/rss.xml"))[0] == 0
    site.route(
        "/",
        body=page('<link rel="alternate" type="application/atom+xml" href="rss.xml">'),
        headers=HTML,
    )
    before = config.read_text(encoding="utf-8")
    code, _, err = feeds("add", site.url("/"))
    assert code == 1
    assert "is already in the file as feed 'wire'" in one_error(err)
    assert config.read_text(encoding="utf-8") == before


def test_add_without_a_feed_says_so(config: Path, site: HTTPTestServer) -> None:
    """A page that links no feed, on a site with none at the common paths: one line naming
    what was looked for; the file unchanged."""
    site.route("/", body=page(), headers=HTML)
    code, _, err = feeds("add", site.url("/"))
    assert code == 1
    line = one_error(err)
    assert "no feed found" in line
    assert "/feed.xml" in line
    assert config.read_text(encoding="utf-8") == ORIGINAL


def test_add_goes_through_the_ssrf_guard(
    config: Path, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without MONITOR_ALLOWED_NETWORKS a loopback address is refused before connecting."""
    monkeypatch.delenv("MONITOR_ALLOWED_NETWORKS")
    site.route("/rss.xml", body=rss("Wire", []), headers=RSS)
    code, _, err = feeds("add", site.url("/rss.xml"))
    assert code == 1
    assert "MONITOR_ALLOWED_NETWORKS" in one_error(err)
    assert site.requests == []


def test_add_creates_a_missing_file(
    tmp_path: Path, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no config file yet, `feeds add` writes one that loads."""
    path = tmp_path / "new" / "feeds.toml"
    path.parent.mkdir()
    monkeypatch.setenv("MONITOR_CONFIG", str(path))
    monkeypatch.setenv("MONITOR_ALLOWED_NETWORKS", "127.0.0.1/32")
    site.route("/rss.xml", body=rss("人民网", []), headers=RSS)
    code, _, err = feeds("add", site.url("/rss.xml"))
    assert code == 0, err
    assert [f.name for f in load_config(path, {}).feeds] == ["127-0-0-1"]
    assert path.read_text(encoding="utf-8").startswith("# feeds.toml")


def test_remove_keeps_comments_and_the_rest(config: Path, site: HTTPTestServer) -> None:
    """`feeds remove` takes out the feed's lines only; a feed a watch names is refused."""
    site.route("/rss.xml", body=rss("Wire", []), headers=RSS)
    assert feeds("add", site.url("/rss.xml"))[0] == 0
    code, out, err = feeds("remove", "wire")
    assert code == 0, err
    assert "removed feed 'wire'" in out
    assert config.read_text(encoding="utf-8") == ORIGINAL

    code, _, err = feeds("remove", "bbc-chnia")
    assert code == 1
    assert "no feed named 'bbc-chnia'; did you mean bbc-china?" in one_error(err)
    code, _, err = feeds("remove", "bbc-china")
    assert code == 1
    line = one_error(err)
    assert "cannot remove feed 'bbc-china'" in line
    assert "unknown feed 'bbc-china'" in line  # the watch's feed:bbc-china
    assert config.read_text(encoding="utf-8") == ORIGINAL


def test_remove_between_feeds_keeps_section_banners(tmp_path: Path) -> None:
    """Removing a feed before a comment banner keeps the banner and the spacing."""
    path = tmp_path / "feeds.toml"
    text = (
        '# head\n\n[[feed]]\nname = "a"\nurl = "https://a.example/f"\n\n'
        '[[feed]]\nname = "b"   # note\n# inside b\nurl = "https://b.example/f"\n\n'
        '# --- next section ---\n\n[[feed]]\nname = "c"\nurl = "https://c.example/f"\n'
    )
    path.write_text(text, encoding="utf-8")
    remove_feed(path, "b")
    assert path.read_text(encoding="utf-8") == (
        '# head\n\n[[feed]]\nname = "a"\nurl = "https://a.example/f"\n\n'
        '# --- next section ---\n\n[[feed]]\nname = "c"\nurl = "https://c.example/f"\n'
    )
    remove_feed(path, "c")
    assert [f.name for f in load_config(path, {}).feeds] == ["a"]


def test_edits_of_an_inline_array_fall_back_to_tomlkit(tmp_path: Path) -> None:
    """A file whose feeds are an inline array cannot take a [[feed]] header: the edit goes
    through tomlkit, and the result means exactly the old file plus the feed."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        '# inline\nfeed = [{ name = "a", url = "https://a.example/f" }]\n', encoding="utf-8"
    )
    add_feeds(path, [NewFeed("b", "https://b.example/f", "30m")])
    cfg = load_config(path, {})
    assert [(f.name, f.interval.total_seconds()) for f in cfg.feeds] == [("a", 900), ("b", 1800)]
    assert path.read_text(encoding="utf-8").startswith("# inline\n")
    remove_feed(path, "a")
    assert [f.name for f in load_config(path, {}).feeds] == ["b"]


def test_names_from_titles_are_valid_and_unique() -> None:
    """Titles become kebab-case ASCII names; taken names get -2, -3; a title without Latin
    letters falls back to the host."""
    assert slug("Le Monde — International: l'actualité") == "le-monde-international-l-actualite"
    assert feed_name("BBC News - China", "https://bbc.example/x", []) == "bbc-news-china"
    assert (
        feed_name(
            "BBC News - China", "https://bbc.example/x", ["bbc-news-china", "bbc-news-china-2"]
        )
        == "bbc-news-china-3"
    )
    assert feed_name("新华网", "https://www.xinhuanet.com/rss", []) == "xinhuanet-com"
    assert len(feed_name("x" * 500, "https://a.example/", [])) <= 100


def test_a_symlinked_file_is_edited_where_it_points(tmp_path: Path) -> None:
    """feeds.toml as a symlink stays a symlink; the file it points to gets the feed, with
    its permissions kept."""
    real = tmp_path / "conf" / "feeds.toml"
    real.parent.mkdir()
    real.write_text(ORIGINAL, encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "feeds.toml"
    link.symlink_to(real)
    add_feeds(link, [NewFeed("wire", "https://wire.example/rss")])
    assert link.is_symlink()
    assert (real.stat().st_mode & 0o777) == 0o640
    assert "wire" in [f.name for f in load_config(real, {}).feeds]
    assert sorted(p.name for p in real.parent.iterdir()) == ["feeds.toml"]
