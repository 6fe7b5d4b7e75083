"""feeds.config_url: the address feeds.toml gives, apart from where a 301 moved the feed

Before this revision a resync compared feeds.toml's URL with the stored one, so a feed that a
permanent redirect had moved went back to its old address on every restart (one extra redirect
per restart, and the validators of the new address thrown away). Existing rows take their
current URL as the configured one, which is what a resync would have set.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both dialects: no table rebuild, the 0002 triggers stay untouched.
    op.add_column("feeds", sa.Column("config_url", sa.String(length=2000), nullable=True))
    op.execute("UPDATE feeds SET config_url = url")


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("config_url")
