"""`monitor feeds` (each feed's health) and `feeds add|remove|import|export` (edit feeds.toml)."""

import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from monitor.cli.common import (
    DB_HINT,
    FORMAT_HELP,
    fail,
    fix_hint,
    print_jsonl,
    settings_or_fail,
    stderr_console,
    stdout_console,
    store_or_fail,
)
from monitor.errors import MonitorError
from monitor.types import FeedHealth
from monitor.views import feed_json

if TYPE_CHECKING:
    from monitor.discover import Discovered
    from monitor.parse import ParsedFeed

WIDE = 120  # from this many columns on, the table shows every field
DISCOVERY_DEADLINE = 20.0  # seconds for each page or feed fetched while looking


class FeedsFormat(StrEnum):
    """Output formats of `monitor feeds`."""

    table = "table"
    json = "json"


def _when(value: datetime | None, wide: bool) -> str:
    if value is None:
        return "-"
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S" if wide else "%m-%d %H:%M")


def _status(health: FeedHealth) -> str:
    if not health.enabled:
        return "off"
    return "-" if health.last_status is None else str(health.last_status)


def health_view(health: Sequence[FeedHealth], width: int) -> list[RenderableType]:
    """What `monitor feeds` prints on a terminal `width` columns wide. From WIDE columns on,
    one table with every field; below, a table without the URL and last success, and the
    feeds' last errors after it, one line each (cut to the width): a feed is one line of
    the table on 80 columns (two for a long name)."""
    wide = width >= WIDE
    table = Table(title="Feeds", header_style="bold")
    table.add_column("name", overflow="fold", max_width=None if wide else 30)
    table.add_column("status", no_wrap=True)
    table.add_column("errors", justify="right", no_wrap=True)
    if wide:
        table.add_column("last success", no_wrap=True)
    table.add_column("next poll (UTC)" if wide else "next poll", no_wrap=True)
    table.add_column("because", overflow="fold")
    if wide:
        table.add_column("last error", overflow="fold")
        table.add_column("url", overflow="fold")
    for h in health:
        cells = [h.name, _status(h), str(h.consecutive_errors)]
        if wide:
            cells.append(_when(h.last_success, wide))
        cells += [_when(h.next_poll, wide), h.next_poll_reason or ""]
        if wide:
            cells += [h.last_error or "", h.url]
        table.add_row(*cells)
    out: list[RenderableType] = [table]
    if not wide:
        for h in health:
            if h.last_error:
                line = Text(f"{h.name}: ", style="bold")
                line.append(h.last_error)
                line.truncate(width, overflow="ellipsis")
                out.append(line)
    return out


def _health() -> list[FeedHealth]:
    # a read command: a database that is not migrated is refused with the hint, as by
    # `matches` and `alerts` (it used to be created and migrated here, silently)
    with store_or_fail(settings_or_fail()) as store:
        try:
            return store.feed_health()
        except MonitorError as exc:
            fail(str(exc), DB_HINT)


def register(app: typer.Typer) -> None:
    """Add the `feeds` group: health by default, and commands that edit the config file."""
    feeds_app = typer.Typer(
        help="Each feed's health; `feeds add|remove|import|export` edit the config file.",
        invoke_without_command=True,
    )

    @feeds_app.callback()
    def feeds(
        ctx: typer.Context,
        fmt: Annotated[FeedsFormat, typer.Option("--format", help=FORMAT_HELP)] = (
            FeedsFormat.table
        ),
    ) -> None:
        """Show each feed's health: last status and error, errors in a row, next poll."""
        if ctx.invoked_subcommand is not None:
            return
        health = _health()
        if fmt is FeedsFormat.json:
            print_jsonl(feed_json(h) for h in health)
            return
        if not health:
            stderr_console().print("no feeds yet: run `monitor run --once` first")
        console = stdout_console()
        for part in health_view(health, console.width):
            console.print(part)

    _register_edits(feeds_app)
    app.add_typer(feeds_app, name="feeds")


def _config_path() -> Path:
    return settings_or_fail().config


def _edit_failed(exc: MonitorError, path: Path) -> NoReturn:
    fail(str(exc), fix_hint(f"{path} or the value"))


async def _discover(url: str) -> "Discovered":
    from monitor.app import http_client
    from monitor.discover import discover

    settings = settings_or_fail()
    async with http_client(settings, deadline=DISCOVERY_DEADLINE) as client:
        return await discover(client, url)


def _find_feed(url: str) -> "Discovered":
    from monitor.discover import NoFeedError
    from monitor.errors import BlockedAddressError, FetchError

    try:
        return asyncio.run(_discover(url))
    except BlockedAddressError as exc:
        fail(
            f"{exc.url}: {exc.reason}",
            "a private or local address needs MONITOR_ALLOWED_NETWORKS (e.g. 127.0.0.1/32)",
        )
    except FetchError as exc:
        fail(
            f"cannot fetch {exc.url}: {exc.reason}",
            "check the URL in a browser; pass the feed's own URL if you know it",
        )
    except NoFeedError as exc:
        fail(str(exc))


