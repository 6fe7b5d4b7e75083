"""article_tags.level and .score: how strongly an article concerns each of its tags

`level` is "about" (a headline or lede topic, or substantive discussion) or "mention" (a real,
passing mention in the right sense); `score` is the relevance in [0, 1] behind it. Tags stored
before this revision become "mention" with score 0 until `monitor retag` recomputes them.
Plain ADD COLUMNs with defaults on both dialects: no table rebuild.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("article_tags", sa.Column("level", sa.String(length=10), nullable=False,
                                            server_default="mention"))
    op.add_column("article_tags", sa.Column("score", sa.Float(), nullable=False,
                                            server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("article_tags") as batch:
        batch.drop_column("score")
        batch.drop_column("level")
