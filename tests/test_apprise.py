"""Apprise channels through the relay against a real loopback HTTP receiver (json://, form://,
and the Mattermost plugin pointed at a local stand-in through its custom host)."""

import json
import logging
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from alerts_support import T0, Clock, seed
from httpserver import HTTPTestServer, Reply

from monitor.alerts.apprise import AppriseChannel
from monitor.alerts.factory import build_channels
from monitor.alerts.relay import Relay
from monitor.config import Settings, load_config
from monitor.errors import ConfigError
from monitor.store import Store
from monitor.types import ChannelSpec


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A Store on a fresh, migrated SQLite file."""
    with Store.open(f"sqlite:///{tmp_path / 'alerts.db'}", schema="upgrade") as store:
        yield store


def relay(store: Store, channel: AppriseChannel, clock: Clock) -> Relay:
    """A relay over one apprise channel with a seeded RNG and the settable clock."""
    return Relay(store, {channel.name: channel}, owner="test", now=clock, rng=random.Random(7))


def json_url(server: HTTPTestServer, path: str = "/chat") -> str:
    """Apprise's json:// target on the loopback server."""
    return f"json://{server.host}:{server.port}{path}"


async def test_json_target_gets_one_notification_with_watch_title_link_tags_evidence(
    lite: Store, http_server: HTTPTestServer
) -> None:
    """Each alert becomes one JSON notification: the watch and title in its title, the link,
    the tags with their level and each evidence sentence labelled by its tag."""
    http_server.route("/chat", status=200)
    clock = Clock()
    (row,) = seed(lite.db, ["chat"], now=clock.value)
    chat = AppriseChannel("chat", json_url(http_server), fmt="text", timeout=5)
    async with relay(lite, chat, clock) as r:
        assert await r.run_until_idle() == 1
    (body,) = http_server.bodies
    sent = json.loads(body)
    assert sent["title"] == "desk: Story number 0"
    message = sent["message"]
    assert "Link: https://news.example.org/0" in message
    assert "Wang Yi (mention)" in message
    assert "Taiwan (mention)" in message
    assert "- [Taiwan] Both sides discussed Taiwan at length." in message
    assert "- [Wang Yi] Wang Yi met the delegation in Beijing." in message
    alert = lite.get_alert(row)
    assert alert is not None
    assert alert.state == "delivered"


async def test_markdown_format_reaches_the_target_as_markdown(
    lite: Store, http_server: HTTPTestServer
) -> None:
    """format = markdown sends Markdown: a bold watch, a link, a labelled evidence list."""
    http_server.route("/chat", status=200)
    clock = Clock()
    seed(lite.db, ["chat"], now=clock.value)
    chat = AppriseChannel("chat", json_url(http_server), fmt="markdown", timeout=5)
    async with relay(lite, chat, clock) as r:
        await r.run_until_idle()
    message = json.loads(http_server.bodies[0])["message"]
    assert "**desk**: [Story number 0](<https://news.example.org/0>)" in message
    assert "- *Taiwan*: Both sides discussed Taiwan at length." in message


async def test_form_target_gets_a_form_post(lite: Store, http_server: HTTPTestServer) -> None:
    """Apprise's form:// target receives the same notification as form fields."""
    http_server.route("/form", status=204)
    clock = Clock()
    seed(lite.db, ["chat"], now=clock.value)
    chat = AppriseChannel(
        "chat", f"form://{http_server.host}:{http_server.port}/form", fmt="text", timeout=5
    )
    async with relay(lite, chat, clock) as r:
        assert await r.run_until_idle() == 1
    (req,) = http_server.hits("/form")
    assert req.headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(http_server.bodies[0].decode())
    assert fields["title"] == ["desk: Story number 0"]
    assert "Link: https://news.example.org/0" in fields["message"][0]


async def test_mattermost_plugin_on_a_local_stand_in(
    lite: Store, http_server: HTTPTestServer
) -> None:
    """A chat service's plugin (Mattermost incoming webhooks, custom host and port) posts
    {"text": ...} to /hooks/TOKEN on the stand-in."""
    http_server.route("/hooks/tok3n", status=200)
    clock = Clock()
    seed(lite.db, ["team"], now=clock.value)
    chat = AppriseChannel("team", f"mmost://{http_server.host}:{http_server.port}/tok3n", timeout=5)
    async with relay(lite, chat, clock) as r:
        assert await r.run_until_idle() == 1
    (body,) = http_server.bodies
    text = json.loads(body)["text"]
    assert "desk" in text
    assert "Story number 0" in text
    assert "Both sides discussed Taiwan at length." in text


async def test_a_failure_is_retried_then_delivered(
    lite: Store, http_server: HTTPTestServer
) -> None:
    """A 503 fails the attempt (kept for its next attempt, with the reason); the retry
    delivers."""
    answers = iter([503, 200])
    http_server.route("/chat", handler=lambda req: Reply(next(answers)))
    clock = Clock()
    (row,) = seed(lite.db, ["chat"], now=clock.value)
    chat = AppriseChannel("chat", json_url(http_server), timeout=5)
    async with relay(lite, chat, clock) as r:
        await r.run_until_idle()
        failed = lite.get_alert(row)
        assert failed is not None
        assert failed.state == "failed"
        assert failed.last_error == "attempt 1: JSON notification refused: HTTP 503"
        clock.advance(seconds=10)
        assert await r.run_until_idle() == 1
    done = lite.get_alert(row)
    assert done is not None
    assert done.state == "delivered"
    assert len(http_server.hits("/chat")) == 2


