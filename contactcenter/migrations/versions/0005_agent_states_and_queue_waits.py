"""agent state trail and queue waits

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contactcenter.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_state_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("at", contactcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", contactcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_agent_state_changes_agent_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_changes")),
    )
    with op.batch_alter_table("agent_state_changes", schema=None) as batch_op:
        batch_op.create_index("ix_agent_state_changes_agent_at", ["agent_id", "at"], unique=False)
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("short_abandon", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("short_abandon")
        batch_op.drop_column("wait_s")
    with op.batch_alter_table("agent_state_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_state_changes_agent_at")
    op.drop_table("agent_state_changes")
