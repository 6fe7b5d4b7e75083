"""Email delivery over SMTP (aiosmtplib): one message per match, or one digest per period."""

import asyncio
import html
import logging
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any, Literal

import aiosmtplib

from monitor.alerts.base import DEFAULT_TIMEOUT, Channel
from monitor.config import Settings
from monitor.errors import DeliveryError
from monitor.types import Alert, ChannelSpec

log = logging.getLogger(__name__)

TLSMode = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: Mapping[str, int] = {"starttls": 587, "tls": 465, "none": 25}
# A policy that refuses CR/LF in header values: with it a feed title cannot add headers.
POLICY = SMTP.clone(raise_on_defect=True, max_line_length=998)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
SUBJECT_MAX = 200


def _utcnow() -> datetime:
    return datetime.now(UTC)


def one_line(text: str | None, limit: int = SUBJECT_MAX) -> str:
    """Text safe for a header: control characters (CR, LF, ...) become spaces, trimmed."""
    flat = _CONTROL.sub(" ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


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


# ---- rendering (pure) -----------------------------------------------------------------------

def _data(alert: Alert) -> Mapping[str, Any]:
    data = alert.payload.get("data")
    return data if isinstance(data, Mapping) else {}


def _article(alert: Alert) -> Mapping[str, Any]:
    article = _data(alert).get("article")
    return article if isinstance(article, Mapping) else {}


def _names(alert: Alert, key: str) -> list[str]:
    """Tag names, each with its level when the payload has one ("Taiwan (about)")."""
    return [str(t.get("name") or t.get("id")) + (f" ({t['level']})" if t.get("level") else "")
            for t in _data(alert).get(key) or [] if isinstance(t, Mapping)]


def _evidence(alert: Alert) -> list[str]:
    return [str(e.get("text")) for e in _data(alert).get("evidence") or []
            if isinstance(e, Mapping) and e.get("text")]


def _copies(alert: Alert) -> list[str]:
    """The story's other copies known when the alert was written: "feed: title <url>"."""
    return [one_line(f"{c.get('feed') or '?'}: {c.get('title') or '(untitled)'} "
                     f"<{c.get('url') or ''}>", 1000)
            for c in _data(alert).get("copies") or [] if isinstance(c, Mapping)]


def _link(url: Any) -> str | None:
    """Only http(s) links become clickable: feed content may carry javascript: URLs."""
    return url if isinstance(url, str) and re.match(r"^https?://", url, re.I) else None


def _title(alert: Alert) -> str:
    return one_line(str(_article(alert).get("title") or "(untitled)"), 500)


def text_entry(alert: Alert) -> str:
    """The plain-text lines describing one match."""
    art = _article(alert)
    lines = [_title(alert), f"Watch: {alert.watch}",
             f"Source: {art.get('feed') or 'unknown'}",
             f"Published: {art.get('published') or 'unknown'}"]
    actors, issues = _names(alert, "actors"), _names(alert, "issues")
    if actors:
        lines.append(f"Actors: {', '.join(actors)}")
    if issues:
        lines.append(f"Issues: {', '.join(issues)}")
    evidence = _evidence(alert)
    if evidence:
        lines.append("Evidence:")
        lines += [f"  - {one_line(e, 1000)}" for e in evidence]
    lines.append(f"Link: {art.get('url') or 'none'}")
    copies = _copies(alert)
    if copies:
        lines.append(f"Also published as (story {_data(alert).get('story')}):")
        lines += [f"  - {c}" for c in copies]
    return "\n".join(lines)


def html_entry(alert: Alert) -> str:
    """The HTML fragment describing one match; every value escaped."""
    art = _article(alert)
    esc = html.escape
    link = _link(art.get("url"))
    title = esc(_title(alert))
    heading = f'<a href="{esc(link, quote=True)}">{title}</a>' if link else title
    rows = [("Watch", alert.watch), ("Source", art.get("feed") or "unknown"),
            ("Published", art.get("published") or "unknown")]
    actors, issues = _names(alert, "actors"), _names(alert, "issues")
    if actors:
        rows.append(("Actors", ", ".join(actors)))
    if issues:
        rows.append(("Issues", ", ".join(issues)))
    table = "".join(f"<tr><th align=\"left\">{esc(k)}</th><td>{esc(str(v))}</td></tr>"
                    for k, v in rows)
    evidence = "".join(f"<li>{esc(one_line(e, 1000))}</li>" for e in _evidence(alert))
    copies = "".join(f"<li>{esc(c)}</li>" for c in _copies(alert))
    return (f"<h2>{heading}</h2><table>{table}</table>"
            + (f"<p>Evidence:</p><ul>{evidence}</ul>" if evidence else "")
            + (f"<p>Also published as:</p><ul>{copies}</ul>" if copies else ""))


def _message(sender: str, to: Sequence[str], subject: str, message_id: str, now: datetime,
             text: str, body_html: str) -> EmailMessage:
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


def immediate_message(alert: Alert, *, sender: str, to: Sequence[str],
                      now: datetime) -> EmailMessage:
    """One match as one message: subject with watch and title, text and HTML bodies."""
    subject = f"[monitor] {alert.watch}: {_title(alert)}"
    return _message(sender, to, subject, alert_message_id(alert, _domain(sender)), now,
                    text_entry(alert) + "\n", html_entry(alert))


def digest_message(channel: str, alerts: Sequence[Alert], *, sender: str, to: Sequence[str],
                   now: datetime) -> EmailMessage:
    """The period's matches of a digest channel as one message, oldest first."""
    ordered = sorted(alerts, key=lambda a: a.id)
    count = len(ordered)
    subject = f"[monitor] {channel} digest: {count} match{'es' if count != 1 else ''}"
    text = f"{count} new match{'es' if count != 1 else ''}.\n\n" + "\n\n".join(
        text_entry(a) for a in ordered) + "\n"
    body = "<hr>".join(html_entry(a) for a in ordered)
    return _message(sender, to, subject, digest_message_id(channel, ordered, _domain(sender)),
                    now, text, f"<p>{count} new match{'es' if count != 1 else ''}.</p>{body}")


# ---- sending --------------------------------------------------------------------------------

class EmailChannel(Channel):
    """Sends over SMTP with TLS exactly as configured: never opportunistic (HAZARDS 7)."""

    def __init__(self, name: str, to: Sequence[str], *, host: str, port: int | None = None,
                 tls: TLSMode = "starttls", sender: str = "monitor@localhost",
                 username: str | None = None, password: str | None = None,
                 digest_every: timedelta | None = None, timeout: float = DEFAULT_TIMEOUT,
                 tls_context: ssl.SSLContext | None = None,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.name, self.to, self.host, self.tls = name, tuple(to), host, tls
        self.port = port or DEFAULT_PORTS[tls]
        self.sender, self.username, self._password = sender, username, password
        self.digest_every, self.timeout, self._now = digest_every, timeout, now
        self._tls_context = tls_context

    @classmethod
    def from_settings(cls, spec: ChannelSpec, settings: Settings, *,
                      timeout: float = DEFAULT_TIMEOUT) -> "EmailChannel":
        """The channel `spec` describes, with the MONITOR_SMTP_* settings."""
        if not settings.smtp_host:
            raise ValueError("MONITOR_SMTP_HOST is required")
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(spec.name, spec.to, host=settings.smtp_host, port=settings.smtp_port,
                   tls=settings.smtp_tls, sender=settings.smtp_from,
                   username=settings.smtp_username, password=password,
                   digest_every=spec.every if spec.mode == "digest" else None, timeout=timeout)

    async def send(self, alerts: Sequence[Alert]) -> None:
        """Immediate: one message per alert. Digest: one message for all of them."""
        if not alerts:
            return
        now = self._now()
        if self.digest_every is not None:
            await self._send(digest_message(self.name, alerts, sender=self.sender, to=self.to,
                                            now=now))
            return
        for alert in alerts:
            await self._send(immediate_message(alert, sender=self.sender, to=self.to, now=now))

    async def _send(self, message: EmailMessage) -> None:
        try:
            # aiosmtplib's timeout bounds each step; this bounds the whole conversation.
            async with asyncio.timeout(self.timeout * 3):
                await aiosmtplib.send(
                    message, hostname=self.host, port=self.port, username=self.username,
                    password=self._password, use_tls=self.tls == "tls",
                    start_tls=self.tls == "starttls", tls_context=self._tls_context,
                    timeout=self.timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise self._error(f"every recipient refused (SMTP {codes})",
                              permanent=all(500 <= c < 600 for c in codes)) from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            # The account, not the message, is at fault: keep the alert for after the fix.
            raise self._error(f"authentication failed (SMTP {exc.code})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise self._error(f"SMTP {exc.code} {one_line(exc.message, 200)}",
                              permanent=500 <= exc.code < 600) from exc
        except aiosmtplib.SMTPNotSupported as exc:
            raise self._error(f"server does not support what MONITOR_SMTP_TLS={self.tls} "
                              f"requires: {one_line(str(exc), 200)}") from exc
        except ssl.SSLCertVerificationError as exc:
            # Not an SMTPException (HAZARDS 7): caught here or it would escape the relay.
            raise self._error(f"TLS certificate not trusted: {exc.verify_message}") from exc
        except TimeoutError as exc:
            raise self._error(f"timed out after {self.timeout * 3:g}s") from exc
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise self._error(f"{type(exc).__name__}: {one_line(str(exc), 200)}") from exc

    def _error(self, message: str, *, permanent: bool = False) -> DeliveryError:
        return DeliveryError(message, channel=self.name, permanent=permanent)
