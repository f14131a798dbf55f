"""board and operations: queue alert thresholds, board formula and zone; supervision trail

Revision ID: 0012
Revises: 0011

Plain ADD COLUMNs on `queues` (no batch rebuild): on SQLite a rebuild of `queues` with foreign
keys enforced would cascade-delete its skills, memberships and callbacks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contactcenter.db  # noqa: F401

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("queues", sa.Column("alert_wait_s", sa.Integer(), nullable=False, server_default="60"))
    op.add_column("queues", sa.Column("sl_formula", sa.String(length=32), nullable=False, server_default="offered"))
    op.add_column("queues", sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"))
    op.create_table(
        "supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("conference", sa.String(length=80), nullable=False),
        sa.Column("leg_sid", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", contactcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", contactcenter.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("mode IN ('monitor','whisper','barge')", name=op.f("ck_supervisions_mode_known")),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_supervisions_supervisor_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_supervisions_agent_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisions")),
    )
    op.create_index("ix_supervisions_call_sid", "supervisions", ["call_sid"])
    op.create_index("ix_supervisions_supervisor_open", "supervisions", ["supervisor_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_supervisions_supervisor_open", table_name="supervisions")
    op.drop_index("ix_supervisions_call_sid", table_name="supervisions")
    op.drop_table("supervisions")
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
        batch_op.drop_column("sl_formula")
        batch_op.drop_column("alert_wait_s")
