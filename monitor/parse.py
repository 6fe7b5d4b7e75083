"""Pure feed parsing: bytes -> items (feedparser), hardened against entity expansion (HAZARDS 1)."""

import asyncio
import codecs
import functools
import hashlib
import importlib.util
import re
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.errors import ParseError
from monitor.fetch.hints import bounded_int  # stdlib only: no HTTP client behind it
from monitor.types import Item
from monitor.urls import resolve

# feedparser asks xml.sax for the SAX driver "drv_libxml2" first, on every parse: a module
# that is not installed, so each parse searched sys.path for it (~0.12 ms, 15% of parsing a
# small feed) before falling back to expat. Where it is absent, expat is asked for directly.
if importlib.util.find_spec("drv_libxml2") is None:
    feedparser.api.PREFERRED_XML_PARSERS = []

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SPACE = re.compile(rb"\s*")
_ELEMENT = re.compile(rb"<\w")  # where feedparser's head (the part it takes entities from) ends
_ENTITY_DECL_WHOLE = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE)  # feedparser's own extent
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
MAX_TTL_MINUTES = 525_600  # a <ttl> over a year is read as a year (the scheduler caps lower)
_SY_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "tr",
        "table",
        "section",
        "article",
        "pre",
        "hr",
        "dd",
        "dt",
        "figure",
        "figcaption",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
