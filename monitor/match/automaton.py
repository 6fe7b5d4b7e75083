"""Compile a vocabulary into one Aho-Corasick automaton (ahocorasick_rs) and the rules of each
of its keys."""

import gc
import re
from collections.abc import Sequence
from functools import partial

import ahocorasick_rs

from monitor.match.normalize import alias_variants
from monitor.match.resolve import (
    CREDIT_WORD,
    GENERAL,
    ROLE_VETOES,
    Choices,
    Forms,
    Pattern,
    RolePattern,
    Rule,
    Value,
)
from monitor.vocab.model import Entry, Role
from monitor.vocab.veto import GivenNameVeto, Veto, compile_veto

# Words without which a one-line text holds no web address or photo credit, found by the scan
# of the folded text (which keeps ASCII letters), so that most texts skip credit_spans()'s
# searches (three multi-character `in` of the whole text, ~4% of tagging a 4 KB text). Its
# expressions need "https?://", "www." or a "Photo" after "(" or white space: "www" is a key
# without padding ("awww.example.org" holds an address), " photo" one opening with the space
# that "(" and white space fold to, and "https?://" needs a "/", which the matcher looks for
# in the text itself (one character, found by memchr). Keys that all open with a space or a
# "w" leave ahocorasick_rs its start-byte prefilter (memchr2 to the next place a key may
# start): tagging 4-6% faster at 1,000 to 10,000 aliases (the NFA) where the matcher and raw
# alone took turns (load 2-4), no difference seen in bench_matcher under load 5-7. The
# unpadded "http" and "photo" of the previous keys gave four start bytes, which turns it off
# (as the bundled vocabulary's Chinese-script keys, which open with no space, do anyway).
# The same flag lets furniture.py look for teasers and calls to the reader: their fixed words
# are keys too, each after the space that white space folds to.
CREDIT_WORDS = (
    "www",
    " photo",
    # page furniture's fixed words (furniture.py)
    " read more",
    " related",
    " see also",
    " subscribe",
    " sign up",
    " learn more",
    " click here",
    " tap here",
    " share this",
    " here s how",
    " follow us",
    " download ",
)
# An automaton of keys of up to this many bytes in all is a DFA, a larger one ahocorasick_rs's
# default (a contiguous NFA). The DFA reads one table entry per byte, with no failure
# transitions: at 100 aliases tagging took 3-13% less time. But its table takes ~90 bytes
# per key byte (~130 KB at 100 aliases, ~1.2 MB at 1,000), against ~5-15 for the NFA: once
# it outgrows a core's L2 cache (1 MB here) with the rest of the work, it gains nothing or
# loses (measured at 1,000 and 3,000 aliases). 5,000 bytes: ~350 aliases.
DFA_BYTES = 5_000
# A DFA is slower with the prefilter (a memchr call per word costs more than its look-ups):
# its credit words also hold "http" and "photo" unpadded, only for their start bytes.
DFA_CREDIT_WORDS = (*CREDIT_WORDS, "http", "photo")
# the value of every credit word: no rule, a role that only says the word was seen
CREDIT_VALUE: Value = (0, 0, None, None, None, None, CREDIT_WORD)
_GIVEN_NAME = GivenNameVeto()
# Pattern((...)) without NamedTuple's Python-level __new__ (one per alias at compile time).
_new_pattern = partial(tuple.__new__, Pattern)
# ASCII words separated by single spaces: folding leaves them as they are, with no variant.
_plain = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*").fullmatch


def _as_written_first(form: str) -> tuple[bool, str]:
    # capitals last: texts mostly write a name as the alias does, so the scan compares once
    return form.isupper(), form


