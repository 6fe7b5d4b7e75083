"""The Channel interface every alert channel implements (the backends import it, never the
other way round: `monitor.alerts.factory` builds them from feeds.toml)."""

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType

from monitor.alerts.schedule import AtTime, Every, Schedule
from monitor.types import Alert

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
