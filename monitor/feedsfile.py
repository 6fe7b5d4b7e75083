"""Edit the feeds file in place and read and write OPML: every comment and line kept.

An added feed is a `[[feed]]` table rendered by tomlkit and appended at the end; a removed
one loses its lines only. Each edit is checked before it is written: the new text must
load (`config_from_text`) and mean exactly the old configuration plus or minus the feeds
edited. When a file's shape defeats the line edit (feeds in an inline array, say), tomlkit
edits the document instead, which keeps comments but may move tables.
"""

import errno
import os
import re
import tempfile
import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import tomlkit

from monitor.clock import utcnow
from monitor.config import Config, config_from_text
from monitor.errors import ConfigError
from monitor.urls import normalise_url
from monitor.validate import MAX_NAME, check_http_url, check_name

NEW_FILE = (
    "# feeds.toml: what monitor polls, which watches fire, and where alerts go.\n"
    "# Written by `monitor feeds add`; edit it freely (README: Configuration).\n"
)
MAX_OPML_BYTES = 10 * 1024 * 1024
_HEADER = re.compile(r"^\s*\[\[?\s*[^\]]*\]\]?")
_FEED_HEADER = re.compile(r"^\s*\[\[\s*feed\s*\]\]\s*(#.*)?$")
_SLUG_CUT = 60


@dataclass(frozen=True, slots=True)
class NewFeed:
    """A feed to append: its name, URL and (optional) interval."""

    name: str
    url: str
    interval: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What `import_opml` did: feeds added, outlines skipped and why."""

    added: list[NewFeed] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # URLs already in the file
    invalid: list[str] = field(default_factory=list)  # "url: reason"


# ---- reading ----


def read_text(path: Path) -> str:
    """The feeds file's text ('' when it does not exist yet)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text; save the file as UTF-8", file=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", file=str(path)) from exc


def load(path: Path) -> tuple[str, Config]:
    """The file's text and its configuration (channel secrets are not required here)."""
    text = read_text(path)
    return text, config_from_text(text, path, check_env=False)


def url_key(url: str) -> str:
    """What two URLs of the same feed share (scheme/host case, default port, tracking
    parameters and fragments aside)."""
    return normalise_url(url) or url


def slug(title: str) -> str:
    """A name from a title: ASCII letters and digits joined by '-', lower case ('' if none)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "-".join(words)[:_SLUG_CUT].strip("-")
    return out


def feed_name(title: str | None, url: str, taken: Iterable[str]) -> str:
    """A valid name not in `taken`: the slug of `title`, else of the URL's host, with -2, -3
    ... added when needed."""
    used = set(taken)
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "feed").removeprefix("www.")
    base = slug(title or "") or slug(host) or "feed"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base[: MAX_NAME - 8]}-{n}"
    return check_name(name)


# ---- editing ----


def add_feeds(path: Path, feeds: Sequence[NewFeed], *, write: bool = True) -> None:
    """Append `feeds` to the file as `[[feed]]` tables (creating it if missing); ConfigError
    for a duplicate name or URL, an invalid value, or a result that would not load. With
    `write=False`, only check that the edit would succeed."""
    text, config = load(path)
    names = {f.name for f in config.feeds}
    by_key = {url_key(f.url): f.name for f in config.feeds}
    for new in feeds:
        try:
            check_name(new.name)
            check_http_url(new.url)
        except ValueError as exc:
            raise ConfigError(str(exc), file=str(path)) from None
        if new.name in names:
            raise ConfigError(
                f"a feed named {new.name!r} exists already; choose another name with --name",
                file=str(path),
            )
        dup = by_key.get(url_key(new.url))
        if dup is not None:
            raise ConfigError(f"{new.url} is already in the file as feed {dup!r}", file=str(path))
        names.add(new.name)
        by_key[url_key(new.url)] = new.name
    body = "".join(_render(new) for new in feeds)
    edited = text.rstrip("\n") + "\n" + body if text else NEW_FILE + body
    _write_checked(
        path,
        text,
        edited,
        added=feeds,
        removed=(),
        fallback=lambda: _tomlkit_add(text, feeds),
        write=write,
    )


def remove_feed(path: Path, name: str) -> str:
    """Remove the feed called `name`; returns its URL. ConfigError when no feed has that
    name (naming the nearest) or when the rest would not load (a watch's feed: names it)."""
    from monitor.nearest import did_you_mean

    text, config = load(path)
    names = [f.name for f in config.feeds]
    if name not in names:
        raise ConfigError(f"no feed named {name!r}{did_you_mean(name, names)}", file=str(path))
    index = names.index(name)
    edited = _cut_feed(text, index)
    try:
        _write_checked(
            path,
            text,
            edited,
            added=(),
            removed=(name,),
            fallback=lambda: _tomlkit_remove(text, index),
        )
    except ConfigError as exc:
        raise ConfigError(
            f"cannot remove feed {name!r}, the file would not load: {exc.reason}",
            file=exc.file,
            key=exc.key,
        ) from None
    return config.feeds[index].url


def _render(new: NewFeed) -> str:
    table = tomlkit.table()
    table.add("name", new.name)
    table.add("url", new.url)
    if new.interval is not None:
        table.add("interval", new.interval)
    aot = tomlkit.aot()
    aot.append(table)
    doc = tomlkit.document()
    doc.append("feed", aot)
    return "\n" + tomlkit.dumps(doc).strip("\n") + "\n"


def _cut_feed(text: str, index: int) -> str:
    """`text` without the lines of its `index`-th `[[feed]]` table: the header, its keys
    and the blank lines after them; a comment after its keys stays (it introduces what
    follows, like a section banner)."""
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _FEED_HEADER.match(line)]
    if index >= len(headers):
        return text
    start = headers[index]
    end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))

    def loose(line: str) -> bool:
        return not line.strip() or line.lstrip().startswith("#")

    last_key = max((i for i in range(start, end) if not loose(lines[i])), default=start)
    stop = next((i for i in range(last_key + 1, end) if lines[i].lstrip().startswith("#")), end)
    head = lines[:start]
    if stop == len(lines):  # the file's last table: no blank lines left dangling at the end
        while head and not head[-1].strip():
            head.pop()
    return "".join(head + lines[stop:])