_SPACES = re.compile(r"[ \t\f\v\r\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its title, its items, and how long it says it may be cached."""

    title: str | None
    items: tuple[Item, ...]
    ttl: timedelta | None = None
    link: str | None = None


def _strip_doctype(body: bytes) -> bytes:
    """`body` without entity declarations any parser would act on (HAZARDS 1).

    Two views are covered, each over its whole length: expat's (every DOCTYPE of the real
    prolog that declares entities goes, however long the comments and processing
    instructions before it), and feedparser's own (it collects `<!ENTITY` declarations from
    everything before the first `<` + letter and re-declares the "safe" ones: those go too;
    no element can stand there, so no content is touched).
    """
    if _ENTITY_DECL.search(body) is None:
        return body
    body = _strip_prolog_doctypes(body)
    first = _ELEMENT.search(body)
    head = body[: first.start()] if first else body
    if _ENTITY_DECL.search(head) is None:
        return body
    return _ENTITY_DECL_WHOLE.sub(b"", head) + body[len(head) :]


def _strip_prolog_doctypes(body: bytes) -> bytes:
    """`body` without the entity-declaring DOCTYPEs of its prolog (everything before the root
    element: the XML declaration, whitespace, comments, processing instructions)."""
    kept: list[bytes] = []
    pos = done = 0
    while True:
        pos = _SPACE.match(body, pos).end()  # type: ignore[union-attr]
        if body.startswith(b"\xef\xbb\xbf", pos):
            pos += 3
        elif body.startswith(b"<?", pos):
            pos = _end_of(body, b"?>", pos + 2)
        elif body.startswith(b"<!--", pos):
            pos = _end_of(body, b"-->", pos + 4)
        elif body[pos : pos + 9].upper() == b"<!DOCTYPE":
            end = _doctype_end(body, pos + 9)
            if _ENTITY_DECL.search(body, pos, end):
                kept.append(body[done:pos])
                done = end
            pos = end
        else:
            break
    return b"".join(kept) + body[done:] if kept else body


def _end_of(body: bytes, closer: bytes, start: int) -> int:
    found = body.find(closer, start)
    return len(body) if found < 0 else found + len(closer)


def _doctype_end(body: bytes, pos: int) -> int:
    """Where the DOCTYPE whose name starts at `pos` ends: its `>` outside quotes, comments and
    the internal subset (an unterminated one runs to the end)."""
    subset = False
    while pos < len(body):
        char = body[pos : pos + 1]
        if char in (b'"', b"'"):
            pos = _end_of(body, char, pos + 1)
            continue
        if subset and body.startswith(b"<!--", pos):
            pos = _end_of(body, b"-->", pos + 4)
            continue
        if char == b"[":
            subset = True
        elif char == b"]":
            subset = False
        elif char == b">" and not subset:
            return pos + 1
        pos += 1
    return len(body)


def defuse(body: bytes) -> bytes:
    """`body` without entity-declaring DOCTYPEs, also for UTF-16/32 documents (via a round trip)."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                return body
            cleaned = _strip_doctype(text.encode("utf-8"))
            return (
                cleaned.decode("utf-8").encode(codec) if cleaned != text.encode("utf-8") else body
            )
    if len(body) >= 4 and (body[0] == 0 or body[1] == 0):  # BOM-less UTF-16/32
        for codec in ("utf-32-be", "utf-32-le", "utf-16-be", "utf-16-le"):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                continue
            if text.lstrip().startswith("<"):
                cleaned = _strip_doctype(text.encode("utf-8"))
                return cleaned.decode("utf-8").encode(codec)
    return _strip_doctype(body)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str | None) -> str | None:
    """Plain text of an HTML fragment: tags and scripts dropped, paragraphs kept as lines."""
    if not html:
        return None
    if "<" not in html and "&" not in html:
        text = html
    else:
        parser = _TextOnly()
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    text = _LINES.sub("\n", _SPACES.sub(" ", text)).strip()
    return text or None


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return datetime(*value[:6], tzinfo=UTC)
            except (ValueError, OverflowError):
                continue
    return None


def _content(entry: Any) -> str | None:
    """The richest text the entry carries: full content if any, else the summary."""
    best: str | None = None
    for block in entry.get("content") or ():
        value = block.get("value") if hasattr(block, "get") else None
        if isinstance(value, str) and len(value) > len(best or ""):
            best = value
    summary = entry.get("summary")
    if isinstance(summary, str) and len(summary) > len(best or ""):
        best = summary
    return html_to_text(best)


def _single_line(value: Any) -> str | None:
    text = html_to_text(value) if isinstance(value, str) else None
    return " ".join(text.split()) if text else None


def _link(entry: Any, base_url: str) -> str | None:
    candidates = [entry.get("link")]
    candidates += [
        link.get("href")
        for link in entry.get("links") or ()
        if hasattr(link, "get") and link.get("rel", "alternate") == "alternate"
    ]
    for candidate in candidates:
        if isinstance(candidate, str):
            url = _absolute(base_url, candidate)
            if url is not None:
                return url
    guid = entry.get("id")
    if isinstance(guid, str) and entry.get("guidislink"):
        return _absolute(base_url, guid)
    return None


def _item(entry: Any, *, feed: str, base_url: str, atom: bool = False) -> Item:
    title = _single_line(entry.get("title"))
    summary = _content(entry)
    url = _link(entry, base_url)
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    if guid and (atom or entry.get("guidislink")):
        guid = _joined(base_url, guid)  # as feedparser joins such an id with the base
    guid = (guid or "").strip() or url or entry.get("link") or None
    if not isinstance(guid, str) or not guid:
        digest = hashlib.sha256(f"{title or ''}\n{summary or ''}".encode()).hexdigest()
        guid = f"sha256:{digest}"
    author = _single_line(entry.get("author"))
    return Item(
        feed=feed,
        guid=guid,
        url=url,
        title=title,
        summary=summary,
        author=author,
        published=_when(entry),
    )


def _joined(base: str, uri: str) -> str:
    """`uri` joined with `base` as feedparser joins what it resolves (an empty one stays
    empty, one urljoin cannot read becomes empty)."""
    if not uri:
        return uri
    try:
        return urljoin(base, uri)
    except ValueError:
        return ""


def _absolute(base: str, uri: str) -> str | None:
    """A link joined with the feed's address as feedparser joined it, then resolve()'s
    http(s) URL (None for anything else)."""
    return resolve(_joined(base, uri), base)


def _ttl(channel: Any) -> timedelta | None:
    """RSS <ttl> (minutes, at most MAX_TTL_MINUTES) or sy:updatePeriod/updateFrequency."""
    minutes = bounded_int(channel.get("ttl"), MAX_TTL_MINUTES)
    if minutes:
        return timedelta(minutes=minutes)
    period = channel.get("sy_updateperiod")
    if isinstance(period, str) and period.strip().lower() in _SY_PERIODS:
        count = bounded_int(str(channel.get("sy_updatefrequency") or "1"), 1_000_000) or 1
        return _SY_PERIODS[period.strip().lower()] / count
    return None


def parse_feed(body: bytes, *, feed: str, base_url: str) -> ParsedFeed:
    """Parse feed bytes into items; raises ParseError when the bytes are not a feed.

    CPU-bound: callers on an event loop use `parse_feed_async` (a thread or process pool).
    """
    if not body.strip():
        raise ParseError(f"feed {feed}: empty body")
    try:
        # No base address goes to feedparser (an empty content-location): given one, it joins
        # it with itself at every element (its xml:base bookkeeping: a urljoin per element,
        # ~30% of parsing a feed of summaries). Links are made absolute here (resolve()), and
        # so are the ids feedparser would have joined: an Atom entry's id, an RSS guid that is
        # the item's link. A header there keeps feedparser's rules for a document served
        # over HTTP (its fallback encodings), as when it was the base.
        parsed = feedparser.parse(
            defuse(body),
            response_headers={"content-location": ""},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser is a large, lenient parser; any crash means "not a feed"
        raise ParseError(f"feed {feed}: unparseable ({type(exc).__name__}: {exc})") from exc
    channel = parsed.get("feed") or {}
    entries = parsed.get("entries") or []
    title = _single_line(channel.get("title"))
    if parsed.get("bozo") and not entries and not title:
        reason = parsed.get("bozo_exception")
        raise ParseError(f"feed {feed}: not a feed ({type(reason).__name__}: {reason})")
    atom = str(parsed.get("version") or "").startswith("atom")
    items = tuple(_item(entry, feed=feed, base_url=base_url, atom=atom) for entry in entries)
    link = channel.get("link")
    return ParsedFeed(
        title=title,
        items=items,
        ttl=_ttl(channel),
        link=_absolute(base_url, link) if isinstance(link, str) else None,
    )


async def parse_feed_async(
    body: bytes, *, feed: str, base_url: str, executor: Executor | None = None
) -> ParsedFeed:
    """`parse_feed` off the event loop: in `executor` (e.g. a ProcessPoolExecutor) or a thread."""
    call = functools.partial(parse_feed, body, feed=feed, base_url=base_url)
    return await asyncio.get_running_loop().run_in_executor(executor, call)
