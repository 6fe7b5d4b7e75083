"""`monitor extract`: print the extracted article of HTML files, URLs or stdin."""

import asyncio
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitor.cli.common import (
    print_jsonl,
    settings_or_fail,
    sources_report_their_errors,
    stderr_console,
)
from monitor.cli.sources import ExtractTimeout, extract_bounded, read_sources
from monitor.types import Article

if TYPE_CHECKING:
    pass


class ExtractFormat(StrEnum):
    """Output formats of `monitor extract`."""

    json = "json"
    text = "text"


def _row(source: str, article: Article) -> dict[str, Any]:
    return {
        "source": source,
        "title": article.title,
        "author": article.author,
        "published": article.published,
        "language": article.language,
        "text": article.text,
    }


def _print_text(source: str, article: Article) -> None:
    lines = [f"# {article.title or source}"]
    meta = [f"source: {source}"]
    meta += [
        f"{k}: {v}" for k, v in (("author", article.author), ("language", article.language)) if v
    ]
    if article.published:
        meta.append(f"published: {article.published.isoformat()}")
    sys.stdout.write("\n".join([*lines, *meta, "", article.text, "", ""]))
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add `extract`."""

    @app.command("extract")
    def extract(
        sources: Annotated[
            list[str] | None,
            typer.Argument(
                metavar="[PATH|URL|-]...",
                help="HTML files, http(s) URLs, or - for stdin (the default).",
            ),
        ] = None,
        fmt: Annotated[
            ExtractFormat,
            typer.Option(
                "--format",
                "-f",
                help="json: one JSON object per source (source, title, author, published, "
                "language, text); text: a readable article per source.",
            ),
        ] = ExtractFormat.json,
    ) -> None:
        """Print the extracted article of HTML files, URLs or stdin.

        URLs are fetched through the SSRF guard (MONITOR_ALLOWED_NETWORKS opens private
        networks). A source that fails is reported on stderr; the others are still printed;
        the exit status is then 1.
        """
        wanted = list(sources or ["-"])
        settings = settings_or_fail()
        err = stderr_console()
        failed = False
        with sources_report_their_errors():
            for source, content, final in asyncio.run(
                read_sources(wanted, settings, settings.input_max_bytes)
            ):
                if isinstance(content, str):
                    err.print(f"error: {source}: {content}", markup=False, highlight=False)
                    failed = True
                    continue
                try:
                    article = extract_bounded(content, final, settings.extract_timeout)
                except ExtractTimeout as exc:
                    err.print(f"error: {source}: {exc}", markup=False, highlight=False)
                    failed = True
                    continue
                # a page that breaks the extractor fails alone, not the run
                except Exception as exc:
                    err.print(
                        f"error: {source}: extraction failed ({type(exc).__name__})",
                        markup=False,
                        highlight=False,
                    )
                    failed = True
                    continue
                if article is None:
                    err.print(
                        f"error: {source}: no article text found", markup=False, highlight=False
                    )
                    failed = True
                    continue
                if fmt is ExtractFormat.json:
                    print_jsonl([_row(source, article)])
                else:
                    _print_text(source, article)
        if failed:
            raise typer.Exit(1)
