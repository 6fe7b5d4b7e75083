"""trend counts: per (tag, day) and (actor, issue, day), kept on write for the desk's Trends

`trend_tag_days(tag_id, day)` holds the tag rows (articles) and the distinct stories (copies
folded into their story) of each tag per UTC day of matched_at; `trend_pair_days(actor_id,
issue_id, day)` the distinct stories with an article tagged with both; `trend_pair_spread`
the days of each (actor, issue, story) that spans two days or more, so a period counts such
a story once. The store keeps them in the transactions that write tags (monitor/store/
trends.py); this revision creates them and counts the rows already stored (one grouped pass
over article_tags per table). New tables on both dialects: nothing else is rewritten.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The backfill, frozen here (the store's copy, monitor.store.trends.rebuild_statements, may
# change with later revisions). {day}/{xday}: the UTC day of t./x.matched_at.
_BACKFILL = (
    "INSERT INTO trend_tag_days (tag_id, day, kind, name, articles, stories) "
    "SELECT t.tag_id, {day} AS d, max(t.kind), max(t.name), count(*), "
    "count(DISTINCT coalesce(a.story_id, a.id)) FROM article_tags t "
    "JOIN articles a ON a.id = t.article_id GROUP BY t.tag_id, d",
    "INSERT INTO trend_pair_days (actor_id, issue_id, day, stories) "
    "SELECT x.tag_id, y.tag_id, {xday} AS d, count(DISTINCT coalesce(a.story_id, a.id)) "
    "FROM article_tags x JOIN article_tags y ON y.article_id = x.article_id "
    "AND y.kind = 'issue' JOIN articles a ON a.id = x.article_id "
    "WHERE x.kind = 'actor' GROUP BY x.tag_id, y.tag_id, d",
    "INSERT INTO trend_pair_spread (actor_id, issue_id, story_id, day) "
    "SELECT p.a, p.i, p.s, p.d FROM (SELECT DISTINCT x.tag_id AS a, y.tag_id AS i, "
    "coalesce(a.story_id, a.id) AS s, {xday} AS d "
    "FROM article_tags x JOIN article_tags y ON y.article_id = x.article_id "
    "AND y.kind = 'issue' JOIN articles a ON a.id = x.article_id "
    "WHERE x.kind = 'actor') p JOIN (SELECT x.tag_id AS a, y.tag_id AS i, "
    "coalesce(a.story_id, a.id) AS s FROM article_tags x JOIN article_tags y "
    "ON y.article_id = x.article_id AND y.kind = 'issue' "
    "JOIN articles a ON a.id = x.article_id WHERE x.kind = 'actor' "
    "GROUP BY x.tag_id, y.tag_id, coalesce(a.story_id, a.id) "
    "HAVING count(DISTINCT {xday}) > 1) m ON m.a = p.a AND m.i = p.i AND m.s = p.s",
)


def upgrade() -> None:
    op.create_table(
        "trend_tag_days",
        sa.Column("tag_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tag_id", "day"))
    op.create_index("ix_trend_tag_days_day", "trend_tag_days", ["day"])
    op.create_table(
        "trend_pair_days",
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("issue_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("actor_id", "issue_id", "day"))
    op.create_table(
        "trend_pair_spread",
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("issue_id", sa.String(length=200), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("actor_id", "issue_id", "story_id", "day"))
    if op.get_bind().dialect.name == "postgresql":
        day, xday = ("(t.matched_at AT TIME ZONE 'UTC')::date",
                     "(x.matched_at AT TIME ZONE 'UTC')::date")
    else:  # SQLite keeps UTC datetimes as 'YYYY-MM-DD HH:MM:SS...' text, dates as 'YYYY-MM-DD'
        day, xday = "substr(t.matched_at, 1, 10)", "substr(x.matched_at, 1, 10)"
    for statement in _BACKFILL:
        op.execute(statement.format(day=day, xday=xday))
    # planner statistics for the new tables now, not at the next autovacuum / never (SQLite)
    op.execute("ANALYZE trend_tag_days")
    op.execute("ANALYZE trend_pair_days")
    op.execute("ANALYZE trend_pair_spread")


def downgrade() -> None:
    op.drop_table("trend_pair_spread")
    op.drop_table("trend_pair_days")
    op.drop_index("ix_trend_tag_days_day", table_name="trend_tag_days")
    op.drop_table("trend_tag_days")
