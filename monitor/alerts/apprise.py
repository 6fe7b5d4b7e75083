"""Chat and push channels through Apprise (Slack, Teams, Telegram, Matrix, ntfy, ...)."""

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

import apprise

from monitor.alerts.base import DEFAULT_TIMEOUT, Channel
from monitor.alerts.render import chat_body, chat_digest, chat_title
from monitor.errors import ConfigError, DeliveryError
from monitor.types import Alert

log = logging.getLogger(__name__)

ChatFormat = Literal["text", "markdown", "html"]
_FORMATS: dict[str, str] = {
    "text": apprise.NotifyFormat.TEXT,
    "markdown": apprise.NotifyFormat.MARKDOWN,
    "html": apprise.NotifyFormat.HTML,
}
_STATUS = re.compile(r"error=(\d{3})")
# A refusal that a later attempt cannot change: the message or the credentials are wrong.
_PERMANENT = frozenset({400, 401, 403, 404, 405, 413, 422})


def _quiet_apprise() -> None:
    # Apprise logs service URLs (which carry tokens) at DEBUG and INFO, and urllib3 logs
    # request paths at DEBUG (as httpx does, HAZARDS 8): neither goes below WARNING, and
    # Apprise's own lines stay out of our handlers; each failure is logged by the relay
    # with a reason reduced to what is safe.
    logger = logging.getLogger("apprise")
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    if not any(isinstance(f, _WarningsOnly) for f in logger.filters):
        logger.addFilter(_WarningsOnly())
    urllib3 = logging.getLogger("urllib3")
    if urllib3.getEffectiveLevel() < logging.WARNING:
        urllib3.setLevel(logging.WARNING)


class _WarningsOnly(logging.Filter):
    """Drops records below WARNING even while Apprise lowers its logger's level."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


class AppriseChannel(Channel):
    """Sends each alert as one Apprise notification to the operator's URL.

    The URL is the operator's own (not passed through the SSRF guard) and holds tokens, so
    it comes only from the environment and never appears in logs or stored errors.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        fmt: ChatFormat = "markdown",
        digest_every: timedelta | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        _quiet_apprise()
        self.name, self.format, self.timeout = name, fmt, timeout
        self.digest_every = digest_every
        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            raise ConfigError(
                f"apprise channel {name!r}: the URL in its url_env is not one Apprise can "
                "use (see https://github.com/caronc/apprise/wiki for each service's URL)",
                key=f"channel.{name}.url_env",
            )
        for service in self._apprise:
            # Apprise's own sockets are bounded by the relay's timeout, and the relay owns
            # retries: one attempt per delivery.
            service.socket_connect_timeout = timeout
            service.socket_read_timeout = timeout
            service.service_retry = 0

    async def send(self, alerts: Sequence[Alert]) -> None:
        """Immediate: one notification per alert. Digest: one for all of them."""
        if not alerts:
            return
        if self.digest is not None:
            await self.send_digest(alerts)
            return
        for alert in alerts:
            await self._notify(chat_title(alert), chat_body(alert, self.format))

    async def send_digest(self, alerts: Sequence[Alert]) -> None:
        """The alerts as one notification listing their stories."""
        if alerts:
            await self._notify(*chat_digest(alerts, self.format))

    async def _notify(self, title: str, body: str) -> None:
        try:
            async with asyncio.timeout(self.timeout * 2 + 1):
                result = await self._apprise.async_notify(
                    body=body,
                    title=title,
                    body_format=_FORMATS[self.format],
                    timeout=self.timeout * 2,
                    log_level=logging.WARNING,
                )
        except TimeoutError as exc:
            raise self._error(f"timed out after {self.timeout * 2:g}s") from exc
        if result:
            return
        raise self._failure(result)

    def _failure(self, result: apprise.AppriseResult) -> DeliveryError:
        """A safe reason (service name, HTTP status or kind of error; never the URL)."""
        if result.status == apprise.AppriseResultStatus.TIMEOUT:
            return self._error(f"timed out after {self.timeout * 2:g}s")
        services = [r.name for r in result.results] or ["service"]
        messages = [entry.message for r in result.results for entry in r.logs()]
        codes = [int(c) for m in messages for c in _STATUS.findall(m)]
        if codes:
            code = codes[-1]
            return self._error(
                f"{services[0]} notification refused: HTTP {code}", permanent=code in _PERMANENT
            )
        if any("connection error" in m.lower() for m in messages):
            return self._error(f"{services[0]} notification failed: connection error")
        return self._error(f"{services[0]} notification failed")

    def _error(self, message: str, *, permanent: bool = False) -> DeliveryError:
        return DeliveryError(message, channel=self.name, permanent=permanent)
