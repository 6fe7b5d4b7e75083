"""Read vocabulary TOML files (bundled and the user's) into a validated Vocabulary."""

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, get_args

from monitor.errors import VocabularyError
from monitor.types import TagKind
from monitor.vocab.model import (
    ActorType,
    Alias,
    AliasConflict,
    CaseRule,
    Entry,
    Role,
    Vocabulary,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SECTIONS: Mapping[str, tuple[TagKind, ActorType | None]] = {
    "person": ("actor", "person"),
    "organization": ("actor", "organization"),
    "country": ("actor", "country"),
    "issue": ("issue", None),
}
_ENTRY_KEYS = {
    "id",
    "name",
    "aliases",
    "short",
    "veto",
    "role",
    "description",
    "case",
    "weak",
    "cues",
    "anticues",
    "place_cues",
    "not",
    "in_names",
    "min_cues",
    "marker",
    "label",
}
_ALIAS_KEYS = {"text", "case", "standalone", "veto", "short", "since", "until"}
_ROLE_KEYS = {
    "title",
    "org",
    "from",
    "to",
    "phrases",
    "veto",
    "bare",
    "home",
    "home_in",
    "home_signs",
    "source",
}


def bundled_files() -> list[Path]:
    """The vocabulary files shipped with monitor, in a stable order."""
    root = resources.files("monitor.vocab") / "data"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".toml"))


def load_vocabulary(extra_files: Sequence[Path] = ()) -> Vocabulary:
    """The bundled vocabulary, with entries of `extra_files` added or overriding by id."""
    entries: dict[str, Entry] = {}
    for path in bundled_files():
        stat = path.stat()
        for entry in _bundled_file(str(path), stat.st_mtime_ns, stat.st_size):
            if entry.id in entries:
                raise _dup(entry, entries[entry.id])
            entries[entry.id] = entry
    for path in extra_files:
        seen: dict[str, Entry] = {}
        for entry in load_file(Path(path)):
            if entry.id in seen:
                raise _dup(entry, seen[entry.id])
            seen[entry.id] = entry
            entries[entry.id] = entry  # a user's entry replaces the bundled one with its id
    files = tuple(str(p) for p in (*bundled_files(), *extra_files))
    return build_vocabulary(entries.values(), files=files)


@functools.lru_cache(maxsize=32)
def _bundled_file(path: str, mtime_ns: int, size: int) -> tuple[Entry, ...]:
    """A bundled file's entries, parsed once per process and version of the file (entries are
    frozen): every `monitor` command, reload and test that loads the vocabulary re-read and
    re-validated ~0.07 s of TOML before."""
    return tuple(load_file(Path(path)))


def build_vocabulary(entries: Iterable[Entry], files: tuple[str, ...] = ()) -> Vocabulary:
    """Validate cross-entry rules (unique ids, role organisations) and report shared aliases."""
    by_id: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in by_id:
            raise _dup(entry, by_id[entry.id])
        by_id[entry.id] = entry
    for entry in by_id.values():
        for role in entry.roles:
            for key, named, what in (
                ("org", role.org, "organisation"),
                ("home_in", role.home_in, "home country"),
            ):
                if named is not None and named not in by_id:
                    raise VocabularyError(
                        f"role {role.title!r} names unknown {what} id {named!r}",
                        file=entry.file,
                        line=entry.line,
                        key=f"{entry.id}.role.{key}",
                    )
    return Vocabulary(tuple(by_id.values()), _conflicts(by_id.values()), files)


