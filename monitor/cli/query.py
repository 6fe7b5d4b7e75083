"""`monitor matches`, `monitor show`, `monitor serve`: reading what the daemon stored."""

import contextlib
import ipaddress
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from monitor.cli.common import (
    FORMAT_HELP,
    config_or_fail,
    fail,
    print_csv,
    print_jsonl,
    print_table,
    settings_or_fail,
    stderr_console,
    stdout_console,
    store_or_fail,
)
from monitor.clock import utcnow
from monitor.config import Settings
from monitor.errors import MonitorError
from monitor.types import MatchRow, StoredArticle
from monitor.views import article_json, match_json

if TYPE_CHECKING:
    from monitor.store import Store

CSV_COLUMNS = (
    "id",
    "matched_at",
    "feed",
    "title",
    "url",
    "published",
    "actors",
    "issues",
    "watches",
    "story",
    "copies",
)
LOCAL_NAMES = frozenset({"localhost"})


class MatchFormat(StrEnum):
    """Output formats of `monitor matches`."""

    table = "table"
    json = "json"
    csv = "csv"


class ShowFormat(StrEnum):
    """Output formats of `monitor show`."""

    text = "text"
    json = "json"


def _rows(store: "Store", flt_kw: dict[str, object], limit: int) -> Iterator[MatchRow]:
    """Matches up to `limit`, following cursors page by page."""
    from monitor.store.queries import MAX_PAGE, MatchFilter

    cursor: str | None = None
    left = limit
    while left > 0:
        page = store.find_matches(MatchFilter(limit=min(left, MAX_PAGE), cursor=cursor, **flt_kw))  # type: ignore[arg-type]
        yield from page.items
        left -= len(page.items)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _tags_cell(row: MatchRow) -> str:
    """Tag ids with counts; issues the article is about are marked with a star."""
    return ", ".join(
        f"{t.id}{'*' if t.level == 'about' else ''}×{t.count}" for t in (*row.actors, *row.issues)
    )


def _csv_row(row: MatchRow) -> dict[str, object]:
    out = match_json(row)
    out["actors"] = [t.id for t in row.actors]
    out["issues"] = [t.id for t in row.issues]
    out["copies"] = [c.url for c in row.copies]
    return out


def _feed_cell(row: MatchRow) -> str:
    """The feed, and how many other copies the story has."""
    return f"{row.feed} +{len(row.copies)}" if row.copies else row.feed


def _print_article(article: StoredArticle, watches: tuple[str, ...]) -> None:
    console = stdout_console()
    console.print(Text(article.title or "(untitled)", style="bold"))
    console.print(
        Text(
            f"{article.url}\nfeed {article.feed} · id {article.id} · published "
            f"{article.published or 'unknown'} · matched {article.stored_at}"
            + (f" · watches {', '.join(watches)}" if watches else ""),
            style="dim",
        )
    )
    print_table(
        None,
        ("kind", "id", "level", "score", "count", "evidence"),
        [(t.kind, t.id, t.level, f"{t.score:.2f}", t.count, t.evidence.text) for t in article.tags],
    )
    if article.copies:
        print_table(
            f"story {article.story_id}: {len(article.copies)} other "
            f"cop{'ies' if len(article.copies) != 1 else 'y'}",
            ("id", "feed", "title", "url"),
            [(c.article_id, c.feed, c.title or "", c.url) for c in article.copies],
        )
    body = Text(article.text)
    for tag in article.tags:
        if 0 <= tag.evidence.start < tag.evidence.end <= len(article.text):
            style = "bold yellow" if tag.kind == "actor" else "bold cyan"
            body.stylize(style, tag.evidence.start, tag.evidence.end)
    console.print(body)


def _check_bind(host: str, settings: Settings) -> None:
    if settings.api_token is not None:
        return
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host in LOCAL_NAMES
    if not loopback:
        fail(
            f"refusing to serve on {host} without a token: the API would be open to the network",
            "set MONITOR_API_TOKEN (clients then send 'Authorization: Bearer "
            "<token>'), or bind to 127.0.0.1",
        )


_FILTER_HINTS = {
    "actor": "`monitor vocab` lists the actor and issue ids",
    "issue": "`monitor vocab` lists the actor and issue ids",
    "watch": "`monitor matches --format json` shows the watches of stored matches",
    "feed": "`monitor feeds` lists the feeds",
}


def _unknown_filter(
    store: "Store", settings: Settings, kw: dict[str, object]
) -> tuple[str, str] | None:
    """(option, message) for an --actor/--issue/--watch/--feed value that names nothing."""
    from monitor.config import load_config
    from monitor.known import known_names, unknown_name

    try:
        config = load_config(settings.config, check_env=False)
    except MonitorError:  # matches can be read without a valid config file
        config = None
    return unknown_name(
        known_names(store, config),
        actors=kw["actors"],  # type: ignore[arg-type]
        issues=kw["issues"],  # type: ignore[arg-type]
        watch=kw["watch"],  # type: ignore[arg-type]
        feed=kw["feed"],  # type: ignore[arg-type]
    )


def _announcing_server() -> type:
    import uvicorn

    class Announcing(uvicorn.Server):
        """uvicorn's server, saying on stderr where it listens once it does."""

        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets)
            for server in self.servers if self.started else ():
                for sock in server.sockets:
                    host, port = sock.getsockname()[:2]
                    shown = f"[{host}]" if ":" in host else host
                    stderr_console().print(
                        f"monitor: serving the API and the desk on "
                        f"http://{shown}:{port}/ (Ctrl-C stops)",
                        highlight=False,
                        markup=False,
                    )

    return Announcing


