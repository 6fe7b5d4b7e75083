"""Orders `monitor retag`: stored articles in id batches, tagged again, their rows replaced."""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from monitor.match.watches import CompiledWatch, Tagger, satisfied_watches
from monitor.store import Store
from monitor.store.retag import ArticleToRetag, RetagCounts, Retagged, RetagScope

BATCH = 200  # articles per read and per write transaction: short enough beside a daemon


def retag_article(
    article: ArticleToRetag,
    tagger: Tagger,
    watches: Sequence[CompiledWatch],
    officials: Mapping[str, str] | None = None,
) -> Retagged:
    """An article's tags and watches as the daemon would compute them today (`officials`:
    feed name -> the government publishing it, as feeds.toml's `official` says)."""
    published = article.published.date() if article.published else None
    tags = tagger.tag_document(
        article.title,
        article.text,
        published=published,
        official=(officials or {}).get(article.feed),
    )
    names = satisfied_watches(
        watches, tags, feed=article.feed, title=article.title, text=article.text
    )
    return Retagged(article.id, tags, frozenset(w.spec.name for w in names))


def retag(
    store: Store,
    tagger: Tagger,
    watches: Sequence[CompiledWatch],
    scope: RetagScope,
    *,
    since: datetime | None = None,
    batch: int = BATCH,
    progress: Callable[[RetagCounts], None] | None = None,
    officials: Mapping[str, str] | None = None,
) -> RetagCounts:
    """Retag the articles of `scope` (from `store.retag_scope(since)`), `batch` at a time;
    `progress` gets each batch's counts. Returns the totals."""
    names = [w.spec.name for w in watches]
    total, after = RetagCounts(), 0
    while True:
        articles = store.articles_to_retag(
            after=after, last_id=scope.last_id, since=since, limit=batch
        )
        if not articles:
            return total
        counts = store.replace_tags(
            [retag_article(a, tagger, watches, officials) for a in articles], names
        )
        total += counts
        after = articles[-1].id
        if progress is not None:
            progress(counts)
