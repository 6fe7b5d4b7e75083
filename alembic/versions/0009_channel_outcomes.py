"""channels' latest outcomes (last_success_at, last_failure_at, last_failure); digest_periods

What `monitor alerts` shows per channel: when it last delivered, when it last failed and why
(the reason as stored on the alert, never a URL or secret). Written with each delivery
outcome and by `monitor alerts test`. Plain nullable ADD COLUMNs on both dialects.
`digest_periods` holds when each (channel, watch) digest last went out, for watches with their
own digest schedule.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from monitor.store.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("channels", sa.Column("last_success_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("channels", sa.Column("last_failure_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("channels", sa.Column("last_failure", sa.Text(), nullable=True))
    op.create_table(
        "digest_periods",
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("watch", sa.String(length=200), nullable=False),
        sa.Column("last_digest_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel", "watch"))


def downgrade() -> None:
    op.drop_table("digest_periods")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("last_failure")
        batch.drop_column("last_failure_at")
        batch.drop_column("last_success_at")
