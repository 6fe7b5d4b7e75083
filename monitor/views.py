"""JSON shapes of tags, stored matches, articles and feeds: one each for the CLI, the API
and alert payloads."""

from typing import Any

from monitor.types import FeedHealth, MatchRow, StoredArticle, StoryCopy, Tag


def tag_json(tag: Tag, *, evidence: bool = False) -> dict[str, Any]:
    """A tag as JSON, the one shape of `monitor tag/matches --format json`, the API and the
    alert payload: id, name, count, level, score (3 decimals); with `evidence`, its first
    sentence and offsets."""
    out: dict[str, Any] = {
        "id": tag.id,
        "name": tag.name,
        "count": tag.count,
        "level": tag.level,
        "score": round(tag.score, 3),
    }
    if evidence:
        out["evidence"] = {
            "text": tag.evidence.text,
            "start": tag.evidence.start,
            "end": tag.evidence.end,
        }
    return out


def feed_json(h: FeedHealth) -> dict[str, Any]:
    """A feed's health as `monitor feeds --format json` and `GET /feeds` show it."""
    return {
        "name": h.name,
        "url": h.url,
        "enabled": h.enabled,
        "last_status": h.last_status,
        "last_error": h.last_error,
        "consecutive_errors": h.consecutive_errors,
        "last_success": h.last_success,
        "next_poll": h.next_poll,
        "next_poll_reason": h.next_poll_reason,
    }


def copy_json(copy: StoryCopy) -> dict[str, Any]:
    """One copy of a story: its feed, url and title (and article id)."""
    return {"id": copy.article_id, "feed": copy.feed, "url": copy.url, "title": copy.title}


def match_json(row: MatchRow) -> dict[str, Any]:
    """One match: CONTRACT's `matches` JSON line, plus `id` (the article id) as an extension,
    `story` (its story's id) and `copies` (the story's other copies, earliest first)."""
    return {
        "id": row.article_id,
        "url": row.url,
        "title": row.title,
        "published": row.published,
        "feed": row.feed,
        "matched_at": row.matched_at,
        "watches": list(row.watches),
        "actors": [tag_json(t) for t in row.actors],
        "issues": [tag_json(t) for t in row.issues],
        "story": row.story_id if row.story_id is not None else row.article_id,
        "copies": [copy_json(c) for c in row.copies],
    }


def article_json(article: StoredArticle, watches: tuple[str, ...]) -> dict[str, Any]:
    """One stored article with its tags, their evidence, and the watches it matched."""
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "author": article.author,
        "published": article.published,
        "language": article.language,
        "feed": article.feed,
        "story_id": article.story_id,
        "matched_at": article.stored_at,
        "watches": list(watches),
        "actors": [tag_json(t, evidence=True) for t in article.tags if t.kind == "actor"],
        "issues": [tag_json(t, evidence=True) for t in article.tags if t.kind == "issue"],
        "copies": [copy_json(c) for c in article.copies],
        "text": article.text,
    }
