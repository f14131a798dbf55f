"""queue opening hours and overflow

Revision ID: 0006
Revises: 0005

Plain ADD COLUMNs (no batch rebuild): on SQLite a rebuild of `queues` with foreign keys enforced
would cascade-delete its skills, memberships and callbacks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contactcenter.db  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    op.add_column("queues", sa.Column("hours", json_type, nullable=True))
    op.add_column("queues", sa.Column("overflow_action", sa.String(length=16), nullable=False, server_default="none"))
    # A plain column (the service checks the queue exists): adding a foreign key to `queues`
    # would need the table rebuild that SQLite cascades through.
    op.add_column("queues", sa.Column("overflow_queue_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("overflow_queue_id")
        batch_op.drop_column("overflow_action")
        batch_op.drop_column("hours")
