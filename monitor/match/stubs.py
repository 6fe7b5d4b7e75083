"""Suggestions as a vocabulary file for review: TOML that loads back, alone or beside the
bundled vocabulary (new entries take new ids; an alias gap repeats its issue's entry, which a
user file replaces, with the new aliases added)."""

import re
import tomllib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from monitor.match.gaps import AliasGap
from monitor.match.phrases import word_set
from monitor.match.suggest import Suggestion, Suggestions
from monitor.vocab.model import Entry, Vocabulary

_CHINESE_SURNAMES = word_set("""
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng Liang
Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Yu Jiang Cai Jia Ding Wei Xue
Ye Yan Lu Du Dai Xia Zhong Fu Qin Shen Cheng Ren Lei Qian Xi Hua Kong Bai Cui Kang Mao Qiu Shi
Gu Hou Shao Meng Long Wan Duan Qi Tan Yin Lai Geng Fan Fang
""")  # family name first: the short form of "Zhao Leji" is "Zhao"
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def toml_value(value: Any) -> str:
    """A TOML value for what a vocabulary file holds: strings, booleans, numbers, dates,
    lists and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else toml_string(name)


def _comment(text: str) -> str:
    """One comment line's text (no line breaks or control characters)."""
    return " ".join(_CONTROL.sub(" ", text).split())


def to_toml(suggestions: Suggestions, sources: int, vocabulary: Vocabulary) -> str:
    """TOML stubs for review (the format `monitor vocab` and feeds.toml's vocabulary read)."""
    lines = [
        f"# Suggested by `monitor vocab suggest` from {sources} document(s).",
        "# Review every stub: fix ids, add aliases, roles and dates, delete what is noise.",
        "",
    ]
    for s in suggestions.entries:
        lines.extend(_new_entry(s))
    by_issue: dict[str, list[AliasGap]] = {}
    for gap in suggestions.gaps:
        by_issue.setdefault(gap.issue, []).append(gap)
    if by_issue:
        lines += [
            "# Alias gaps: phrases these texts use for issues the vocabulary has. Each entry",
            "# repeats the issue's entry (a file's entry replaces the one with its id) and adds",
            "# the phrases marked `new`: keep the ones that name the issue, delete the rest.",
            "",
        ]
    for issue, gaps in by_issue.items():
        entry = vocabulary.get(issue)
        if entry is not None:
            lines.extend(_gap_entry(entry, gaps))
    return "\n".join(lines)


def _new_entry(s: Suggestion) -> list[str]:
    lines = [
        f"# seen {s.count}x, e.g. \u201c{_comment(s.example)}\u201d",
        f"[[{s.section}]]",
        f"id = {toml_string(s.id)}",
        f"name = {toml_string(s.name if s.section != 'issue' else s.name.capitalize())}",
        f"aliases = {toml_value([s.name, *s.aliases])}",
    ]
    if s.section == "person" and len(s.name.split()) > 1:
        parts = s.name.split()
        surname = parts[0] if parts[0] in _CHINESE_SURNAMES else parts[-1]
        lines.append(f"short = [{{ text = {toml_string(surname)}, standalone = false }}]")
    if s.title:
        lines += [f"[[{s.section}.role]]", f"title = {toml_string(s.title)}"]
    return [*lines, ""]


def _gap_entry(entry: Entry, gaps: Sequence[AliasGap]) -> list[str]:
    table = _source_table(entry) or _table_of(entry)
    lines = [
        f"# {entry.id}: {len(gaps)} new alias(es); the others are the entry as it is",
        "[[issue]]",
    ]
    roles = table.pop("role", [])
    aliases = table.pop("aliases", [])
    for name, value in table.items():
        lines.append(f"{_key(name)} = {toml_value(value)}")
    lines.append("aliases = [")
    lines.extend(f"  {toml_value(alias)}," for alias in aliases)
    for gap in gaps:
        lines.append(f"  # new: seen {gap.count}x, e.g. \u201c{_comment(gap.example)}\u201d")
        lines.append(f"  {toml_string(gap.text)},")
    lines.append("]")
    for role in roles:
        lines.append("[[issue.role]]")
        lines.extend(f"{_key(k)} = {toml_value(v)}" for k, v in role.items())
    return [*lines, ""]


def _source_table(entry: Entry) -> dict[str, Any] | None:
    """The entry's table as its file writes it (so vetoes and cases stay as written)."""
    if not entry.file:
        return None
    try:
        raw = tomllib.loads(Path(entry.file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = "issue" if entry.kind == "issue" else entry.type or ""
    tables = raw.get(section)
    if not isinstance(tables, list):
        return None
    for table in tables:
        if isinstance(table, dict) and table.get("id") == entry.id:
            return dict(table)
    return None


def _table_of(entry: Entry) -> dict[str, Any]:
    """The entry rebuilt from its loaded form (each alias with every veto it carries)."""

    def alias(a: Any) -> dict[str, Any]:
        table = {"text": a.text, "case": a.case, "standalone": a.standalone, "veto": list(a.veto)}
        if a.since is not None:  # the day it names the entry from
            table["since"] = a.since
        if a.until is not None:  # the last day it names the entry on
            table["until"] = a.until
        if a.standalone and a.alone is not None:  # the days it names the entry on its own
            since, until = a.alone
            table["standalone"] = {
                k: v for k, v in (("since", since), ("until", until)) if v is not None
            }
        return table

    from monitor.vocab.loader import alias_key

    full = [a for a in entry.aliases if a.form == "full"]
    table: dict[str, Any] = {
        "id": entry.id,
        "name": entry.name,
        "aliases": [alias(a) for a in full if alias_key(a.text) not in entry.weak],
    }
    weak = [alias(a) for a in full if alias_key(a.text) in entry.weak]
    short = [alias(a) for a in entry.aliases if a.form == "short"]
    for key, value in (
        ("weak", weak),
        ("short", short),
        ("cues", list(entry.cues)),
        ("anticues", list(entry.anticues)),
        ("place_cues", list(entry.place_cues)),
        ("not", list(entry.blockers)),
        ("marker", list(entry.markers)),
        ("label", list(entry.labels)),
    ):
        if value:
            table[key] = value
    if entry.min_cues != 1:
        table["min_cues"] = entry.min_cues
    table["in_names"] = entry.in_names
    if entry.description:
        table["description"] = entry.description
    return table
