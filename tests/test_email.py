"""Email delivery against a real aiosmtpd server: modes, retries, TLS, header injection."""

import random
import socket
import ssl
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from alerts_support import T0, Clock, seed

from monitor.alerts.email import EmailChannel, TLSMode, immediate_message
from monitor.alerts.factory import build_channels
from monitor.alerts.relay import Relay
from monitor.config import Settings, smtp_host
from monitor.errors import ConfigError
from monitor.store import Store
from monitor.types import Alert, ChannelSpec

TO = ("desk@example.org",)


class Mailbox:
    """An aiosmtpd handler that answers DATA by a script and keeps what it accepted."""

    def __init__(self, script: Callable[[int], str] | None = None) -> None:
        self.script = script or (lambda n: "250 OK")
        self.attempts: list[EmailMessage] = []
        self.accepted: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=default)
        assert isinstance(msg, EmailMessage)
        reply = self.script(len(self.attempts))
        self.attempts.append(msg)
        if reply.startswith("250"):
            self.accepted.append((list(envelope.rcpt_tos), msg))
        return reply


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SMTPServer:
    """A running aiosmtpd server on 127.0.0.1; STARTTLS only when given a TLS context."""

    def __init__(self, mailbox: Mailbox, tls_context: ssl.SSLContext | None = None) -> None:
        self.mailbox, self.port = mailbox, free_port()
        kwargs: dict[str, Any] = {"tls_context": tls_context} if tls_context else {}
        self.controller = Controller(mailbox, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> "SMTPServer":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A Store on a fresh, migrated SQLite file."""
    with Store.open(f"sqlite:///{tmp_path / 'alerts.db'}", schema="upgrade") as store:
        yield store


def mail(
    server: SMTPServer, clock: Clock, *, tls: TLSMode = "none", name: str = "mail", **kw: Any
) -> EmailChannel:
    """An email channel to `server`."""
    return EmailChannel(
        name,
        TO,
        host="127.0.0.1",
        port=server.port,
        tls=tls,
        sender="monitor@example.org",
        timeout=5.0,
        now=clock,
        **kw,
    )


def relay(store: Store, channel: EmailChannel, clock: Clock) -> Relay:
    """A relay over one email channel."""
    return Relay(store, {channel.name: channel}, owner="test", now=clock, rng=random.Random(3))


async def test_immediate_mail_has_subject_bodies_and_stable_headers(lite: Store) -> None:
    """One message per match: subject with watch and title; text and HTML bodies with
    title, source, date, tags, evidence and link; Message-ID from the outbox row;
    Auto-Submitted; sent only to the configured recipients."""
    clock = Clock()
    a, b = seed(lite.db, ["mail"], count=2)
    with SMTPServer(Mailbox()) as server:
        async with relay(lite, mail(server, clock), clock) as r:
            assert await r.run_until_idle() == 2
    assert len(server.mailbox.accepted) == 2  # sent concurrently: order is not fixed
    by_id = {m["Message-ID"]: (rcpts, m) for rcpts, m in server.mailbox.accepted}
    assert set(by_id) == {f"<alert-{a}@example.org>", f"<alert-{b}@example.org>"}
    rcpts, msg = by_id[f"<alert-{a}@example.org>"]
    assert rcpts == list(TO)
    assert msg["Subject"] == "[monitor] desk: Story number 0"
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, page):
        assert "Story number 0" in body
        assert "world" in body  # source feed
        assert "2026-11-23T09:00:00Z" in body  # published
        assert "Wang Yi" in body
        assert "Taiwan" in body
        assert "Both sides discussed Taiwan at length." in body
        assert "https://news.example.org/0" in body
    assert lite.list_alerts() == []


async def test_4xx_is_retried_under_the_same_message_id(lite: Store) -> None:
    """A 451 fails the attempt; the retry 5 s later is the same message (same Message-ID),
    so a receiver can tell it is a resend."""
    clock = Clock()
    (row,) = seed(lite.db, ["mail"])
    box = Mailbox(lambda n: "451 4.3.0 try again later" if n == 0 else "250 OK")
    with SMTPServer(box) as server:
        async with relay(lite, mail(server, clock), clock) as r:
            await r.run_until_idle()
            alert = lite.get_alert(row)
            assert alert is not None
            assert alert.state == "failed"
            assert "451" in (alert.last_error or "")
            clock.advance(seconds=7)
            assert await r.run_until_idle() == 1
    assert [m["Message-ID"] for m in box.attempts] == [f"<alert-{row}@example.org>"] * 2
    assert lite.get_alert(row).state == "delivered"  # type: ignore[union-attr]


async def test_5xx_is_dead_lettered_at_once(lite: Store) -> None:
    """A 554 is permanent: one attempt, then the row is dead."""
    clock = Clock()
    (row,) = seed(lite.db, ["mail"])
    with SMTPServer(Mailbox(lambda n: "554 5.7.1 rejected")) as server:
        async with relay(lite, mail(server, clock), clock) as r:
            await r.run_until_idle()
            clock.advance(hours=1)
            assert await r.run_until_idle() == 0
    assert len(server.mailbox.attempts) == 1
    alert = lite.get_alert(row)
    assert alert is not None
    assert alert.state == "dead"
    assert "554" in (alert.last_error or "")


async def test_starttls_is_required_unless_tls_is_none(lite: Store) -> None:
    """HAZARDS 7: with MONITOR_SMTP_TLS=starttls and a server without STARTTLS nothing is
    sent in clear text (the attempt fails); only `none` sends without TLS."""
    clock = Clock()
    strict_row, plain_row = seed(lite.db, ["strict", "plain"])
    with SMTPServer(Mailbox()) as server:
        strict = mail(server, clock, tls="starttls", name="strict")
        plain = mail(server, clock, tls="none", name="plain")
        relay_ = Relay(lite, {"strict": strict, "plain": plain}, owner="t", now=clock)
        async with relay_ as r:
            await r.run_until_idle()
    assert len(server.mailbox.attempts) == 1
    strict_alert, plain_alert = lite.get_alert(strict_row), lite.get_alert(plain_row)
    assert strict_alert is not None
    assert strict_alert.state == "failed"
    assert "STARTTLS" in (strict_alert.last_error or "")
    assert plain_alert is not None
    assert plain_alert.state == "delivered"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority."""
    return trustme.CA()


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 from `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


async def test_untrusted_certificate_fails_the_attempt_not_the_relay(
    lite: Store, ca: trustme.CA
) -> None:
    """HAZARDS 7: an untrusted certificate raises ssl.SSLCertVerificationError (not an
    SMTPException); it is a failed attempt with a clear error, and nothing is sent."""
    clock = Clock()
    (row,) = seed(lite.db, ["mail"])
    with SMTPServer(Mailbox(), tls_context=server_context(ca)) as server:
        async with relay(lite, mail(server, clock, tls="starttls"), clock) as r:
            await r.run_until_idle()
    assert server.mailbox.attempts == []
    alert = lite.get_alert(row)
    assert alert is not None
    assert alert.state == "failed"
    assert "certificate" in (alert.last_error or "")


async def test_starttls_with_a_trusted_certificate_delivers(lite: Store, ca: trustme.CA) -> None:
    """With a certificate the client trusts, STARTTLS upgrades and the mail goes out."""
    clock = Clock()
    seed(lite.db, ["mail"])
    client = ssl.create_default_context()
    ca.configure_trust(client)
    with SMTPServer(Mailbox(), tls_context=server_context(ca)) as server:
        async with relay(lite, mail(server, clock, tls="starttls", tls_context=client), clock) as r:
            await r.run_until_idle()
    assert len(server.mailbox.accepted) == 1
    assert lite.list_alerts() == []


async def test_feed_title_cannot_inject_headers(lite: Store) -> None:
    """A title with CR/LF and header text stays inside the Subject: no Bcc, no extra
    header, no extra recipient."""
    clock = Clock()
    evil = "Breaking\r\nBcc: victim@example.net\r\nX-Injected: yes\n\nbody"
    seed(lite.db, ["mail"], title=evil)
    with SMTPServer(Mailbox()) as server:
        async with relay(lite, mail(server, clock), clock) as r:
            await r.run_until_idle()
    ((rcpts, msg),) = server.mailbox.accepted
    assert rcpts == list(TO)
    assert msg["Bcc"] is None
    assert msg["X-Injected"] is None
    assert msg["Subject"].startswith("[monitor] desk: Breaking Bcc: victim@example.net")


def test_html_body_escapes_feed_text_and_links_only_http() -> None:
    """Feed text is HTML-escaped and a javascript: link is not made clickable."""
    alert = Alert(
        id=5,
        channel="mail",
        watch="desk",
        article_id=1,
        payload={
            "type": "match.created",
            "timestamp": "2026-11-23T10:00:00Z",
            "data": {
                "watch": "desk",
                "article": {
                    "url": "javascript:alert(1)",
                    "title": "<script>x()</script>",
                    "published": None,
                    "feed": "world",
                },
                "actors": [],
                "issues": [],
                "evidence": [{"id": "t", "text": "a<b>c"}],
            },
        },
        state="pending",
        attempts=0,
        next_attempt=T0,
        last_error=None,
        created_at=T0,
    )
    msg = immediate_message(alert, sender="m@example.org", to=TO, now=T0)
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "a&lt;b&gt;c" in page
    assert "href" not in page
    assert b"\r\nX-" not in msg.as_bytes().split(b"\r\n\r\n")[0].replace(b"X-Auto", b"")


async def test_digest_sends_one_message_per_period(lite: Store) -> None:
    """A digest channel (every = 1h) sends nothing before the hour, then one message
    listing the period's matches; the next period starts then."""
    from datetime import timedelta

    clock = Clock()
    ids = seed(lite.db, ["digest"], count=3)
    with SMTPServer(Mailbox()) as server:
        channel = mail(server, clock, name="digest", digest_every=timedelta(hours=1))
        async with relay(lite, channel, clock) as r:
            clock.advance(minutes=30)
            assert await r.run_until_idle() == 0
            clock.advance(minutes=30)
            assert await r.run_until_idle() == 3
            later = seed(lite.db, ["digest"], now=clock.value)
            clock.advance(minutes=59)
            assert await r.run_until_idle() == 0
            clock.advance(minutes=1)
            assert await r.run_until_idle() == 1
    first, second = (m for _, m in server.mailbox.accepted)
    assert first["Subject"] == "[monitor] desk: 3 new stories"
    text = first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert all(f"Story number {i}" in text for i in range(3))
    assert first["Message-ID"] == f"<digest-digest-{ids[0]}-{ids[-1]}-3@example.org>"
    assert second["Subject"] == "[monitor] desk: 1 new story"
    assert all(lite.get_alert(i).state == "delivered" for i in [*ids, *later])  # type: ignore[union-attr]


def test_email_channels_refuse_to_start_without_smtp_host() -> None:
    """build_channels names the email channel that needs MONITOR_SMTP_HOST."""
    spec = ChannelSpec("desk-mail", "email", to=TO)
    with pytest.raises(ConfigError, match=r"desk-mail.*MONITOR_SMTP_HOST"):
        build_channels([spec], Settings(smtp_host=None), {})
    built = build_channels([spec], Settings(smtp_host="127.0.0.1", smtp_tls="tls"), {})
    channel = built["desk-mail"]
    assert isinstance(channel, EmailChannel)
    assert channel.port == 465


def test_the_start_check_and_the_channel_share_one_smtp_host_rule() -> None:
    """`monitor run`'s start-up check and an email channel built from the settings refuse a
    missing MONITOR_SMTP_HOST with one message naming the channels; a set one is used."""
    with pytest.raises(ConfigError) as many:
        smtp_host(Settings(smtp_host=None), ["desk-mail", "night-mail"])
    assert str(many.value) == (
        "environment: [MONITOR_SMTP_HOST] email channels 'desk-mail', 'night-mail' need "
        "MONITOR_SMTP_HOST; export it (and MONITOR_SMTP_PORT/_TLS/_FROM) or remove the channel"
    )
    spec = ChannelSpec("desk-mail", "email", to=TO)
    with pytest.raises(ConfigError, match=r"email channel 'desk-mail' needs MONITOR_SMTP_HOST"):
        EmailChannel.from_settings(spec, Settings(smtp_host=None))
    assert smtp_host(Settings(smtp_host="mail.example.org"), ["desk-mail"]) == "mail.example.org"
    assert EmailChannel.from_settings(spec, Settings(smtp_host="mail.example.org")).host == (
        "mail.example.org"
    )


def test_webhook_channels_need_their_secret() -> None:
    """A webhook whose secret_env is unset or not a whsec_ secret is refused at start."""
    spec = ChannelSpec("ops", "webhook", url="https://hooks.example.org/x", secret_env="S")
    with pytest.raises(ConfigError, match=r"ops.*S is not set"):
        build_channels([spec], Settings(), {})
    with pytest.raises(ConfigError, match="not a Standard Webhooks secret"):
        build_channels([spec], Settings(), {"S": "whsec_!!!"})


async def test_a_long_subject_arrives_whole_over_smtp(lite: Store) -> None:
    """A long subject with quotes and a long watch name is folded by our policy on the way
    out (not refolded by the SMTP library) and parses back exactly at the server."""
    clock = Clock()
    title = "“Blinken” and “Wang Yi” discuss Taiwan Strait tensions — a long meeting at Diaoyutai"
    watch = "a-very-long-watch-name-for-the-china-us-technology-desk"
    seed(lite.db, ["mail"], title=title, watch=watch)
    with SMTPServer(Mailbox()) as server:
        async with relay(lite, mail(server, clock), clock) as r:
            await r.run_until_idle()
    ((_, msg),) = server.mailbox.accepted
    assert msg["Subject"] == f"[monitor] {watch}: {title}"