def _items(count: int) -> str:
    return f"{count} item{'' if count == 1 else 's'}"


def _newest(feed: "ParsedFeed") -> str:
    dates = [i.published for i in feed.items if i.published is not None]
    return f", newest {max(dates).astimezone(UTC):%Y-%m-%d}" if dates else ""


def _register_edits(feeds_app: typer.Typer) -> None:
    """`feeds add`, `remove`, `import`, `export`."""

    @feeds_app.command("add")
    def add(
        url: Annotated[
            str, typer.Argument(help="The feed's URL, or a page of the site that links its feed.")
        ],
        name: Annotated[
            str | None,
            typer.Option("--name", help="The feed's name (default: from the feed's title)."),
        ] = None,
        interval: Annotated[
            str | None,
            typer.Option("--interval", help='How often to poll: 15m, 1h, or "auto" (default 15m).'),
        ] = None,
    ) -> None:
        """Find a site's feed, check it once, and append it to the config file."""
        from monitor.feedsfile import NewFeed, add_feeds, feed_name, load
        from monitor.validate import check_http_url

        path = _config_path()
        try:
            check_http_url(url.strip())
        except ValueError as exc:
            fail(str(exc), "give the http(s) address of the feed or of a page of the site")
        try:
            _, config = load(path)
            # Refuse what can be refused before any request: duplicates, a bad name/interval.
            taken = [f.name for f in config.feeds]
            add_feeds(
                path,
                [NewFeed(name or feed_name(None, url.strip(), taken), url.strip(), interval)],
                write=False,
            )
        except MonitorError as exc:
            _edit_failed(exc, path)
        found = _find_feed(url.strip())
        chosen = name or feed_name(found.feed.title, found.url, (f.name for f in config.feeds))
        try:
            add_feeds(path, [NewFeed(chosen, found.url, interval)])
        except MonitorError as exc:
            _edit_failed(exc, path)
        how = {"given": "", "link": ", linked from the page", "path": ", found at a common path"}[
            found.found_by
        ]
        stdout_console().print(
            f"added feed {chosen!r}: {found.url}{how} ({_items(len(found.feed.items))}"
            f"{_newest(found.feed)}) to {path}; a running daemon polls it after `monitor "
            "reload` (or SIGHUP)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    @feeds_app.command("remove")
    def remove(
        name: Annotated[str, typer.Argument(help="The feed's name, as `monitor feeds` shows.")],
    ) -> None:
        """Remove a feed from the config file (its stored articles stay)."""
        from monitor.feedsfile import remove_feed

        path = _config_path()
        try:
            url = remove_feed(path, name)
        except MonitorError as exc:
            _edit_failed(exc, path)
        stdout_console().print(
            f"removed feed {name!r} ({url}) from {path}; its stored articles and matches "
            "stay; a running daemon stops polling it after `monitor reload` (or SIGHUP)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    @feeds_app.command("import")
    def import_(
        opml: Annotated[Path, typer.Argument(help="An OPML file, as feed readers export.")],
    ) -> None:
        """Add every feed of an OPML file to the config file, skipping those already there."""
        from monitor.feedsfile import import_opml

        path = _config_path()
        try:
            data = opml.read_bytes()
        except OSError as exc:
            fail(f"cannot read {opml}: {exc.strerror}", "give the path of an .opml file")
        try:
            report = import_opml(path, data)
        except ValueError as exc:
            fail(f"{opml}: {exc}", "export the OPML again from the feed reader")
        except MonitorError as exc:
            _edit_failed(exc, path)
        err = stderr_console()
        for line in report.invalid:
            err.print(f"skipped {line}", highlight=False, markup=False, soft_wrap=True)
        stdout_console().print(
            f"imported {len(report.added)} feed(s) into {path}; skipped "
            f"{len(report.duplicates)} already there and {len(report.invalid)} that cannot "
            "work",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    @feeds_app.command("export")
    def export(
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Write to this file instead of stdout."),
        ] = None,
    ) -> None:
        """Print the config file's feeds as OPML 2.0, for any feed reader."""
        from monitor.feedsfile import export_opml, load

        path = _config_path()
        try:
            _, config = load(path)
        except MonitorError as exc:
            _edit_failed(exc, path)
        text = export_opml(config)
        if output is None:
            sys.stdout.write(text)
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}", "choose a writable path")
        stderr_console().print(
            f"wrote {len(config.feeds)} feed(s) to {output}", highlight=False, markup=False
        )
