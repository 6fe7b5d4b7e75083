"""stories: MinHash sketches, LSH band keys, and which articles are later copies

`articles.story_signature` and `.story_shingles` hold the sketch monitor.stories computes;
`story_bands(key, article_id)` holds its band keys, looked up by equality to find candidate
copies; `articles.is_copy` marks every copy of a story but its earliest, so a folded list
skips them (index `ix_articles_is_copy_stored`). Articles stored before this revision keep
their story ids; they have no sketch, so new copies find them only by the fingerprint.
Plain ADD COLUMNs and a new table on both dialects: no table rebuild.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("story_signature", sa.LargeBinary(), nullable=True))
    op.add_column("articles", sa.Column("story_shingles", sa.Integer(), nullable=True))
    op.add_column("articles", sa.Column("is_copy", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.execute("UPDATE articles SET is_copy = "
               "(story_id IS NOT NULL AND story_id <> id)")
    op.create_index("ix_articles_is_copy_stored", "articles", ["is_copy", "stored_at"])
    op.create_table(
        "story_bands",
        sa.Column("key", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.PrimaryKeyConstraint("key", "article_id"),
    )
    op.create_index("ix_story_bands_article_id", "story_bands", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_story_bands_article_id", table_name="story_bands")
    op.drop_table("story_bands")
    op.drop_index("ix_articles_is_copy_stored", table_name="articles")
    # Plain DROP COLUMN (SQLite >= 3.35): a batch rebuild of articles would drop its triggers
    for column in ("is_copy", "story_shingles", "story_signature"):
        op.execute(f"ALTER TABLE articles DROP COLUMN {column}")
