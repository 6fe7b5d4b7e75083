"""Reload: a new feeds.toml and vocabulary checked whole, then swapped in without stopping
the work in flight; a bad file is refused and the running configuration stays."""

import asyncio
import logging
from typing import TYPE_CHECKING

from monitor.app import Prepared, build_channels, prepare
from monitor.config import Settings, load_config
from monitor.errors import MonitorError
from monitor.pipeline import Rules

if TYPE_CHECKING:
    from monitor.alerts.base import Channel
    from monitor.daemon import Daemon

log = logging.getLogger(__name__)


def load(settings: Settings) -> "tuple[Prepared, dict[str, Channel]]":
    """feeds.toml, its vocabulary, watches and channels, checked as at start (ConfigError
    naming the file, line and key otherwise)."""
    config = load_config(settings.config)
    prepared = prepare(settings, config)
    channels = (
        build_channels(config.channels, settings, watches=config.watches) if config.channels else {}
    )
    return prepared, channels


async def apply_reload(daemon: "Daemon", source: str) -> str:
    """Reload `daemon`'s configuration; the answer `monitor reload` prints."""
    settings = daemon.prepared.settings
    try:
        prepared, channels = await asyncio.to_thread(load, settings)
    except MonitorError as exc:
        log.error("config.reload_refused source=%s error=%s", source, exc)
        daemon.say(
            f"monitor: reload ({source}) refused: {exc}; the running configuration is unchanged"
        )
        return f"refused: {exc}"
    except Exception as exc:  # a bug must not take the running configuration down with it
        log.exception("config.reload_failed source=%s", source)
        return f"refused: {type(exc).__name__}: {exc}"
    old = daemon.prepared.config
    rt = daemon.rt
    await rt.store.submit("", rt.store.sync_feeds, prepared.config.feeds, daemon.clock())
    rt.pipeline.reconfigure(
        Rules(
            prepared.matcher,
            prepared.watches,
            {f.name: f.official for f in prepared.config.feeds if f.official is not None},
        )
    )
    await _swap_channels(daemon, channels)
    daemon.prepared = prepared
    summary = _summary(old.feeds, prepared.config.feeds, prepared)
    log.info("config.reloaded source=%s %s", source, summary)
    daemon.say(f"monitor: reloaded {prepared.config.path} ({source}): {summary}")
    daemon.claim_now()
    await daemon.backfill()
    return f"reloaded: {summary}"


async def _swap_channels(daemon: "Daemon", channels: "dict[str, Channel]") -> None:
    from monitor.alerts.relay import Relay

    if daemon.relay is None:
        if channels:
            relay = Relay(daemon.rt.store, channels)
            await relay.__aenter__()
            daemon.install_relay(relay)
        return
    # deliveries in flight end on their old channels; closing those waits for them
    daemon.spawn(daemon.relay.replace_channels(channels))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else ('es' if noun.endswith('ch') else 's')}"


def _summary(before: tuple[object, ...], after: tuple[object, ...], prepared: Prepared) -> str:
    old = {getattr(f, "name", "") for f in before}
    new = {getattr(f, "name", "") for f in after}
    added, removed = sorted(new - old), sorted(old - new)
    changes = ", ".join(
        [
            *([f"added {', '.join(added)}"] if added else []),
            *([f"removed {', '.join(removed)}"] if removed else []),
        ]
    )
    config = prepared.config
    return (
        f"{_count(len(config.feeds), 'feed')}{f' ({changes})' if changes else ''}, "
        f"{_count(len(config.watches), 'watch')}, {_count(len(config.channels), 'channel')}"
    )
