"""`monitor alerts retry --since D [--channel NAME]`: replay by time range."""

from datetime import timedelta

import pytest
from alerts_support import T0, seed
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import Database, Store

LEASE = timedelta(seconds=30)


def run(*args: str) -> tuple[int, str, str]:
    """Invoke `monitor alerts ARGS`."""
    result = CliRunner().invoke(app, ["alerts", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def rows(
    db_url: str, db: Database, store: Store, monkeypatch: pytest.MonkeyPatch
) -> dict[str, int]:
    """An old delivered alert, and recent delivered ones on two channels."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    (old,) = seed(db, ["hook"], now=T0 - timedelta(hours=5))
    recent_hook, recent_mail = seed(db, ["hook", "mail"], now=T0)
    store.claim_alerts(T0, "r", LEASE, 10)
    for alert_id in (old, recent_hook, recent_mail):
        store.mark_delivered(alert_id, T0 + timedelta(seconds=1))
    return {"old": old, "hook": recent_hook, "mail": recent_mail}


def test_since_with_channel_replays_that_channels_recent_alerts_even_delivered(
    rows: dict[str, int], store: Store
) -> None:
    """--since 2 hours before T0 --channel hook replays only hook's recent (delivered) row."""
    since = (T0 - timedelta(hours=2)).isoformat()
    code, out, err = run("retry", "--since", since, "--channel", "hook")
    assert code == 0, err
    assert out.startswith("1 alert(s) queued")
    states = {k: store.get_alert(v).state for k, v in rows.items()}  # type: ignore[union-attr]
    assert states == {"old": "delivered", "hook": "pending", "mail": "delivered"}


def test_since_without_channel_replays_every_channel(rows: dict[str, int], store: Store) -> None:
    """--since alone replays each channel's rows written since then."""
    code, out, _ = run("retry", "--since", (T0 - timedelta(hours=2)).isoformat())
    assert code == 0
    assert out.startswith("2 alert(s) queued")
    assert store.get_alert(rows["old"]).state == "delivered"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "yesterday-ish"), "--since"),
        (("--since", "2h", "--all"), "one of them"),
        (("7", "--channel", "hook"), "--channel goes with"),
    ],
)
def test_mistakes_are_one_line_errors(
    rows: dict[str, int], args: tuple[str, ...], message: str
) -> None:
    """A bad duration or a conflicting choice exits 2 with a message, no traceback."""
    code, _, err = run("retry", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
