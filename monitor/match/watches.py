"""Pure: which watches a tagged article satisfies (one rule for the daemon, retag, backfill)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from monitor.match.query import Query, QueryDoc, parse_query
from monitor.types import NewArticle, Tag, WatchHit, WatchSpec


class Tagger(Protocol):
    """What tags a document (monitor.match.Matcher): the daemon, retag and backfill use one."""

    def tag_document(
        self,
        title: str | None,
        text: str,
        *,
        published: date | None = None,
        official: str | None = None,
    ) -> tuple[Tag, ...]:
        """Tags of a document's headline and text."""
        ...


@dataclass(frozen=True, slots=True)
class CompiledWatch:
    """A watch with its parsed query (None: every tagged article matches)."""

    spec: WatchSpec
    query: Query | None


def compile_watch(spec: WatchSpec, known: Mapping[str, str]) -> CompiledWatch:
    """`spec` with its query parsed and its ids checked against `known` (id -> kind);
    raises QueryError (an unknown id, or one used with the other kind: actor:taiwan)."""
    if spec.query is None:
        return CompiledWatch(spec, None)
    query = parse_query(spec.query)
    query.validate(known)
    return CompiledWatch(spec, query)


def satisfied_watches(
    watches: Sequence[CompiledWatch],
    tags: Sequence[Tag],
    *,
    feed: str,
    title: str | None,
    text: str,
) -> list[CompiledWatch]:
    """The watches a tagged article satisfies: the one rule of the daemon and `monitor retag`
    (a watch without a query takes every article with at least one tag)."""
    doc = QueryDoc(
        tag_ids=frozenset(t.id for t in tags),
        about_ids=frozenset(t.id for t in tags if t.level == "about"),
        feed=feed,
        title=title or "",
        text=text,
    )
    return [w for w in watches if (w.query.evaluate(doc) if w.query is not None else bool(tags))]


def watch_hits(
    watches: Sequence[CompiledWatch],
    article: NewArticle,
    payload: Callable[[str], Mapping[str, Any]],
) -> list[WatchHit]:
    """The hits of a new, tagged article: each satisfied watch with its channels and the alert
    body `payload(watch name)` builds, only for a watch that notifies a channel (the body
    goes only into outbox rows; a watch without channels records its match alone)."""
    return [
        WatchHit(w.spec.name, w.spec.notify, payload(w.spec.name) if w.spec.notify else {})
        for w in satisfied_watches(
            watches, article.tags, feed=article.feed, title=article.title, text=article.text
        )
    ]