def _tomlkit_add(text: str, feeds: Sequence[NewFeed]) -> str:
    doc = tomlkit.parse(text)
    if "feed" not in doc:
        doc.append("feed", tomlkit.aot())
    target: Any = doc["feed"]
    for new in feeds:
        entry = {"name": new.name, "url": new.url}
        if new.interval is not None:
            entry["interval"] = new.interval
        target.append(entry)
    return tomlkit.dumps(doc)


def _tomlkit_remove(text: str, index: int) -> str:
    doc = tomlkit.parse(text)
    target: Any = doc["feed"]
    del target[index]
    return tomlkit.dumps(doc)


def _meaning(text: str) -> dict[str, Any]:
    return tomllib.loads(text) if text else {}


def _expected(
    old: dict[str, Any], added: Sequence[NewFeed], removed: Sequence[str]
) -> dict[str, Any]:
    want = dict(old)
    feeds = [f for f in old.get("feed", []) if f.get("name") not in removed]
    for new in added:
        entry = {"name": new.name, "url": new.url}
        if new.interval is not None:
            entry["interval"] = new.interval
        feeds.append(entry)
    if feeds or "feed" in old:
        want["feed"] = feeds
    return want


def _write_checked(
    path: Path,
    old_text: str,
    edited: str,
    *,
    added: Sequence[NewFeed],
    removed: Sequence[str],
    fallback: Any,
    write: bool = True,
) -> None:
    """Write `edited` if it means the old file plus `added` minus `removed` (else the
    tomlkit edit `fallback()` if that does), and loads; the old file is left as it was
    otherwise."""
    want = _expected(_meaning(old_text), added, removed)
    for candidate in (edited, None):
        text = candidate if candidate is not None else fallback()
        try:
            means = _meaning(text)
        except tomllib.TOMLDecodeError:
            continue
        if means == want:
            break
    else:
        raise ConfigError(
            "cannot edit this file without changing more than the feeds; edit it by hand",
            file=str(path),
        )
    config_from_text(text, path, check_env=False)  # the edit must load, as a whole
    if write:
        _replace(path, text)


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (a reader or a reload sees the old or the new file,
    never half of one), keeping the file's permissions; a symlinked file is written where it
    points. A file that cannot be replaced (a single file bind-mounted into a container) is
    rewritten in place."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.EXDEV):
                raise
            path.write_text(text, encoding="utf-8")
    finally:
        Path(tmp).unlink(missing_ok=True)


# ---- OPML ----


def export_opml(config: Config, now: datetime | None = None) -> str:
    """OPML 2.0 of the configured feeds (one `rss` outline each, with `text`, `title` and
    `xmlUrl`), as feed readers import it."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "monitor feeds"
    ET.SubElement(head, "dateCreated").text = format_datetime(now or utcnow())
    body = ET.SubElement(root, "body")
    for feed in config.feeds:
        ET.SubElement(body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=feed.url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def parse_opml(data: bytes) -> list[tuple[str | None, str]]:
    """(title, xmlUrl) of every outline with an xmlUrl, at any depth (categories are
    folders). ValueError for a file that is not OPML."""
    if len(data) > MAX_OPML_BYTES:
        raise ValueError(
            f"the file is over {MAX_OPML_BYTES // 1024 // 1024} MB; an OPML list "
            "of feeds is far smaller"
        )
    # OPML needs no DTD: one would only let entities expand (billion laughs) or reach out.
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise ValueError("the file declares a DOCTYPE or entities, which OPML never needs")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD, so no entity can expand
    except ET.ParseError as exc:
        raise ValueError(f"not XML ({exc})") from None
    if root.tag != "opml":
        raise ValueError(f"not OPML: the document is <{root.tag}>, not <opml>")
    out = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if url:
            title = outline.get("title") or outline.get("text")
            out.append((title.strip() if title else None, url.strip()))
    return out


def import_opml(path: Path, data: bytes) -> ImportReport:
    """Add every feed of the OPML `data` to the file at `path`, skipping URLs already there
    (or twice in the list) and URLs that cannot work; names from the outlines' titles."""
    outlines = parse_opml(data)
    _, config = load(path)
    report = ImportReport()
    taken = {f.name for f in config.feeds}
    known = {url_key(f.url) for f in config.feeds}
    for title, url in outlines:
        if url_key(url) in known:
            report.duplicates.append(url)
            continue
        try:
            check_http_url(url)
        except ValueError as exc:
            report.invalid.append(f"{url[:100]}: {exc}")
            continue
        name = feed_name(title, url, taken)
        taken.add(name)
        known.add(url_key(url))
        report.added.append(NewFeed(name, url))
    if report.added:
        add_feeds(path, report.added)
    return report
