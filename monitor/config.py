"""Settings from the environment and feeds.toml, validated into typed specs at start."""

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from monitor.errors import ConfigError, QueryError, shown
from monitor.nearest import did_you_mean
from monitor.timefmt import duration_seconds
from monitor.types import ChannelSpec, FeedSpec, WatchSpec
from monitor.validate import check_email, check_http_url, check_name, is_webhook_secret

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

AUTO = "auto"  # interval = "auto": adaptive polling between min_interval and max_interval
MIN_INTERVAL = timedelta(minutes=5)  # defaults of an `auto` feed's bounds
MAX_INTERVAL = timedelta(hours=6)
# Any duration: beyond ten years a date computed from it leaves the calendar (OverflowError).
MAX_DURATION = timedelta(days=3650)
# A feed's interval and a digest's `every`: a feed polled less than monthly is better
# disabled (enabled = false).
MAX_INTERVAL_SETTING = timedelta(days=31)


def parse_duration(text: str) -> timedelta:
    """Parse '90s', '15m', '1h', '1d', '2w' into a timedelta; ValueError otherwise (also for
    one longer than ten years)."""
    seconds = duration_seconds(text)
    if seconds is None:
        raise ValueError(f"{shown(text)} is not a duration; write e.g. '30s', '15m', '1h', '1d'")
    if not seconds <= MAX_DURATION.total_seconds():
        raise ValueError(f"{text.strip()!r} is longer than ten years; write at most '3650d'")
    return timedelta(seconds=seconds)


class Settings(BaseSettings):
    """MONITOR_* environment settings (CONTRACT, Settings)."""

    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="ignore")

    config: Path = Path("./feeds.toml")
    database_url: str = "sqlite:///./monitor.db"
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "monitor@localhost"
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    allowed_networks: Annotated[tuple[IPNetwork, ...], NoDecode] = ()
    api_token: SecretStr | None = None
    # Stories (monitor.stories.StoryRules): when a copy joins a stored article's story
    story_jaccard: float = Field(default=0.5, gt=0, le=1)
    story_containment: float = Field(default=0.85, gt=0, le=1)
    story_min_jaccard: float = Field(default=0.12, gt=0, le=1)
    story_lead: float = Field(default=0.6, gt=0, le=1)
    story_min_words: int = Field(default=20, ge=1)
    # New items taken from one poll of a feed, newest first (the rest on the next poll)
    max_items_per_poll: int = Field(default=200, ge=1, le=100_000)
    # Bounds of `monitor tag`, `extract` and `vocab suggest` (README, "Input bounds"): bytes
    # read per source, seconds to extract one page (the daemon's per-page limit too), and
    # seconds `vocab suggest` may spend on its sources.
    input_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    extract_timeout: float = Field(default=20.0, gt=0)
    suggest_timeout: float = Field(default=120.0, gt=0)
    # Seconds `monitor run` and `monitor serve` wait at start for a database that does not
    # answer yet (a server starting or restarting); 0 fails at once.
    database_wait: float = Field(default=60.0, ge=0)

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return tuple(ipaddress.ip_network(p, strict=False) for p in parts)
            except ValueError as exc:
                raise ValueError(
                    f"MONITOR_ALLOWED_NETWORKS: {exc}; write CIDRs like 127.0.0.1/32,10.0.0.0/8"
                ) from exc
        return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read Settings, turning validation errors into a ConfigError naming the variable."""
    try:
        if environ is None:
            return Settings()
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(environ)
            return Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = "MONITOR_" + "_".join(str(p) for p in err["loc"]).upper()
        raise ConfigError(err["msg"], file="environment", key=key) from exc


def smtp_host(settings: Settings, channels: Sequence[str]) -> str:
    """MONITOR_SMTP_HOST, which the email channels named in `channels` need; a ConfigError
    naming them when it is not set (checked at start-up and where a channel is built)."""
    if settings.smtp_host:
        return settings.smtp_host
    names = ", ".join(repr(name) for name in channels)
    which = "channel {} needs" if len(channels) == 1 else "channels {} need"
    raise ConfigError(
        f"email {which.format(names)} MONITOR_SMTP_HOST; export it (and "
        "MONITOR_SMTP_PORT/_TLS/_FROM) or remove the channel",
        file="environment",
        key="MONITOR_SMTP_HOST",
    )


# ---- feeds.toml schema (pydantic, strict: unknown keys are errors) ----


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Feed(_Strict):
    name: str
    url: str
    interval: str = "15m"
    min_interval: str | None = None
    max_interval: str | None = None
    full_text: bool = True
    enabled: bool = True
    official: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_http_url(v)

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: str) -> str:
        if v != AUTO:
            _at_least_30s(v, "interval", ' or "auto"')
        return v

    @field_validator("min_interval", "max_interval")
    @classmethod
    def _bound(cls, v: str | None) -> str | None:
        if v is not None:
            _at_least_30s(v, "a bound")
        return v


def _at_least_30s(value: str, what: str, alternative: str = "") -> None:
    try:
        duration = parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{exc}{alternative}") from None
    if duration < timedelta(seconds=30):
        raise ValueError(f"{what} must be at least 30s")
    if duration > MAX_INTERVAL_SETTING:
        raise ValueError(f"{what} must be at most 31d; to stop polling a feed, set enabled = false")


def _every(value: str | None) -> str | None:
    """A digest's `every`: a duration from 1m to 31d."""
    if value is not None:
        duration = parse_duration(value)
        if not timedelta(minutes=1) <= duration <= MAX_INTERVAL_SETTING:
            raise ValueError(f"every = {value!r}: a digest is sent every 1m to 31d")
    return value


