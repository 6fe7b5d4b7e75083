"""Digests on a schedule: "daily 08:00" / "weekly mon 08:00" in a time zone across DST
changes, one entry per story grouped by watch, nothing for an empty period."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alerts_support import T0, Clock, seed
from test_email import Mailbox, SMTPServer, mail

from monitor.alerts.email import digest_message
from monitor.alerts.relay import Relay
from monitor.alerts.schedule import AtTime, Every, parse_schedule
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.store import Database, Store
from monitor.types import Alert

LONDON = "Europe/London"  # 2026: BST ends Sun 25 Oct 01:00Z, begins Sun 29 Mar 01:00Z


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A Store on a fresh, migrated SQLite file."""
    with Store.open(f"sqlite:///{tmp_path / 'digests.db'}", schema="upgrade") as store:
        yield store


def test_daily_keeps_the_wall_clock_time_across_both_dst_changes() -> None:
    """08:00 London is 07:00Z in summer time and 08:00Z in winter, on each side of the
    autumn and spring changes."""
    daily = parse_schedule("daily 08:00", LONDON)
    assert daily.last_slot(utc(2026, 10, 24, 12)) == utc(2026, 10, 24, 7)
    assert daily.last_slot(utc(2026, 10, 25, 7, 59)) == utc(2026, 10, 24, 7)
    assert daily.last_slot(utc(2026, 10, 25, 8)) == utc(2026, 10, 25, 8)
    assert daily.last_slot(utc(2026, 3, 28, 9)) == utc(2026, 3, 28, 8)
    assert daily.last_slot(utc(2026, 3, 29, 7)) == utc(2026, 3, 29, 7)
    assert not daily.due(utc(2026, 10, 24, 7), utc(2026, 10, 25, 7, 30))
    assert daily.due(utc(2026, 10, 24, 7), utc(2026, 10, 25, 8))


def test_weekly_runs_on_its_weekday_only() -> None:
    """weekly mon 08:00 New York: due once the Monday slot has passed, not on other days."""
    weekly = parse_schedule("weekly mon 08:00", "America/New_York")
    assert weekly.weekday == 0
    # Monday 2 Nov 2026, 08:00 EST (after the 1 Nov change) is 13:00Z.
    assert weekly.last_slot(utc(2026, 11, 4, 12)) == utc(2026, 11, 2, 13)
    assert weekly.last_slot(utc(2026, 11, 2, 12, 59)) == utc(2026, 10, 26, 12)  # EDT
    assert not weekly.due(utc(2026, 10, 27), utc(2026, 11, 2, 12, 59))
    assert weekly.due(utc(2026, 10, 27), utc(2026, 11, 2, 13))


def test_every_counts_from_the_period_start() -> None:
    """every = 1h: due an hour after the last digest."""
    assert Every(timedelta(hours=1)).due(T0, T0 + timedelta(hours=1))
    assert not Every(timedelta(hours=1)).due(T0, T0 + timedelta(minutes=59))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('schedule = "dayly 08:00"', "is not a schedule"),
        ('schedule = "daily 25:00"', "not a time of day"),
        ('schedule = "daily 08:00"\ntimezone = "Mars/Olympus"', "unknown time zone"),
        # longer than a file name may be: zoneinfo's lookup fails with OSError
        (f'schedule = "daily 08:00"\ntimezone = "{"Olympus" * 40}"', "unknown time zone"),
        ('schedule = "daily 08:00"\nevery = "1h"', "not both"),
    ],
)
def test_schedule_mistakes_are_refused_at_start(tmp_path: Path, extra: str, message: str) -> None:
    """A bad schedule or zone, or both every and schedule, is a config error naming it."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        f'[channel.m]\ntype = "email"\nto = ["d@example.org"]\nmode = "digest"\n{extra}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=message):
        load_config(path, {})


def test_config_carries_schedule_and_timezone(tmp_path: Path) -> None:
    """mode = digest with schedule and timezone loads into the channel spec."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[channel.m]\ntype = "email"\nto = ["d@example.org"]\nmode = "digest"\n'
        'schedule = "weekly Mon 08:30"\ntimezone = "Europe/London"\n',
        encoding="utf-8",
    )
    spec = load_config(path, {}).channel("m")
    assert (spec.schedule, spec.timezone, spec.every) == ("weekly Mon 08:30", LONDON, None)


