"""feeds.toml and environment settings: typed specs, and errors naming file, line and key."""

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import load_config, load_settings, parse_duration
from monitor.errors import ConfigError

GOOD = """
vocabulary = ["extra.toml"]

[[feed]]
name = "example-world"
url = "https://example.org/world/rss.xml"
interval = "15m"
full_text = true

[[feed]]
name = "second"
url = "http://example.net/feed"

[[watch]]
name = "taiwan-desk"
query = 'issue:taiwan AND (actor:antony-blinken OR actor:wang-yi)'
notify = ["ops-hook", "desk-mail"]

[[watch]]
name = "everything"

[channel.ops-hook]
type = "webhook"
url = "https://hooks.example.org/monitor"
secret_env = "MONITOR_OPS_HOOK_SECRET"

[channel.desk-mail]
type = "email"
to = ["desk@example.org"]
mode = "digest"
every = "1h"
"""

ENV = {"MONITOR_OPS_HOOK_SECRET": "whsec_dGVzdA=="}


def write(tmp_path: Path, text: str) -> Path:
    """Write a feeds.toml (and the extra vocabulary it names) into tmp_path."""
    (tmp_path / "extra.toml").write_text("")
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    return path


def test_contract_example_parses_into_specs(tmp_path: Path) -> None:
    """The CONTRACT's feeds.toml becomes typed feeds, watches, channels and vocabulary paths."""
    cfg = load_config(write(tmp_path, GOOD), ENV)
    assert [f.name for f in cfg.feeds] == ["example-world", "second"]
    assert cfg.feeds[0].interval == timedelta(minutes=15)
    assert cfg.feeds[1].full_text is True
    assert cfg.watches[0].notify == ("ops-hook", "desk-mail")
    assert cfg.watches[1].query is None
    assert cfg.channel("desk-mail").every == timedelta(hours=1)
    assert cfg.channel("ops-hook").secret_env == "MONITOR_OPS_HOOK_SECRET"
    assert cfg.vocabulary == ((tmp_path / "extra.toml").resolve(),)


def test_interval_auto_takes_bounds_and_defaults(tmp_path: Path) -> None:
    """`interval = "auto"` is adaptive between min_interval and max_interval (5m and 6h by
    default); an omitted interval stays a fixed 15m."""
    text = GOOD.replace('interval = "15m"', 'interval = "auto"\nmax_interval = "2h"', 1)
    cfg = load_config(write(tmp_path, text), ENV)
    first, second = cfg.feeds[0], cfg.feeds[1]
    assert (first.auto, first.interval, first.max_interval) == (
        True,
        timedelta(minutes=5),
        timedelta(hours=2),
    )
    assert (second.auto, second.interval) == (False, timedelta(minutes=15))


def test_bundled_feeds_toml_is_valid() -> None:
    """The feeds.toml shipped at the top of the project loads."""
    cfg = load_config(Path(__file__).resolve().parents[1] / "feeds.toml", {})
    assert len(cfg.feeds) >= 10
    assert all(f.url.startswith("https://") for f in cfg.feeds)


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "says"),
    [
        ('interval = "15m"', 'interval = "soon"', 7, "feed[0].interval", "not a duration"),
        (
            "full_text = true",
            'full_text = true\ncolour = "red"',
            9,
            "feed[0].colour",
            "unknown key 'colour'",
        ),
        ('name = "second"', 'name = "example-world"', 11, "feed[1].name", "duplicate feed"),
        (
            'url = "http://example.net/feed"',
            'url = "ftp://example.net/feed"',
            12,
            "feed[1].url",
            "not an http",
        ),
        (
            'notify = ["ops-hook", "desk-mail"]',
            'notify = ["nope"]',
            17,
            "watch[0].notify",
            "unknown channel 'nope'",
        ),
        ('every = "1h"', "", 27, "channel.desk-mail.every", "digest channel needs every"),
        ('type = "webhook"', 'type = "pager"', 23, "channel.ops-hook.type", "webhook"),
        (
            'interval = "15m"',
            'interval = "15m"\nmax_interval = "1h"',
            8,
            "feed[0].max_interval",
            'only with interval = "auto"',
        ),
        (
            'interval = "15m"',
            'interval = "auto"\nmin_interval = "2h"\nmax_interval = "1h"',
            8,
            "feed[0].min_interval",
            "above max_interval",
        ),
        (
            'interval = "15m"',
            'interval = "auto"\nmax_interval = "10s"',
            8,
            "feed[0].max_interval",
            "at least 30s",
        ),
    ],
)
def test_errors_name_file_line_and_key(
    tmp_path: Path, old: str, new: str, line: int, key: str, says: str
) -> None:
    """Each mistake is refused with the file, the line and the key at fault."""
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV)
    err = info.value
    assert err.file == str(path)
    assert err.key == key
    assert says in str(err)
    assert err.line == line, str(err)


def test_unset_secret_env_is_an_error_at_start(tmp_path: Path) -> None:
    """A webhook whose secret_env names an unset variable is refused, naming the variable."""
    with pytest.raises(ConfigError, match="MONITOR_OPS_HOOK_SECRET is not set") as info:
        load_config(write(tmp_path, GOOD), {})
    assert info.value.key == "channel.ops-hook.secret_env"
    assert info.value.line == 25


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    """Broken TOML is refused with its line."""
    path = write(tmp_path, '[[feed]]\nname = "x"\nurl = \n')
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(path, ENV)
    assert info.value.line == 3


def test_missing_vocabulary_file_is_named(tmp_path: Path) -> None:
    """A vocabulary file that does not exist is refused with its name."""
    path = write(tmp_path, GOOD.replace("extra.toml", "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml") as info:
        load_config(path, ENV)
    assert info.value.line == 2


def test_missing_config_file_says_what_to_do(tmp_path: Path) -> None:
    """A missing feeds.toml names MONITOR_CONFIG."""
    with pytest.raises(ConfigError, match="MONITOR_CONFIG"):
        load_config(tmp_path / "nope.toml", {})


def test_settings_defaults_and_allowed_networks() -> None:
    """Settings default as CONTRACT says; allowed networks are comma-separated CIDRs."""
    s = load_settings({})
    assert s.database_url == "sqlite:///./monitor.db"
    assert s.allowed_networks == ()
    assert s.api_token is None
    s = load_settings(
        {
            "MONITOR_ALLOWED_NETWORKS": "127.0.0.1/32, 10.0.0.0/8",
            "MONITOR_SMTP_TLS": "tls",
            "MONITOR_API_TOKEN": "t0k",
        }
    )
    assert [str(n) for n in s.allowed_networks] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert s.smtp_tls == "tls"
    assert "t0k" not in repr(s)


def test_bad_setting_names_the_variable() -> None:
    """A bad environment value is refused naming its MONITOR_* variable."""
    with pytest.raises(ConfigError, match="MONITOR_ALLOWED_NETWORKS"):
        load_settings({"MONITOR_ALLOWED_NETWORKS": "not-a-cidr"})
    with pytest.raises(ConfigError) as info:
        load_settings({"MONITOR_SMTP_TLS": "maybe"})
    assert info.value.key == "MONITOR_SMTP_TLS"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400), ("1.5h", 5400)]
)
def test_durations(text: str, seconds: int) -> None:
    """Durations use s, m, h, d, w."""
    assert parse_duration(text) == timedelta(seconds=seconds)