async def test_a_permanent_refusal_is_dead_with_its_reason(
    lite: Store, http_server: HTTPTestServer
) -> None:
    """A 400 (the service refuses the message itself) is dead at once, with its reason."""
    http_server.route("/chat", status=400)
    clock = Clock()
    (row,) = seed(lite.db, ["chat"], now=clock.value)
    chat = AppriseChannel("chat", json_url(http_server), timeout=5)
    async with relay(lite, chat, clock) as r:
        await r.run_until_idle()
    dead = lite.get_alert(row)
    assert dead is not None
    assert dead.state == "dead"
    assert dead.last_error == "attempt 1: JSON notification refused: HTTP 400"


async def test_the_relay_timeout_bounds_apprise(lite: Store, http_server: HTTPTestServer) -> None:
    """A receiver that stalls is given up on within the channel's timeout, and retried."""
    http_server.route("/chat", status=200, delay=5.0)
    clock = Clock()
    (row,) = seed(lite.db, ["chat"], now=clock.value)
    chat = AppriseChannel("chat", json_url(http_server), timeout=0.5)
    started = time.monotonic()
    async with relay(lite, chat, clock) as r:
        await r.run_until_idle()
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    failed = lite.get_alert(row)
    assert failed is not None
    assert failed.state == "failed"


async def test_the_apprise_url_never_reaches_logs_or_stored_errors(
    lite: Store, http_server: HTTPTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The URL's token appears neither in log records nor in last_error."""
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    (row,) = seed(lite.db, ["chat"], now=clock.value)
    chat = AppriseChannel("chat", f"json://{http_server.host}:1/s3cr3t-tok3n", timeout=2)
    async with relay(lite, chat, clock) as r:
        await r.run_until_idle()
    failed = lite.get_alert(row)
    assert failed is not None
    assert failed.state == "failed"
    assert failed.last_error == "attempt 1: JSON notification failed: connection error"
    assert "s3cr3t-tok3n" not in caplog.text


def test_config_takes_url_env_and_refuses_it_unset_or_a_url_inline(tmp_path: Path) -> None:
    """feeds.toml names the variable (url_env); unset, or a url given inline, is refused at
    start naming the key."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[channel.team]\ntype = "apprise"\nurl_env = "TEAM_URL"\nformat = "html"\n',
        encoding="utf-8",
    )
    cfg = load_config(path, {"TEAM_URL": "json://127.0.0.1/x"})
    spec = cfg.channel("team")
    assert (spec.type, spec.url_env, spec.format) == ("apprise", "TEAM_URL", "html")
    with pytest.raises(ConfigError, match="TEAM_URL is not set") as info:
        load_config(path, {})
    assert info.value.key == "channel.team.url_env"
    path.write_text('[channel.team]\ntype = "apprise"\nurl = "slack://a/b/c"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="url_env") as info:
        load_config(path, {})
    assert info.value.line == 3
    path.write_text(
        '[channel.team]\ntype = "apprise"\nurl_env = "U"\nformat = "rtf"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="format"):
        load_config(path, {"U": "json://127.0.0.1/x"})


def test_build_channels_refuses_a_url_apprise_cannot_use() -> None:
    """A value that is no Apprise URL is refused at start, without echoing it."""
    spec = ChannelSpec("team", "apprise", url_env="TEAM_URL")
    with pytest.raises(ConfigError, match="TEAM_URL is not set"):
        build_channels([spec], Settings(), {})
    with pytest.raises(ConfigError, match="not one Apprise can use") as info:
        build_channels([spec], Settings(), {"TEAM_URL": "nosuchservice://t0ken"})
    assert "t0ken" not in str(info.value)
    built = build_channels([spec], Settings(), {"TEAM_URL": "json://127.0.0.1/x"})
    assert isinstance(built["team"], AppriseChannel)


async def test_a_digest_apprise_channel_sends_one_notification_per_period(
    lite: Store, http_server: HTTPTestServer
) -> None:
    """mode = digest: the period's alerts go out as one notification counting them."""
    http_server.route("/chat", status=200)
    clock = Clock(T0)
    seed(lite.db, ["chat"], count=3, now=clock.value)
    chat = AppriseChannel(
        "chat", json_url(http_server), fmt="text", digest_every=timedelta(hours=1), timeout=5
    )
    async with relay(lite, chat, clock) as r:
        assert await r.run_until_idle() == 0
        clock.advance(hours=1)
        assert await r.run_until_idle() == 3
    (body,) = http_server.bodies
    sent = json.loads(body)
    assert sent["title"] == "desk: 3 new stories"
    assert all(f"Story number {i}" in sent["message"] for i in range(3))
