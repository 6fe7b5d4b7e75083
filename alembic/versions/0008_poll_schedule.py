"""feeds: interval = "auto" and its bound, the reason of the next poll, the lease's owner;
outbox: on PostgreSQL a NOTIFY on the channel "monitor_outbox" by each transaction that
inserts rows, so a relay in any process delivers them at once.

`auto_interval` and `max_interval_seconds` hold an adaptive feed's policy (`interval_seconds`
is then its min_interval); `next_poll_reason` says why `next_poll` is where it is (interval,
retry-after, backoff, ttl, disabled); `lease_owner` names the process holding a feed's lease
(host:pid:start), so a lease of a process that is gone is taken over at once. Plain ADD
COLUMNs on both dialects: no table rebuild.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OUTBOX_NOTIFY = """
CREATE OR REPLACE FUNCTION monitor_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('monitor_outbox', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION monitor_outbox_notify();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OUTBOX_NOTIFY)
    op.add_column("feeds", sa.Column("auto_interval", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("feeds", sa.Column("max_interval_seconds", sa.Integer(), nullable=True))
    op.add_column("feeds", sa.Column("next_poll_reason", sa.String(length=20), nullable=True))
    op.add_column("feeds", sa.Column("lease_owner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
        op.execute("DROP FUNCTION IF EXISTS monitor_outbox_notify()")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("lease_owner")
        batch.drop_column("next_poll_reason")
        batch.drop_column("max_interval_seconds")
        batch.drop_column("auto_interval")
