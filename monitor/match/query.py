"""The watch query language: parse once, evaluate against each document's tags and text.

Grammar (operators in capitals; adjacent terms are joined by an implicit AND):
    query := or ;  or := and ("OR" and)* ;  and := near ("AND"? near)*
    near  := unary ("NEAR/n" unary)* ;  unary := "NOT" unary | "(" or ")" | term
    term  := actor:ID | issue:ID | mention:ID | feed:NAME | word | word* | "a phrase"

`actor:ID` holds when the actor is mentioned, `issue:ID` when the document is *about* the issue
(its tag has level "about"), `mention:ID` when the actor or issue is mentioned at any level.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from monitor.errors import QueryError
from monitor.match.normalize import fold
from monitor.nearest import did_you_mean

_TOKEN = re.compile(
    r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<near>NEAR/(?P<n>\d*))|"""
    r"""(?P<field>[A-Za-z]+):(?P<fvalue>"[^"]*"?|[^\s()"]*)|(?P<phrase>"[^"]*"?)|"""
    r"""(?P<word>[^\s()"]+))"""
)
_FIELDS = ("actor", "issue", "mention", "feed")
_OPERATORS = ("AND", "OR", "NOT")
# Parentheses and NOT nest by recursion: a bound keeps a hostile query a clean error (5,000
# nested "(" ran out of stack), far above what anyone writes by hand.
MAX_DEPTH = 50
MAX_LENGTH = 20_000
_LOWER_NEAR = re.compile(r"(?i)near/\d*")


def _words(text: str) -> tuple[str, ...]:
    return tuple(fold(text).lower.split())


