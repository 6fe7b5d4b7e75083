"""`monitor alerts`: the outbox (pending, failed, dead), replaying it, and delivery stats."""

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitor.cli.common import (
    config_or_fail,
    fail,
    fix_hint,
    print_jsonl,
    print_table,
    settings_or_fail,
    store_or_fail,
)
from monitor.clock import utcnow
from monitor.errors import MonitorError
from monitor.types import Alert

if TYPE_CHECKING:
    from monitor.store.outbox import ChannelState, DeliveryStats


class State(StrEnum):
    """Outbox states `monitor alerts --state` accepts."""

    pending = "pending"
    failed = "failed"
    dead = "dead"
    delivered = "delivered"


class Format(StrEnum):
    """Output formats of `monitor alerts`."""

    table = "table"
    json = "json"


def alert_json(alert: Alert) -> dict[str, Any]:
    """One outbox row as `monitor alerts --format json` prints it."""
    data = alert.payload.get("data") or {}
    article = data.get("article") or {}
    return {
        "id": alert.id,
        "state": alert.state,
        "channel": alert.channel,
        "watch": alert.watch,
        "article_id": alert.article_id,
        "attempts": alert.attempts,
        "next_attempt": alert.next_attempt if alert.state in ("pending", "failed") else None,
        "last_error": alert.last_error,
        "created_at": alert.created_at,
        "delivered_at": alert.delivered_at,
        "title": article.get("title"),
        "url": article.get("url"),
    }


def stats_json(stats: "DeliveryStats") -> dict[str, Any]:
    """One channel's delivery metrics as `monitor alerts stats --format json` prints it."""
    return {
        "channel": stats.channel,
        "pending": stats.pending,
        "failed": stats.failed,
        "dead": stats.dead,
        "delivered": stats.delivered,
        "attempts": stats.attempts,
        "failures": stats.failures,
        "latency_count": stats.latency_count,
        "latency_seconds_sum": round(stats.latency_sum, 3),
        "latency_seconds_p50": stats.latency_p50,
        "latency_seconds_p95": stats.latency_p95,
        "latency_seconds_max": stats.latency_max,
    }


def _list(state: State | None, fmt: Format, limit: int) -> None:
    with store_or_fail(settings_or_fail()) as store:
        try:
            alerts = store.list_alerts(state.value if state else None, limit=limit)
            channels = store.channel_states()
        except MonitorError as exc:
            fail(str(exc))
    if fmt is Format.json:
        print_jsonl(alert_json(a) for a in alerts)
        return
    _channels_table(channels)
    rows = [
        (
            a.id,
            a.state,
            a.channel,
            a.watch,
            a.attempts,
            a.next_attempt if a.state in ("pending", "failed") else a.delivered_at,
            a.last_error or "",
            (a.payload.get("data") or {}).get("article", {}).get("title"),
        )
        for a in alerts
    ]
    print_table(
        f"{len(rows)} alert(s)",
        ("id", "state", "channel", "watch", "attempts", "next / delivered", "last error", "title"),
        rows,
    )


def _channels_table(channels: "dict[str, ChannelState]") -> None:
    """Per channel: the last success, the last failure and its reason, disabled or not."""
    rows = [
        (
            c.name,
            "yes" if c.enabled else f"no: {c.disabled_reason or ''}",
            c.last_success_at or "never",
            c.last_failure_at or "never",
            c.last_failure or "",
        )
        for c in sorted(channels.values(), key=lambda c: c.name)
    ]
    if rows:
        print_table(
            "channels",
            ("channel", "enabled", "last success", "last failure", "last failure reason"),
            rows,
        )


def _test(name: str) -> None:
    from monitor.alerts.probe import digest_note, hint, probe
    from monitor.app import build_channels

    settings = settings_or_fail()
    config = config_or_fail(settings)
    spec = next((c for c in config.channels if c.name == name), None)
    if spec is None:
        known = ", ".join(c.name for c in config.channels) or "none"
        fail(
            f"no channel {name!r} in {config.path} (channels: {known})",
            "give a name declared as [channel.NAME]",
            code=2,
        )
    try:
        channel = build_channels([spec], settings)[name]
    except MonitorError as exc:
        fail(str(exc), fix_hint("the setting", then="test again"))
    result = asyncio.run(probe(channel))
    with store_or_fail(settings) as store:
        try:
            store.record_outcome(name, utcnow(), result.error and f"test: {result.error}")
        except MonitorError as exc:
            fail(str(exc))
    if result.error is not None:
        fail(f"{name}: sample alert not delivered: {result.error}", hint(spec))
    typer.echo(f"{name}: sample alert delivered in {result.seconds:.1f}s{digest_note(spec)}")


