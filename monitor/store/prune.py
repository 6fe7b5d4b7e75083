"""Retention: old articles deleted in batches with their tags, matches and delivered alerts;
the stories they leave behind re-formed around their remaining copies, and the Trends counts
(monitor/store/trends.py) moved in the same transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.store import trends
from monitor.store.articles import _lock
from monitor.store.base import StoreBase, table_of
from monitor.store.models import (
    ArticleRow,
    ArticleTagRow,
    OutboxRow,
    StoryBandRow,
    WatchMatchRow,
)
from monitor.stories import fingerprint_key, story_key

_ARTICLES = table_of(ArticleRow)
_TAGS = table_of(ArticleTagRow)
_MATCHES = table_of(WatchMatchRow)
_OUTBOX = table_of(OutboxRow)
_BANDS = table_of(StoryBandRow)
DELIVERED = "delivered"


@dataclass(frozen=True, slots=True)
class PruneCounts:
    """What a prune deleted (and kept); added together over batches."""

    articles: int = 0
    tags: int = 0
    matches: int = 0
    alerts: int = 0
    stories_reformed: int = 0  # stories whose first copy went and whose other copies stayed

    def __add__(self, other: "PruneCounts") -> "PruneCounts":
        return PruneCounts(
            self.articles + other.articles,
            self.tags + other.tags,
            self.matches + other.matches,
            self.alerts + other.alerts,
            self.stories_reformed + other.stories_reformed,
        )


def _prunable(before: datetime) -> list[sa.ColumnElement[bool]]:
    """Stored before `before`, and no alert of it still to deliver (pending, failing, or
    dead and waiting for `monitor alerts retry`)."""
    open_alert = (
        sa.select(_OUTBOX.c.id)
        .where(_OUTBOX.c.article_id == _ARTICLES.c.id, _OUTBOX.c.state != DELIVERED)
        .exists()
    )
    return [_ARTICLES.c.stored_at < before, ~open_alert]


class PruneStore(StoreBase):
    """Use-case methods of retention and `monitor prune`; see the module docstring."""

    def count_prunable(self, before: datetime) -> int:
        """How many articles a prune before `before` would delete now."""
        with self.db.read() as s:
            return int(
                s.connection()
                .execute(
                    sa.select(sa.func.count()).select_from(_ARTICLES).where(*_prunable(before))
                )
                .scalar_one()
            )

    def prune_batch(self, before: datetime, *, limit: int = 500) -> PruneCounts:
        """Delete up to `limit` articles stored before `before` (oldest ids first) with their
        tags, story bands, watch matches and delivered alerts, in ONE transaction; an article
        with an alert still to deliver is kept. A story that loses its first copy is re-formed
        around its remaining ones: the lowest remaining id becomes the story's id on its
        articles, matches and alerts, the earliest remaining copy the one lists show, and its
        delivered alerts move to that copy (so the story still alerts each watch once)."""
        a = _ARTICLES.c
        with self.db.write() as s:
            conn = s.connection()
            ids = [
                int(i)
                for i in conn.execute(
                    sa.select(a.id).where(*_prunable(before)).order_by(a.id).limit(limit)
                ).scalars()
            ]
            if not ids:
                return PruneCounts()
            rows = _lock_doomed(conn, ids, before)
            if not rows:
                return PruneCounts()
            ids = [int(r.id) for r in rows]
            stories = sorted({int(r.story_id) for r in rows})
            counted = trends.marks(conn, stories)  # what the stories add to the Trends counts
            survivors = _survivors(conn, stories, ids)
            alerts = _move_or_delete_alerts(conn, rows, survivors)
            tags = _delete(conn, _TAGS, ids)
            matches = _delete(conn, _MATCHES, ids)
            _delete(conn, _BANDS, ids)
            conn.execute(sa.delete(_ARTICLES).where(a.id.in_(ids)))
            heads, reformed = [], 0  # the stories' ids once re-formed
            for story, first in survivors.items():
                moved = _reform(conn, story, first)
                reformed += moved
                heads.append(first if moved else story)
            trends.apply(conn, counted, trends.marks(conn, heads))  # their copies count now
        return PruneCounts(len(ids), tags, matches, alerts, reformed)


def _lock_doomed(conn: sa.Connection, ids: Sequence[int], before: datetime) -> list[Any]:
    """Lock what deleting `ids` touches and read them again: (id, story_id) of those still to
    prune.

    PostgreSQL takes the locks the daemon's add_article takes, in its order: first the
    fingerprint and band keys by which a new copy finds these articles (so a copy stored
    meanwhile waits and then finds the re-formed story, not a deleted one), then their
    stories' keys, re-read until a concurrent merge has moved none of them. Their alerts are
    locked before the articles are checked again, so an alert retried meanwhile keeps its
    article. SQLite's write transaction already excludes every other writer.
    """
    a, o = _ARTICLES.c, _OUTBOX.c
    if conn.dialect.name == "postgresql":
        fingerprints = conn.execute(sa.select(a.fingerprint).where(a.id.in_(list(ids))))
        bands = conn.execute(sa.select(_BANDS.c.key).where(_BANDS.c.article_id.in_(list(ids))))
        _lock(
            conn,
            sorted(
                {
                    *(fingerprint_key(f) for f in fingerprints.scalars()),
                    *(int(k) for k in bands.scalars()),
                }
            ),
        )
        locked: set[int] = set()
        while True:
            stories = {
                int(s)
                for s in conn.execute(
                    sa.select(sa.func.coalesce(a.story_id, a.id)).where(a.id.in_(list(ids)))
                ).scalars()
            }
            if stories <= locked:
                break
            _lock(conn, [story_key(s) for s in sorted(stories - locked)])
            locked |= stories
        conn.execute(sa.select(o.id).where(o.article_id.in_(list(ids))).with_for_update())
    return list(
        conn.execute(
            sa.select(a.id, sa.func.coalesce(a.story_id, a.id).label("story_id"))
            .where(a.id.in_(list(ids)), *_prunable(before))
            .order_by(a.id)
            .with_for_update()
        )
    )


def _survivors(
    conn: sa.Connection, stories: Sequence[int], doomed: Sequence[int]
) -> dict[int, int]:
    """Story id -> its lowest remaining member id, for the stories keeping a member."""
    a = _ARTICLES.c
    found = conn.execute(
        sa.select(a.story_id, sa.func.min(a.id))
        .where(a.story_id.in_(list(stories)), a.id.not_in(list(doomed)))
        .group_by(a.story_id)
    ).all()
    return {int(story): int(first) for story, first in found}


def _move_or_delete_alerts(
    conn: sa.Connection, rows: Sequence[Any], survivors: dict[int, int]
) -> int:
    """The doomed articles' (delivered) alerts: moved to their story's remaining first copy,
    else deleted. Returns how many were deleted."""
    o = _OUTBOX.c
    deleted = 0
    for row in rows:
        story = int(row.story_id)
        heir = survivors.get(story)
        where = o.article_id == int(row.id)
        if heir is None:  # (only delivered ones are left: _lock_doomed checked)
            deleted += conn.execute(sa.delete(_OUTBOX).where(where)).rowcount or 0
        else:
            conn.execute(sa.update(_OUTBOX).where(where).values(article_id=heir))
    return deleted


def _delete(conn: sa.Connection, table: sa.Table, ids: Sequence[int]) -> int:
    return conn.execute(sa.delete(table).where(table.c.article_id.in_(list(ids)))).rowcount or 0


def _reform(conn: sa.Connection, story: int, first: int) -> bool:
    """Give a story that lost members the lowest remaining id (when its own id went) and mark
    its earliest remaining copy as the one lists show. True when its id changed."""
    a, m, o = _ARTICLES.c, _MATCHES.c, _OUTBOX.c
    moved = (
        first != story
        and conn.execute(sa.select(a.id).where(a.id == story)).scalar_one_or_none() is None
    )
    if moved:
        conn.execute(sa.update(_ARTICLES).where(a.story_id == story).values(story_id=first))
        conn.execute(sa.update(_MATCHES).where(m.story_id == story).values(story_id=first))
        for alert_id, watch, channel in conn.execute(
            sa.select(o.id, o.watch, o.channel).where(o.story_id == story)
        ).all():
            key = f"{watch}|{channel}|{first}"
            taken = conn.execute(sa.select(o.id).where(o.dedup_key == key)).first()
            values: dict[str, Any] = {"story_id": first}
            if taken is None:  # a story merged in earlier may hold the key: keep its own
                values["dedup_key"] = key
            conn.execute(sa.update(_OUTBOX).where(o.id == alert_id).values(**values))
        story = first
    members = conn.execute(
        sa.select(a.id, a.is_copy)
        .where(a.story_id == story)
        .order_by(sa.func.coalesce(a.published, a.stored_at), a.id)
    ).all()
    for rank, (member, is_copy) in enumerate(members):
        if bool(is_copy) != (rank > 0):
            conn.execute(sa.update(_ARTICLES).where(a.id == member).values(is_copy=rank > 0))
    return moved
