"""Feed parsing: items with resolved http(s) links, plain-text summaries, UTC dates, TTL,
entity blow-up defused, and robustness over feedparser's own test corpus."""

import re
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import CORPUS, need_shared

from monitor.errors import ParseError
from monitor.parse import ParsedFeed, defuse, html_to_text, parse_feed, parse_feed_async
from monitor.urls import normalise_url

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>World &amp; Asia</title><link>https://news.example.org/</link><ttl>30</ttl>
<item><title>Talks <b>resume</b></title><link>/world/talks?utm_source=rss</link>
  <guid isPermaLink="false">id-1</guid>
  <description>&lt;p&gt;Teaser &lt;script&gt;alert(1)&lt;/script&gt;text.&lt;/p&gt;
  &lt;p&gt;Two&lt;/p&gt;</description>
  <pubDate>Mon, 23 Nov 2026 10:00:00 +0800</pubDate><author>desk@example.org (Desk)</author></item>
<item><title>Evil</title><link>javascript:alert(document.cookie)</link></item>
<item><title>No id</title><description>only text</description></item>
</channel></rss>"""


def _parse(body: bytes, base: str = "https://news.example.org/feeds/world.xml") -> ParsedFeed:
    return parse_feed(body, feed="world", base_url=base)


def test_items_from_rss() -> None:
    """Title, guid, resolved link, plain-text summary, UTC date and TTL come out of RSS."""
    parsed = _parse(RSS)
    first, evil, bare = parsed.items
    assert parsed.title == "World & Asia"
    assert parsed.ttl == timedelta(minutes=30)
    assert (first.feed, first.guid, first.title) == ("world", "id-1", "Talks resume")
    assert first.url == "https://news.example.org/world/talks?utm_source=rss"
    assert first.summary == "Teaser text.\nTwo"
    assert first.published == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert evil.url is None
    assert evil.guid
    assert bare.url is None
    assert bare.guid.startswith("sha256:")


def test_guid_falls_back_to_link_then_hash() -> None:
    """Without a guid the link identifies the item; without both, a hash of title and text."""
    feed = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>a</title><link>https://x.org/a</link></item>"
        b"<item><title>b</title><description>d</description></item>"
        b"<item><title>b</title><description>d</description></item></channel></rss>"
    )
    a, b, c = _parse(feed).items
    assert a.guid == "https://x.org/a"
    assert b.guid == c.guid
    assert b.guid.startswith("sha256:")


def test_atom_with_xml_base_and_content() -> None:
    """Atom links resolve against xml:base; full content is preferred over the summary."""
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="https://atom.example.org/base/"><title>A</title>
      <entry><id>tag:x,2026:1</id><title type="html">&lt;i&gt;Hi&lt;/i&gt;</title>
      <link rel="alternate" href="post/1"/><updated>2026-11-23T10:00:00Z</updated>
      <summary>short</summary><content type="html">&lt;p&gt;long full body&lt;/p&gt;</content>
      </entry></feed>"""
    (item,) = _parse(atom).items
    assert item.url == "https://atom.example.org/base/post/1"
    assert (item.title, item.summary) == ("Hi", "long full body")
    assert item.published == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_relative_ids_and_bases_join_the_feeds_address() -> None:
    """What feedparser joins with the document's address is joined with the feed's URL: an
    Atom entry's id, an RSS guid that is the item's link (not one with isPermaLink="false"),
    links under a relative xml:base; an id with a scheme of its own stays as it is."""
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="sub/"><title>A</title>
      <entry><id>entries/1</id><title>one</title><link href="post/1"/></entry>
      <entry><id>HTTP://Elsewhere.example/2</id><title>two</title></entry>
      <entry><id>tag:x,2026:3</id><title>three</title></entry></feed>"""
    one, two, three = _parse(atom).items
    assert one.guid == "https://news.example.org/feeds/sub/entries/1"
    assert one.url == "https://news.example.org/feeds/sub/post/1"
    assert two.guid == "HTTP://Elsewhere.example/2"
    assert three.guid == "tag:x,2026:3"
    rss = b"""<rss version="2.0"><channel><title>R</title>
      <item><title>a</title><guid>a/1</guid></item>
      <item><title>b</title><guid isPermaLink="false">b/2</guid><link>/b</link></item>
      </channel></rss>"""
    a, b = _parse(rss).items
    assert (a.guid, a.url) == ("https://news.example.org/feeds/a/1",) * 2
    assert (b.guid, b.url) == ("b/2", "https://news.example.org/b")


def test_sy_update_period() -> None:
    """sy:updatePeriod / updateFrequency become the feed's TTL."""
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
      <channel rdf:about="x"><title>R</title><sy:updatePeriod>daily</sy:updatePeriod>
      <sy:updateFrequency>4</sy:updateFrequency></channel>
      <item rdf:about="https://r.org/1"><title>one</title><link>https://r.org/1</link></item>
      </rdf:RDF>"""
    parsed = _parse(rdf)
    assert parsed.ttl == timedelta(hours=6)
    assert [i.url for i in parsed.items] == ["https://r.org/1"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>not a feed</body></html>",
        b"\x89PNG\r\n\x1a\n\x00\x00garbage",
        b"{not json",
    ],
)
def test_non_feeds_raise_parse_error(body: bytes) -> None:
    """Bytes that are no feed raise ParseError naming the feed."""
    with pytest.raises(ParseError, match="world"):
        _parse(body)


def _entity_bomb(refs: int = 10_000) -> bytes:
    entity = "x" * 1000
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{entity}">\n]>\n'
        f'<rss version="2.0"><channel><title>T {"&a;" * refs}</title>'
        "<item><title>x</title><link>https://e.org/a</link></item></channel></rss>"
    ).encode()


def test_entity_blow_up_is_defused() -> None:
    """A 31 KB feed whose title would expand to 10 MB parses small (HAZARDS 1)."""
    bomb = _entity_bomb()
    tracemalloc.start()
    try:
        parsed = _parse(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed.title or "") <= len(bomb)
    assert peak < 8 * 1024 * 1024
    assert [i.url for i in parsed.items] == ["https://e.org/a"]


def test_entity_blow_up_in_utf16_is_defused() -> None:
    """The DOCTYPE is also removed from UTF-16 documents."""
    bomb = _entity_bomb(2000).decode().replace('version="1.0"?', 'version="1.0" encoding="utf-16"?')
    parsed = _parse(bomb.encode("utf-16"))
    assert len(parsed.title or "") <= len(bomb)


def _late_bomb(prolog: str, value: str = "x" * 1000, refs: int = 10_000) -> bytes:
    """An entity bomb whose DOCTYPE comes after `prolog` (comments, PIs, text)."""
    return (
        f'<?xml version="1.0"?>\n{prolog}<!DOCTYPE rss [\n<!ENTITY a "{value}">\n]>\n'
        f'<rss version="2.0"><channel><title>T {"&a;" * refs}</title>'
        "<item><title>x</title><link>https://e.org/a</link></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "prolog",
    [
        "<!--" + "c" * 70_000 + "-->\n",  # the reproduction: the DOCTYPE starts after 64 KiB
        "<!--" + "c" * 40_000 + "-->" + "<!--" + "d" * 40_000 + "-->",
        "<?pi " + "p" * 70_000 + "?>\n",
        " " * 70_000,
        "<!-- a comment that mentions <!ENTITY and ]> -->",
        "<!-- <b>an element-like tag in a comment</b> -->\n",  # beyond feedparser's head: expat's
        "not xml at all " * 5_000,  # text before the DOCTYPE: feedparser's loose parser's case
    ],
)
def test_entity_blow_up_after_a_long_prolog_is_defused(prolog: str) -> None:
    """A DOCTYPE declaring a "safe" entity, behind any length of comments, processing
    instructions or whitespace, is removed: the 10,000 references stay unexpanded."""
    bomb = _late_bomb(prolog)
    parsed = _parse(bomb)
    assert len(parsed.title or "") < 100_000
    assert [i.url for i in parsed.items] == ["https://e.org/a"]


def test_entity_declared_in_a_prolog_comment_is_defused() -> None:
    """feedparser collects line-leading `<!ENTITY` declarations even from a comment before
    the root and re-declares them under a plain DOCTYPE: they are removed too."""
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss>\n<!--\n<!ENTITY a "'
        + "x" * 1000
        + '">\n-->\n<rss version="2.0"><channel><title>T '
        + "&a;" * 10_000
        + "</title><item><title>x</title><link>https://e.org/a</link></item>"
        "</channel></rss>"
    ).encode()
    parsed = _parse(body)
    assert len(parsed.title or "") < 100_000


def test_entity_value_holding_the_doctype_end_is_defused() -> None:
    """An entity value containing `]>` does not end the DOCTYPE early (a second declaration
    behind it would otherwise survive)."""
    bomb = (
        _late_bomb("", value="]>" + "x" * 1000)
        .replace(b'">\n]>', b'">\n<!ENTITY b "' + b"y" * 1000 + b'">\n]>')
        .replace(b"&a;", b"&b;")
    )
    parsed = _parse(bomb)
    assert len(parsed.title or "") < 100_000


def test_defuse_keeps_plain_doctypes() -> None:
    """A DOCTYPE without entity declarations is left alone."""
    body = b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd"><rss/>'
    assert defuse(body) == body
    assert b"ENTITY" not in defuse(_entity_bomb(1))


def test_html_to_text() -> None:
    """Tags and scripts go, entities decode, blocks become lines."""
    assert html_to_text("<p>A &amp; B</p><style>x{}</style><div>C<br>D</div>") == "A & B\nC\nD"
    assert html_to_text("") is None


async def test_parse_off_the_event_loop() -> None:
    """parse_feed_async runs in a thread by default, or in a given process pool."""
    assert (await parse_feed_async(RSS, feed="world", base_url="https://n.org/")).title
    with ProcessPoolExecutor(1) as pool:
        parsed = await parse_feed_async(RSS, feed="world", base_url="https://n.org/", executor=pool)
    assert len(parsed.items) == 3


def _corpus_files() -> list[Path]:
    return sorted(p for p in need_shared(CORPUS / "feedparser-tests").rglob("*") if p.is_file())


def test_feedparser_corpus_is_handled() -> None:
    """Every feedparser test file parses or raises ParseError; item URLs normalise cleanly."""
    files = _corpus_files()
    assert len(files) > 2000
    parsed_count = 0
    for path in files:
        try:
            parsed = parse_feed(path.read_bytes(), feed="corpus", base_url="http://example.org/")
        except ParseError:
            continue
        parsed_count += 1
        for item in parsed.items:
            assert item.guid
            assert item.url is None or item.url.startswith(("http://", "https://"))
            assert item.url is None or normalise_url(item.url) is not None
            assert item.published is None or item.published.tzinfo is UTC
    assert parsed_count > 1000


def test_wellformed_feeds_with_entries_yield_items() -> None:
    """Each well-formed corpus feed that has an <item> or <entry> gives at least one item."""
    checked = 0
    for path in _corpus_files():
        body = path.read_bytes()
        if "wellformed" not in path.parts or not re.search(rb"<(item|entry)[\s>]", body):
            continue
        checked += 1
        assert parse_feed(body, feed="corpus", base_url="http://example.org/").items, path
    assert checked > 1000


def test_parsing_imports_no_missing_sax_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """feedparser's first-choice SAX driver (drv_libxml2) is not installed: a parse asks
    expat directly instead of searching sys.path for it on every feed (~15% of a parse)."""
    import sys

    asked: list[str] = []

    class Spy:
        @staticmethod
        def find_spec(name: str, *args: object) -> None:
            asked.append(name)

    monkeypatch.setattr(sys, "meta_path", [Spy(), *sys.meta_path])
    parsed = parse_feed(
        b"<rss version='2.0'><channel><title>T</title>"
        b"<item><title>One</title></item></channel></rss>",
        feed="f",
        base_url="https://example.org/",
    )
    assert [item.title for item in parsed.items] == ["One"]
    assert "drv_libxml2" not in asked
