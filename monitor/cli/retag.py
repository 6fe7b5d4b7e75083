"""`monitor retag`: recompute stored tags and watch matches after a vocabulary or rule change."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.common import (
    config_or_fail,
    fail,
    fix_hint,
    progress_bar,
    settings_or_fail,
    stderr_console,
    store_or_fail,
)
from monitor.clock import utcnow
from monitor.errors import MonitorError

if TYPE_CHECKING:  # the matcher and the store are heavy imports: only when retagging
    from monitor.match.watches import CompiledWatch, Tagger
    from monitor.store import Store
    from monitor.store.retag import RetagCounts


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 'es' if noun.endswith('ch') else 's'}"


def summary(counts: "RetagCounts") -> str:
    """The one-line account of a retag."""
    return (
        f"retagged {_many(counts.articles, 'article')}: tags {counts.tags_added} added, "
        f"{counts.tags_removed} removed, {counts.tags_changed} changed; watch matches "
        f"{counts.matches_added} added, {counts.matches_removed} removed"
    )


def register(app: typer.Typer) -> None:
    """Add `retag`."""

    @app.command("retag")
    def retag(
        since: Annotated[
            str | None,
            typer.Option(
                "--since",
                help="Only articles stored at or after this: an ISO date or datetime, "
                "or a duration back from now (12h, 7d, 2w). Default: every article.",
            ),
        ] = None,
    ) -> None:
        """Recompute stored tags and watch matches with today's vocabulary, without alerting.

        Uses the vocabulary and watches `monitor run` uses (bundled + feeds.toml).
        Works in short batches, safe while the daemon runs, and writes no alert.
        """
        from monitor.app import compile_config  # heavy imports only when retagging
        from monitor.store.filters import parse_when

        start = None
        if since is not None:
            try:
                start = parse_when(since, utcnow())
            except ValueError as exc:
                fail(f"--since: {exc}")
        settings = settings_or_fail()
        config = config_or_fail(settings)
        try:
            tagger, watches = compile_config(config)
        except MonitorError as exc:
            fail(str(exc), fix_hint())
        with store_or_fail(settings) as store:
            try:
                _retag(
                    store,
                    tagger,
                    watches,
                    start,
                    since,
                    {f.name: f.official for f in config.feeds if f.official is not None},
                )
            except MonitorError as exc:
                fail(
                    str(exc),
                    "nothing is lost: run `monitor retag` again once the database "
                    "answers (batches already done are kept)",
                )


def _retag(
    store: "Store",
    tagger: "Tagger",
    watches: "Sequence[CompiledWatch]",
    start: datetime | None,
    since: str | None,
    officials: dict[str, str],
) -> None:
    from monitor.retag import retag

    err = stderr_console()
    scope = store.retag_scope(start)
    if scope.articles == 0:
        where = f" since {since}" if since is not None and scope.last_id else ""
        err.print(f"no articles stored{where}: nothing to retag", highlight=False)
        return
    with progress_bar("retagging", err) as progress:
        task = progress.add_task("retag", total=scope.articles)
        totals = retag(
            store,
            tagger,
            watches,
            scope,
            since=start,
            officials=officials,
            progress=lambda counts: progress.advance(task, counts.articles),
        )
    err.print(summary(totals), highlight=False)