class _Watch(_Strict):
    name: str
    query: str | None = None
    notify: list[str] = Field(default_factory=list)
    schedule: str | None = None
    timezone: str | None = None
    every: str | None = None
    backfill: str = "7d"
    backfill_alerts: bool = False

    @field_validator("every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        return _every(v)

    @field_validator("backfill")
    @classmethod
    def _backfill(cls, v: str) -> str:
        optional_duration(v, "backfill")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str | None) -> str | None:
        from monitor.alerts.schedule import zone

        zone(v)
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)


def optional_duration(value: str, key: str) -> timedelta | None:
    """A duration, or None for "0" (off): `backfill` and `retention`."""
    if value.strip() in ("0", "off"):
        return None
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(
            f'{value!r} is not a duration; write e.g. {key} = "7d", "12h", "2w" or "0" for off'
        ) from None


class _Channel(_Strict):
    type: Literal["webhook", "email", "apprise"]
    url: str | None = None
    secret_env: str | list[str] | None = None
    to: list[str] = Field(default_factory=list)
    mode: Literal["immediate", "digest"] = "immediate"
    every: str | None = None
    url_env: str | None = None
    format: Literal["text", "markdown", "html"] | None = None
    schedule: str | None = None
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str | None) -> str | None:
        from monitor.alerts.schedule import zone

        zone(v)
        return v

    @field_validator("to")
    @classmethod
    def _to(cls, v: list[str]) -> list[str]:
        for address in v:
            check_email(address)
        return v

    @field_validator("every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        return _every(v)


class _File(_Strict):
    feed: list[_Feed] = Field(default_factory=list)
    watch: list[_Watch] = Field(default_factory=list)
    channel: dict[str, _Channel] = Field(default_factory=dict)
    vocabulary: list[str] = Field(default_factory=list)
    retention: str | None = None

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: str | None) -> str | None:
        if (
            v is not None
            and optional_duration(v, "retention") is not None
            and parse_duration(v) < timedelta(days=1)
        ):
            raise ValueError('retention must be at least 1d (or "0": keep everything)')
        return v