def register(app: typer.Typer) -> None:
    """Add `alerts`, `alerts retry` and `alerts stats`."""
    alerts_app = typer.Typer(help="The alert outbox, and replaying it.")

    @alerts_app.callback(invoke_without_command=True)
    def alerts(
        ctx: typer.Context,
        state: Annotated[
            State | None,
            typer.Option(
                "--state",
                help="Only alerts in this state (default: pending, failed and dead).",
                case_sensitive=False,
            ),
        ] = None,
        fmt: Annotated[
            Format, typer.Option("--format", help="table for people, json (JSON Lines) for pipes.")
        ] = Format.table,
        limit: Annotated[
            int, typer.Option("--limit", min=1, help="At most this many, oldest first.")
        ] = 500,
    ) -> None:
        """List pending, failed and dead alerts (oldest first)."""
        if ctx.invoked_subcommand is None:
            _list(state, fmt, limit)

    @alerts_app.command("retry")
    def retry(
        ids: Annotated[
            list[int] | None,
            typer.Argument(
                help="Outbox ids to replay (any state, even delivered).", show_default=False
            ),
        ] = None,
        all_: Annotated[
            bool, typer.Option("--all", help="Replay every pending, failed and dead alert.")
        ] = False,
        since: Annotated[
            str | None,
            typer.Option(
                "--since",
                help="Replay every alert written since then, delivered ones too: a "
                "duration back from now (2h, 1d) or an ISO date/datetime.",
                show_default=False,
            ),
        ] = None,
        channel: Annotated[
            str | None,
            typer.Option(
                "--channel",
                help="Only this channel's alerts (with --all or --since).",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Replay alerts now: by ID, --all, or --since a time (--channel narrows --all and
        --since to one channel). Re-enables channels a 410 disabled."""
        from monitor.store.filters import parse_when

        if sum((bool(ids), all_, since is not None)) != 1:
            fail(
                "give alert ids, --all or --since (one of them)",
                "`monitor alerts` lists the ids",
                code=2,
            )
        if channel is not None and ids:
            fail("--channel goes with --all or --since, not with ids", code=2)
        now = utcnow()
        try:
            start = parse_when(since, now) if since is not None else None
        except ValueError as exc:
            fail(f"--since: {exc}", code=2)
        with store_or_fail(settings_or_fail()) as store:
            try:
                count = store.retry(list(ids) if ids else None, now, since=start, channel=channel)
            except MonitorError as exc:
                fail(str(exc))
        if ids and count == 0:
            fail(
                f"no alert to replay with id {', '.join(map(str, ids))} (unknown or in flight)",
                "`monitor alerts --state ...` lists the ids",
            )
        typer.echo(
            f"{count} alert(s) queued for delivery on the daemon's next tick "
            "(or the next `monitor run --once`)"
        )

    @alerts_app.command("test")
    def test(
        channel: Annotated[str, typer.Argument(help="A channel declared in feeds.toml.")],
    ) -> None:
        """Send a sample alert through CHANNEL now and print the outcome (exit 1 on failure).

        The sample goes through the channel's real sender (URL, secret, SMTP, Apprise) with
        the relay's timeouts; it is not stored in the outbox. `monitor alerts` then shows it
        as the channel's last success or failure.
        """
        _test(channel)

    @alerts_app.command("stats")
    def stats(
        fmt: Annotated[
            Format, typer.Option("--format", help="table for people, json (JSON Lines) for pipes.")
        ] = Format.table,
    ) -> None:
        """Delivery metrics per channel: attempts, failures, latency stored -> delivered."""
        with store_or_fail(settings_or_fail()) as store:
            try:
                rows = store.delivery_stats(utcnow())
            except MonitorError as exc:
                fail(str(exc))
        if fmt is Format.json:
            print_jsonl(stats_json(s) for s in rows)
            return
        print_table(
            "delivery (latency over the last 7 days)",
            (
                "channel",
                "pending",
                "failed",
                "dead",
                "delivered",
                "attempts",
                "failures",
                "p50 s",
                "p95 s",
                "max s",
            ),
            [
                (
                    s.channel,
                    s.pending,
                    s.failed,
                    s.dead,
                    s.delivered,
                    s.attempts,
                    s.failures,
                    _secs(s.latency_p50),
                    _secs(s.latency_p95),
                    _secs(s.latency_max),
                )
                for s in rows
            ],
        )

    app.add_typer(alerts_app, name="alerts")


def _secs(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
