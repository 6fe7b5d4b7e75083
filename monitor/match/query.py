"""The watch query language: parse once, evaluate against each document's tags and text.

Grammar (operators in capitals; adjacent terms are joined by an implicit AND):
    query := or ;  or := and ("OR" and)* ;  and := near ("AND"? near)*
    near  := unary ("NEAR/n" unary)* ;  unary := "NOT" unary | "(" or ")" | term
    term  := actor:ID | issue:ID | mention:ID | feed:NAME | word | word* | "a phrase"

`actor:ID` holds when the actor is mentioned, `issue:ID` when the document is *about* the issue
(its tag has level "about"), `mention:ID` when the actor or issue is mentioned at any level.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from monitor.errors import QueryError
from monitor.match.normalize import fold

_TOKEN = re.compile(r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<near>NEAR/(?P<n>\d*))|"""
                    r"""(?P<field>[A-Za-z]+):(?P<fvalue>"[^"]*"?|[^\s()"]*)|(?P<phrase>"[^"]*"?)|"""
                    r"""(?P<word>[^\s()"]+))""")
_FIELDS = ("actor", "issue", "mention", "feed")
_OPERATORS = ("AND", "OR", "NOT")


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
            tail = words[i:i + size]
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
                raise QueryError(f"unknown {term.kind} id {term.id!r}", query=self.source,
                                 position=term.position)
            if kind != term.kind and term.kind != "mention":
                raise QueryError(f"{term.id!r} is an {kind}, write {kind}:{term.id}",
                                 query=self.source, position=term.position)


@dataclass(frozen=True)
class _Tok:
    kind: str  # lp rp and or not near field phrase word end
    value: str
    position: int
    extra: str = ""


def _tokenize(source: str) -> list[_Tok]:
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
                raise QueryError("NEAR needs a distance, e.g. NEAR/5", query=source,
                                 position=start)
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
            kind = word.lower() if word in _OPERATORS else "word"
            tokens.append(_Tok(kind, word, start))
    tokens.append(_Tok("end", "", len(source)))
    return tokens


def _field(source: str, found: re.Match[str], start: int) -> _Tok:
    name, value = found.group("field").lower(), found.group("fvalue")
    if name not in _FIELDS:
        raise QueryError(f"unknown field {name!r}; use actor:, issue:, mention: or feed:",
                         query=source,
                         position=start)
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
        self.tags: list[TagTerm] = []

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
        return Query(self.source, root, tuple(self.tags))

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
                raise self.error("NEAR joins words or \"phrases\" only", left_tok)
            if not isinstance(right, TextTerm):
                raise self.error("NEAR joins words or \"phrases\" only", right_tok)
            node = Near(node, right, int(op.value))
            left_tok = op
        return node

    def unary(self) -> Node:
        tok = self.tok
        if tok.kind == "not":
            self.index += 1
            return Not(self.unary())
        if tok.kind == "lp":
            self.index += 1
            if self.tok.kind == "rp":
                raise self.error("empty parentheses")
            node = self.or_()
            if self.tok.kind != "rp":
                raise self.error("missing ')'", tok)
            self.index += 1
            return node
        self.index += 1
        if tok.kind == "field":
            if tok.extra == "feed":
                return FeedTerm(tok.value)
            term = TagTerm(tok.extra, tok.value, tok.position)
            self.tags.append(term)
            return term
        if tok.kind in ("word", "phrase"):
            return self.text(tok)
        self.index -= 1
        if tok.kind == "end":
            raise self.error("the query ends where a term is expected")
        raise self.error(f"expected a term, found {tok.value!r}")

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