@dataclass(frozen=True, slots=True)
class Config:
    """Everything feeds.toml declares, typed."""

    path: Path
    feeds: tuple[FeedSpec, ...]
    watches: tuple[WatchSpec, ...]
    channels: tuple[ChannelSpec, ...]
    vocabulary: tuple[Path, ...]
    retention: timedelta | None = None  # articles older than this are pruned (None: kept)

    def channel(self, name: str) -> ChannelSpec:
        """The channel called `name`."""
        return next(c for c in self.channels if c.name == name)


def load_config(
    path: Path, environ: Mapping[str, str] | None = None, *, check_env: bool = True
) -> Config:
    """Parse and validate feeds.toml; every error names the file, line and key.

    `check_env=False` skips what only the daemon's environment can tell (channel secrets and
    URLs in variables): for commands that edit or read the file's feeds.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read config: {exc.strerror}; set MONITOR_CONFIG to the "
            "path of your feeds.toml",
            file=str(path),
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=str(path)
        ) from None
    return config_from_text(text, path, environ, check_env=check_env)


def config_from_text(
    text: str, path: Path, environ: Mapping[str, str] | None = None, *, check_env: bool = True
) -> Config:
    """`load_config` of `text` as the content of `path` (to check an edit before writing)."""
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            f"not valid TOML: {exc}", file=str(path), line=int(line.group(1)) if line else None
        ) from exc
    except RecursionError:
        raise ConfigError(
            "arrays or tables nested too deeply to read; a feeds file needs two levels",
            file=str(path),
        ) from None
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        raise _pydantic_error(exc, path, text) from exc
    except RecursionError:
        raise ConfigError(
            "values nested too deeply; a feeds file needs two levels", file=str(path)
        ) from None
    return _build(parsed, path, text, env if check_env else None)


def _build(parsed: _File, path: Path, text: str, env: Mapping[str, str] | None) -> Config:
    def fail(msg: str, loc: tuple[str | int, ...]) -> ConfigError:
        return ConfigError(msg, file=str(path), line=locate(text, loc), key=_dotted(loc))

    _unique([f.name for f in parsed.feed], "feed", fail)
    _unique([w.name for w in parsed.watch], "watch", fail)
    channels = tuple(_channel(name, ch, env, fail) for name, ch in parsed.channel.items())
    for i, watch in enumerate(parsed.watch):
        _watch_digest(watch, ("watch", i), fail)
        for name in watch.notify:
            if name not in parsed.channel:
                raise fail(
                    f"unknown channel {name!r}{did_you_mean(name, parsed.channel)}; "
                    f"declare [channel.{name}]",
                    ("watch", i, "notify"),
                )
        _watch_query(watch, [f.name for f in parsed.feed], ("watch", i), fail)
    vocab = [
        _vocabulary_file(path, entry, ("vocabulary", i), fail)
        for i, entry in enumerate(parsed.vocabulary)
    ]
    feeds = tuple(_feed(i, f, fail) for i, f in enumerate(parsed.feed))
    watches = tuple(
        WatchSpec(
            w.name,
            w.query,
            tuple(w.notify),
            w.schedule,
            w.timezone,
            parse_duration(w.every) if w.every else None,
            optional_duration(w.backfill, "backfill"),
            w.backfill_alerts,
        )
        for w in parsed.watch
    )
    retention = optional_duration(parsed.retention, "retention") if parsed.retention else None
    return Config(path, feeds, watches, channels, tuple(vocab), retention)


def _vocabulary_file(path: Path, entry: str, loc: tuple[str | int, ...], fail: Any) -> Path:
    try:
        vpath = (path.parent / entry).resolve()
        found = vpath.is_file()
    except (OSError, ValueError) as exc:
        raise fail(f"vocabulary file {entry[:80]!r} cannot be used: {exc}", loc) from None
    if not found:
        raise fail(f"vocabulary file {entry!r} not found (looked at {vpath})", loc)
    return vpath


def _watch_query(watch: _Watch, feeds: list[str], loc: tuple[str | int, ...], fail: Any) -> None:
    """A watch's query parses and names only feeds of this file (its actor and issue ids are
    checked against the vocabulary when the matcher is built)."""
    from monitor.match.query import parse_query  # pure, but only needed with a query

    if watch.query is None:
        return
    try:
        parse_query(watch.query).validate_feeds(feeds)
    except QueryError as exc:
        raise fail(f"watch {watch.name!r}: {exc}", (*loc, "query")) from None


def _feed(index: int, f: _Feed, fail: Any) -> FeedSpec:
    """A feed's spec; `auto` takes its bounds, a fixed interval refuses them."""
    if f.interval != AUTO:
        for key in ("min_interval", "max_interval"):
            if getattr(f, key) is not None:
                raise fail(f'{key} applies only with interval = "auto"', ("feed", index, key))
        return FeedSpec(
            f.name, f.url, parse_duration(f.interval), f.full_text, f.enabled, f.official
        )
    low = parse_duration(f.min_interval) if f.min_interval else MIN_INTERVAL
    high = parse_duration(f.max_interval) if f.max_interval else MAX_INTERVAL
    if low > high:
        raise fail(
            f"min_interval ({f.min_interval or '5m'}) is above max_interval "
            f"({f.max_interval or '6h'})",
            ("feed", index, "min_interval"),
        )
    return FeedSpec(
        f.name, f.url, low, f.full_text, f.enabled, f.official, auto=True, max_interval=high
    )