@dataclass(frozen=True)
class QueryDoc:
    """What a query sees of one document: its tag ids (actors and issues, any level), feed,
    title, text, and the ids of the tags it is about (None: every tag)."""

    tag_ids: frozenset[str]
    feed: str
    title: str
    text: str
    about_ids: frozenset[str] | None = None

    @cached_property
    def fields(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Title and text as folded words (searched separately: a phrase never spans both)."""
        return _words(self.title), _words(self.text)


class Node:
    """A node of a parsed query."""

    def evaluate(self, doc: QueryDoc) -> bool:
        """Whether the document satisfies this node."""
        raise NotImplementedError


@dataclass(frozen=True)
class TagTerm(Node):
    """`actor:ID`, `issue:ID` (about-level only) or `mention:ID` (either kind, any level)."""

    kind: str
    id: str
    position: int

    def evaluate(self, doc: QueryDoc) -> bool:
        if self.kind == "issue" and doc.about_ids is not None:
            return self.id in doc.about_ids
        return self.id in doc.tag_ids


@dataclass(frozen=True)
class FeedTerm(Node):
    """`feed:NAME`."""

    name: str
    position: int = 0

    def evaluate(self, doc: QueryDoc) -> bool:
        return doc.feed == self.name


@dataclass(frozen=True)
class TextTerm(Node):
    """A word, a `prefix*`, or a "quoted phrase", on word boundaries in title and text."""

    words: tuple[str, ...]
    prefix: bool = False

    def occurrences(self, words: tuple[str, ...]) -> list[tuple[int, int]]:
        """(start, end) word positions where this term occurs."""
        size, out = len(self.words), []
        first = self.words[0]
        for i, word in enumerate(words):
            if word != first and not (size == 1 and self.prefix and word.startswith(first)):
                continue
            tail = words[i : i + size]
            if len(tail) == size and self._same(tail):
                out.append((i, i + size))
        return out

    def _same(self, tail: tuple[str, ...]) -> bool:
        if not self.prefix:
            return tail == self.words
        return tail[:-1] == self.words[:-1] and tail[-1].startswith(self.words[-1])

    def evaluate(self, doc: QueryDoc) -> bool:
        return any(self.occurrences(words) for words in doc.fields)


@dataclass(frozen=True)
class Near(Node):
    """`A NEAR/n B`: both terms within n words of each other, in either order."""

    left: TextTerm
    right: TextTerm
    distance: int

    def evaluate(self, doc: QueryDoc) -> bool:
        for words in doc.fields:
            lefts, rights = self.left.occurrences(words), self.right.occurrences(words)
            for a_start, a_end in lefts:
                for b_start, b_end in rights:
                    gap = max(b_start - a_end, a_start - b_end, 0)
                    if gap <= self.distance:
                        return True
        return False


@dataclass(frozen=True)
class Not(Node):
    """`NOT x`."""

    child: Node

    def evaluate(self, doc: QueryDoc) -> bool:
        return not self.child.evaluate(doc)


@dataclass(frozen=True)
class And(Node):
    """`a AND b` (or `a b`)."""

    children: tuple[Node, ...]

    def evaluate(self, doc: QueryDoc) -> bool:
        return all(c.evaluate(doc) for c in self.children)


@dataclass(frozen=True)
class Or(Node):
    """`a OR b`."""

    children: tuple[Node, ...]

    def evaluate(self, doc: QueryDoc) -> bool:
        return any(c.evaluate(doc) for c in self.children)


@dataclass(frozen=True)
class Query:
    """A parsed watch query."""

    source: str
    root: Node
    tags: tuple[TagTerm, ...] = field(default=())
    feeds: tuple[FeedTerm, ...] = field(default=())

    def evaluate(self, doc: QueryDoc) -> bool:
        """Whether `doc` matches."""
        return self.root.evaluate(doc)

    def referenced_ids(self) -> frozenset[str]:
        """Every actor and issue id the query names."""
        return frozenset(t.id for t in self.tags)

    def validate(self, known: Mapping[str, str]) -> None:
        """Raise QueryError at the first `actor:`/`issue:` id that `known` (id -> kind) lacks
        or holds with the other kind."""
        for term in self.tags:
            kind = known.get(term.id)
            if kind is None:
                same = [i for i, k in known.items() if term.kind in ("mention", k)]
                raise QueryError(
                    f"unknown {term.kind} id {term.id!r}{did_you_mean(term.id, same)}",
                    query=self.source,
                    position=term.position,
                )
            if kind != term.kind and term.kind != "mention":
                raise QueryError(
                    f"{term.id!r} is an {kind}, write {kind}:{term.id}",
                    query=self.source,
                    position=term.position,
                )

    def validate_feeds(self, names: Collection[str]) -> None:
        """Raise QueryError at the first `feed:NAME` that is not one of `names`."""
        for term in self.feeds:
            if term.name not in names:
                raise QueryError(
                    f"unknown feed {term.name!r}{did_you_mean(term.name, names)}",
                    query=self.source,
                    position=term.position,
                )


@dataclass(frozen=True)
class _Tok:
    kind: str  # lp rp and or not near field phrase word end
    value: str
    position: int
    extra: str = ""


def _tokenize(source: str) -> list[_Tok]:
    if len(source) > MAX_LENGTH:
        raise QueryError(
            f"the query is {len(source)} characters long; at most {MAX_LENGTH}",
            query=source,
            position=MAX_LENGTH,
        )
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        found = _TOKEN.match(source, pos)
        if found is None:  # pragma: no cover - every non-space character starts some token
            raise QueryError("unexpected character", query=source, position=pos)
        pos = found.end()
        if found.group("lp"):
            tokens.append(_Tok("lp", "(", found.start("lp")))
        elif found.group("rp"):
            tokens.append(_Tok("rp", ")", found.start("rp")))
        elif found.group("near") is not None:
            start = found.start("near")
            if not found.group("n"):
                raise QueryError("NEAR needs a distance, e.g. NEAR/5", query=source, position=start)
            tokens.append(_Tok("near", found.group("n"), start))
        elif found.group("field") is not None:
            start = found.start("field")
            tokens.append(_field(source, found, start))
        elif found.group("phrase") is not None:
            start = found.start("phrase")
            text = found.group("phrase")
            if len(text) < 2 or not text.endswith('"'):
                raise QueryError("unterminated quote", query=source, position=start)
            tokens.append(_Tok("phrase", text[1:-1], start))
        else:
            start = found.start("word")
            word = found.group("word")
            _refuse_lower_operator(source, word, start)
            kind = word.lower() if word in _OPERATORS else "word"
            tokens.append(_Tok(kind, word, start))
    tokens.append(_Tok("end", "", len(source)))
    return tokens


def _refuse_lower_operator(source: str, word: str, start: int) -> None:
    """`and`, `or`, `not` and `near/5` in lower case would be searched as words, so the watch
    would silently never fire: refuse them, saying how to write either meaning."""
    if word.upper() in _OPERATORS and word not in _OPERATORS:
        raise QueryError(
            f"{word!r} is not an operator (operators are upper case); did you "
            f'mean {word.upper()}? To search the word, quote it: "{word}"',
            query=source,
            position=start,
        )
    if _LOWER_NEAR.fullmatch(word):
        raise QueryError(
            f"{word!r} is not an operator; did you mean {word.upper()}?",
            query=source,
            position=start,
        )


def _field(source: str, found: re.Match[str], start: int) -> _Tok:
    name, value = found.group("field").lower(), found.group("fvalue")
    if name not in _FIELDS:
        raise QueryError(
            f"unknown field {name!r}; use actor:, issue:, mention: or feed:",
            query=source,
            position=start,
        )
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"'):
            raise QueryError("unterminated quote", query=source, position=found.start("fvalue"))
        value = value[1:-1]
    if not value:
        raise QueryError(f"{name}: needs a value", query=source, position=start)
    return _Tok("field", value, start, name)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0
        self.tags: list[TagTerm] = []
        self.feeds: list[FeedTerm] = []

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.index]

    def error(self, message: str, tok: _Tok | None = None) -> QueryError:
        return QueryError(message, query=self.source, position=(tok or self.tok).position)

    def parse(self) -> Query:
        if self.tok.kind == "end":
            raise self.error("empty query")
        root = self.or_()
        if self.tok.kind == "rp":
            raise self.error("unbalanced ')'")
        if self.tok.kind != "end":  # pragma: no cover - and_ consumes every term
            raise self.error("unexpected input")
        return Query(self.source, root, tuple(self.tags), tuple(self.feeds))

    def or_(self) -> Node:
        children = [self.and_()]
        while self.tok.kind == "or":
            self.index += 1
            children.append(self.and_())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_(self) -> Node:
        children = [self.near()]
        while self.tok.kind in ("and", "not", "lp", "field", "phrase", "word"):
            if self.tok.kind == "and":
                self.index += 1
            children.append(self.near())
        return children[0] if len(children) == 1 else And(tuple(children))

    def near(self) -> Node:
        left_tok = self.tok
        node = self.unary()
        while self.tok.kind == "near":
            op = self.tok
            self.index += 1
            right_tok = self.tok
            right = self.unary()
            if not isinstance(node, TextTerm):
                raise self.error('NEAR joins words or "phrases" only', left_tok)
            if not isinstance(right, TextTerm):
                raise self.error('NEAR joins words or "phrases" only', right_tok)
            node = Near(node, right, int(op.value))
            left_tok = op
        return node

    def unary(self) -> Node:
        tok = self.tok
        if tok.kind in ("not", "lp"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(
                    f"nested deeper than {MAX_DEPTH} levels of parentheses and "
                    "NOT; write the query flatter"
                )
            try:
                return self.nested(tok)
            finally:
                self.depth -= 1
        self.index += 1
        if tok.kind == "field":
            if tok.extra == "feed":
                term = FeedTerm(tok.value, tok.position)
                self.feeds.append(term)
                return term
            tag = TagTerm(tok.extra, tok.value, tok.position)
            self.tags.append(tag)
            return tag
        if tok.kind in ("word", "phrase"):
            return self.text(tok)
        self.index -= 1
        if tok.kind == "end":
            raise self.error("the query ends where a term is expected")
        raise self.error(f"expected a term, found {tok.value!r}")

    def nested(self, tok: _Tok) -> Node:
        self.index += 1
        if tok.kind == "not":
            return Not(self.unary())
        if self.tok.kind == "rp":
            raise self.error("empty parentheses")
        node = self.or_()
        if self.tok.kind != "rp":
            raise self.error("missing ')'", tok)
        self.index += 1
        return node

    def text(self, tok: _Tok) -> TextTerm:
        raw = tok.value
        prefix = raw.endswith("*") and len(raw.rstrip("*")) > 0
        words = _words(raw.rstrip("*") if prefix else raw)
        if not words:
            raise self.error("a word or phrase needs letters or digits", tok)
        return TextTerm(words, prefix)


def parse_query(source: str) -> Query:
    """Parse a watch query; raises QueryError with the 0-based position of the fault."""
    return _Parser(source).parse()