async def test_a_daily_digest_goes_at_08_local_across_the_autumn_change(lite: Store) -> None:
    """On a fake clock: the BST day's digest goes at 07:00Z, the GMT day's at 08:00Z, never
    earlier; a day with no match sends nothing; the mail parses back with its stories."""
    clock = Clock(utc(2026, 10, 23, 12))
    seed(lite.db, ["mail"], count=2, now=clock.value)
    with SMTPServer(Mailbox()) as server:
        channel = mail(server, clock)
        channel.digest_at = parse_schedule("daily 08:00", LONDON)
        async with Relay(lite, {"mail": channel}, owner="t", now=clock, rng=random.Random(1)) as r:
            clock.value = utc(2026, 10, 24, 6, 59)  # 07:59 BST
            assert await r.run_until_idle() == 0
            clock.value = utc(2026, 10, 24, 7)  # 08:00 BST
            assert await r.run_until_idle() == 2
            clock.value = utc(2026, 10, 24, 10)
            seed(lite.db, ["mail"], now=clock.value)
            clock.value = utc(2026, 10, 25, 7, 30)  # 07:30 GMT: an hour later in UTC terms
            assert await r.run_until_idle() == 0
            clock.value = utc(2026, 10, 25, 8)  # 08:00 GMT
            assert await r.run_until_idle() == 1
            clock.value = utc(2026, 10, 26, 8)  # nothing matched since: nothing sent
            assert await r.run_until_idle() == 0
    first, second = (m for _, m in server.mailbox.accepted)
    assert first["Subject"] == "[monitor] desk: 2 new stories"
    assert second["Subject"] == "[monitor] desk: 1 new story"
    text = first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "== desk: 2 stories ==" in text
    assert "Story number 0" in text
    assert "Story number 1" in text
    assert len(server.mailbox.accepted) == 2


def story_alert(n: int, *, watch: str, story: int, url: str, copies: list[Any]) -> Alert:
    """A stored alert of `story` for `watch`."""
    return Alert(
        id=n,
        channel="mail",
        watch=watch,
        article_id=100 + n,
        payload={
            "type": "match.created",
            "timestamp": "2026-11-23T10:00:00Z",
            "data": {
                "watch": watch,
                "article": {"url": url, "title": f"Title {n}", "published": None, "feed": "world"},
                "actors": [],
                "issues": [],
                "evidence": [],
                "story": story,
                "copies": copies,
            },
        },
        state="pending",
        attempts=0,
        next_attempt=T0,
        last_error=None,
        created_at=T0,
    )


def test_a_digest_lists_one_entry_per_story_with_copies_grouped_by_watch() -> None:
    """Two alerts of one story are one entry counting its copies; watches are grouped and
    named in the subject with the count of stories."""
    from email import message_from_bytes
    from email.policy import default

    copy = {"feed": "wire", "url": "https://wire.example/9", "title": "Wire copy"}
    alerts = [
        story_alert(1, watch="taiwan", story=7, url="https://a.example/1", copies=[copy]),
        story_alert(2, watch="trade", story=8, url="https://a.example/2", copies=[]),
        story_alert(3, watch="taiwan", story=7, url="https://b.example/3", copies=[]),
        story_alert(4, watch="taiwan", story=9, url="https://a.example/4", copies=[]),
    ]
    msg = digest_message("mail", alerts, sender="m@example.org", to=["d@example.org"], now=T0)
    back = message_from_bytes(msg.as_bytes(), policy=default)
    assert back["Subject"] == "[monitor] taiwan, trade: 3 new stories"
    text = back.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert text.index("== taiwan: 2 stories ==") < text.index("== trade: 1 story ==")
    assert "Title 1" in text
    assert "Title 3" not in text  # the story's second copy is not a second entry
    assert "Copies: 3" in text  # its two alerted articles and the wire copy
    assert isinstance(parse_schedule("daily 08:00"), AtTime)


def test_channels_built_from_config_follow_their_schedule() -> None:
    """build_channels gives email and apprise digest channels their wall-clock schedule."""
    from monitor.alerts.factory import build_channels
    from monitor.config import Settings
    from monitor.types import ChannelSpec

    specs = [
        ChannelSpec(
            "m",
            "email",
            to=("d@example.org",),
            mode="digest",
            schedule="daily 08:00",
            timezone=LONDON,
        ),
        ChannelSpec("c", "apprise", url_env="U", mode="digest", schedule="weekly fri 17:00"),
    ]
    built = build_channels(specs, Settings(smtp_host="127.0.0.1"), {"U": "json://127.0.0.1/x"})
    assert built["m"].digest == parse_schedule("daily 08:00", LONDON)
    assert built["c"].digest == parse_schedule("weekly fri 17:00")