def _watch_digest(watch: _Watch, loc: tuple[str | int, ...], fail: Any) -> None:
    from monitor.alerts.schedule import parse_schedule

    if watch.every and watch.schedule:
        raise fail("give every or schedule, not both", (*loc, "schedule"))
    if watch.timezone and not watch.schedule:
        raise fail('timezone goes with schedule = "daily 08:00"', (*loc, "timezone"))
    if watch.schedule:
        try:
            parse_schedule(watch.schedule, watch.timezone)
        except ValueError as exc:
            raise fail(str(exc), (*loc, "schedule")) from exc


def _unique(names: list[str], kind: str, fail: Any) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise fail(f"duplicate {kind} name {name!r}", (kind, i, "name"))
        seen.add(name)


def _channel(name: str, ch: _Channel, env: Mapping[str, str] | None, fail: Any) -> ChannelSpec:
    loc: tuple[str | int, ...] = ("channel", name)
    if ch.type != "apprise" and (ch.url_env or ch.format):
        raise fail("url_env/format belong to apprise channels", loc)
    if ch.type == "webhook":
        if not ch.url or not re.match(r"^https?://", ch.url):
            raise fail('a webhook channel needs url = "https://..."', (*loc, "url"))
        try:
            check_http_url(ch.url, "a webhook URL")
        except ValueError as exc:
            raise fail(str(exc), (*loc, "url")) from None
        if ch.to or ch.every or ch.mode != "immediate":
            raise fail("to/mode/every belong to email and apprise channels", loc)
        names = [ch.secret_env] if isinstance(ch.secret_env, str) else ch.secret_env or []
        if isinstance(ch.secret_env, list) and not names:
            raise fail(
                "secret_env lists no variable; give one name or a list of names",
                (*loc, "secret_env"),
            )
        for var in names:
            if env is None:
                break
            if not env.get(var):
                raise fail(
                    f"environment variable {var} is not set; export it with the "
                    "webhook's signing secret (whsec_...)",
                    (*loc, "secret_env"),
                )
            if not is_webhook_secret(env[var]):
                raise fail(
                    f"environment variable {var} does not hold a Standard Webhooks "
                    "secret: write whsec_ followed by base64 (e.g. from "
                    "`openssl rand -base64 32`)",
                    (*loc, "secret_env"),
                )
    elif ch.type == "apprise":
        _apprise_channel(ch, env, loc, fail)
    else:
        if not ch.to:
            raise fail('an email channel needs to = ["someone@example.org"]', (*loc, "to"))
        if ch.url or ch.secret_env:
            raise fail("url/secret_env belong to webhook channels", loc)
    _digest(ch, loc, fail)
    every = parse_duration(ch.every) if ch.every else None
    secret_env = tuple(ch.secret_env) if isinstance(ch.secret_env, list) else ch.secret_env
    return ChannelSpec(
        name,
        ch.type,
        ch.url,
        secret_env,
        tuple(ch.to),
        ch.mode,
        every,
        url_env=ch.url_env,
        format=ch.format or "markdown",
        schedule=ch.schedule,
        timezone=ch.timezone,
    )


