"""The names a matches filter may use (vocabulary ids, watches, feeds), and a did-you-mean
error for any other: `--actor wang` must not pass as an empty answer."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.nearest import did_you_mean

if TYPE_CHECKING:
    from monitor.config import Config
    from monitor.store import Store


@dataclass(frozen=True, slots=True)
class KnownNames:
    """What exists: actor and issue ids with their kind, watch names, feed names."""

    ids: Mapping[str, str]  # id -> "actor" | "issue"
    watches: Collection[str]
    feeds: Collection[str]


def unknown_name(
    known: KnownNames,
    *,
    actors: Sequence[str] = (),
    issues: Sequence[str] = (),
    watch: str | None = None,
    feed: str | None = None,
) -> tuple[str, str] | None:
    """(field, message) for the first name that names nothing, else None."""
    for field, values in (("actor", actors), ("issue", issues)):
        for value in values:
            kind = known.ids.get(value)
            if kind is None:
                same = [i for i, k in known.ids.items() if k == field]
                return field, f"unknown {field} id {value!r}{did_you_mean(value, same)}"
            if kind != field:
                return field, f"{value!r} is an {kind} id, not an {field} id; filter by {kind}"
    for field, name, names in (("watch", watch, known.watches), ("feed", feed, known.feeds)):
        if name is not None and name not in names:
            return field, f"unknown {field} {name!r}{did_you_mean(name, names)}"
    return None


def known_names(store: "Store", config: "Config | None") -> KnownNames:
    """The vocabulary's ids (bundled and the config's files), the watches and feeds of the
    config and of the database (a removed watch keeps its stored matches)."""
    ids = _vocabulary_ids(config.vocabulary if config else ())
    watches = {w.name for w in store.list_watches()}
    feeds = {f.name for f in store.feed_health()}
    if config is not None:
        watches |= {w.name for w in config.watches}
        feeds |= {f.name for f in config.feeds}
    return KnownNames(ids, watches, feeds)


@lru_cache(maxsize=4)
def _vocabulary_ids(files: tuple[Path, ...]) -> Mapping[str, str]:
    # Loaded once per process (the API asks on every empty answer).
    from monitor.vocab import load_vocabulary

    return load_vocabulary(list(files)).kinds()