async def test_a_watch_with_its_own_schedule_is_held_for_its_digest(
    lite: Store, tmp_path: Path
) -> None:
    """feeds.toml: watch `morning` has schedule = "daily 08:00" (London) and notifies an
    immediate mail channel with watch `desk`: desk's alert goes at once, morning's wait for
    08:00 local and go as one digest naming the watch; the next empty day sends nothing."""
    from monitor.alerts.factory import build_channels
    from monitor.config import Settings

    with SMTPServer(Mailbox()) as server:
        path = tmp_path / "feeds.toml"
        path.write_text(
            '[[watch]]\nname = "desk"\nnotify = ["mail"]\n\n'
            '[[watch]]\nname = "morning"\nnotify = ["mail"]\nschedule = "daily 08:00"\n'
            f'timezone = "{LONDON}"\n\n'
            '[channel.mail]\ntype = "email"\nto = ["d@example.org"]\n',
            encoding="utf-8",
        )
        config = load_config(path, {})
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_tls="none",
            smtp_from="monitor@example.org",
        )
        clock = Clock(utc(2026, 10, 24, 12))
        seed(lite.db, ["mail"], watch="desk", now=clock.value)
        seed(lite.db, ["mail"], count=2, watch="morning", now=clock.value)
        channels = build_channels(config.channels, settings, watches=config.watches, environ={})
        async with Relay(lite, channels, owner="t", now=clock, rng=random.Random(1)) as r:
            assert await r.run_until_idle() == 1
            clock.value = utc(2026, 10, 25, 7, 59)  # 07:59 GMT
            assert await r.run_until_idle() == 0
            clock.value = utc(2026, 10, 25, 8)
            assert await r.run_until_idle() == 2
            clock.value = utc(2026, 10, 26, 8)
            assert await r.run_until_idle() == 0
    subjects = [m["Subject"] for _, m in server.mailbox.accepted]
    assert subjects == ["[monitor] desk: Story number 0", "[monitor] morning: 2 new stories"]
    assert lite.list_alerts() == []


def test_watch_schedule_mistakes_are_refused_at_start(tmp_path: Path) -> None:
    """A watch's bad schedule, or a timezone without one, names the watch's key."""
    path = tmp_path / "feeds.toml"
    path.write_text('[[watch]]\nname = "w"\nschedule = "hourly"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a schedule") as info:
        load_config(path, {})
    assert info.value.key == "watch[0].schedule"
    path.write_text('[[watch]]\nname = "w"\ntimezone = "Europe/London"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="timezone goes with schedule"):
        load_config(path, {})


def test_watch_periods_are_kept_per_channel_and_watch(store: Store, db: Database) -> None:
    """On both dialects: a watch's digest period closes for that watch only; other watches'
    rows are not claimed by it, and immediate claims leave the watch's rows alone."""
    lease = timedelta(seconds=30)
    every = Every(timedelta(hours=1))
    held = seed(db, ["mail"], count=2, watch="morning")
    (now_row,) = seed(db, ["mail"], watch="desk")
    immediate = store.claim_alerts(T0, "r", lease, 10, ["mail"], except_watches=["morning"])
    assert [a.id for a in immediate] == [now_row]
    assert store.claim_digest("mail", every, T0, "r", lease, watch="morning") == []
    got = store.claim_digest("mail", every, T0 + timedelta(hours=1), "r", lease, watch="morning")
    assert sorted(a.id for a in got) == held
    store.mark_digest_delivered("mail", held, T0 + timedelta(hours=1), watch="morning")
    store.mark_digest_delivered("mail", [], T0 + timedelta(hours=1, minutes=1), watch="morning")
    later = seed(db, ["mail"], watch="morning", now=T0 + timedelta(hours=1, minutes=30))
    assert (
        store.claim_digest("mail", every, T0 + timedelta(hours=2), "r", lease, watch="morning")
        == []
    )
    got = store.claim_digest(
        "mail", every, T0 + timedelta(hours=2, minutes=1), "r", lease, watch="morning"
    )
    assert [a.id for a in got] == later
    assert store.channel_states()["mail"].last_digest_at is None
