"""Webhook secret rotation: one `v1,` signature per secret, each verified by the
`standardwebhooks` package; `secret_env` as one name or a list."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alerts_support import SECRET, Clock, WebhookReceiver, seed

from monitor.alerts.factory import build_channels
from monitor.alerts.relay import Relay
from monitor.alerts.webhook import WebhookChannel
from monitor.config import Settings, load_config
from monitor.errors import ConfigError
from monitor.store import Store
from monitor.types import ChannelSpec

NEW = "whsec_cm90YXRpb24tdGVzdC1zZWNyZXQtb2YtMzItYnl0ZXM="
OLD = SECRET


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A Store on a fresh, migrated SQLite file."""
    with Store.open(f"sqlite:///{tmp_path / 'alerts.db'}", schema="upgrade") as store:
        yield store


@pytest.mark.parametrize("receiver_secret", [NEW, OLD])
async def test_each_rotated_secret_verifies_the_same_delivery(
    lite: Store, receiver_secret: str
) -> None:
    """Signed with [NEW, OLD], the header carries two space-separated v1 signatures and a
    receiver holding either secret verifies the delivery."""
    clock = Clock(datetime.now(UTC))
    seed(lite.db, ["hook"], now=clock.value)
    with WebhookReceiver(secret=receiver_secret) as rec:
        channel = WebhookChannel("hook", rec.url(), [NEW, OLD], timeout=5, now=clock)
        headers = channel.headers(lite.list_alerts()[0], "{}")
        async with Relay(lite, {"hook": channel}, owner="t", now=clock, rng=random.Random(1)) as r:
            assert await r.run_until_idle() == 1
    (got,) = rec.deliveries
    assert got.verified
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)


async def test_a_receiver_with_neither_secret_rejects_it(lite: Store) -> None:
    """The signatures depend on the secrets: a third secret does not verify."""
    clock = Clock(datetime.now(UTC))
    seed(lite.db, ["hook"], now=clock.value)
    third = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    with WebhookReceiver(secret=third) as rec:
        channel = WebhookChannel("hook", rec.url(), [NEW, OLD], timeout=5, now=clock)
        async with Relay(lite, {"hook": channel}, owner="t", now=clock, rng=random.Random(1)) as r:
            await r.run_until_idle()
    (got,) = rec.deliveries
    assert not got.verified


def test_secret_env_takes_one_name_or_a_list(tmp_path: Path) -> None:
    """A list of names loads in order; an unset one or an empty list is refused at start."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[channel.hook]\ntype = "webhook"\nurl = "https://h.example/x"\n'
        'secret_env = ["HOOK_NEW", "HOOK_OLD"]\n',
        encoding="utf-8",
    )
    spec = load_config(path, {"HOOK_NEW": NEW, "HOOK_OLD": OLD}).channel("hook")
    assert spec.secret_env == ("HOOK_NEW", "HOOK_OLD")
    with pytest.raises(ConfigError, match="HOOK_OLD is not set"):
        load_config(path, {"HOOK_NEW": NEW})
    path.write_text(
        '[channel.hook]\ntype = "webhook"\nurl = "https://h.example/x"\nsecret_env = []\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="lists no variable"):
        load_config(path, {})


def test_build_channels_signs_with_every_listed_secret() -> None:
    """build_channels reads each variable; a bad one is named."""
    spec = ChannelSpec(
        "hook", "webhook", url="https://h.example/x", secret_env=("HOOK_NEW", "HOOK_OLD")
    )
    built = build_channels([spec], Settings(), {"HOOK_NEW": NEW, "HOOK_OLD": OLD})
    assert isinstance(built["hook"], WebhookChannel)
    with pytest.raises(ConfigError, match="HOOK_OLD is not set"):
        build_channels([spec], Settings(), {"HOOK_NEW": NEW})
    with pytest.raises(ConfigError, match="not a Standard Webhooks secret"):
        build_channels([spec], Settings(), {"HOOK_NEW": NEW, "HOOK_OLD": "whsec_!!"})
