"""channels.last_success_at, .last_failure_at and .last_failure: each channel's latest outcome

What `monitor alerts` shows per channel: when it last delivered, when it last failed and why
(the reason as stored on the alert, never a URL or secret). Written with each delivery
outcome and by `monitor alerts test`. Plain nullable ADD COLUMNs on both dialects.

Revision ID: 0009
Revises: 0007 (on the alerts branch; 0008 once the branch adding 0008 is merged)
Create Date: 2026-12-06 20:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from monitor.store.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("channels", sa.Column("last_success_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("channels", sa.Column("last_failure_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("channels", sa.Column("last_failure", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("last_failure")
        batch.drop_column("last_failure_at")
        batch.drop_column("last_success_at")