def load_file(path: Path) -> list[Entry]:
    """Parse one vocabulary file; every error names the file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VocabularyError(
            f"cannot read vocabulary file: {exc.strerror}", file=str(path)
        ) from exc
    except UnicodeDecodeError as exc:
        raise VocabularyError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=str(path)
        ) from None
    return parse_text(text, str(path))


def parse_text(text: str, file: str = "<string>") -> list[Entry]:
    """Parse vocabulary TOML text (`[[person]]`, `[[organization]]`, `[[country]]`, `[[issue]]`)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise VocabularyError(
            f"not valid TOML: {exc}", file=file, line=int(found.group(1)) if found else None
        ) from exc
    except RecursionError:
        raise VocabularyError("arrays or tables nested too deeply to read", file=file) from None
    lines = text.splitlines()
    out: list[Entry] = []
    for section, items in raw.items():
        if section not in SECTIONS:
            raise VocabularyError(
                f"unknown section {section!r}; use one of {', '.join(SECTIONS)}",
                file=file,
                line=_find_line(lines, rf"^\s*\[+\s*{re.escape(section)}\b"),
                key=section,
            )
        if not isinstance(items, list):
            raise VocabularyError(f"write entries as [[{section}]] tables", file=file, key=section)
        headers = [i for i, ln in enumerate(lines) if re.match(rf"^\s*\[\[\s*{section}\s*\]\]", ln)]
        for index, item in enumerate(items):
            start = headers[index] if index < len(headers) else None
            out.append(_Parser(file, lines, start, section).entry(item))
    return out


