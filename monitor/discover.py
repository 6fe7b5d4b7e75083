"""Find the feed of a site's page, as feed readers do: the URL itself, the feeds the page
links (`<link rel="alternate" type="application/rss+xml">`), then common paths; each
candidate fetched through the guarded client and accepted only if it parses as a feed."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from monitor.errors import FetchError, MonitorError, ParseError
from monitor.fetch.feeds import FEED_ACCEPT
from monitor.fetch.http import GuardedClient
from monitor.parse import ParsedFeed, parse_feed

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "text/xml",
    "application/xml",
)
COMMON_PATHS = ("/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml", "/index.xml")
MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_CANDIDATES = 12  # links a page may offer that are tried


class NoFeedError(MonitorError):
    """Nothing at or linked from a URL is a feed; `tried` lists what was fetched."""

    def __init__(self, url: str, tried: Sequence[str], reason: str) -> None:
        self.url, self.tried = url, tuple(tried)
        super().__init__(f"no feed found at {url}: {reason}")


@dataclass(frozen=True, slots=True)
class Discovered:
    """The feed found: its URL (after redirects), how it was found, and its parsed content."""

    url: str
    found_by: str  # "given", "link" or "path"
    feed: ParsedFeed


class _Links(HTMLParser):
    """`<link rel="alternate">` feed URLs and `<base href>` of an HTML page, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.feeds: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and found.get("href") and self.base is None:
            self.base = found["href"].strip()
        if tag not in ("link", "a"):
            return
        rels = found.get("rel", "").lower().split()
        kind = found.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and found.get("href", "").strip():
            self.feeds.append(found["href"].strip())


def feed_links(html: str, page_url: str) -> list[str]:
    """Absolute URLs of the feeds an HTML page links with rel="alternate", in page order."""
    parser = _Links()
    try:
        parser.feed(html)
        parser.close()
    except (ValueError, AssertionError):  # html.parser gives up on some broken markup
        pass
    base = urljoin(page_url, parser.base) if parser.base else page_url
    out: list[str] = []
    for href in parser.feeds:
        absolute = urljoin(base, href)
        if urlsplit(absolute).scheme in ("http", "https") and absolute not in out:
            out.append(absolute)
    return out


def _looks_like_html(content_type: str, body: bytes) -> bool:
    """Whether a body is a web page rather than a feed: by its first bytes (some servers send
    RSS as text/html), else by its content type."""
    head = body[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith((b"<rss", b"<feed", b"<rdf:rdf")) or (
        head.startswith(b"<?xml") and b"<html" not in head
    ):
        return False
    return "html" in content_type or head.startswith((b"<!doctype html", b"<html"))


def _decode(body: bytes, content_type: str) -> str:
    charset = "utf-8"
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"' ")
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


async def _as_feed(
    client: GuardedClient, url: str, tried: list[str]
) -> tuple[str, ParsedFeed | None, bytes, str]:
    """Fetch `url`: (final URL, the parsed feed or None, body, content type)."""
    tried.append(url)
    result = await client.get(url, headers={"accept": FEED_ACCEPT}, max_bytes=MAX_PAGE_BYTES)
    if not 200 <= result.status < 300:
        raise FetchError(f"HTTP {result.status}", url=url, status=result.status)
    content_type = result.headers.get("content-type", "").lower()
    if _looks_like_html(content_type, result.body):
        return result.url, None, result.body, content_type
    try:
        parsed = await asyncio.to_thread(
            parse_feed, result.body, feed="discovery", base_url=result.url
        )
    except ParseError:
        return result.url, None, result.body, content_type
    return result.url, parsed, result.body, content_type


async def discover(client: GuardedClient, url: str) -> Discovered:
    """The feed at `url`, or linked from the page there, or at a common path of its site.

    Raises FetchError when `url` itself cannot be fetched (blocked address, timeout, HTTP
    error) and NoFeedError when nothing found is a feed.
    """
    tried: list[str] = []
    final, parsed, body, content_type = await _as_feed(client, url, tried)
    if parsed is not None:
        return Discovered(final, "given", parsed)
    links = (
        feed_links(_decode(body, content_type), final)
        if _looks_like_html(content_type, body)
        else []
    )
    root = "{0.scheme}://{0.netloc}".format(urlsplit(final))
    paths = [root + p for p in COMMON_PATHS]
    for how, candidates in (("link", links[:MAX_CANDIDATES]), ("path", paths)):
        for candidate in candidates:
            if candidate in tried:
                continue
            try:
                found, feed, _, _ = await _as_feed(client, candidate, tried)
            except FetchError:
                continue
            if feed is not None:
                return Discovered(found, how, feed)
    reason = (
        'the page links no feed (<link rel="alternate" type="application/rss+xml">) '
        f"and none of {', '.join(COMMON_PATHS)} answers with one"
        if not links
        else f"the {len(links)} feed link(s) of the page and the common paths gave no feed"
    )
    raise NoFeedError(url, tried, reason + "; pass the feed's own URL")
