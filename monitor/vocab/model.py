"""Vocabulary value types: entries, aliases and dated roles (standard library only)."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from monitor.types import TagKind

AliasForm = Literal["full", "short"]
CaseRule = Literal["exact", "any"]
ActorType = Literal["person", "organization", "country"]


@dataclass(frozen=True, slots=True)
class Alias:
    """One way of writing an entry's name.

    `form` "short" (a surname, an acronym) counts only after a full form of the same entry
    earlier in the document, or on its own when `standalone` and no other entry shares it.
    `case` "exact" accepts the text as written (and, for aliases of several words, in capitals);
    "any" ignores case. `veto` holds regular expressions with `@` standing for the mention.
    `since`: the alias names the entry only in documents dated that day or later ("Ukraine"
    for the war from 24 February 2022, "the pandemic" for Covid-19 from 2020); `until`: only
    in documents dated that day or earlier ("the virus" for Covid-19 until the end of its
    global emergency in May 2023). A document without a date is not checked.
    `alone`: for a standalone short form, the (first, last) days (either may be None) of the
    documents in which it names the entry on its own, with no full form before it ("Johnson"
    for Boris Johnson during his premiership); outside them, or in an undated document, it
    counts only after a full form. None: on any day.
    """

    text: str
    form: AliasForm = "full"
    case: CaseRule = "exact"
    standalone: bool = True
    veto: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    alone: tuple[date | None, date | None] | None = None


@dataclass(frozen=True, slots=True)
class Role:
    """A post an entry held: title, organisation id, and the dates it held it (inclusive)."""

    title: str
    org: str | None = None
    start: date | None = None
    end: date | None = None
    phrases: tuple[str, ...] = ()
    veto: tuple[str, ...] = ()
    # Bare titles ("the President") that name the holder only in the text of the government
    # of `org` itself (tag_document's `official`), by date.
    bare: tuple[str, ...] = ()
    # Home titles ("PM", "chancellor") that name the holder in a text about one country: it
    # names that country (`home_in`, else `org`) or shows one of `home_signs` ("£"), and no
    # country but that one and `org` (an ambassador's host and his own), by date.
    home: tuple[str, ...] = ()
    home_in: str | None = None
    home_signs: tuple[str, ...] = ()

    def held_on(self, day: date) -> bool:
        """Whether the post was held on `day`; a role without a start date never resolves."""
        if self.start is None or day < self.start:
            return False
        return self.end is None or day <= self.end


@dataclass(frozen=True, slots=True)
class Entry:
    """An actor (person, organisation, country) or an issue."""

    id: str
    kind: TagKind
    name: str
    aliases: tuple[Alias, ...]
    type: ActorType | None = None
    roles: tuple[Role, ...] = ()
    description: str | None = None
    file: str | None = None
    line: int | None = None
    # Relevance (monitor/match/relevance.py): `weak` aliases (folded, lower case) name the
    # entry only where a `cue` is near and outweighs the `anticues`; `blockers` are longer
    # names that contain an alias but are something else ("Hong Kong Express"); `in_names`
    # False drops a mention inside an institution's name ("Bank of China").
    cues: tuple[str, ...] = ()
    anticues: tuple[str, ...] = ()
    min_cues: int = 1  # cues beyond the anticues a weak mention needs
    # cues that are only other places ("China", "the mainland"): they count only beside a
    # cue of `cues`, so a place named among places is not confirmed by its neighbours
    place_cues: tuple[str, ...] = ()
    weak: frozenset[str] = frozenset()
    blockers: tuple[str, ...] = ()
    # `marker` patterns (veto syntax): a time marker ("amid the pandemic") that drops a
    # mention in the text but not in the headline, where it states the event's setting or cause
    markers: tuple[str, ...] = ()
    # `label` phrases: a series label an outlet puts before its headlines ("Human rights in
    # focus"); one at a headline's start is a mention of the entry, not its subject
    labels: tuple[str, ...] = ()
    in_names: bool = True
    blocker_of: str | None = None  # set on the hidden entries made of blockers
    # (alias key, first day, last day) of the aliases with `since` or `until`: outside those
    # days they name nothing
    dated: tuple[tuple[str, date | None, date | None], ...] = ()

    def named_on(self, key: str, day: date) -> bool:
        """Whether the alias with this key (alias_key()) names the entry on `day`."""
        return all(within(day, since, until) for alias, since, until in self.dated if alias == key)


def within(day: date, since: date | None, until: date | None) -> bool:
    """Whether `day` falls in the days from `since` to `until` (either open)."""
    return (since is None or day >= since) and (until is None or day <= until)


@dataclass(frozen=True, slots=True)
class AliasConflict:
    """One alias written the same way on several entries (reported; resolved at match time)."""

    alias: str
    entry_ids: tuple[str, ...]
    short_only: bool


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The entries the matcher looks for, by id."""

    entries: tuple[Entry, ...]
    conflicts: tuple[AliasConflict, ...] = ()
    files: tuple[str, ...] = ()
    _by_id: Mapping[str, Entry] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._by_id:
            object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None."""
        return self._by_id.get(entry_id)

    def kinds(self) -> dict[str, TagKind]:
        """Every id with its kind (what watch-query validation needs)."""
        return {e.id: e.kind for e in self.entries}