class _Parser:
    """Turns one `[[section]]` table into an Entry, locating errors by line."""

    def __init__(self, file: str, lines: list[str], start: int | None, section: str) -> None:
        self.file, self.lines, self.start, self.section = file, lines, start, section

    def fail(self, message: str, key: str) -> VocabularyError:
        line = None
        if self.start is not None:
            end = next(
                (
                    i
                    for i in range(self.start + 1, len(self.lines))
                    if re.match(
                        r"^\s*\[\[\s*(person|organization|country|issue)\s*\]\]", self.lines[i]
                    )
                ),
                len(self.lines),
            )
            line = self.start + 1
            for part in reversed(key.split(".")):  # the most specific key found on its own line
                found = next(
                    (
                        i + 1
                        for i in range(self.start, end)
                        if re.match(rf"^\s*\"?{re.escape(part)}\"?\s*=", self.lines[i])
                    ),
                    None,
                )
                if found is not None:
                    line = found
                    break
        return VocabularyError(message, file=self.file, line=line, key=f"{self.section}.{key}")

    def entry(self, item: Any) -> Entry:
        if not isinstance(item, dict):
            raise self.fail("an entry must be a table", "id")
        unknown = sorted(set(item) - _ENTRY_KEYS)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}", unknown[0])
        entry_id = item.get("id")
        if not isinstance(entry_id, str) or not SLUG.match(entry_id):
            raise self.fail(f"id must be a kebab-case slug like 'wang-yi', got {entry_id!r}", "id")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail("name must be a non-empty string", "name")
        kind, actor_type = SECTIONS[self.section]
        default_case = self._case(item.get("case", "exact" if kind == "actor" else "any"), "case")
        shared_veto = self._strings(item.get("veto", []), "veto")
        for pattern in shared_veto:
            self._check_veto(pattern, "veto")
        weak = self._aliases(item.get("weak", []), "full", default_case, shared_veto, "weak")
        aliases = [
            *self._aliases(item.get("aliases", []), "full", default_case, shared_veto, "aliases"),
            *weak,
            *self._aliases(item.get("short", []), "short", "exact", shared_veto, "short"),
        ]
        if not any(a.form == "full" and _key(a.text) == _key(name) for a in aliases):
            aliases.insert(0, Alias(name, "full", _case_for(name, default_case), True, shared_veto))
        roles = self._roles(item.get("role", []))
        description = item.get("description")
        if description is not None and not isinstance(description, str):
            raise self.fail("description must be a string", "description")
        line = self.start + 1 if self.start is not None else None
        min_cues = item.get("min_cues", 1)
        if not isinstance(min_cues, int) or isinstance(min_cues, bool) or min_cues < 1:
            raise self.fail("min_cues must be a whole number of at least 1", "min_cues")
        markers = self._strings(item.get("marker", []), "marker")
        for pattern in markers:
            self._check_veto(pattern, "marker")
        labels = self._strings(item.get("label", []), "label")
        for label in labels:
            if not _key(label):
                raise self.fail(f"a label must contain a letter or digit, got {label!r}", "label")
        in_names = item.get("in_names", kind == "actor" and actor_type != "country")
        if not isinstance(in_names, bool):
            raise self.fail("in_names must be true or false", "in_names")
        return Entry(
            entry_id,
            kind,
            name.strip(),
            tuple(aliases),
            actor_type,
            tuple(roles),
            description,
            self.file,
            line,
            cues=self._strings(item.get("cues", []), "cues"),
            anticues=self._strings(item.get("anticues", []), "anticues"),
            place_cues=self._place_cues(item),
            min_cues=min_cues,
            weak=frozenset(_key(a.text) for a in weak),
            blockers=self._strings(item.get("not", []), "not"),
            in_names=in_names,
            markers=markers,
            labels=labels,
            dated=tuple(
                (key, since, until)
                for key, (since, until) in dict(
                    (_key(a.text), (a.since, a.until))
                    for a in aliases
                    if a.since is not None or a.until is not None
                ).items()
            ),
        )

    def _aliases(
        self, raw: Any, form: str, default_case: CaseRule, shared_veto: tuple[str, ...], key: str
    ) -> list[Alias]:
        if not isinstance(raw, list):
            raise self.fail("must be a list of strings or inline tables", key)
        out: list[Alias] = []
        for value in raw:
            if isinstance(value, str):
                value = {"text": value}
            if not isinstance(value, dict):
                raise self.fail("each alias is a string or {text = ...}", key)
            unknown = sorted(set(value) - _ALIAS_KEYS)
            if unknown:
                raise self.fail(f"unknown alias key {unknown[0]!r}", f"{key}.{unknown[0]}")
            text = value.get("text")
            if not isinstance(text, str) or not _key(text):
                raise self.fail(f"alias text must contain a letter or digit, got {text!r}", key)
            case = self._case(value.get("case", default_case), f"{key}.case")
            alias_form = "short" if value.get("short", form == "short") else "full"
            standalone = value.get("standalone", True)
            alone = None
            if isinstance(standalone, dict):
                alone = self._alone(standalone, f"{key}.standalone")
                standalone = True
            elif not isinstance(standalone, bool):
                raise self.fail(
                    "standalone must be true, false or { since = DATE, until = DATE }",
                    f"{key}.standalone",
                )
            if alone is not None and alias_form != "short":
                raise self.fail("dated standalone is for short forms only", f"{key}.standalone")
            veto = (*shared_veto, *self._strings(value.get("veto", []), f"{key}.veto"))
            for pattern in veto:
                self._check_veto(pattern, f"{key}.veto")
            since, until = self._days(value, key)
            out.append(
                Alias(
                    text,
                    "short" if alias_form == "short" else "full",
                    _case_for(text, case),
                    standalone,
                    veto,
                    since,
                    until,
                    alone,
                )
            )
        return out

    def _alone(self, table: dict[str, Any], key: str) -> tuple[date | None, date | None]:
        """The days of `standalone = { since = ..., until = ... }`."""
        unknown = sorted(set(table) - {"since", "until"})
        if unknown:
            raise self.fail(f"unknown standalone key {unknown[0]!r}", f"{key}.{unknown[0]}")
        if not table:
            raise self.fail("a dated standalone needs since or until", key)
        return self._days(table, key)

    def _days(self, table: dict[str, Any], key: str) -> tuple[date | None, date | None]:
        """The `since` and `until` days of `table` (either may be absent), in order."""
        since, until = table.get("since"), table.get("until")
        if since is not None:
            since = self._date(since, "since", f"{key}.since")
        if until is not None:
            until = self._date(until, "until", f"{key}.until")
        if since is not None and until is not None and until < since:
            raise self.fail("until must not be before since", f"{key}.until")
        return since, until

    def _roles(self, raw: Any) -> list[Role]:
        if not isinstance(raw, list):
            raise self.fail("write roles as [[...role]] tables", "role")
        out = []
        for value in raw:
            if not isinstance(value, dict):
                raise self.fail("a role must be a table", "role")
            unknown = sorted(set(value) - _ROLE_KEYS)
            if unknown:
                raise self.fail(f"unknown role key {unknown[0]!r}", f"role.{unknown[0]}")
            title = value.get("title")
            if not isinstance(title, str) or not title:
                raise self.fail("a role needs a title", "role.title")
            org = value.get("org")
            if org is not None and not isinstance(org, str):
                raise self.fail("org must be an entry id", "role.org")
            start, end = self._date(value.get("from"), "from"), self._date(value.get("to"), "to")
            if start and end and end < start:
                raise self.fail(f"role ends ({end}) before it starts ({start})", "role.to")
            phrases = self._strings(value.get("phrases", []), "role.phrases")
            veto = self._strings(value.get("veto", []), "role.veto")
            for pattern in veto:
                self._check_veto(pattern, "role.veto")
            bare = self._strings(value.get("bare", []), "role.bare")
            home = self._strings(value.get("home", []), "role.home")
            home_in = value.get("home_in")
            if home_in is not None and not isinstance(home_in, str):
                raise self.fail("home_in must be an entry id", "role.home_in")
            home_signs = self._strings(value.get("home_signs", []), "role.home_signs")
            if not isinstance(value.get("source", ""), str):  # a note for readers, not kept
                raise self.fail(
                    "source must be a string (where the dates come from)", "role.source"
                )
            out.append(Role(title, org, start, end, phrases, veto, bare, home, home_in, home_signs))
        return out

    def _date(self, value: Any, key: str, where: str | None = None) -> date | None:
        if value is None or (isinstance(value, date) and not hasattr(value, "hour")):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(
            f"{key} must be a date like 2023-07-25, got {value!r}", where or f"role.{key}"
        )

    def _case(self, value: Any, key: str) -> CaseRule:
        if value not in get_args(CaseRule):
            raise self.fail(f"case must be 'exact' or 'any', got {value!r}", key)
        return value  # type: ignore[no-any-return]  # checked against the Literal just above

    def _place_cues(self, item: dict[str, Any]) -> tuple[str, ...]:
        places = self._strings(item.get("place_cues", []), "place_cues")
        if places and not item.get("weak"):
            raise self.fail("place_cues needs weak aliases (they confirm only those)", "place_cues")
        cues = {c.lower() for c in self._strings(item.get("cues", []), "cues")}
        for place in places:
            if place.lower() in cues:
                raise self.fail(f"{place!r} is in both cues and place_cues", "place_cues")
        return places

    def _strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail("must be a list of strings", key)
        return tuple(value)

    def _check_veto(self, pattern: str, key: str) -> None:
        if pattern.count("@") != 1:
            raise self.fail(f"a veto needs exactly one '@' for the mention: {pattern!r}", key)
        try:
            from monitor.vocab.veto import compile_veto  # keeps import light

            compile_veto(pattern)
        except re.error as exc:
            raise self.fail(f"bad veto pattern {pattern!r}: {exc}", key) from exc


