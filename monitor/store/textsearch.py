"""Pure: one user syntax for full-text search, rendered for SQLite FTS5 and PostgreSQL.

The syntax (documented in the README, "Text-search syntax"):

- ``word word``       every word must occur (AND);
- ``"two words"``     the words in this order, next to each other (a phrase);
- ``a OR b``          either side (``OR`` in capitals; AND binds tighter, as in a web search);
- ``-word``, ``-"a phrase"``  must not occur.

Every OR-group needs at least one word or phrase that must occur. Punctuation inside a term
separates words (``covid-19`` is searched as the phrase ``covid 19`` on SQLite and as the
same hyphenated token PostgreSQL indexed); there are no column filters, prefixes or NEAR.
"""

import re
from dataclasses import dataclass

from monitor.errors import QueryError

# A term keeps letters, digits, marks, apostrophes and inner hyphens; everything else that
# either engine treats as syntax (quotes, colons, stars, brackets, carets) becomes a space.
_UNSAFE = re.compile(r"[^\w\s'\-]+")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True, slots=True)
class Group:
    """One OR-branch: terms that must all occur and terms that must not."""

    must: tuple[str, ...]
    must_not: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A parsed search: the OR of its groups."""

    groups: tuple[Group, ...]

    def fts5(self) -> str:
        """The SQLite FTS5 MATCH expression."""
        return " OR ".join(_fts5_group(g) for g in self.groups)

    def websearch(self) -> str:
        """The input for PostgreSQL's websearch_to_tsquery, with the same meaning."""
        return " or ".join(
            " ".join([*(f'"{t}"' for t in g.must), *(f'-"{t}"' for t in g.must_not)])
            for g in self.groups
        )


def _fts5_group(group: Group) -> str:
    must = " AND ".join(f'"{t}"' for t in group.must)
    if not group.must_not:
        return f"({must})"
    nots = " NOT ".join(f'"{t}"' for t in group.must_not)
    return f"(({must}) NOT {nots})"


def _clean(term: str) -> str:
    words = _UNSAFE.sub(" ", term).split()
    return " ".join(w.strip("'-") for w in words if w.strip("'-"))


def parse_text_query(text: str) -> TextQuery:
    """Parse the user syntax above; QueryError (with the offending position) when unusable."""
    groups: list[Group] = []
    must: list[str] = []
    must_not: list[str] = []
    group_start = 0

    def close(end: int) -> None:
        if must_not and not must:
            raise QueryError(
                "a search group needs a word that must occur, not only exclusions",
                query=text,
                position=group_start,
            )
        if must:
            groups.append(Group(tuple(must), tuple(must_not)))
        must.clear()
        must_not.clear()

    for found in _TOKEN.finditer(text):
        neg, phrase, word = found.group(1), found.group(2), found.group(3)
        if word == "OR":
            close(found.start())
            group_start = found.end()
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            neg, word = "-", word[1:]
        term = _clean(phrase if phrase is not None else word or "")
        if term:
            (must_not if neg else must).append(term)
    close(len(text))
    if not groups:
        raise QueryError("no words to search for", query=text, position=0)
    return TextQuery(tuple(groups))


# PostgreSQL: besides its words, each article's search_vector holds one "time bucket" lexeme
# per size below (revision 0005): '@4:5194' is the 5194th four-day span since 1970 (UTC). No
# word the parser makes contains '@' or ':', so no search can match one by accident. A search
# over a stretch of time ANDs the words with the buckets that cover it, so the GIN index
# itself narrows the hits to that stretch (monitor/store/pages.py).
BUCKET_DAYS = (256, 64, 16, 4, 1)
_DAY_S = 86_400


def day_number(epoch_seconds: float) -> int:
    """The UTC day (days since 1970-01-01) an epoch time falls in."""
    return int(epoch_seconds // _DAY_S)


def bucket_cover(lo_day: int, hi_day: int) -> str:
    """A tsquery that matches exactly the buckets of days lo_day .. hi_day - 1: the biggest
    aligned buckets that fit, so any stretch takes a handful of lexemes."""
    terms = []
    day = hi_day
    while day > lo_day:
        size = next(s for s in BUCKET_DAYS if day % s == 0 and day - s >= lo_day)
        terms.append(f"'@{size}:{day // size - 1}'")
        day -= size
    return " | ".join(terms)
