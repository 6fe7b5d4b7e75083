"""The pure alert body builder: exactly the CONTRACT shape, times in UTC with Z."""

from datetime import UTC, datetime, timedelta, timezone

from alerts_support import article, tags

from monitor.alerts.payload import build_payload


def test_body_is_exactly_the_contract_shape() -> None:
    """type, timestamp and data with watch, article, actors, issues and evidence; story and
    copies are left for the store to fill in."""
    art = article(1)
    now = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    assert build_payload(watch="taiwan-desk", article=art, tags=art.tags, now=now) == {
        "type": "match.created",
        "timestamp": "2026-11-23T10:00:00Z",
        "data": {
            "watch": "taiwan-desk",
            "article": {
                "url": "https://news.example.org/1",
                "title": "Story number 1",
                "published": "2026-11-23T09:00:00Z",
                "feed": "world",
            },
            "actors": [
                {"id": "wang-yi", "name": "Wang Yi", "count": 3, "level": "mention", "score": 0.0}
            ],
            "issues": [
                {"id": "taiwan", "name": "Taiwan", "count": 2, "level": "mention", "score": 0.0}
            ],
            "evidence": [
                {"id": "wang-yi", "text": "Wang Yi met the delegation in Beijing."},
                {"id": "taiwan", "text": "Both sides discussed Taiwan at length."},
            ],
            "story": None,
            "copies": [],
        },
    }


def test_times_are_utc_with_z_and_missing_dates_are_null() -> None:
    """A non-UTC `now` is converted; an article without a date has published null."""
    art = article(2)
    from dataclasses import replace

    undated = replace(art, published=None)
    east = datetime(2026, 11, 23, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    body = build_payload(watch="w", article=undated, tags=tags(), now=east)
    assert body["timestamp"] == "2026-11-23T10:00:00Z"
    assert body["data"]["article"]["published"] is None


def test_repeated_tags_are_listed_once() -> None:
    """A tag given twice appears once in its list and in the evidence."""
    art = article(3)
    body = build_payload(
        watch="w", article=art, tags=(*art.tags, *art.tags), now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert [a["id"] for a in body["data"]["actors"]] == ["wang-yi"]
    assert len(body["data"]["evidence"]) == 2


def test_tags_have_the_one_json_shape_of_the_cli_and_the_api() -> None:
    """Each listed tag is exactly what `monitor matches --format json` and GET /matches
    print for it (views.tag_json): id, name, count, level and score to 3 decimals."""
    from monitor.types import Tag
    from monitor.views import tag_json

    art = article(4)
    scored = [Tag(t.id, t.kind, t.name, t.count, t.evidence, "about", 0.123456) for t in art.tags]
    data = build_payload(watch="w", article=art, tags=scored, now=art.published)["data"]
    assert data["actors"] + data["issues"] == [tag_json(t) for t in scored]
    assert data["actors"][0] == {
        "id": "wang-yi",
        "name": "Wang Yi",
        "count": 3,
        "level": "about",
        "score": 0.123,
    }