def _case_for(text: str, case: CaseRule) -> CaseRule:
    """An alias written all in lower case matches any case."""
    return "any" if text == text.lower() else case


def alias_key(text: str) -> str:
    """A loose comparison key: accents dropped, case folded, punctuation as single spaces."""
    return _key(text)


def _key(text: str) -> str:
    """A loose comparison key: accents dropped, case folded, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[^\W_]+", plain))


def _conflicts(entries: Iterable[Entry]) -> tuple[AliasConflict, ...]:
    owners: dict[str, dict[str, bool]] = {}
    for entry in entries:
        for alias in entry.aliases:
            short = owners.setdefault(_key(alias.text), {})
            short[entry.id] = short.get(entry.id, True) and alias.form == "short"
    return tuple(
        AliasConflict(alias, tuple(ids), all(ids.values()))
        for alias, ids in sorted(owners.items())
        if len(ids) > 1
    )


def _find_line(lines: list[str], pattern: str) -> int | None:
    return next((i + 1 for i, ln in enumerate(lines) if re.match(pattern, ln)), None)


def _dup(entry: Entry, first: Entry) -> VocabularyError:
    return VocabularyError(
        f"duplicate id {entry.id!r} (first defined in {first.file}:{first.line})",
        file=entry.file,
        line=entry.line,
        key="id",
    )