def _is_unspaced(char: str) -> bool:
    """Scripts written without spaces between words (CJK, kana): no boundary padding."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
    )


def _key(variant: str) -> str:
    """The automaton key of a folded variant: lower-cased, padded with a space on each side
    that is a word boundary (the text is searched padded the same way)."""
    lower = variant.lower()
    if lower.isascii():
        return f" {lower} "
    return (
        ("" if _is_unspaced(lower[0]) else " ") + lower + ("" if _is_unspaced(lower[-1]) else " ")
    )


def build(
    entries: Sequence[Entry], fast_path: bool, dfa_bytes: int = DFA_BYTES
) -> tuple[ahocorasick_rs.BytesAhoCorasick | None, list[Value]]:
    """The automaton of every alias variant and role phrase of `entries` (None when there is
    none), and the value of each of its keys, by the key's index. It searches UTF-8 bytes:
    most folded texts are ASCII, whose byte offsets are their character offsets, and the
    bytes search skips the character offset conversion of the str search (see search()).
    Keys of up to `dfa_bytes` bytes in all make a DFA (see DFA_BYTES). The credit words come
    last, each with the value CREDIT_VALUE."""
    # Building makes a few objects per alias and frees none: the cyclic collector would
    # rescan the growing heap again and again (half the time at 100k aliases) for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        names = _names(entries)
        roles, role_vetoes = _roles(entries)
        keys: list[str] = []
        values: list[Value] = []
        key_add, value_add = keys.append, values.append
        is_actor = [entry.kind == "actor" for entry in entries]
        for key, patterns in names.items():
            only = patterns[0]
            if (
                fast_path
                and len(patterns) == 1
                and only.full
                and not only.vetoes
                and (key not in roles)
            ):
                # the common key, as _value and _rule decide it, without their calls
                lead, tail = (key[0] == " ") - 1, (key[-1] == " ") + 1
                forms = _for_key(only.forms, len(key) - lead - tail)
                key_add(key)
                value_add(
                    (lead, tail, only.entry, forms, None, None, None)
                    if is_actor[only.entry]
                    else (lead, tail, None, None, only.entry, forms, None)
                )
                continue
            role = (
                RolePattern(tuple(roles[key]), tuple(dict.fromkeys(role_vetoes[key])))
                if key in roles
                else None
            )
            key_add(key)
            value_add(_value(key, patterns, is_actor, fast_path, role))
        for key, holders in roles.items():
            if key not in names:
                role = RolePattern(tuple(holders), tuple(dict.fromkeys(role_vetoes[key])))
                key_add(key)
                value_add(_value(key, [], is_actor, fast_path, role))
        encoded = [key.encode() for key in keys]
        dfa = sum(map(len, encoded)) <= dfa_bytes
        automaton = None
        if keys:
            for word in DFA_CREDIT_WORDS if dfa else CREDIT_WORDS:
                encoded.append(word.encode())
                value_add(CREDIT_VALUE)
            automaton = ahocorasick_rs.BytesAhoCorasick(
                encoded, implementation=ahocorasick_rs.Implementation.DFA if dfa else None
            )
    finally:
        if collecting:
            gc.enable()
    return automaton, values


def search(automaton: ahocorasick_rs.BytesAhoCorasick, lower: str) -> list[tuple[int, int, int]]:
    """(key index, start, end) of every key in `lower` padded with a space on each side, in
    order of their end, overlapping, with offsets in characters of the padded text."""
    data = f" {lower} ".encode()
    found: list[tuple[int, int, int]] = automaton.find_matches_as_indexes(data, overlapping=True)
    if found and not lower.isascii():
        return _in_characters(data, found)
    return found


def _in_characters(data: bytes, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Byte offsets of UTF-8 `data` turned into character offsets: keys are whole characters,
    so every offset is at a character's start and the bytes before it decode on their own."""
    chars: dict[int, int] = {}
    at = count = 0
    for offset in sorted({offset for _, start, end in found for offset in (start, end)}):
        count += len(data[at:offset].decode())
        chars[offset] = count
        at = offset
    return [(index, chars[start], chars[end]) for index, start, end in found]


def _names(entries: Sequence[Entry]) -> dict[str, list[Pattern]]:
    """Every automaton key of an alias, with the patterns (aliases) written that way."""
    names: dict[str, list[Pattern]] = {}
    get = names.get
    for index, entry in enumerate(entries):
        person = entry.type == "person"
        for alias in entry.aliases:
            text = alias.text
            exact = alias.case == "exact"
            forms: tuple[str, ...] | None = None
            if _plain(text):  # most aliases: alias_variants would give {text} alone
                variants: tuple[str, ...] | set[str] = (text,)
                if exact:
                    upper = text.upper()
                    forms = (text, upper) if " " in text and upper != text else (text,)
            else:
                variants = alias_variants(text)
                if exact:
                    every = {*variants, *(v.upper() for v in variants if " " in v)}
                    forms = tuple(sorted(every, key=_as_written_first))
            vetoes: tuple[Veto | GivenNameVeto, ...] = ()
            if alias.veto:
                vetoes = tuple(compile_veto(v) for v in alias.veto)
            full = alias.form == "full"
            if not full and person:
                # "Gareth Johnson" is not Boris Johnson, "Logan Ryan" is not Mark Logan, the
                # swimmer "Qin Haiyang" is not Qin Gang; a quoted "Xi" is a word
                vetoes = (_GIVEN_NAME, *vetoes)
            # a dated standalone short form carries its days (resolve() checks them)
            alone = alias.alone if alias.standalone and alias.alone is not None else None
            standalone = alias.standalone if alone is None else alone
            pattern = _new_pattern((index, full, forms, standalone, vetoes))
            for variant in variants:
                key = f" {variant.lower()} " if variant.isascii() else _key(variant)
                bucket = get(key)
                if bucket is None:
                    names[key] = [pattern]
                elif pattern not in bucket:
                    bucket.append(pattern)
    return names


