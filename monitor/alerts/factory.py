"""Builds alert channels from feeds.toml: the one module that knows every backend (webhook,
email, apprise); only the composition root (monitor.app) imports it."""

import os
from collections.abc import Mapping, Sequence

from monitor.alerts.apprise import AppriseChannel
from monitor.alerts.base import DEFAULT_TIMEOUT, Channel
from monitor.alerts.email import EmailChannel
from monitor.alerts.schedule import AtTime, Every, Schedule, parse_schedule
from monitor.alerts.webhook import WebhookChannel
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.types import ChannelSpec, WatchSpec


def build_channels(
    specs: Sequence[ChannelSpec],
    settings: Settings,
    environ: Mapping[str, str] = os.environ,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    watches: Sequence[WatchSpec] = (),
) -> dict[str, Channel]:
    """One Channel per spec; refuses (ConfigError naming the channel) what cannot work.

    `watches` with their own digest schedule make their alerts to email and apprise
    channels go out as that watch's digest (webhooks stay one request per alert).
    """
    channels: dict[str, Channel] = {}
    for spec in specs:
        if spec.type == "webhook":
            channels[spec.name] = WebhookChannel(
                spec.name, _webhook_url(spec), _secret(spec, environ), timeout=timeout
            )
        elif spec.type == "apprise":
            channels[spec.name] = AppriseChannel(
                spec.name,
                _apprise_url(spec, environ),
                fmt=spec.format,
                digest_every=spec.every if spec.mode == "digest" else None,
                timeout=timeout,
            )
            channels[spec.name].digest_at = digest_at(spec)
        else:
            channels[spec.name] = EmailChannel.from_settings(spec, settings, timeout=timeout)
            channels[spec.name].digest_at = digest_at(spec)
        if spec.type != "webhook":
            channels[spec.name].watch_digests = _watch_digests(spec.name, watches)
    return channels


def _watch_digests(channel: str, watches: Sequence[WatchSpec]) -> dict[str, Schedule]:
    out: dict[str, Schedule] = {}
    for watch in watches:
        if channel not in watch.notify:
            continue
        if watch.schedule:
            out[watch.name] = parse_schedule(watch.schedule, watch.timezone)
        elif watch.every:
            out[watch.name] = Every(watch.every)
    return out


def digest_at(spec: ChannelSpec) -> AtTime | None:
    """The wall-clock schedule of a digest channel, if it has one (checked at load)."""
    if spec.mode != "digest" or not spec.schedule:
        return None
    return parse_schedule(spec.schedule, spec.timezone)


def _webhook_url(spec: ChannelSpec) -> str:
    if not spec.url:
        raise ConfigError(f"webhook channel {spec.name!r} has no url", key=f"channel.{spec.name}")
    return spec.url


def _apprise_url(spec: ChannelSpec, environ: Mapping[str, str]) -> str:
    url = environ.get(spec.url_env or "")
    if not url:
        raise ConfigError(
            f"apprise channel {spec.name!r}: environment variable {spec.url_env} is not set; "
            "export the channel's Apprise URL",
            file="environment",
            key=spec.url_env or f"channel.{spec.name}.url_env",
        )
    return url


def _secret(spec: ChannelSpec, environ: Mapping[str, str]) -> list[str] | None:
    """The signing secrets, in the order their variables are named (None: unsigned)."""
    if spec.secret_env is None:
        return None
    names = [spec.secret_env] if isinstance(spec.secret_env, str) else list(spec.secret_env)
    secrets = []
    for name in names:
        secret = environ.get(name)
        if not secret:
            raise ConfigError(
                f"webhook channel {spec.name!r}: environment variable {name} is not "
                "set; export the signing secret (whsec_...)",
                file="environment",
                key=name,
            )
        secrets.append(secret)
    return secrets
