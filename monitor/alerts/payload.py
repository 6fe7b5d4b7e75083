"""Pure: the CONTRACT alert body of one watch match (`match.created`)."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.limits import MAX_EVIDENCE, MAX_TITLE, cut, cut_opt
from monitor.timefmt import iso_z
from monitor.types import NewArticle, Tag
from monitor.views import tag_json

EVENT_TYPE = "match.created"
# Standard Webhooks asks for bodies under 20 KB; this leaves room below it. What does not fit
# is dropped from the end of the lists (copies, then evidence, then tags of lowest score) and
# counted in `data.omitted`.
MAX_PAYLOAD_BYTES = 16_384
_SHRINK = ("copies", "evidence", "issues", "actors")


def _when(value: datetime | None) -> str | None:
    return None if value is None else iso_z(value, seconds=True)


def _listing(tags: Sequence[Tag], kind: str) -> list[dict[str, Any]]:
    return [tag_json(t) for t in tags if t.kind == kind]


def build_payload(
    *, watch: str, article: NewArticle, tags: Sequence[Tag], now: datetime
) -> dict[str, Any]:
    """The webhook body (and the data of an email) for `article` matching `watch` at `now`."""
    unique = list({t.id: t for t in tags}.values())
    return {
        "type": EVENT_TYPE,
        "timestamp": _when(now),
        "data": {
            "watch": watch,
            "article": {
                "url": article.url,
                "title": cut_opt(article.title, MAX_TITLE),
                "published": _when(article.published),
                "feed": article.feed,
            },
            "actors": _listing(unique, "actor"),
            "issues": _listing(unique, "issue"),
            "evidence": [
                {"id": t.id, "text": cut(t.evidence.text, MAX_EVIDENCE)}
                for t in unique
                if t.evidence.text
            ],
            # the store fills these in the transaction that decides the story
            "story": None,
            "copies": [],
        },
    }


def _size(value: Any) -> int:
    return len(
        json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    )


def _ranked(items: list[Any]) -> list[Any]:
    """Tags by score, highest first (the ones to keep); other lists keep their order."""
    if all(isinstance(i, dict) and isinstance(i.get("score"), int | float) for i in items):
        return sorted(items, key=lambda i: -float(i["score"]))
    return items


def fit_payload(payload: Any, limit: int = MAX_PAYLOAD_BYTES) -> Any:
    """`payload` whose JSON is at most `limit` bytes: list entries that do not fit are left
    out (copies first, then evidence, then issues and actors of lowest score) and counted in
    `data.omitted`; unchanged when it fits."""
    if _size(payload) <= limit or not isinstance(payload, dict):
        return payload
    data = payload.get("data")
    if not isinstance(data, dict):
        return payload
    data = dict(data)
    omitted: dict[str, int] = {}
    over = _size({**payload, "data": {**data, "omitted": dict.fromkeys(_SHRINK, 10**6)}}) - limit
    for key in _SHRINK:
        items = data.get(key)
        if over <= 0 or not isinstance(items, list) or not items:
            continue
        keep = _ranked(list(items))
        while keep and over > 0:
            over -= _size(keep.pop()) + 1
            omitted[key] = omitted.get(key, 0) + 1
        kept = {id(k) for k in keep}
        data[key] = [i for i in items if id(i) in kept]
    if over > 0:  # still too big: fields outside the lists (a long url or watch name)
        data["article"] = {
            k: (cut(v, 200) if isinstance(v, str) else v)
            for k, v in dict(data.get("article") or {}).items()
        }
    data["omitted"] = omitted
    return {**payload, "data": data}
