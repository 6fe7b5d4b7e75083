"""The Channel interface every alert channel implements, and building channels from config."""

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType

from monitor.alerts.schedule import AtTime, Every, Schedule, parse_schedule
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.types import Alert, ChannelSpec, WatchSpec

DEFAULT_TIMEOUT = 10.0  # seconds one delivery attempt may take, connection to last byte


class Channel(ABC):
    """Somewhere alerts go. `send` returns on success and raises DeliveryError otherwise.

    Immediate channels (`digest_every` None) get one alert per call; digest channels get the
    whole period's alerts in one call and send them as one message. A DeliveryError with
    `permanent=True` dead-letters the alerts; `retry_after` (seconds) asks for a later retry;
    ChannelGoneError disables the channel and keeps its alerts.
    """

    name: str
    digest_every: timedelta | None = None
    digest_at: AtTime | None = None  # "daily 08:00" / "weekly mon 08:00"; else digest_every
    # watches with their own digest schedule: their alerts go out as that watch's digest
    watch_digests: Mapping[str, Schedule] = MappingProxyType({})

    @property
    def digest(self) -> Schedule | None:
        """When this channel's digest is due; None for an immediate channel."""
        if self.digest_at is not None:
            return self.digest_at
        return None if self.digest_every is None else Every(self.digest_every)

    @abstractmethod
    async def send(self, alerts: Sequence[Alert]) -> None:
        """Deliver `alerts`; raise DeliveryError(channel=self.name, ...) when that fails."""

    async def send_digest(self, alerts: Sequence[Alert]) -> None:
        """Deliver `alerts` as one digest message (channels that have one override this)."""
        await self.send(alerts)

    async def aclose(self) -> None:  # noqa: B027 - optional hook; most channels hold nothing
        """Release connections; the relay calls it once when it stops."""


def build_channels(specs: Sequence[ChannelSpec], settings: Settings,
                   environ: Mapping[str, str] = os.environ, *,
                   timeout: float = DEFAULT_TIMEOUT,
                   watches: Sequence[WatchSpec] = ()) -> dict[str, Channel]:
    """One Channel per spec; refuses (ConfigError naming the channel) what cannot work.

    `watches` with their own digest schedule make their alerts to email and apprise
    channels go out as that watch's digest (webhooks stay one request per alert).
    """
    from monitor.alerts.apprise import AppriseChannel
    from monitor.alerts.email import EmailChannel
    from monitor.alerts.webhook import WebhookChannel

    channels: dict[str, Channel] = {}
    for spec in specs:
        if spec.type == "webhook":
            channels[spec.name] = WebhookChannel(
                spec.name, _webhook_url(spec), _secret(spec, environ), timeout=timeout)
        elif spec.type == "apprise":
            channels[spec.name] = AppriseChannel(
                spec.name, _apprise_url(spec, environ), fmt=spec.format,
                digest_every=spec.every if spec.mode == "digest" else None, timeout=timeout)
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
            "export the channel's Apprise URL", file="environment",
            key=spec.url_env or f"channel.{spec.name}.url_env")
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
                "set; export the signing secret (whsec_...)", file="environment", key=name)
        secrets.append(secret)
    return secrets