def register(app: typer.Typer) -> None:
    """Add `matches`, `show` and `serve`."""

    @app.command("matches")
    def matches(
        actor: Annotated[
            list[str] | None, typer.Option("--actor", help="Actor id; repeat: all must hold.")
        ] = None,
        issue: Annotated[
            list[str] | None, typer.Option("--issue", help="Issue id; repeat: all must hold.")
        ] = None,
        watch: Annotated[
            str | None, typer.Option("--watch", help="Only this watch's matches.")
        ] = None,
        feed: Annotated[
            str | None, typer.Option("--feed", help="Only this feed's matches.")
        ] = None,
        since: Annotated[
            str | None,
            typer.Option(
                "--since", help="Matched at or after: ISO date/datetime or a duration (7d)."
            ),
        ] = None,
        until: Annotated[
            str | None,
            typer.Option(
                "--until", help="Matched before: ISO datetime, ISO date (inclusive) or 1d."
            ),
        ] = None,
        text: Annotated[
            str | None,
            typer.Option("--text", help='Full-text search: words, "phrases", OR, -exclusion.'),
        ] = None,
        limit: Annotated[
            int, typer.Option("--limit", min=1, help="At most this many, newest first.")
        ] = 50,
        fmt: Annotated[MatchFormat, typer.Option("--format", help=FORMAT_HELP)] = MatchFormat.table,
        all_copies: Annotated[
            bool,
            typer.Option(
                "--all-copies",
                help="Every copy of a story (default: one line per story, its "
                "earliest copy, with the others under `copies`).",
            ),
        ] = False,
        story: Annotated[
            int | None,
            typer.Option("--story", help="Only this story's copies (its id: `story` in JSON)."),
        ] = None,
    ) -> None:
        """Query stored matches (newest first) by actor, issue, watch, feed, time and text."""
        from monitor.store.queries import parse_when

        now = utcnow()
        kw: dict[str, object] = {
            "actors": tuple(actor or ()),
            "issues": tuple(issue or ()),
            "watch": watch,
            "feed": feed,
            "text": text,
            "all_copies": all_copies,
            "story": story,
        }
        for name, raw in (("since", since), ("until", until)):
            try:
                kw[name] = None if raw is None else parse_when(raw, now, end=name == "until")
            except ValueError as exc:
                fail(f"--{name}: {exc}")
        settings = settings_or_fail()
        with store_or_fail(settings) as store:
            try:
                rows = list(_rows(store, kw, limit))
                # An empty answer may be a typo: say so rather than print an empty table.
                wrong = None if rows else _unknown_filter(store, settings, kw)
            except MonitorError as exc:
                field = getattr(exc, "field", None)
                fail(f"--{field}: {getattr(exc, 'reason', exc)}" if field else str(exc))
        if wrong is not None:
            fail(wrong[1], _FILTER_HINTS[wrong[0]])
        if fmt is MatchFormat.json:
            print_jsonl(match_json(r) for r in rows)
        elif fmt is MatchFormat.csv:
            print_csv((_csv_row(r) for r in rows), CSV_COLUMNS)
        else:
            print_table(
                f"{len(rows)} match{'es' if len(rows) != 1 else ''}",
                ("time", "feed", "title", "tags", "watches", "id"),
                [
                    (
                        r.matched_at.strftime("%Y-%m-%d %H:%M"),
                        _feed_cell(r),
                        r.title or r.url,
                        _tags_cell(r),
                        ", ".join(r.watches),
                        r.article_id,
                    )
                    for r in rows
                ],
            )

    @app.command("show")
    def show(
        article: Annotated[
            str, typer.Argument(help="Article id (as `matches` prints it) or the article's URL.")
        ],
        fmt: Annotated[
            ShowFormat,
            typer.Option("--format", help="text for people (evidence highlighted) or json."),
        ] = ShowFormat.text,
    ) -> None:
        """Show one stored article with its tags and evidence."""
        with store_or_fail(settings_or_fail()) as store:
            try:
                article_id = (
                    int(article) if article.isdigit() else store.article_id_for_url(article)
                )
                found = store.get_article(article_id) if article_id is not None else None
                if found is None:
                    fail(
                        f"no stored article {article!r}",
                        "pass an id from `monitor matches` or a stored article's URL",
                    )
                watches = store.article_watches(found.id)
            except MonitorError as exc:
                fail(str(exc))
        if fmt is ShowFormat.json:
            print_jsonl([article_json(found, watches)])
        else:
            _print_article(found, watches)

    @app.command("serve")
    def serve(
        host: Annotated[
            str,
            typer.Option(
                "--host", help="Address to bind; anything but loopback needs MONITOR_API_TOKEN."
            ),
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    ) -> None:
        """Serve the read-only HTTP API (matches, articles, feeds, watches, Atom, metrics)."""
        import uvicorn

        from monitor.api import create_app

        settings = settings_or_fail()
        _check_bind(host, settings)
        config = config_or_fail(settings)
        # uvicorn re-raises the SIGINT it handled; as uvicorn.run does, that is a clean stop
        with store_or_fail(settings, wait=True) as store, contextlib.suppress(KeyboardInterrupt):
            _announcing_server()(
                uvicorn.Config(
                    create_app(store, config, settings),
                    host=host,
                    port=port,
                    log_level="warning",
                    access_log=False,
                    server_header=False,
                )
            ).run()
