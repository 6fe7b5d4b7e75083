"""Start-up validation of feeds.toml: values that cannot work are refused with the file, key
and a way out, and no generated file escapes as anything but a ConfigError."""

import contextlib
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config import load_config, parse_duration
from monitor.errors import ConfigError
from monitor.validate import MAX_URL, check_http_url, check_name

FEED = '[[feed]]\nname = "f"\nurl = "http://127.0.0.1:9/f"\n'
HOOK = (
    '[channel.h]\ntype = "webhook"\nurl = "https://hooks.example.org/x"\n'
    'secret_env = "HOOK_SECRET"\n'
)


def load(tmp_path: Path, text: str | bytes, env: dict[str, str] | None = None) -> ConfigError:
    """The ConfigError that loading `text` as feeds.toml raises."""
    path = tmp_path / "feeds.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env if env is not None else {"HOOK_SECRET": "whsec_dGVzdA=="})
    assert info.value.file == str(path)
    return info.value


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        (FEED + 'interval = "99999999999999w"\n', "feed[0].interval", "longer than ten years"),
        (FEED + 'interval = "32d"\n', "feed[0].interval", "at most 31d"),
        (
            FEED + '[channel.m]\ntype = "email"\nto = ["a@example.org"]\nmode = "digest"\n'
            'every = "999999999999w"\n',
            "channel.m.every",
            "longer than ten years",
        ),
        (FEED.replace("127.0.0.1:9/f", "exa mple.org/f"), "feed[0].url", "space or control"),
        (FEED.replace("127.0.0.1:9", "example.org:99999999"), "feed[0].url", "out of range"),
        (FEED.replace("127.0.0.1:9/f", "[::1/"), "feed[0].url", "not a valid URL"),
        (FEED.replace("127.0.0.1:9/f", "example.org/\\u0001f"), "feed[0].url", "space or control"),
        (FEED.replace("127.0.0.1:9/f", "xn--zz.org/"), "feed[0].url", "not a valid URL"),
        (FEED.replace("127.0.0.1:9/f", "a..b/"), "feed[0].url", "not a valid host name"),
        (
            FEED.replace("127.0.0.1:9/f", "example.org/" + "a" * MAX_URL),
            "feed[0].url",
            "characters long",
        ),
        (
            FEED + '[channel.m]\ntype = "email"\nto = ["not-an-email"]\n',
            "channel.m.to",
            "not an e-mail address",
        ),
        (
            FEED + '[[watch]]\nname = "w"\nquery = "feed:nonexistent"\n',
            "watch[0].query",
            "unknown feed 'nonexistent'",
        ),
        (
            FEED.replace('"f"', '"reuters-world"') + '[[watch]]\nname = "w"\n'
            'query = "feed:reuters-wrld"\n',
            "watch[0].query",
            "did you mean reuters-world?",
        ),
        (
            FEED + '[[watch]]\nname = "w"\nquery = "curbs and tariffs"\n',
            "watch[0].query",
            "did you mean AND?",
        ),
        (
            FEED + '[[watch]]\nname = "w"\nquery = "' + "(" * 5000 + "x" + ")" * 5000 + '"\n',
            "watch[0].query",
            "nested deeper than",
        ),
        (
            FEED + '[[watch]]\nname = "w"\nquery = "' + "NOT " * 4000 + 'x"\n',
            "watch[0].query",
            "nested deeper than",
        ),
        (
            FEED + '[[watch]]\nname = "w"\nnotify = ["hok"]\n' + HOOK.replace(".h]", ".hook]"),
            "watch[0].notify",
            "did you mean hook?",
        ),
        (
            FEED.replace('name = "f"', 'name = "' + "f" * 101 + '"'),
            "feed[0].name",
            "not a valid name",
        ),
    ],
)
def test_values_that_cannot_work_are_refused(
    tmp_path: Path, text: str, key: str, says: str
) -> None:
    """Each value that would fail later (or never fire) is refused at load, at its key."""
    err = load(tmp_path, text)
    assert err.key == key
    assert says in str(err)
    assert "\n" not in str(err)


def test_toml_nested_thousands_deep_is_a_config_error(tmp_path: Path) -> None:
    """TOML nested 3,000 deep is a ConfigError, not a RecursionError."""
    err = load(tmp_path, "a = " + "[" * 3000 + "]" * 3000 + "\n")
    assert "nested too deeply" in str(err)


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    """A feeds file in another encoding is refused, saying to save it as UTF-8."""
    err = load(tmp_path, FEED.replace('"f"', '"caf\xe9"').encode("latin-1"))
    assert "not UTF-8" in str(err)


