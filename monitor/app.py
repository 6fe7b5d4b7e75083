"""Composition root: validates the configuration, then builds the store, the HTTP client, the
extraction pool, the channels and the relay for `run`, `serve` and the CLI.

Importing it loads none of them (tests/test_lazy_imports.py pins that): each is imported
where it is built, so `monitor --help` and the read commands stay fast.
"""

import asyncio
import gc
import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from monitor.config import Config, Settings, smtp_host
from monitor.errors import ConfigError, MonitorError, QueryError
from monitor.owner import process_owner
from monitor.types import ChannelSpec, WatchSpec

if TYPE_CHECKING:
    from monitor.alerts.base import Channel
    from monitor.fetch.http import GuardedClient
    from monitor.match.watches import CompiledWatch, Tagger
    from monitor.pipeline import Pipeline, PipelineOptions
    from monitor.store import Schema, Store
    from monitor.vocab.model import Vocabulary

log = logging.getLogger(__name__)


class Relay(Protocol):
    """What the daemon needs of the alert relay (monitor.alerts.relay)."""

    async def deliver_due(self) -> int:
        """Start delivering what is due; returns after a short step (slow channels go on)."""
        ...

    async def run_until_idle(self) -> int:
        """Deliver until nothing is due now (`--once`); alerts claimed."""
        ...

    async def drain(self, budget: float | None = 30.0) -> None:
        """Wait for deliveries in flight; cancel what outlives `budget` seconds."""
        ...

    def wake(self) -> None:
        """Outbox rows were just written: deliver them now."""
        ...

    async def replace_channels(self, channels: Mapping[str, Any]) -> None:
        """Deliver with these channels from now on (reload)."""
        ...

    async def aclose(self) -> None:
        """Drain and close every channel."""
        ...


@dataclass(frozen=True, slots=True)
class Tuning:
    """Sizes and timeouts of the runtime; defaults fit a small machine."""

    feed_concurrency: int = 32
    max_connections: int = 100
    per_host: int = 2
    fetch_deadline: float = 30.0
    feed_max_bytes: int = 10 * 1024 * 1024
    extract_workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    pipeline: "PipelineOptions" = field(default_factory=lambda: _pipeline_options())
    tick: timedelta = timedelta(seconds=5)
    # A claimed feed's lease; renewed every tick while its poll runs, so it lapses within
    # this long of its holder stopping (a holder on this host that is gone loses it at once).
    lease: timedelta = timedelta(minutes=2)
    drain_timeout: float = 20.0
    # retention (feeds.toml `retention`): first pass this long after start, then every
    retention_first: timedelta = timedelta(minutes=1)
    retention_every: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A configuration that passed every start-up check."""

    settings: Settings
    config: Config
    matcher: "Tagger"
    watches: "tuple[CompiledWatch, ...]"


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything a running daemon holds; built and closed by `running`."""

    prepared: Prepared
    store: "Store"
    pipeline: "Pipeline"
    relay: Relay | None
    tuning: Tuning
    owner: str = ""  # the lease owner name of this runtime (monitor.owner)


def prepare(settings: Settings, config: Config) -> Prepared:
    """Check what feeds.toml refers to: vocabulary, watch queries and their ids, SMTP."""
    matcher, watches = compile_config(config)
    if emails := [c.name for c in config.channels if c.type == "email"]:
        smtp_host(settings, emails)
    return Prepared(settings, config, matcher, watches)


def compile_config(config: Config) -> "tuple[Tagger, tuple[CompiledWatch, ...]]":
    """The matcher over the bundled and feeds.toml vocabulary, and the parsed watches (whose
    ids are checked against it): what the daemon and `monitor retag` tag and match with."""
    from monitor.match import compile_matcher  # heavy; only when running
    from monitor.vocab import load_vocabulary

    vocab = load_vocabulary(list(config.vocabulary))
    known = vocab.kinds()
    watches = tuple(_compile_watch(config, w, known) for w in config.watches)
    _check_official(config, vocab)
    return compile_matcher(vocab), watches


def _check_official(config: Config, vocab: "Vocabulary") -> None:
    """A feed's `official` must name a country of the vocabulary."""
    from monitor.config import locate

    countries = sorted(e.id for e in vocab if e.type == "country")
    for index, feed in enumerate(config.feeds):
        if feed.official is not None and feed.official not in countries:
            source = config.path.read_text(encoding="utf-8")
            raise ConfigError(
                f"feed {feed.name!r}: official = {feed.official!r} is not a country id; use one "
                f"of {', '.join(countries)}",
                file=str(config.path),
                line=locate(source, ("feed", index, "official")),
                key=f"feed[{index}].official",
            )


def _compile_watch(config: Config, spec: WatchSpec, known: Mapping[str, str]) -> "CompiledWatch":
    """monitor.match.watches.compile_watch, its QueryError named by file, line and key."""
    from monitor.config import locate
    from monitor.match.watches import compile_watch

    try:
        return compile_watch(spec, known)
    except QueryError as exc:
        index = [w.name for w in config.watches].index(spec.name)
        source = config.path.read_text(encoding="utf-8")
        raise ConfigError(
            f"watch {spec.name!r}: {exc}; `monitor vocab` lists the known ids",
            file=str(config.path),
            line=locate(source, ("watch", index, "query")),
            key=f"watch[{index}].query",
        ) from exc


