"""Email delivery over SMTP (aiosmtplib): one message per match, or one digest per period."""

import asyncio
import base64
import html
import logging
import re
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from typing import Any, Literal

import aiosmtplib

from monitor.alerts import render
from monitor.alerts.base import DEFAULT_TIMEOUT, Channel
from monitor.alerts.render import (
    digest_groups,
    digest_subject,
    html_entry,
    stories_word,
    text_entry,
    title_of,
)
from monitor.clock import Clock, utcnow
from monitor.config import Settings, smtp_host
from monitor.errors import DeliveryError
from monitor.types import Alert, ChannelSpec

log = logging.getLogger(__name__)

TLSMode = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: Mapping[str, int] = {"starttls": 587, "tls": 465, "none": 25}
SUBJECT_MAX = 200
LINE_MAX = 78  # RFC 5322 2.1.1: header lines SHOULD stay within 78 characters
_EW_BYTES = 42  # UTF-8 bytes per encoded-word: "Subject: =?utf-8?b?<56>?=" is 77 characters


def fold_subject(subject: str, linesep: str = "\r\n") -> str:
    """`Subject: ...` folded by RFC 5322 (between words, at most 78 characters a line) and,
    when not ASCII, written as RFC 2047 encoded-words that decoders join back exactly.

    The stdlib folder can drop or add spaces around encoded-words and break right after
    `Subject:`; this one does neither.
    """
    if subject.isascii():
        lines, line = [], "Subject:"
        for word in subject.split(" "):
            if len(line) + 1 + len(word) > LINE_MAX and line != "Subject:":
                lines.append(line)
                line = ""
            line += " " + word
        return linesep.join([*lines, line]) + linesep
    words, chunk = [], ""
    for char in subject:
        if len((chunk + char).encode()) > _EW_BYTES:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    encoded = ["=?utf-8?b?" + base64.b64encode(w.encode()).decode("ascii") + "?=" for w in words]
    return "Subject: " + (linesep + " ").join(encoded) + linesep


class _Policy(EmailPolicy):
    """SMTP's policy with our Subject folding."""

    def fold(self, name: str, value: Any) -> str:
        if name.lower() == "subject":
            return fold_subject(str(value), self.linesep)
        folded: str = super().fold(name, value)
        return folded

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() == "subject":
            return fold_subject(str(value), self.linesep).encode("ascii")
        return super().fold_binary(name, value)


# Refuses CR/LF in header values (a feed title cannot add headers); folds lines at 78.
POLICY = _Policy(linesep="\r\n", raise_on_defect=True, max_line_length=LINE_MAX)


def one_line(text: str | None, limit: int = SUBJECT_MAX) -> str:
    """Text safe for a header: control characters (CR, LF, ...) become spaces, trimmed."""
    return render.one_line(text, limit)


def _domain(sender: str) -> str:
    found = re.search(r"@([A-Za-z0-9.-]+)", sender)
    return found.group(1) if found else "monitor.localhost"


def alert_message_id(alert: Alert, domain: str) -> str:
    """Message-ID of an immediate alert: derived from the outbox row, the same on a resend."""
    return f"<alert-{alert.id}@{domain}>"


def digest_message_id(channel: str, alerts: Sequence[Alert], domain: str) -> str:
    """Message-ID of a digest: derived from its rows, the same when the digest is resent."""
    ids = sorted(a.id for a in alerts)
    slug = re.sub(r"[^A-Za-z0-9.-]", "-", channel)
    return f"<digest-{slug}-{ids[0]}-{ids[-1]}-{len(ids)}@{domain}>"


# ---- rendering (pure; the entries themselves are monitor.alerts.render's) -----------------


def _message(
    sender: str,
    to: Sequence[str],
    subject: str,
    message_id: str,
    now: datetime,
    text: str,
    body_html: str,
) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to robots
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    msg.add_alternative(f"<!doctype html><html><body>{body_html}</body></html>", subtype="html")
    return msg


def immediate_message(
    alert: Alert, *, sender: str, to: Sequence[str], now: datetime
) -> EmailMessage:
    """One match as one message: subject with watch and title, text and HTML bodies."""
    subject = f"[monitor] {alert.watch}: {title_of(alert)}"
    return _message(
        sender,
        to,
        subject,
        alert_message_id(alert, _domain(sender)),
        now,
        text_entry(alert) + "\n",
        html_entry(alert),
    )


