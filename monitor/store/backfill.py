"""Watches seeing the past: stored articles with their tags, and matches filled from them."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from monitor.store.articles import _json_default, _with_story
from monitor.store.base import StoreBase, table_of
from monitor.store.models import (
    ArticleRow,
    ArticleTagRow,
    FeedRow,
    OutboxRow,
    WatchMatchRow,
    WatchStateRow,
)
from monitor.types import Evidence, Tag

_ARTICLES = table_of(ArticleRow)
_TAGS = table_of(ArticleTagRow)
_FEEDS = table_of(FeedRow)
_MATCHES = table_of(WatchMatchRow)
_OUTBOX = table_of(OutboxRow)
_STATE = table_of(WatchStateRow)
_INSERT: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True, slots=True)
class StoredDoc:
    """What a watch query sees of one stored article, with what a match or alert needs."""

    id: int
    story_id: int
    feed: str
    url: str
    title: str | None
    text: str
    published: datetime | None
    stored_at: datetime
    tags: tuple[Tag, ...]


@dataclass(frozen=True, slots=True)
class FillCounts:
    """What filling one watch's matches changed."""

    added: int = 0
    removed: int = 0
    alerts: int = 0


class BackfillStore(StoreBase):
    """Use-case methods of backfill and `monitor watches test`; see the module docstring."""

    def watch_definitions(self) -> dict[str, str]:
        """Each watch's definition hash as last backfilled."""
        with self.db.read() as s:
            rows = s.connection().execute(sa.select(_STATE.c.watch, _STATE.c.definition))
            return {str(w): str(d) for w, d in rows}

    def record_watch_definition(self, watch: str, definition: str, now: datetime) -> None:
        """Remember that `watch` was backfilled with `definition`."""
        insert = _INSERT[self.db.dialect](_STATE).values(
            watch=watch, definition=definition, backfilled_at=now
        )
        with self.db.write() as s:
            s.connection().execute(
                insert.on_conflict_do_update(
                    index_elements=["watch"], set_={"definition": definition, "backfilled_at": now}
                )
            )

    def forget_watch_definitions(self, keep: Sequence[str]) -> None:
        """Forget watches no longer configured: added again later, they are new."""
        with self.db.write() as s:
            s.connection().execute(sa.delete(_STATE).where(_STATE.c.watch.not_in(list(keep))))

    def newest_article_id(self) -> int:
        """The highest article id now (0: none): the bound of a backfill started now."""
        with self.db.read() as s:
            found = s.connection().execute(sa.select(sa.func.max(_ARTICLES.c.id))).scalar()
        return int(found or 0)

    def count_stored(self, *, since: datetime) -> int:
        """How many articles were stored at or after `since`."""
        with self.db.read() as s:
            return int(
                s.connection()
                .execute(
                    sa.select(sa.func.count())
                    .select_from(_ARTICLES)
                    .where(_ARTICLES.c.stored_at >= since)
                )
                .scalar_one()
            )

    def stored_docs(
        self,
        *,
        since: datetime,
        until: datetime | None = None,
        after: int = 0,
        last_id: int | None = None,
        limit: int = 500,
    ) -> list[StoredDoc]:
        """The next `limit` articles by id after `after` stored at or after `since` (and
        before `until`, up to `last_id`), each with its stored tags: one short read."""
        a = _ARTICLES.c
        where = [a.id > after, a.stored_at >= since]
        if until is not None:
            where.append(a.stored_at < until)
        if last_id is not None:
            where.append(a.id <= last_id)
        query = (
            sa.select(
                a.id, a.story_id, _FEEDS.c.name, a.url, a.title, a.text, a.published, a.stored_at
            )
            .join(_FEEDS, _FEEDS.c.id == a.feed_id)
            .where(*where)
            .order_by(a.id)
            .limit(limit)
        )
        with self.db.read() as s:
            conn = s.connection()
            rows = conn.execute(query).all()
            tags: dict[int, list[Tag]] = {}
            if rows:
                t = _TAGS.c
                for r in conn.execute(
                    sa.select(
                        t.article_id,
                        t.tag_id,
                        t.kind,
                        t.name,
                        t.count.label("n"),
                        t.evidence,
                        t.evidence_start,
                        t.evidence_end,
                        t.level,
                        t.score,
                    )
                    .where(t.article_id.in_([r.id for r in rows]))
                    .order_by(t.article_id, t.tag_id)
                ):
                    tags.setdefault(int(r.article_id), []).append(
                        Tag(
                            r.tag_id,
                            r.kind,
                            r.name,
                            int(r.n),
                            Evidence(r.evidence or "", int(r.evidence_start), int(r.evidence_end)),
                            r.level,
                            float(r.score),
                        )
                    )
        return [
            StoredDoc(
                int(r.id),
                int(r.story_id or r.id),
                r.name,
                r.url,
                r.title,
                r.text or "",
                r.published,
                r.stored_at,
                tuple(tags.get(int(r.id), ())),
            )
            for r in rows
        ]

    def fill_matches(
        self,
        watch: str,
        matched: Sequence[StoredDoc],
        unmatched: Sequence[int] = (),
        *,
        alerts: Mapping[str, Mapping[int, Any]] | None = None,
        now: datetime,
    ) -> FillCounts:
        """Add `watch`'s matches of `matched` (matched_at: each article's stored_at, so pages
        keep their order) and remove its matches of the `unmatched` article ids, in ONE
        transaction. `alerts` (channel -> article id -> payload) writes outbox rows for
        the matches added, once per story as the daemon does; None writes none. Articles
        pruned since they were read are skipped."""
        insert = _INSERT[self.db.dialect]
        added = removed = queued = 0
        with self.db.write() as s:
            conn = s.connection()
            # FOR UPDATE (PostgreSQL): a prune cannot delete these articles under our inserts;
            # one pruned since they were read is skipped
            present = (
                set(
                    conn.execute(
                        sa.select(_ARTICLES.c.id)
                        .where(_ARTICLES.c.id.in_([d.id for d in matched]))
                        .order_by(_ARTICLES.c.id)
                        .with_for_update()
                    ).scalars()
                )
                if matched
                else set()
            )
            for doc in (d for d in matched if d.id in present):
                row = conn.execute(
                    insert(_MATCHES)
                    .values(
                        watch=watch,
                        article_id=doc.id,
                        story_id=doc.story_id,
                        matched_at=doc.stored_at,
                    )
                    .on_conflict_do_nothing()
                    .returning(_MATCHES.c.id)
                ).scalar_one_or_none()
                if row is None:
                    continue
                added += 1
                for channel, payloads in (alerts or {}).items():
                    payload = json.dumps(
                        _with_story(payloads[doc.id], doc.story_id, ()),
                        ensure_ascii=False,
                        default=_json_default,
                    )
                    queued += (
                        conn.execute(
                            insert(_OUTBOX)
                            .values(
                                channel=channel,
                                watch=watch,
                                article_id=doc.id,
                                story_id=doc.story_id,
                                dedup_key=f"{watch}|{channel}|{doc.story_id}",
                                payload=payload,
                                state="pending",
                                attempts=0,
                                next_attempt_at=now,
                                created_at=now,
                            )
                            .on_conflict_do_nothing()
                            .returning(_OUTBOX.c.id)
                        ).scalar_one_or_none()
                        is not None
                    )
            if unmatched:
                removed = (
                    conn.execute(
                        sa.delete(_MATCHES).where(
                            _MATCHES.c.watch == watch, _MATCHES.c.article_id.in_(list(unmatched))
                        )
                    ).rowcount
                    or 0
                )
        return FillCounts(added, removed, queued)
