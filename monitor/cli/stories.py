"""`monitor stories`: the biggest stories of a period, with their copy counts."""

from enum import StrEnum
from typing import Annotated

import typer

from monitor.cli.common import fail, print_jsonl, print_table, settings_or_fail, store_or_fail
from monitor.clock import utcnow
from monitor.errors import MonitorError


class StoriesFormat(StrEnum):
    """Output formats of `monitor stories`."""

    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add `stories`."""

    @app.command("stories")
    def stories(
        since: Annotated[
            str,
            typer.Option(
                "--since", help="Copies stored at or after: ISO date/datetime or a duration (7d)."
            ),
        ] = "1d",
        limit: Annotated[
            int,
            typer.Option(
                "--limit", min=1, max=1000, help="At most this many stories, biggest first."
            ),
        ] = 20,
        fmt: Annotated[
            StoriesFormat,
            typer.Option("--format", help="table for people, json (JSON Lines) for pipes."),
        ] = StoriesFormat.table,
    ) -> None:
        """The stories with the most copies (syndicated, re-edited, republished) of a period."""
        from monitor.store.queries import parse_when

        try:
            start = parse_when(since, utcnow())
        except ValueError as exc:
            fail(f"--since: {exc}")
        with store_or_fail(settings_or_fail()) as store:
            try:
                found = store.biggest_stories(start, limit)
            except MonitorError as exc:
                fail(str(exc))
        if fmt is StoriesFormat.json:
            print_jsonl(
                {
                    "story": s.story_id,
                    "copies": s.copies,
                    "feeds": s.feeds,
                    "first_stored": s.first_stored,
                    "last_stored": s.last_stored,
                    "title": s.title,
                    "url": s.url,
                    "feed": s.feed,
                }
                for s in found
            )
            return
        print_table(
            f"{len(found)} stor{'ies' if len(found) != 1 else 'y'} since {start:%Y-%m-%d %H:%M}",
            ("story", "copies", "feeds", "first", "title"),
            [
                (s.story_id, s.copies, s.feeds, f"{s.first_stored:%m-%d %H:%M}", s.title or s.url)
                for s in found
            ],
        )
