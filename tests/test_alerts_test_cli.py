"""`monitor alerts test CHANNEL` through real receivers, and each channel's latest outcomes."""

import random
from pathlib import Path

import pytest
from alerts_support import SECRET, T0, Answer, Clock, WebhookReceiver, seed
from httpserver import HTTPTestServer
from typer.testing import CliRunner

from monitor.alerts.apprise import AppriseChannel
from monitor.alerts.relay import Relay
from monitor.cli import app
from monitor.store import Store


def run(*args: str) -> tuple[int, str, str]:
    """Invoke `monitor alerts ARGS`."""
    result = CliRunner().invoke(app, ["alerts", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def configure(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: Store
) -> "Configure":
    """Writes feeds.toml with the given channel tables and points the CLI at it."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")
    return Configure(tmp_path / "feeds.toml", monkeypatch)


class Configure:
    """Call with the TOML of the channels (and environment variables to set)."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path, self.monkeypatch = path, monkeypatch

    def __call__(self, toml: str, **env: str) -> None:
        self.path.write_text(toml, encoding="utf-8")
        self.monkeypatch.setenv("MONITOR_CONFIG", str(self.path))
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)


def webhook_toml(rec: WebhookReceiver) -> str:
    """A signed webhook channel `hook` to the receiver."""
    return (
        f'[channel.hook]\ntype = "webhook"\nurl = "{rec.url()}"\nsecret_env = "TEST_HOOK_SECRET"\n'
    )


def test_a_sample_reaches_the_receiver_signed_and_is_shown_as_the_last_success(
    configure: "Configure",
) -> None:
    """The sample goes through the real webhook sender (verified signature, data.test) and
    prints one line; `monitor alerts` then shows the channel's last success."""
    with WebhookReceiver() as rec:
        configure(webhook_toml(rec), TEST_HOOK_SECRET=SECRET)
        code, out, err = run("test", "hook")
    assert code == 0, err
    assert out.startswith("hook: sample alert delivered in ")
    assert len(out.strip().splitlines()) == 1
    (got,) = rec.deliveries
    assert got.verified
    assert got.payload["data"]["test"] is True
    assert got.payload["data"]["watch"] == "monitor-test"
    code, out, _ = run()
    assert code == 0
    line = next(ln for ln in out.splitlines() if "hook" in ln)
    assert line.count("never") == 1  # a time for the success, none for a failure


def test_a_failed_sample_exits_1_with_the_reason_and_what_to_check(configure: "Configure") -> None:
    """A 503 is reported on one line with a hint and exit 1; the failure is kept for
    `monitor alerts`."""
    with WebhookReceiver(script=lambda path, n: Answer(status=503)) as rec:
        configure(webhook_toml(rec), TEST_HOOK_SECRET=SECRET)
        code, out, err = run("test", "hook")
    assert code == 1
    assert "hook: sample alert not delivered: HTTP 503" in err
    assert "answers 2xx" in err
    assert "Traceback" not in err + out
    code, out, _ = run()
    assert "test: HTTP 503" in out


def test_an_apprise_sample_through_json(
    configure: "Configure", http_server: HTTPTestServer
) -> None:
    """An apprise channel's sample arrives as one notification."""
    http_server.route("/chat", status=200)
    configure(
        '[channel.chat]\ntype = "apprise"\nurl_env = "TEST_CHAT_URL"\n',
        TEST_CHAT_URL=f"json://{http_server.host}:{http_server.port}/chat",
    )
    code, _, err = run("test", "chat")
    assert code == 0, err
    assert "Test alert for channel chat" in http_server.bodies[0].decode()


def test_user_mistakes_are_one_line_errors(configure: "Configure") -> None:
    """An unknown channel, or an apprise channel whose variable is unset, is a short error."""
    configure('[channel.chat]\ntype = "apprise"\nurl_env = "UNSET_CHAT_URL_X"\n')
    code, _, err = run("test", "nope")
    assert code != 0
    assert "UNSET_CHAT_URL_X is not set" in err  # the config itself is refused first
    assert "Traceback" not in err
    with WebhookReceiver() as rec:
        configure(webhook_toml(rec), TEST_HOOK_SECRET=SECRET)
        code, _, err = run("test", "nope")
    assert code == 2
    assert "no channel 'nope'" in err
    assert "channels: hook" in err


async def test_the_relay_notes_each_channels_latest_success_and_failure(
    store: Store, http_server: HTTPTestServer
) -> None:
    """Deliveries and failures through the relay set the channel's last success / failure."""
    http_server.route("/ok", status=200)
    http_server.route("/bad", status=500)
    clock = Clock(T0)
    seed(store.db, ["ok", "bad"], now=clock.value)
    base = f"json://{http_server.host}:{http_server.port}"
    channels = {
        "ok": AppriseChannel("ok", f"{base}/ok", timeout=5),
        "bad": AppriseChannel("bad", f"{base}/bad", timeout=5),
    }
    async with Relay(store, channels, owner="t", now=clock, rng=random.Random(1)) as r:
        await r.run_until_idle()
    states = store.channel_states()
    assert states["ok"].last_success_at == T0
    assert states["ok"].last_failure_at is None
    assert states["bad"].last_failure_at == T0
    assert states["bad"].last_failure == "attempt 1: JSON notification refused: HTTP 500"
    assert states["bad"].last_success_at is None