def _pipeline_options(**knobs: Any) -> "PipelineOptions":
    from monitor.pipeline import PipelineOptions

    return PipelineOptions(**knobs)


def open_store(settings: Settings, *, schema: "Schema" = "current") -> "Store":
    """The Store on MONITOR_DATABASE_URL with the MONITOR_STORY_* rules, for every command:
    "current" (the default, every command that reads) refuses a database that is not at the
    newest migration (NotMigratedError), "upgrade" (`monitor run`, `monitor db upgrade`)
    migrates it first, "any" (`monitor check`) takes it as it is. Close it (or use it as a
    context manager): it owns its pools and its writer thread."""
    from monitor.store import Store

    return Store.open(settings, schema=schema)


def http_client(settings: Settings, **limits: Any) -> "GuardedClient":
    """The guarded HTTP client (SSRF checks against MONITOR_ALLOWED_NETWORKS, size caps, a
    total deadline); `limits` are GuardedClient's keyword arguments. Enter it to use it."""
    from monitor.fetch.http import GuardedClient

    return GuardedClient(settings.allowed_networks, **limits)


def build_channels(
    specs: Sequence[ChannelSpec],
    settings: Settings,
    *,
    watches: Sequence[WatchSpec] = (),
    environ: Mapping[str, str] | None = None,
) -> "dict[str, Channel]":
    """One alert channel per spec of feeds.toml (ConfigError naming the channel for one that
    cannot work); secrets and Apprise URLs come from `environ` (the process environment)."""
    from monitor.alerts.factory import build_channels as build

    return build(specs, settings, os.environ if environ is None else environ, watches=watches)


@asynccontextmanager
async def running(
    prepared: Prepared, store: "Store", tuning: Tuning | None = None
) -> AsyncIterator[Runtime]:
    """Open the HTTP client, the extraction pool and the relay; close them on exit (the
    store is the caller's: it outlives the run, and closing it stops its writer)."""
    from monitor.clock import utcnow
    from monitor.extract import ExtractorPool  # trafilatura; starts processes
    from monitor.fetch.http import quiet_http_loggers
    from monitor.pipeline import Pipeline

    tune = tuning or Tuning(
        pipeline=_pipeline_options(
            max_items_per_poll=prepared.settings.max_items_per_poll,
            page_timeout=prepared.settings.extract_timeout,
        )
    )  # MONITOR_EXTRACT_TIMEOUT
    quiet_http_loggers()
    store.sync_feeds(prepared.config.feeds, utcnow())
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            http_client(
                prepared.settings,
                max_bytes=tune.feed_max_bytes,
                deadline=tune.fetch_deadline,
                max_connections=tune.max_connections,
                per_host=tune.per_host,
            )
        )
        # the story sketches' library (datasketch and the scipy it imports, ~1 CPU-s) loads
        # now, beside the workers' start, not on the first article of the first poll
        sketching = asyncio.create_task(asyncio.to_thread(_warm_sketches))
        try:
            extractor = await stack.enter_async_context(ExtractorPool(tune.extract_workers))
        finally:
            await sketching
        relay = await _relay(prepared, store, stack)
        pipeline = Pipeline(
            store=store,
            client=client,
            extractor=extractor,
            matcher=prepared.matcher,
            watches=prepared.watches,
            options=tune.pipeline,
            officials={f.name: f.official for f in prepared.config.feeds if f.official is not None},
        )
        owner = f"{process_owner()}/{uuid.uuid4().hex[:8]}"
        # However the run ends, feeds it still holds are free for the next one at once.
        stack.callback(_release, store, owner)
        _freeze_start_up(stack)
        yield Runtime(prepared, store, pipeline, relay, tune, owner)


def _freeze_start_up(stack: AsyncExitStack) -> None:
    """Move what start-up built (modules, vocabulary, matcher, pools) out of the cyclic
    collector's sight for the run: every full collection walked all of it again, ~25 ms
    each, a few times a minute of polling (~5% of a 304 poll's CPU). Reference counting
    still frees it; the run's end gives it back to the collector."""
    gc.collect()
    gc.freeze()
    stack.callback(gc.unfreeze)


def refreeze() -> None:
    """After a reload: give the collector what the old configuration left in reference cycles
    (frozen with the start-up heap, it would never be walked, so each reload would keep the
    old matcher), then freeze what runs now. Nothing to do when the run froze nothing."""
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def _warm_sketches() -> None:
    """Pay the first sketch's imports and set-up once, at start."""
    from monitor import stories

    stories.sketch("monitor warms up its story sketches before the first poll")


def _release(store: "Store", owner: str) -> None:
    try:
        store.release_leases(owner)
    except MonitorError as exc:  # the database is gone: the leases end by time
        log.warning("leases.unreleased error=%s", exc)


async def _relay(prepared: Prepared, store: "Store", stack: AsyncExitStack) -> Relay | None:
    """The alert relay over feeds.toml's channels (None when there are none)."""
    from monitor.alerts.relay import Relay as AlertRelay

    config = prepared.config
    if not config.channels:
        return None
    channels = build_channels(config.channels, prepared.settings, watches=config.watches)
    return await stack.enter_async_context(AlertRelay(store, channels))
