"""Standard Webhooks delivery: signed POSTs, status codes mapped to retry, give up or disable."""

import asyncio
import binascii
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from monitor.alerts.base import DEFAULT_TIMEOUT, Channel
from monitor.alerts.payload import fit_payload
from monitor.clock import Clock, utcnow
from monitor.errors import ChannelGoneError, ConfigError, DeliveryError
from monitor.fetch.hints import parse_retry_after
from monitor.types import Alert

log = logging.getLogger(__name__)

RETRY_AFTER_LIMIT = timedelta(days=1)  # a receiver cannot park an alert for longer
USER_AGENT = "monitor-webhooks/1"


def message_id(alert: Alert) -> str:
    """The `webhook-id`: derived from the outbox row, so every retry carries the same one."""
    return f"msg_{alert.id}"


def body_of(alert: Alert) -> str:
    """The exact JSON text that is sent and signed."""
    return json.dumps(fit_payload(alert.payload), ensure_ascii=False, separators=(",", ":"))


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header as seconds from `now`, at most RETRY_AFTER_LIMIT (the one bounded
    parser of monitor.fetch.hints); None when absent or garbage such as `nan`."""
    delay = parse_retry_after(value, now=now, limit=RETRY_AFTER_LIMIT)
    return None if delay is None else delay.total_seconds()


class WebhookChannel(Channel):
    """POSTs each alert to the operator's URL with Standard Webhooks headers.

    The URL is the operator's own (not passed through the SSRF guard) and may carry a
    secret in its path, so it never appears in logs or stored errors.
    """

    def __init__(
        self,
        name: str,
        url: str,
        secret: str | Sequence[str] | None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        now: Clock = utcnow,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.name, self.timeout, self._now = name, timeout, now
        self._url = url
        secrets = [secret] if isinstance(secret, str) else list(secret or [])
        # Several secrets while one is rotated out: one signature each, the new one first.
        self._signers = [_signer(name, s) for s in secrets]
        if not self._signers:
            log.warning("webhook.unsigned channel=%s reason=no secret_env", name)
        # Our own client: channel URLs are not fetched through the guarded feed client.
        self._client = client or httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            headers={"user-agent": USER_AGENT},
        )
        _quiet_httpx()

    def headers(self, alert: Alert, body: str) -> dict[str, str]:
        """Standard Webhooks headers for one attempt of `alert` with `body`."""
        # sign() reads any datetime as UTC (HAZARDS 10): hand it an aware UTC one.
        stamp = self._now().astimezone(UTC)
        msg_id = message_id(alert)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(stamp.timestamp())),
            "content-type": "application/json",
        }
        if self._signers:
            # Standard Webhooks: space-separated signatures; a receiver accepts any match.
            headers["webhook-signature"] = " ".join(
                signer.sign(msg_id, stamp, body) for signer in self._signers
            )
        return headers

    async def send(self, alerts: Sequence[Alert]) -> None:
        """POST each alert; raise DeliveryError on the first that fails."""
        for alert in alerts:
            await self._post(alert)

    async def _post(self, alert: Alert) -> None:
        body = body_of(alert)
        try:
            # httpx timeouts bound each read, not the whole exchange (HAZARDS 2).
            async with asyncio.timeout(self.timeout):
                response = await self._client.post(
                    self._url, content=body.encode(), headers=self.headers(alert, body)
                )
        except TimeoutError as exc:
            raise self._error(f"timed out after {self.timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise self._error(f"network error: {type(exc).__name__}") from exc
        self._check(response)

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if status == 410:
            raise ChannelGoneError(
                "receiver answered 410 Gone; channel disabled (`monitor "
                "alerts retry` enables it again)",
                channel=self.name,
            )
        if 300 <= status < 400:
            raise self._error(
                f"HTTP {status} redirect not followed; point the channel at the final URL"
            )
        retry_after = (
            retry_after_seconds(response.headers.get("retry-after"), self._now())
            if status in (429, 503)
            else None
        )
        raise self._error(f"HTTP {status}", retry_after=retry_after)

    def _error(self, message: str, retry_after: float | None = None) -> DeliveryError:
        return DeliveryError(message, channel=self.name, retry_after=retry_after)

    async def aclose(self) -> None:
        """Close the channel's HTTP client."""
        await self._client.aclose()


def _signer(name: str, secret: str) -> Webhook:
    try:
        return Webhook(secret)
    except (ValueError, binascii.Error, RuntimeError, EmptyWebhookSecretError) as exc:
        raise ConfigError(
            f"webhook channel {name!r}: the signing secret is not a Standard "
            "Webhooks secret (whsec_ followed by base64)",
            key=f"channel.{name}.secret_env",
        ) from exc


def _quiet_httpx() -> None:
    # httpx logs every request URL at INFO, and webhook URLs may carry secrets (HAZARDS 8).
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