def _digest(ch: _Channel, loc: tuple[str | int, ...], fail: Any) -> None:
    from monitor.alerts.schedule import parse_schedule

    if ch.mode == "digest" and not (ch.every or ch.schedule):
        raise fail(
            'a digest channel needs every = "1h" or schedule = "daily 08:00"', (*loc, "every")
        )
    if ch.every and ch.schedule:
        raise fail("give every or schedule, not both", (*loc, "schedule"))
    for key in ("every", "schedule", "timezone"):
        if ch.mode == "immediate" and getattr(ch, key):
            raise fail(f'{key} applies only with mode = "digest"', (*loc, key))
    if ch.schedule:
        try:
            parse_schedule(ch.schedule, ch.timezone)
        except ValueError as exc:
            raise fail(str(exc), (*loc, "schedule")) from exc


def _apprise_channel(
    ch: _Channel, env: Mapping[str, str] | None, loc: tuple[str | int, ...], fail: Any
) -> None:
    if ch.url:
        raise fail(
            "an apprise URL holds tokens: put it in an environment variable and name "
            'that variable with url_env = "MONITOR_..._URL"',
            (*loc, "url"),
        )
    if ch.to or ch.secret_env:
        raise fail("to/secret_env do not apply to apprise channels", loc)
    if not ch.url_env:
        raise fail(
            'an apprise channel needs url_env = "NAME_OF_THE_VARIABLE" holding its Apprise URL',
            (*loc, "url_env"),
        )
    if env is not None and not env.get(ch.url_env):
        raise fail(
            f"environment variable {ch.url_env} is not set; export it with the "
            "channel's Apprise URL (e.g. slack://..., tgram://...)",
            (*loc, "url_env"),
        )


def _pydantic_error(exc: ValidationError, path: Path, text: str) -> ConfigError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}"
    elif err["type"] == "missing":
        msg = f"missing required key {loc[-1]!r}"
    return ConfigError(msg, file=str(path), line=locate(text, loc), key=_dotted(loc))


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Best-effort line number (1-based) of the TOML element a validation path names."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    rest = list(loc)
    if len(rest) >= 2 and isinstance(rest[1], int) and rest[0] in ("feed", "watch"):
        headers = [i for i, ln in enumerate(lines) if re.match(rf"^\s*\[\[\s*{rest[0]}\s*\]\]", ln)]
        if rest[1] >= len(headers):
            return None
        start = headers[rest[1]]
        end = next(
            (i for i, ln in enumerate(lines) if i > start and re.match(r"^\s*\[", ln)), len(lines)
        )
        rest = rest[2:]
    elif len(rest) >= 2 and rest[0] == "channel":
        pat = rf"^\s*\[\s*channel\s*\.\s*[\"']?{re.escape(str(rest[1]))}[\"']?\s*\]"
        found = next((i for i, ln in enumerate(lines) if re.match(pat, ln)), None)
        if found is None:
            return None
        start = found
        end = next(
            (i for i, ln in enumerate(lines) if i > start and re.match(r"^\s*\[", ln)), len(lines)
        )
        rest = rest[2:]
    elif rest and rest[0] == "vocabulary":
        rest = ["vocabulary"]
    key = next((r for r in rest if isinstance(r, str)), None)
    if key is None:
        return start + 1
    for i in range(start, end):
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return start + 1 if start or loc[0] in ("feed", "watch", "channel") else None
