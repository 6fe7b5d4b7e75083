"""Pure: an Atom 1.0 (RFC 4287) document of a watch's matches."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from monitor.timefmt import iso_z
from monitor.types import MatchRow, Tag

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 forbids; feed titles from the wild do contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "")


def _when(value: datetime) -> str:
    return iso_z(value, seconds=True)


def _tags(label: str, tags: Sequence[Tag]) -> str:
    return f"{label}: " + ", ".join(f"{t.name} ({t.count})" for t in tags) if tags else ""


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        el.text = _text(text)
    return el


def watch_feed(watch: str, rows: Sequence[MatchRow], *, self_url: str, now: datetime) -> bytes:
    """The Atom feed of `rows` (newest first) for `watch`; `now` dates an empty feed."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", f"urn:monitor:watch:{quote(watch, safe='')}")
    _sub(feed, "title", f"monitor: {watch}")
    _sub(feed, "updated", _when(rows[0].matched_at if rows else now))
    _sub(_sub(feed, "author"), "name", "monitor")
    _sub(feed, "link", rel="self", type="application/atom+xml", href=_text(self_url))
    _sub(feed, "generator", "monitor")
    for row in rows:
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:monitor:article:{row.article_id}")
        _sub(entry, "title", row.title or row.url, type="text")
        _sub(entry, "link", rel="alternate", type="text/html", href=_text(row.url))
        _sub(entry, "updated", _when(row.matched_at))
        if row.published is not None:
            _sub(entry, "published", _when(row.published))
        also = ", ".join(f"{c.feed} ({c.url})" for c in row.copies)
        summary = "; ".join(
            part
            for part in (
                _tags("Actors", row.actors),
                _tags("Issues", row.issues),
                f"Feed: {row.feed}",
                also and f"Also on: {also}",
            )
            if part
        )
        _sub(entry, "summary", summary, type="text")
        for copy in row.copies:  # the story's other copies (RFC 4287 4.2.7.2: related)
            _sub(
                entry,
                "link",
                rel="related",
                type="text/html",
                href=_text(copy.url),
                title=_text(f"{copy.feed}: {copy.title or copy.url}"),
            )
        for tag in (*row.actors, *row.issues):
            _sub(
                entry,
                "category",
                term=_text(tag.id),
                label=_text(tag.name),
                scheme=f"urn:monitor:{tag.kind}",
            )
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
