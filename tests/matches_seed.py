"""Test helper: insert feeds, articles, tags and watch matches straight through the tables."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from monitor.store import Database
from monitor.store.models import ArticleRow, ArticleTagRow, FeedRow, WatchMatchRow

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_seq = itertools.count(1)

# tag id -> (kind, display name)
TAGS = {
    "wang-yi": ("actor", "Wang Yi"),
    "antony-blinken": ("actor", "Antony Blinken"),
    "gina-raimondo": ("actor", "Gina Raimondo"),
    "taiwan": ("issue", "Taiwan"),
    "fentanyl": ("issue", "Fentanyl"),
    "trade": ("issue", "Trade"),
}


@dataclass(frozen=True)
class Seed:
    """One article to insert: its tags (id -> count) and the watches it matched."""

    title: str
    text: str
    at: datetime
    feed: str = "wire"
    tags: dict[str, int] | None = None
    watches: Sequence[str] = ()
    published: datetime | None = None
    url: str | None = None


def ensure_feed(db: Database, name: str, url: str | None = None) -> int:
    """The id of feed `name`, inserting it when missing."""
    with db.write() as s:
        found = (
            s.connection()
            .execute(sa.select(FeedRow.id).where(FeedRow.name == name))
            .scalar_one_or_none()
        )  # type: ignore[arg-type]
        if found is not None:
            return int(found)
        row = FeedRow(name=name, url=url or f"https://example.org/{name}.xml", created_at=T0)
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def add(db: Database, seed: Seed) -> int:
    """Insert one article as the ingestion stage would (tags' matched_at = stored_at)."""
    feed_id = ensure_feed(db, seed.feed)
    n = next(_seq)
    url = seed.url or f"https://example.org/{seed.feed}/{n}"
    with db.write() as s:
        art = ArticleRow(
            feed_id=feed_id,
            guid=f"g{n}",
            url=url,
            canonical_url=url,
            title=seed.title,
            published=seed.published or seed.at,
            text=seed.text,
            fingerprint=f"fp{n}",
            simhash=n,
            band0=0,
            band1=0,
            band2=0,
            band3=0,
            stored_at=seed.at,
        )
        s.add(art)
        s.flush()
        assert art.id is not None
        art.story_id = art.id
        for tag_id, count in (seed.tags or {}).items():
            kind, name = TAGS[tag_id]
            start = max(seed.text.find(name), 0)
            s.add(
                ArticleTagRow(
                    article_id=art.id,
                    tag_id=tag_id,
                    kind=kind,
                    name=name,
                    count=count,
                    evidence=seed.text[start : start + len(name)],
                    evidence_start=start,
                    evidence_end=start + len(name),
                    matched_at=seed.at,
                )
            )
        for watch in seed.watches:
            s.add(
                WatchMatchRow(watch=watch, article_id=art.id, story_id=art.id, matched_at=seed.at)
            )
        return art.id