def test_a_vocabulary_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    """A vocabulary file in another encoding is a VocabularyError naming the file."""
    from monitor.errors import VocabularyError
    from monitor.vocab import load_vocabulary

    bad = tmp_path / "extra.toml"
    bad.write_bytes('[[issue]]\nid = "caf"\nname = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(VocabularyError, match="not UTF-8") as info:
        load_vocabulary([bad])
    assert info.value.file == str(bad)


@pytest.mark.parametrize("secret", ["not-whsec", "whsec_", "whsec_!!!", "c2VjcmV0"])
def test_webhook_secrets_must_be_standard_webhooks_secrets(tmp_path: Path, secret: str) -> None:
    """A secret that is not whsec_ + base64 is refused at start, naming the variable (and
    never the secret)."""
    err = load(tmp_path, FEED + HOOK, {"HOOK_SECRET": secret})
    assert err.key == "channel.h.secret_env"
    assert "HOOK_SECRET does not hold a Standard Webhooks secret" in str(err)
    if secret.removeprefix("whsec_"):
        assert secret not in str(err)


def test_the_webhook_url_is_checked_like_a_feed_url(tmp_path: Path) -> None:
    """A webhook URL with a space is refused at its key."""
    err = load(tmp_path, FEED + HOOK.replace("hooks.example", "hooks example"))
    assert err.key == "channel.h.url"


def test_good_values_still_load(tmp_path: Path) -> None:
    """IDN hosts, IPv6 literals, ports, 31d, whsec secrets and addresses load."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feed]]\nname = "a"\nurl = "https://bücher.example/feed?x=1"\ninterval = "31d"\n'
        '[[feed]]\nname = "b"\nurl = "http://[::1]:8080/rss"\n'
        '[[watch]]\nname = "w"\nquery = \'feed:a OR "and" OR (NOT feed:b)\'\n'
        'notify = ["h", "m"]\n'
        + HOOK
        + '[channel.m]\ntype = "email"\nto = ["desk.team+cn@example.org", "x@localhost"]\n',
        encoding="utf-8",
    )
    cfg = load_config(path, {"HOOK_SECRET": "whsec_dGVzdA=="})
    assert [f.name for f in cfg.feeds] == ["a", "b"]


def test_bounds_of_the_helpers() -> None:
    """parse_duration caps at ten years; check_http_url and check_name say what is wrong."""
    assert parse_duration("3650d").days == 3650
    with pytest.raises(ValueError, match="ten years"):
        parse_duration("3651d")
    with pytest.raises(ValueError, match="ten years"):
        parse_duration("9" * 400 + "w")
    with pytest.raises(ValueError, match="port 0"):
        check_http_url("http://example.org:0/")
    with pytest.raises(ValueError, match="no host"):
        check_http_url("http:///feed")
    assert check_name("bbc-china.2") == "bbc-china.2"
    with pytest.raises(ValueError, match="not a valid name"):
        check_name("-x")


def test_long_values_are_quoted_cut_alike_in_every_message() -> None:
    """A bad value is quoted and cut the same way (monitor.errors.shown) wherever a message
    names it: a duration and a name at 40 characters, an address at 60, a URL at 80."""
    from monitor.store.filters import parse_when

    long = "x" * 500
    for check, width in ((parse_duration, 40), (check_name, 40), (check_http_url, 80)):
        with pytest.raises(ValueError, match="…' ") as caught:
            check("-" + long)
        assert caught.value.args[0].startswith(repr("-" + "x" * (width - 1) + "…") + " ")
    with pytest.raises(ValueError, match="…' ") as when:
        parse_when(long[:60], datetime(2026, 11, 23, tzinfo=UTC))
    assert when.value.args[0].startswith(repr("x" * 40 + "…") + " ")


# ---- generated configurations: nothing but a ConfigError escapes ----

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_word = st.one_of(
    _text,
    st.sampled_from(
        [
            "15m",
            "auto",
            "0s",
            "99999999999999w",
            "1e9w",
            "31d",
            "-1m",
            "http://[::1/",
            "http://x:99999999/",
            "http://xn--zz.org/",
            "https://example.org/feed",
            "whsec_",
            "a@b",
            "daily 25:00",
            "Mars/Olympus",
            "../../etc",
            "\x00",
            "feed:f AND x",
            "(" * 200,
            "NOT " * 100 + "x",
            "actor:wang-yi and x",
        ]
    ),
)
_value = st.recursive(
    st.one_of(
        _word,
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.booleans(),
        st.floats(allow_nan=True),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["name", "url", "interval", "type", "to", "every"]), inner, max_size=3
        ),
    ),
    max_leaves=8,
)
_keys = {
    "feed": [
        "name",
        "url",
        "interval",
        "min_interval",
        "max_interval",
        "full_text",
        "enabled",
        "official",
    ],
    "watch": ["name", "query", "notify", "schedule", "timezone", "every"],
    "channel": [
        "type",
        "url",
        "secret_env",
        "to",
        "mode",
        "every",
        "url_env",
        "format",
        "schedule",
        "timezone",
    ],
}


@st.composite
def _config(draw: st.DrawFn) -> dict[str, object]:
    out: dict[str, object] = {}
    for section in ("feed", "watch"):
        out[section] = [
            draw(st.dictionaries(st.sampled_from(_keys[section]), _value, max_size=5))
            for _ in range(draw(st.integers(0, 2)))
        ]
    out["channel"] = {
        draw(st.text(string.ascii_lowercase, min_size=1, max_size=3)): draw(
            st.dictionaries(st.sampled_from(_keys["channel"]), _value, max_size=5)
        )
        for _ in range(draw(st.integers(0, 2)))
    }
    if draw(st.booleans()):
        out["vocabulary"] = draw(st.lists(_word, max_size=2))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config())
def test_generated_configurations_fail_only_with_config_errors(
    tmp_path_factory: pytest.TempPathFactory, raw: dict[str, object]
) -> None:
    """Any generated feeds.toml loads or raises ConfigError: never OverflowError,
    RecursionError, UnicodeError or another exception."""
    import tomlkit

    try:
        text = tomlkit.dumps(raw)
    except (ValueError, TypeError):  # tomlkit cannot write it (e.g. NaN keys): not a file
        return
    path = tmp_path_factory.mktemp("gen") / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(ConfigError):
        load_config(path, {"HOOK_SECRET": "whsec_dGVzdA=="})


_duration = st.builds(
    lambda n, u: f"{n}{u}",
    st.one_of(
        st.integers(min_value=0, max_value=10**30),
        st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    ),
    st.sampled_from(["s", "m", "h", "d", "w", "", "x"]),
)
_url = st.builds(
    lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
    st.sampled_from(["http://", "https://", "HTTP://", "ftp://", ""]),
    st.one_of(
        st.sampled_from(
            [
                "example.org",
                "[::1]",
                "[::1",
                "xn--zz.org",
                "bücher.example",
                "a..b",
                "",
                "127.0.0.1",
            ]
        ),
        _text,
    ),
    st.one_of(st.just(""), st.integers(-5, 10**12).map(lambda p: f":{p}")),
    st.one_of(st.just("/feed"), _text),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.one_of(st.just("f"), _text),
    url=_url,
    interval=st.one_of(_duration, _word),
    low=st.one_of(st.none(), _duration),
    every=st.one_of(st.none(), _duration),
    query=st.one_of(st.none(), _word, _text),
)
def test_generated_feed_values_fail_only_with_config_errors(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    url: str,
    interval: str,
    low: str | None,
    every: str | None,
    query: str | None,
) -> None:
    """Well-formed tables with generated values (huge durations, odd URLs, any query) load
    or raise ConfigError, and a loaded feed's URL is one httpx accepts."""
    import httpx
    import tomlkit

    feed: dict[str, object] = {"name": name, "url": url, "interval": interval}
    if low is not None:
        feed["min_interval"] = low
    watch: dict[str, object] = {"name": "w"}
    if query is not None:
        watch["query"] = query
    raw: dict[str, object] = {"feed": [feed], "watch": [watch]}
    if every is not None:
        raw["channel"] = {
            "m": {"type": "email", "to": ["a@example.org"], "mode": "digest", "every": every}
        }
    path = tmp_path_factory.mktemp("gen") / "feeds.toml"
    path.write_text(tomlkit.dumps(raw), encoding="utf-8")
    try:
        cfg = load_config(path, {})
    except ConfigError:
        return
    assert httpx.URL(cfg.feeds[0].url).host
