"""query indexes: a watch's matches read from the index alone

`ix_watch_matches_watch_time (watch, matched_at)` becomes
`ix_watch_matches_watch_time_article (watch, matched_at, article_id)`, so a watch's page (its
Atom feed, `--watch`) is an index-only scan and can be merged with the tag indexes
(monitor/store/queries.py). Plain CREATE/DROP INDEX: no table is rebuilt, so the SQLite
full-text triggers of 0002 are untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_watch_matches_watch_time_article", "watch_matches",
                    ["watch", "matched_at", "article_id"], unique=False)
    op.drop_index("ix_watch_matches_watch_time", table_name="watch_matches")


def downgrade() -> None:
    op.create_index("ix_watch_matches_watch_time", "watch_matches", ["watch", "matched_at"],
                    unique=False)
    op.drop_index("ix_watch_matches_watch_time_article", table_name="watch_matches")
