"""`monitor watches test QUERY`: what a query would have matched among stored articles."""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.common import (
    config_or_fail,
    fail,
    fix_hint,
    print_jsonl,
    print_table,
    settings_or_fail,
    stderr_console,
    store_or_fail,
)
from monitor.clock import utcnow
from monitor.errors import MonitorError, QueryError

if TYPE_CHECKING:
    from monitor.backfill import Trial
    from monitor.match.query import Query
    from monitor.store import Store


class TrialFormat(StrEnum):
    """Output formats of `monitor watches test`."""

    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add `watches test`."""
    watches_app = typer.Typer(help="Watches: try a query on stored articles.", no_args_is_help=True)
    app.add_typer(watches_app, name="watches")

    @watches_app.command("test")
    def test(
        query: Annotated[
            str, typer.Argument(help="A watch query, e.g. 'issue:taiwan AND actor:wang-yi'.")
        ],
        since: Annotated[
            str,
            typer.Option(
                "--since",
                help="Articles stored at or after: ISO date/datetime or a duration "
                "(7d, 30d). The default is a watch's default backfill window.",
            ),
        ] = "7d",
        limit: Annotated[
            int,
            typer.Option("--limit", min=1, max=500, help="Show this many of the newest matches."),
        ] = 10,
        fmt: Annotated[
            TrialFormat,
            typer.Option("--format", help="table for people, json (JSON Lines) for pipes."),
        ] = TrialFormat.table,
        json_lines: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    ) -> None:
        """Show what QUERY would have matched: counts per day and the newest matches with
        their evidence. Nothing is stored and nothing alerts."""
        from monitor.match.query import parse_query
        from monitor.store.filters import parse_when
        from monitor.vocab import load_vocabulary

        now = utcnow()
        try:
            start = parse_when(since, now)
        except ValueError as exc:
            fail(f"--since: {exc}")
        settings = settings_or_fail()
        config = config_or_fail(settings)
        try:
            parsed = parse_query(query)
            parsed.validate(load_vocabulary(list(config.vocabulary)).kinds())
        except QueryError as exc:
            fail(
                f"query: {exc}",
                "`monitor vocab` lists the known ids; operators are AND, OR, NOT in capitals",
            )
        except MonitorError as exc:
            fail(str(exc), fix_hint(f"{config.path} at the place"))
        with store_or_fail(settings) as store:
            try:
                trial = _try(store, parsed, start, limit)
            except MonitorError as exc:
                fail(str(exc))
        if fmt is TrialFormat.json or json_lines:
            _print_json(trial)
        else:
            _print_tables(trial, start, now)


def _try(store: "Store", query: "Query", start: datetime, limit: int) -> "Trial":
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from monitor.backfill import try_query

    total = store.count_stored(since=start)
    with Progress(
        TextColumn("testing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr_console(),
        transient=True,
    ) as progress:
        task = progress.add_task("test", total=total)
        return try_query(
            store, query, since=start, newest=limit, progress=lambda n: progress.advance(task, n)
        )


def _print_json(trial: "Trial") -> None:
    print_jsonl(
        [
            {"type": "day", "day": day.isoformat(), "matches": n}
            for day, n in sorted(trial.per_day.items())
        ]
    )
    print_jsonl(
        {
            "type": "match",
            "article": h.doc.id,
            "story": h.doc.story_id,
            "feed": h.doc.feed,
            "url": h.doc.url,
            "title": h.doc.title,
            "published": h.doc.published,
            "stored_at": h.doc.stored_at,
            "evidence": [{"id": i, "text": t} for i, t in h.evidence],
        }
        for h in trial.newest
    )


def _print_tables(trial: "Trial", start: datetime, now: datetime) -> None:
    err = stderr_console()
    err.print(
        f"{trial.matched} of {trial.examined} articles stored since "
        f"{start:%Y-%m-%d %H:%M} UTC would have matched (nothing stored)",
        highlight=False,
    )
    if not trial.matched:
        return
    days = [start.date() + timedelta(days=i) for i in range((now.date() - start.date()).days + 1)]
    print_table(
        "matches per day stored",
        ("day", "matches"),
        [
            (d.isoformat(), trial.per_day.get(d, 0))
            for d in days
            if trial.per_day.get(d, 0) or len(days) <= 31
        ],
    )
    print_table(
        f"newest {len(trial.newest)}",
        ("stored", "feed", "title", "evidence"),
        [
            (
                f"{h.doc.stored_at:%m-%d %H:%M}",
                h.doc.feed,
                h.doc.title or h.doc.url,
                "\n".join(f"{i}: {t}" for i, t in h.evidence),
            )
            for h in trial.newest
        ],
    )