def digest_message(
    channel: str, alerts: Sequence[Alert], *, sender: str, to: Sequence[str], now: datetime
) -> EmailMessage:
    """The period's stories as one message: one entry per story (with its copies' count),
    grouped by watch, oldest first; the subject names the watches and the count."""
    ordered = sorted(alerts, key=lambda a: a.id)
    groups = digest_groups(ordered)
    subject = f"[monitor] {digest_subject(groups)}"
    texts, pages = [], []
    for watch, entries in groups.items():
        heading = f"{watch}: {stories_word(len(entries))}"
        texts.append(
            f"== {heading} ==\n\n"
            + "\n\n".join(
                text_entry(e.alert) + (f"\nCopies: {e.copies}" if e.copies > 1 else "")
                for e in entries
            )
        )
        pages.append(
            f"<h1>{html.escape(heading)}</h1>"
            + "<hr>".join(
                html_entry(e.alert) + (f"<p>Copies: {e.copies}</p>" if e.copies > 1 else "")
                for e in entries
            )
        )
    return _message(
        sender,
        to,
        subject,
        digest_message_id(channel, ordered, _domain(sender)),
        now,
        "\n\n".join(texts) + "\n",
        "".join(pages),
    )


# ---- sending --------------------------------------------------------------------------------


class EmailChannel(Channel):
    """Sends over SMTP with TLS exactly as configured: never opportunistic (HAZARDS 7)."""

    def __init__(
        self,
        name: str,
        to: Sequence[str],
        *,
        host: str,
        port: int | None = None,
        tls: TLSMode = "starttls",
        sender: str = "monitor@localhost",
        username: str | None = None,
        password: str | None = None,
        digest_every: timedelta | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
        now: Clock = utcnow,
    ) -> None:
        self.name, self.to, self.host, self.tls = name, tuple(to), host, tls
        self.port = port or DEFAULT_PORTS[tls]
        self.sender, self.username, self._password = sender, username, password
        self.digest_every, self.timeout, self._now = digest_every, timeout, now
        self._tls_context = tls_context

    @classmethod
    def from_settings(
        cls, spec: ChannelSpec, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT
    ) -> "EmailChannel":
        """The channel `spec` describes, with the MONITOR_SMTP_* settings."""
        host = smtp_host(settings, [spec.name])
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            spec.name,
            spec.to,
            host=host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=password,
            digest_every=spec.every if spec.mode == "digest" else None,
            timeout=timeout,
        )

    async def send(self, alerts: Sequence[Alert]) -> None:
        """Immediate: one message per alert. Digest: one message for all of them."""
        if not alerts:
            return
        if self.digest is not None:
            await self.send_digest(alerts)
            return
        now = self._now()
        for alert in alerts:
            await self._send(immediate_message(alert, sender=self.sender, to=self.to, now=now))

    async def send_digest(self, alerts: Sequence[Alert]) -> None:
        """The alerts as one digest message."""
        if alerts:
            await self._send(
                digest_message(self.name, alerts, sender=self.sender, to=self.to, now=self._now())
            )

    async def _send(self, message: EmailMessage) -> None:
        try:
            # aiosmtplib's timeout bounds each step; this bounds the whole conversation.
            async with asyncio.timeout(self.timeout * 3):
                # Flattened here with POLICY: aiosmtplib would refold with the stdlib's.
                await aiosmtplib.send(
                    message.as_bytes(policy=POLICY),
                    sender=parseaddr(self.sender)[1],
                    recipients=list(self.to),
                    hostname=self.host,
                    port=self.port,
                    username=self.username,
                    password=self._password,
                    use_tls=self.tls == "tls",
                    start_tls=self.tls == "starttls",
                    tls_context=self._tls_context,
                    timeout=self.timeout,
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise self._error(
                f"every recipient refused (SMTP {codes})",
                permanent=all(500 <= c < 600 for c in codes),
            ) from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            # The account, not the message, is at fault: keep the alert for after the fix.
            raise self._error(f"authentication failed (SMTP {exc.code})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise self._error(
                f"SMTP {exc.code} {one_line(exc.message, 200)}", permanent=500 <= exc.code < 600
            ) from exc
        except aiosmtplib.SMTPNotSupported as exc:
            raise self._error(
                f"server does not support what MONITOR_SMTP_TLS={self.tls} "
                f"requires: {one_line(str(exc), 200)}"
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            # Not an SMTPException (HAZARDS 7): caught here or it would escape the relay.
            raise self._error(f"TLS certificate not trusted: {exc.verify_message}") from exc
        except TimeoutError as exc:
            raise self._error(f"timed out after {self.timeout * 3:g}s") from exc
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise self._error(f"{type(exc).__name__}: {one_line(str(exc), 200)}") from exc

    def _error(self, message: str, *, permanent: bool = False) -> DeliveryError:
        return DeliveryError(message, channel=self.name, permanent=permanent)
