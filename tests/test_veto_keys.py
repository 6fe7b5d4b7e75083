"""A veto's keys (strings one of which every match of its left side holds) decide only what
its expression would: checked against the expression alone on texts drawn from every veto
of the bundled vocabulary."""

import dataclasses
import random
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from monitor.match.automaton import ROLE_VETOES
from monitor.match.relevance import SPORTS, sporting
from monitor.vocab import load_vocabulary
from monitor.vocab.veto import MACROS, Veto, compile_veto, required


@pytest.mark.parametrize(
    ("expression", "keys"),
    [
        (r"(?i:drug|arms)\s+", {"drug", "arms"}),
        (r"in\s+Taipei,\s*", {"taipei,"}),
        (r"[A-Z][\w.-]*\s+", None),
        (r"(?:Bob|)\s+", None),
        (r"x?y*", None),
        (r"(?<=abc)d", {"d"}),
        (r"(?i:U\.?N\.?|United\s+Nations)\s+", {"u"}),
        (r"(?:Île-de-|Air)\s*", {"le-de-", "air"}),
        (r"(?:ab){2,}", {"ab"}),
    ],
)
def test_required_strings(expression: str, keys: set[str] | None) -> None:
    """The strings every match holds, or None."""
    assert required(expression) == (None if keys is None else frozenset(keys))


def _sample(items: Any, rng: random.Random, ignore: bool) -> str:
    """A string the parsed items may match (lookarounds and anchors are left out, so some
    do not): literals in a random case where the case is ignored."""
    out = []
    for op, arg in items:
        if op is _c.LITERAL:
            char = chr(arg)
            out.append(rng.choice((char.lower(), char.upper())) if ignore else char)
        elif op is _c.NOT_LITERAL:
            out.append(rng.choice(" a-,") if chr(arg) != " " else "a")
        elif op is _c.ANY:
            out.append(rng.choice(" a.,"))
        elif op is _c.IN:
            out.append(_one_of(arg, rng))
        elif op is _c.SUBPATTERN:
            flags = ignore or bool(arg[1] & 2)  # re.IGNORECASE
            out.append(_sample(arg[3].data, rng, flags))
        elif op is _c.BRANCH:
            out.append(_sample(rng.choice(arg[1]).data, rng, ignore))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, high, item = arg
            count = rng.randint(low, min(high, low + 2))
            out.extend(_sample(item.data, rng, ignore) for _ in range(count))
        elif op is _c.ATOMIC_GROUP:
            out.append(_sample(arg.data, rng, ignore))
    return "".join(out)


def _one_of(members: Any, rng: random.Random) -> str:
    """A character of a parsed class (a negated class gives a space or a letter)."""
    op, arg = rng.choice(members)
    if op is _c.NEGATE:
        return rng.choice(" a")
    if op is _c.LITERAL:
        return chr(arg)
    if op is _c.RANGE:
        return chr(rng.randint(arg[0], arg[1]))
    if op is _c.CATEGORY:
        return {
            _c.CATEGORY_SPACE: " ",
            _c.CATEGORY_WORD: "a",
            _c.CATEGORY_DIGIT: "7",
            _c.CATEGORY_NOT_SPACE: "x",
            _c.CATEGORY_NOT_WORD: ",",
            _c.CATEGORY_NOT_DIGIT: "b",
        }.get(arg, " ")
    return " "


def _vetoes() -> list[Veto]:
    patterns = {p for e in load_vocabulary().entries for a in e.aliases for p in a.veto}
    patterns |= {p for e in load_vocabulary().entries for r in e.roles for p in r.veto}
    patterns |= {p for e in load_vocabulary().entries for p in e.markers}
    return [compile_veto(p) for p in sorted({*patterns, *ROLE_VETOES})]


@pytest.mark.parametrize("seed", range(2))
def test_keys_decide_as_the_expression_does(seed: int) -> None:
    """Every veto with keys, on texts drawn from its left side before a mention: the same
    answer with and without its keys, and most of the drawn texts matched."""
    rng = random.Random(seed)
    tried = matched = 0
    for veto in _vetoes():
        if veto.before_keys is None:
            continue
        keyless = dataclasses.replace(veto, before_keys=None)
        left = veto.pattern.partition("@")[0]
        for name, expansion in MACROS.items():
            left = left.replace(name, expansion)
        parsed = _parser.parse(left).data
        for _ in range(12):
            before = rng.choice(("", "Yes. ", "x" * 75, "Then, ", "\ud800 ", "İ ")) + _sample(
                parsed, rng, False
            )
            text = before + rng.choice(("Mention", "mention")) + rng.choice(("", " of the", "s"))
            start, end = len(before), len(before) + 7
            want = keyless.applies(text, start, end)
            assert veto.applies(text, start, end) == want, (veto.pattern, text)
            tried += 1
            matched += (
                keyless.before is not None
                and keyless.before.search(text[max(0, start - 80) : start]) is not None
            )
    assert matched > tried // 3


def test_sporting_is_the_search_of_sports() -> None:
    """relevance.sporting() answers as SPORTS.search() on texts drawn from SPORTS, cut into
    windows anywhere."""
    rng = random.Random(5)
    parsed = _parser.parse(SPORTS.pattern).data
    tried = matched = 0
    for _ in range(400):
        text = rng.choice(("", "Taiwan ", "x" * 30, "(")) + _sample(parsed, rng, False)
        text += rng.choice(("", " Taiwan", "s", "-", ")"))
        for lo, hi in ((0, len(text)), (rng.randrange(len(text)), len(text)), (1, len(text) - 1)):
            want = SPORTS.search(text, lo, hi) is not None
            assert sporting(text, lo, hi) == want, (text, lo, hi)
            tried += 1
            matched += want
    assert matched > tried // 3
