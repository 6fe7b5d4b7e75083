"""Pure: the CONTRACT alert body of one watch match (`match.created`)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.types import NewArticle, Tag

EVENT_TYPE = "match.created"


def iso_z(value: datetime | None) -> str | None:
    """A datetime as ISO 8601 in UTC to the second with a `Z` suffix (naive = UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _listing(tags: Sequence[Tag], kind: str) -> list[dict[str, Any]]:
    return [{"id": t.id, "name": t.name, "count": t.count, "level": t.level,
             "score": round(t.score, 3)} for t in tags if t.kind == kind]


def build_payload(*, watch: str, article: NewArticle, tags: Sequence[Tag],
                  now: datetime) -> dict[str, Any]:
    """The webhook body (and the data of an email) for `article` matching `watch` at `now`."""
    unique = list({t.id: t for t in tags}.values())
    return {
        "type": EVENT_TYPE,
        "timestamp": iso_z(now),
        "data": {
            "watch": watch,
            "article": {"url": article.url, "title": article.title,
                        "published": iso_z(article.published), "feed": article.feed},
            "actors": _listing(unique, "actor"),
            "issues": _listing(unique, "issue"),
            "evidence": [{"id": t.id, "text": t.evidence.text} for t in unique
                         if t.evidence.text],
            # the store fills these in the transaction that decides the story
            "story": None,
            "copies": [],
        },
    }
