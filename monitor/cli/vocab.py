"""`monitor vocab`: list and validate the vocabulary; `vocab suggest` proposes new entries."""

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.common import (
    fail,
    print_jsonl,
    print_table,
    sources_report_their_errors,
    stderr_console,
)
from monitor.vocab import Entry, Vocabulary


class VocabFormat(StrEnum):
    """Output formats of `monitor vocab`."""

    table = "table"
    json = "json"


def _row(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "type": entry.type,
        "name": entry.name,
        "aliases": [a.text for a in entry.aliases if a.form == "full"],
        "short": [a.text for a in entry.aliases if a.form == "short"],
        "roles": [
            {"title": r.title, "org": r.org, "from": r.start, "to": r.end} for r in entry.roles
        ],
        "file": entry.file,
    }


def _roles(entry: Entry) -> str:
    parts = []
    for role in entry.roles:
        span = f"{role.start or '?'}–{role.end or ''}" if role.start or role.end else ""
        parts.append(f"{role.title}{f' ({role.org})' if role.org else ''} {span}".strip())
    return "; ".join(parts)


def _report(vocab: Vocabulary) -> None:
    err = stderr_console()
    actors = sum(1 for e in vocab.entries if e.kind == "actor")
    err.print(
        f"vocabulary ok: {len(vocab)} entries ({actors} actors, {len(vocab) - actors} "
        f"issues) from {len(vocab.files)} file(s)",
        highlight=False,
    )
    for conflict in vocab.conflicts:
        rule = (
            "short form: resolved by the full form before it"
            if conflict.short_only
            else "shared full form: resolved by the entry named last before it, else skipped"
        )
        err.print(
            f"[yellow]shared alias[/] {conflict.alias!r} on {', '.join(conflict.entry_ids)}"
            f" ({rule})",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add `vocab` and `vocab suggest`."""
    vocab_app = typer.Typer(help="List and validate the vocabulary; suggest new entries.")

    @vocab_app.callback(invoke_without_command=True)
    def vocab(
        ctx: typer.Context,
        fmt: Annotated[
            VocabFormat,
            typer.Option(
                "--format", "-f", help="table for people; json prints one entry per line."
            ),
        ] = VocabFormat.table,
        extra: Annotated[
            list[Path] | None,
            typer.Option(
                "--vocab", help="Extra vocabulary file (repeatable); adds or overrides by id."
            ),
        ] = None,
    ) -> None:
        """List and validate the vocabulary (bundled, feeds.toml's files, and --vocab files).

        Errors name the file, line and key and exit 1; aliases shared by several entries are
        reported on stderr with the rule that resolves them.
        """
        if ctx.invoked_subcommand is not None:
            return
        from monitor.cli.tag import vocabulary_or_fail  # one loading path

        loaded = vocabulary_or_fail(extra or [])
        if fmt is VocabFormat.json:
            print_jsonl(_row(e) for e in loaded.entries)
        else:
            rows = (
                [
                    e.kind if e.type is None else e.type,
                    e.id,
                    e.name,
                    ", ".join(a.text for a in e.aliases if a.text != e.name),
                    _roles(e),
                ]
                for e in sorted(loaded.entries, key=lambda e: (e.kind, e.type or "", e.id))
            )
            print_table("vocabulary", ["kind", "id", "name", "aliases", "roles"], rows)
        _report(loaded)

    @vocab_app.command("suggest")
    def suggest(
        sources: Annotated[
            list[str],
            typer.Argument(
                metavar="FILE|URL...", help="Plain-text or HTML files, http(s) URLs, or -."
            ),
        ],
        min_count: Annotated[
            int,
            typer.Option(
                "--min-count",
                min=1,
                help="How often an untitled name or an alias gap must "
                "recur (new topic phrases: at least 3 times).",
            ),
        ] = 2,
        extra: Annotated[
            list[Path] | None, typer.Option("--vocab", help="Extra vocabulary file (repeatable).")
        ] = None,
    ) -> None:
        """Propose entries the vocabulary lacks, and new aliases of its issues, as TOML.

        People introduced with a title ("Foreign Minister X"), recurring capitalised names,
        recurring topic phrases, and alias gaps: phrases for an existing issue its aliases
        miss, as an entry with the issue's id (it replaces the bundled one) listing its
        aliases plus the new ones. The output loads back as a vocabulary file.
        """
        from monitor.cli.common import settings_or_fail
        from monitor.cli.tag import _read, to_document, vocabulary_or_fail
        from monitor.match import compile_matcher
        from monitor.match.stubs import to_toml
        from monitor.match.suggest import SuggestTimeout
        from monitor.match.suggest import suggest as propose

        settings = settings_or_fail()
        deadline = time.monotonic() + settings.suggest_timeout
        vocabulary = vocabulary_or_fail(extra or [])
        matcher = compile_matcher(vocabulary)
        texts, failed = [], False
        with sources_report_their_errors():
            for source, content, final in _read(sources):
                doc = (
                    content
                    if isinstance(content, str)
                    else to_document(source, content, final, timeout=settings.extract_timeout)
                )
                if isinstance(doc, str):
                    stderr_console().print(f"[bold red]error:[/] {source}: {doc}", highlight=False)
                    failed = True
                    continue
                # the headline counts once: plain text and extracted pages often repeat it
                texts.append(
                    doc.text
                    if not doc.title or doc.title in doc.text
                    else f"{doc.title}\n\n{doc.text}"
                )
        if not texts and failed:  # each source's error is printed above
            raise typer.Exit(1)
        if not texts:
            fail(
                "no readable source", "pass plain-text or HTML files, http(s) URLs, or - for stdin"
            )
        try:
            found = propose(texts, matcher, min_count=min_count, deadline=deadline)
        except SuggestTimeout:
            fail(
                f"suggestions took over {settings.suggest_timeout:g} s "
                "(MONITOR_SUGGEST_TIMEOUT); give fewer or smaller sources, or raise "
                "MONITOR_SUGGEST_TIMEOUT"
            )
        sys.stdout.write(to_toml(found, len(texts), vocabulary))
        if failed:
            raise typer.Exit(1)

    app.add_typer(vocab_app, name="vocab")
