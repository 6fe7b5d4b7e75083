"""Did-you-mean: the valid names nearest a mistyped one, for error messages (pure)."""

import difflib
from collections.abc import Iterable

MAX_SUGGESTIONS = 3


def nearest(value: str, choices: Iterable[str], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Up to `limit` of `choices` nearest `value`: names it starts (`wang` -> `wang-yi`) or
    that look like it (`wang-y` -> `wang-yi`, `taiwn` -> `taiwan`), closest first."""
    pool = sorted(set(choices))
    wanted = value.strip().lower()
    if not wanted or not pool:
        return []

    def ratio(name: str) -> float:
        return difflib.SequenceMatcher(None, wanted, name.lower()).ratio()

    prefixed = [
        c for c in pool if c.lower().startswith(wanted) or wanted.startswith(c.lower() + "-")
    ]
    alike = difflib.get_close_matches(wanted, pool, n=limit, cutoff=0.6)
    ranked = sorted(dict.fromkeys([*prefixed, *alike]), key=lambda c: (-ratio(c), c))
    return ranked[:limit]


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """'; did you mean a, b?' for the nearest choices, or '' when none is near."""
    found = nearest(value, choices)
    return f"; did you mean {', '.join(found)}?" if found else ""
