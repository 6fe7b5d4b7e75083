"""Pure: the sizes of fields that come from feeds and pages, and the cut that enforces them.

A feed controls its titles, authors and summaries; a page controls what extraction finds. They
are cut here, where an item becomes an article to store, so no copy of them downstream (the
database, the alert payload, an email, the desk) is larger. The article text may stay long; it
never goes into a payload in full (only evidence sentences do, cut to MAX_EVIDENCE).
"""

from dataclasses import replace

from monitor.types import Evidence, NewArticle, Tag

MAX_TITLE = 500  # characters of a title (an article's or a copy's)
MAX_AUTHOR = 200  # characters of an author line
MAX_EVIDENCE = 500  # characters of one evidence sentence
MAX_TEXT = 1_000_000  # characters of an article's stored text (a feed summary included)
ELLIPSIS = "…"


def cut(value: str, limit: int) -> str:
    """`value` at most `limit` characters: cut on a character boundary (at a space when one is
    near the end) with an ellipsis; unchanged when it fits."""
    if len(value) <= limit:
        return value
    head = value[: limit - 1]
    space = head.rfind(" ", max(0, len(head) - 40))
    if space > 0:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def cut_opt(value: str | None, limit: int) -> str | None:
    """`cut` for a field that may be absent."""
    return None if value is None else cut(value, limit)


def _bounded_tag(tag: Tag) -> Tag:
    text = tag.evidence.text
    if len(text) <= MAX_EVIDENCE:
        return tag
    shorter = cut(text, MAX_EVIDENCE)
    # the span keeps its start; its end shrinks by what was cut (it still points into text)
    end = tag.evidence.start + len(shorter) - len(ELLIPSIS)
    return Tag(
        tag.id,
        tag.kind,
        tag.name,
        tag.count,
        Evidence(shorter, tag.evidence.start, max(tag.evidence.start, end)),
        level=tag.level,
        score=tag.score,
    )


def bounded_article(article: NewArticle) -> NewArticle:
    """`article` with its title, author, text and evidence within the limits above."""
    over = (
        len(article.title or "") > MAX_TITLE
        or len(article.author or "") > MAX_AUTHOR
        or len(article.text) > MAX_TEXT
        or any(len(t.evidence.text) > MAX_EVIDENCE for t in article.tags)
    )
    if not over:
        return article
    return replace(
        article,
        title=cut_opt(article.title, MAX_TITLE),
        author=cut_opt(article.author, MAX_AUTHOR),
        text=cut(article.text, MAX_TEXT),
        tags=tuple(_bounded_tag(t) for t in article.tags),
    )
