"""Pure: what an alert says to a person, as plain text, Markdown or HTML (email and chat)."""

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.types import Alert

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
TOP_TAGS = 6  # tags named in a chat notification; the email lists them all
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def one_line(text: str | None, limit: int = 200) -> str:
    """Text safe for a header or a list item: control characters become spaces, trimmed."""
    flat = _CONTROL.sub(" ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def safe_link(url: Any) -> str | None:
    """Only http(s) links become clickable: feed content may carry javascript: URLs."""
    return url if isinstance(url, str) and re.match(r"^https?://", url, re.I) else None


@dataclass(frozen=True, slots=True)
class TagLine:
    """One tag as a reader sees it: its name and level."""

    id: str
    name: str
    kind: str
    level: str | None
    score: float

    @property
    def label(self) -> str:
        """ "Taiwan (about)", or just the name when the payload has no level."""
        return f"{self.name} ({self.level})" if self.level else self.name


@dataclass(frozen=True, slots=True)
class Evidence:
    """One sentence of evidence and the names of the tags it supports, in payload order."""

    text: str
    tags: tuple[str, ...]


def data_of(alert: Alert) -> Mapping[str, Any]:
    """The payload's `data` object (empty when malformed)."""
    data = alert.payload.get("data")
    return data if isinstance(data, Mapping) else {}


def article_of(alert: Alert) -> Mapping[str, Any]:
    """The payload's article object (empty when malformed)."""
    article = data_of(alert).get("article")
    return article if isinstance(article, Mapping) else {}


def title_of(alert: Alert, limit: int = 500) -> str:
    """The article's title on one line."""
    return one_line(str(article_of(alert).get("title") or "(untitled)"), limit)


def tag_lines(alert: Alert, kind: str | None = None) -> list[TagLine]:
    """The payload's tags (of `kind`), in payload order."""
    data = data_of(alert)
    kinds = ("actors", "issues") if kind is None else (f"{kind}s",)
    out = []
    for key in kinds:
        for t in data.get(key) or []:
            if isinstance(t, Mapping) and t.get("id"):
                level = t.get("level")
                out.append(
                    TagLine(
                        str(t["id"]),
                        str(t.get("name") or t["id"]),
                        key[:-1],
                        str(level) if level else None,
                        float(t.get("score") or 0.0),
                    )
                )
    return out


def top_tags(alert: Alert, limit: int = TOP_TAGS) -> list[TagLine]:
    """The tags a short notification names: `about` before `mention`, then by score."""
    ranked = sorted(tag_lines(alert), key=lambda t: (t.level != "about", -t.score))
    return ranked[:limit]


def evidence_of(alert: Alert) -> list[Evidence]:
    """Each evidence sentence once, labelled with every tag it supports (first seen first)."""
    names = {t.id: t.name for t in tag_lines(alert)}
    grouped: dict[str, list[str]] = {}
    for e in data_of(alert).get("evidence") or []:
        if not isinstance(e, Mapping) or not e.get("text"):
            continue
        text = one_line(str(e["text"]), 1000)
        label = names.get(str(e.get("id")), str(e.get("id") or "?"))
        labels = grouped.setdefault(text, [])
        if label not in labels:
            labels.append(label)
    return [Evidence(text, tuple(labels)) for text, labels in grouped.items()]


def copies_of(alert: Alert) -> list[tuple[str, str, str | None]]:
    """The story's other copies known when the alert was written: (feed, title, url)."""
    return [
        (
            one_line(str(c.get("feed") or "?"), 200),
            one_line(str(c.get("title") or "(untitled)"), 500),
            safe_link(c.get("url")),
        )
        for c in data_of(alert).get("copies") or []
        if isinstance(c, Mapping)
    ]


# ---- plain text ---------------------------------------------------------------------------


def text_entry(alert: Alert) -> str:
    """The plain-text lines describing one match."""
    art = article_of(alert)
    lines = [
        title_of(alert),
        f"Watch: {alert.watch}",
        f"Source: {art.get('feed') or 'unknown'}",
        f"Published: {art.get('published') or 'unknown'}",
    ]
    for kind, heading in (("actor", "Actors"), ("issue", "Issues")):
        labels = [t.label for t in tag_lines(alert, kind)]
        if labels:
            lines.append(f"{heading}: {', '.join(labels)}")
    evidence = evidence_of(alert)
    if evidence:
        lines.append("Evidence:")
        lines += [f"  - [{', '.join(e.tags)}] {e.text}" for e in evidence]
    lines.append(f"Link: {art.get('url') or 'none'}")
    copies = copies_of(alert)
    if copies:
        lines.append(f"Also published as (story {data_of(alert).get('story')}):")
        lines += [f"  - {feed}: {title} <{url or ''}>" for feed, title, url in copies]
    return "\n".join(lines)


# ---- HTML ---------------------------------------------------------------------------------


def html_entry(alert: Alert) -> str:
    """The HTML fragment describing one match; every value escaped."""
    art = article_of(alert)
    esc = html.escape
    link = safe_link(art.get("url"))
    title = esc(title_of(alert))
    heading = f'<a href="{esc(link, quote=True)}">{title}</a>' if link else title
    rows = [
        ("Watch", alert.watch),
        ("Source", art.get("feed") or "unknown"),
        ("Published", art.get("published") or "unknown"),
    ]
    for kind, label in (("actor", "Actors"), ("issue", "Issues")):
        labels = [t.label for t in tag_lines(alert, kind)]
        if labels:
            rows.append((label, ", ".join(labels)))
    table = "".join(
        f'<tr><th align="left">{esc(k)}</th><td>{esc(str(v))}</td></tr>' for k, v in rows
    )
    evidence = "".join(
        f"<li><b>{esc(', '.join(e.tags))}</b>: {esc(e.text)}</li>" for e in evidence_of(alert)
    )
    copies = "".join(
        f"<li>{esc(feed)}: "
        + (f'<a href="{esc(url, quote=True)}">{esc(title)}</a>' if url else esc(title))
        + "</li>"
        for feed, title, url in copies_of(alert)
    )
    return (
        f"<h2>{heading}</h2><table>{table}</table>"
        + (f"<p>Evidence:</p><ul>{evidence}</ul>" if evidence else "")
        + (f"<p>Also published as:</p><ul>{copies}</ul>" if copies else "")
    )


# ---- chat (short: the watch, title, link, top tags, the evidence) --------------------------


def md_escape(text: str) -> str:
    """Text that Markdown shows as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def chat_title(alert: Alert) -> str:
    """The notification title: the watch and the article's title."""
    return one_line(f"{alert.watch}: {title_of(alert)}", 250)


def chat_body(alert: Alert, fmt: str) -> str:
    """The notification body in `fmt` (text, markdown or html)."""
    art = article_of(alert)
    link = safe_link(art.get("url"))
    tags = ", ".join(t.label for t in top_tags(alert))
    evidence = evidence_of(alert)
    copies = len(copies_of(alert))
    source = f"{art.get('feed') or 'unknown'}" + (
        f" (also in {copies} other feed{'s' if copies != 1 else ''})" if copies else ""
    )
    if fmt == "html":
        esc = html.escape
        head = (
            f'<a href="{esc(link, quote=True)}">{esc(title_of(alert))}</a>'
            if link
            else esc(title_of(alert))
        )
        parts = [f"<b>{esc(alert.watch)}</b>: {head}", f"Source: {esc(source)}"]
        if tags:
            parts.append(f"Tags: {esc(tags)}")
        parts += [f"<i>{esc(', '.join(e.tags))}</i>: {esc(e.text)}" for e in evidence]
        return "<br>\n".join(parts)
    if fmt == "markdown":
        head = f"[{md_escape(title_of(alert))}](<{link}>)" if link else md_escape(title_of(alert))
        lines = [f"**{md_escape(alert.watch)}**: {head}", "", f"Source: {md_escape(source)}"]
        if tags:
            lines.append(f"Tags: {md_escape(tags)}")
        if evidence:
            lines.append("")
            lines += [f"- *{md_escape(', '.join(e.tags))}*: {md_escape(e.text)}" for e in evidence]
        return "\n".join(lines)
    lines = [f"{alert.watch}: {title_of(alert)}", f"Link: {link or 'none'}", f"Source: {source}"]
    if tags:
        lines.append(f"Tags: {tags}")
    lines += [f"- [{', '.join(e.tags)}] {e.text}" for e in evidence]
    return "\n".join(lines)


# ---- digests ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryEntry:
    """One story of a digest: its first alert in the period and how many copies it has."""

    alert: Alert
    copies: int


def story_of(alert: Alert) -> int:
    """The alert's story id (its article's id when the payload has none)."""
    story = data_of(alert).get("story")
    return story if isinstance(story, int) else alert.article_id


def digest_groups(alerts: Sequence[Alert]) -> dict[str, list[StoryEntry]]:
    """The period's alerts as one entry per story, grouped by watch (oldest first). A story's
    copies are its articles in the period plus the other copies its payloads name."""
    grouped: dict[str, dict[int, list[Alert]]] = {}
    for alert in sorted(alerts, key=lambda a: a.id):
        grouped.setdefault(alert.watch, {}).setdefault(story_of(alert), []).append(alert)
    out: dict[str, list[StoryEntry]] = {}
    for watch, stories in grouped.items():
        for members in stories.values():
            urls = {str(article_of(a).get("url")) for a in members}
            urls |= {
                str(c.get("url"))
                for a in members
                for c in data_of(a).get("copies") or []
                if isinstance(c, Mapping)
            }
            out.setdefault(watch, []).append(StoryEntry(members[0], max(1, len(urls))))
    return out


def stories_word(count: int) -> str:
    """ "1 story", "3 stories"."""
    return f"{count} stor{'y' if count == 1 else 'ies'}"


def digest_subject(groups: Mapping[str, Sequence[StoryEntry]]) -> str:
    """Names the watch (or watches) and how many stories the digest lists."""
    count = sum(len(entries) for entries in groups.values())
    return f"{', '.join(groups)}: {count} new stor{'y' if count == 1 else 'ies'}"


def copies_note(entry: StoryEntry) -> str:
    """ " (3 copies)" for a story carried by several feeds; empty for one copy."""
    return f" ({entry.copies} copies)" if entry.copies > 1 else ""


def chat_digest(alerts: Sequence[Alert], fmt: str) -> tuple[str, str]:
    """(title, body) of one notification listing the period's stories, grouped by watch."""
    groups = digest_groups(alerts)
    title = one_line(digest_subject(groups), 250)
    parts = []
    for watch, entries in groups.items():
        heading = f"{watch}: {stories_word(len(entries))}"
        if fmt == "html":
            parts.append(f"<h3>{html.escape(heading)}</h3>")
        elif fmt == "markdown":
            parts.append(f"### {md_escape(heading)}")
        else:
            parts.append(f"== {heading} ==")
        for entry in entries:
            note = copies_note(entry)
            body = chat_body(entry.alert, fmt)
            parts.append(
                body
                + (
                    html.escape(note)
                    if fmt == "html"
                    else md_escape(note)
                    if fmt == "markdown"
                    else note
                )
            )
    sep = "<br>\n<br>\n" if fmt == "html" else "\n\n"
    return title, sep.join(parts)
