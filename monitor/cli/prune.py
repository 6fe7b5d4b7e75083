"""`monitor prune --before DATE|DURATION`: delete old articles, in batches, with a progress bar."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.common import (
    fail,
    progress_bar,
    settings_or_fail,
    stderr_console,
    store_or_fail,
)
from monitor.clock import utcnow
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.store import Store


def _many(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    if noun.endswith("y"):
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}{'es' if noun.endswith('ch') else 's'}"


def register(app: typer.Typer) -> None:
    """Add `prune`."""

    @app.command("prune")
    def prune_command(
        before: Annotated[
            str,
            typer.Option(
                "--before",
                help="Delete articles stored before this: an ISO date or datetime, or "
                "a duration back from now (365d, 52w).",
            ),
        ],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only count what would be deleted.")
        ] = False,
    ) -> None:
        """Delete old articles with their tags, watch matches and delivered alerts.

        An article with an alert still to deliver (pending, failing or dead) is kept. Works
        in batches of 500, each its own short transaction: safe while the daemon runs, and an
        interrupted prune keeps what it did. Copies of a story that stay keep their story.
        """
        from monitor.store.filters import parse_when

        now = utcnow()
        try:
            cutoff = parse_when(before, now)
        except ValueError as exc:
            fail(f"--before: {exc}")
        if cutoff > now:
            fail(f"--before {before} is in the future; give a past date or a duration such as 365d")
        with store_or_fail(settings_or_fail()) as store:
            try:
                _prune(store, cutoff, dry_run)
            except MonitorError as exc:
                fail(
                    str(exc),
                    "nothing is lost: run `monitor prune` again once the database "
                    "answers (batches already done are kept)",
                )


def _prune(store: "Store", cutoff: datetime, dry_run: bool) -> None:
    from monitor.prune import prune

    err = stderr_console()
    total = store.count_prunable(cutoff)
    when = f"{cutoff:%Y-%m-%d %H:%M} UTC"
    if dry_run or total == 0:
        err.print(
            f"{_many(total, 'article')} stored before {when} "
            f"{'would be' if dry_run else 'to'} delete{'d' if dry_run else ''}"
            + ("" if dry_run else ": nothing to do"),
            highlight=False,
        )
        return
    with progress_bar("pruning", err) as progress:
        task = progress.add_task("prune", total=total)
        counts = prune(store, cutoff, progress=lambda c: progress.advance(task, c.articles))
    err.print(
        f"pruned {_many(counts.articles, 'article')} stored before {when}: "
        f"{_many(counts.tags, 'tag')}, {_many(counts.matches, 'watch match')}, "
        f"{_many(counts.alerts, 'delivered alert')}; "
        f"{_many(counts.stories_reformed, 'story')} kept by a later copy",
        highlight=False,
    )