def _roles(
    entries: Sequence[Entry],
) -> tuple[dict[str, list[tuple[int, Role]]], dict[str, list[Veto]]]:
    """Every automaton key of a role phrase, with its holders and vetoes."""
    roles: dict[str, list[tuple[int, Role]]] = {}
    role_vetoes: dict[str, list[Veto]] = {}
    for index, entry in enumerate(entries):
        for role in entry.roles:
            for phrase in role.phrases:
                for variant in alias_variants(phrase):
                    key = _key(variant)
                    roles.setdefault(key, []).append((index, role))
                    role_vetoes.setdefault(key, []).extend(
                        compile_veto(v) for v in (*ROLE_VETOES, *role.veto)
                    )
    return roles, role_vetoes


def _value(
    key: str,
    patterns: list[Pattern],
    is_actor: list[bool],
    fast_path: bool,
    role: RolePattern | None,
) -> Value:
    """The flat tuple the scan unpacks for a hit on `key`."""
    # The key is padded with a space where the variant meets a word boundary, and the text is
    # searched with a space before and after it: the alias starts `lead` (0 or -1) after the
    # key's start in the padded text, and ends `tail` (1 or 2) before the key's end.
    lead, tail = (key[0] == " ") - 1, (key[-1] == " ") + 1
    size = len(key) - lead - tail
    if len(patterns) == 1:
        only = patterns[0]
        rule, forms = _rule((only,), fast_path)
        if is_actor[only.entry]:
            return lead, tail, rule, _for_key(forms, size), None, None, role
        return lead, tail, None, None, rule, _for_key(forms, size), role
    actors = tuple(p for p in patterns if is_actor[p.entry])
    issues = tuple(p for p in patterns if not is_actor[p.entry])
    actor_rule, actor_forms = _rule(actors, fast_path)
    issue_rule, issue_forms = _rule(issues, fast_path)
    return (
        lead,
        tail,
        actor_rule,
        _for_key(actor_forms, size),
        issue_rule,
        _for_key(issue_forms, size),
        role,
    )


def _for_key(forms: tuple[str, ...] | None, size: int) -> Forms:
    """The case forms a hit of `size` characters is checked against: only those of its length
    (a hit equals no other), as one string when there is one (`in` is then equality, and the
    scan reads one object instead of a tuple and its strings)."""
    if forms is None or forms is GENERAL:
        return forms
    if len(forms) == 1:  # one word, as written
        return forms[0] if len(forms[0]) == size else ()
    # several words: as written and in capitals, both of its length, unless it has variants
    if len(forms) != 2 or len(forms[0]) != size or len(forms[1]) != size:
        forms = tuple(form for form in forms if len(form) == size)
    return forms[0] if len(forms) == 1 else forms


def _rule(patterns: tuple[Pattern, ...], fast_path: bool) -> tuple[Rule, tuple[str, ...] | None]:
    """What the scan keeps for a hit, and the case forms it checks first (GENERAL: accept).

    When no full form has a veto and all patterns accept the same case forms, the case check
    is all accept would do: the hit keeps every pattern, or is an int when one entry owns
    them all and one is a full form (it names that entry, nothing else to decide). Anything
    else goes through accept (forms GENERAL)."""
    if not patterns:
        return None, None
    first = patterns[0]
    if fast_path and len(patterns) == 1:
        if not first.full:
            return patterns, first.forms
        return (first.entry, first.forms) if not first.vetoes else (patterns, GENERAL)
    if (
        fast_path
        and not any(p.full and p.vetoes for p in patterns)
        and all(_same_forms(p.forms, first.forms) for p in patterns)
    ):
        if any(p.full for p in patterns) and all(p.entry == first.entry for p in patterns):
            return first.entry, first.forms
        return Choices(patterns), first.forms
    return (Choices(patterns) if fast_path else patterns), GENERAL


def _same_forms(one: tuple[str, ...] | None, other: tuple[str, ...] | None) -> bool:
    """Whether two patterns accept the same case forms (in whatever order they list them)."""
    return one == other or (one is not None and other is not None and set(one) == set(other))
