"""`monitor tag`: tag plain-text or HTML files, URLs or stdin without storing anything."""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.common import (
    config_or_fail,
    fail,
    fix_hint,
    print_jsonl,
    settings_or_fail,
    sources_report_their_errors,
    stderr_console,
    stdout_console,
)
from monitor.errors import MonitorError
from monitor.types import Tag
from monitor.views import tag_json
from monitor.vocab import Vocabulary, load_vocabulary

_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<article", b"<p>", b"<div")
_EVIDENCE_WIDTH = 160


class TagFormat(StrEnum):
    """Output formats of `monitor tag`."""

    table = "table"
    json = "json"


@dataclass(frozen=True, slots=True)
class Document:
    """One source turned into text to tag."""

    source: str
    title: str | None
    text: str
    published: date | None


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def looks_like_html(source: str, body: bytes) -> bool:
    """HTML by file name or by its first kilobyte."""
    if source.lower().endswith(_HTML_SUFFIXES):
        return True
    head = body[:1024].lstrip().lower()
    return any(marker in head for marker in _HTML_MARKERS)


def to_document(
    source: str, body: bytes, url: str | None, *, timeout: float = 20.0
) -> Document | str:
    """A Document, or an error message; HTML goes through article extraction (at most
    `timeout` seconds)."""
    if looks_like_html(source, body) or _is_url(source):
        from monitor.cli.sources import ExtractTimeout, extract_bounded

        try:
            article = extract_bounded(body, url, timeout)
        except ExtractTimeout as exc:
            return str(exc)
        if article is None:
            return "no article text could be extracted"
        published = article.published.date() if article.published else None
        return Document(source, article.title, article.text, published)
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = next((line.strip() for line in text.splitlines() if line.strip()), None)
    title = first if first and len(first) <= 200 else None
    return Document(source, title, text, None)


def vocabulary_or_fail(extra: Sequence[Path]) -> Vocabulary:
    """Bundled vocabulary + feeds.toml's `vocabulary` files (when feeds.toml exists) + `extra`."""
    settings = settings_or_fail()
    files: list[Path] = []
    if Path(settings.config).is_file():
        files.extend(config_or_fail(settings).vocabulary)
    files.extend(extra)
    try:
        return load_vocabulary(files)
    except MonitorError as exc:
        fail(str(exc), fix_hint("the vocabulary file at the place"))


def tag_row(
    doc: Document, tags: Sequence[Tag], why: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """The CONTRACT's JSON object for one document, plus `evidence` (an extension), and with
    `why` (--explain) each tag's reasons for its level."""

    def brief(kind: str) -> list[dict[str, Any]]:
        return [
            {**tag_json(t), **({"why": list(why[t.id])} if why is not None else {})}
            for t in tags
            if t.kind == kind
        ]

    return {
        "source": doc.source,
        "title": doc.title,
        "actors": brief("actor"),
        "issues": brief("issue"),
        "evidence": [
            {"id": t.id, "text": t.evidence.text, "start": t.evidence.start, "end": t.evidence.end}
            for t in tags
        ],
    }


def _print_table(
    doc: Document, tags: Sequence[Tag], why: Mapping[str, Sequence[str]] | None = None
) -> None:
    from rich.table import Table  # only the table format needs rich tables

    heading = doc.source if not doc.title else f"{doc.source} — {doc.title}"
    table = Table(title=heading, header_style="bold", title_justify="left")
    last = "why" if why is not None else "evidence"
    for column in ("kind", "id", "level", "score", "count", last):
        table.add_column(column, overflow="fold")
    for t in sorted(tags, key=lambda t: (t.kind, t.level != "about", -t.count, t.id)):
        evidence = " ".join(t.evidence.text.split())
        if len(evidence) > _EVIDENCE_WIDTH:
            evidence = evidence[: _EVIDENCE_WIDTH - 1] + "…"
        table.add_row(
            t.kind,
            t.id,
            t.level,
            f"{t.score:.2f}",
            str(t.count),
            "; ".join(why[t.id]) if why is not None else evidence,
        )
    if not tags:
        table.add_row("", "(nothing found)", "", "", "", "")
    stdout_console().print(table)


def _read(sources: Sequence[str]) -> list[tuple[str, bytes | str, str | None]]:
    from monitor.cli.sources import read_sources

    settings = settings_or_fail()
    return asyncio.run(read_sources(sources, settings, settings.input_max_bytes))


def register(app: typer.Typer) -> None:
    """Add `tag`."""

    @app.command("tag")
    def tag(
        sources: Annotated[
            list[str] | None,
            typer.Argument(
                metavar="[PATH|URL|-]...",
                help="Plain-text or HTML files, http(s) URLs, or - for stdin (the default).",
            ),
        ] = None,
        fmt: Annotated[
            TagFormat,
            typer.Option(
                "--format",
                "-f",
                help="table for people; json prints JSON Lines "
                "(source, title, actors, issues, evidence).",
            ),
        ] = TagFormat.table,
        vocab: Annotated[
            list[Path] | None,
            typer.Option(
                "--vocab", help="Extra vocabulary file (repeatable); adds or overrides by id."
            ),
        ] = None,
        on: Annotated[
            str | None,
            typer.Option(
                "--date",
                help="Article date (YYYY-MM-DD) for resolving roles such as "
                "'the U.S. Secretary of State'; default: the page's own date, if any.",
            ),
        ] = None,
        explain: Annotated[
            bool,
            typer.Option(
                "--explain",
                help="Say why each tag has its level: headline, lede, mentions, "
                "paragraphs, the context that confirmed a place or common word, the score.",
            ),
        ] = False,
        official: Annotated[
            str | None,
            typer.Option(
                "--official",
                help="The country id whose government wrote the text (e.g. "
                "united-states for a White House release): its bare titles such as 'the "
                "President' then resolve by date.",
            ),
        ] = None,
    ) -> None:
        """Tag plain-text or HTML files, URLs or stdin without storing anything.

        HTML goes through article extraction; URLs are fetched through the SSRF guard.
        A source that fails is reported on stderr, the others are still tagged, and the exit
        status is then 1.
        """
        from monitor.match import compile_matcher  # keeps `--help` fast

        day = None
        if on is not None:
            try:
                day = date.fromisoformat(on)
            except ValueError:
                fail(f"--date must look like 2023-06-18, got {on!r}")
        matcher = compile_matcher(vocabulary_or_fail(vocab or []))
        if official is not None and official not in {
            e.id for e in matcher.vocabulary if e.type == "country"
        }:
            fail(
                f"--official {official!r} is not a country id of the vocabulary",
                "use a country id, e.g. --official united-states (`monitor vocab` lists them)",
            )
        err = stderr_console()
        failed = False
        timeout = settings_or_fail().extract_timeout
        with sources_report_their_errors():
            for source, content, final in _read(list(sources or ["-"])):
                doc = (
                    content
                    if isinstance(content, str)
                    else to_document(source, content, final, timeout=timeout)
                )
                if isinstance(doc, str):
                    err.print(f"[bold red]error:[/] {source}: {doc}", highlight=False)
                    failed = True
                    continue
                explained = matcher.explain(
                    doc.title, doc.text, published=day or doc.published, official=official
                )
                tags = [tag for tag, _ in explained]
                why = {tag.id: judged.reasons for tag, judged in explained} if explain else None
                if fmt is TagFormat.json:
                    print_jsonl([tag_row(doc, tags, why)])
                else:
                    _print_table(doc, tags, why)
        if failed:
            raise typer.Exit(1)
