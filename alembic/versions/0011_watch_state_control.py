"""watch_state (the query hash a watch was backfilled with) and control (`monitor reload`)

`watch_state` holds, per watch, a hash of its definition when its matches were last filled
from stored articles: a watch missing here or with another hash is new or changed and is
evaluated against the articles of its backfill window at daemon start or reload.
`control` holds requests to running daemons (`reload`) and the latest answer to each.
Two new tables on both dialects; nothing existing changes.

Revision ID: 0011
Revises: 0009 (the lead re-chains it after 0010)
Create Date: 2026-12-06 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from monitor.store.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch_state",
        sa.Column("watch", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.String(length=64), nullable=False),
        sa.Column("backfilled_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("watch"))
    op.create_table(
        "control",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"))


def downgrade() -> None:
    op.drop_table("control")
    op.drop_table("watch_state")
