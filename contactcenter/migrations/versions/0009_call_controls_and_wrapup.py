"""call controls and wrapup

Interactions keep their hold, talk and wrap-up time and what is happening on the line now (held
since, muted, a consult leg); queues carry their disposition codes and whether the wrap-up
timer returns the agent to available; every control action is kept in `call_actions`.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contactcenter.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    stamp = contactcenter.db.UTCDateTime(timezone=True)
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_s", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("held_since", stamp, nullable=True))
        batch_op.add_column(sa.Column("muted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("talk_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("wrap_started_at", stamp, nullable=True))
        batch_op.add_column(sa.Column("wrap_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("wrapped_up_at", stamp, nullable=True))
        batch_op.add_column(sa.Column("consult_call_sid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("consult_agent_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispositions", json_type, nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("wrap_up_auto_available", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "call_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", json_type, nullable=False),
        sa.Column("at", stamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_call_actions_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_call_actions_agent_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_actions")),
    )
    with op.batch_alter_table("call_actions", schema=None) as batch_op:
        batch_op.create_index("ix_call_actions_interaction_id", ["interaction_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_call_actions_interaction_id")
    op.drop_table("call_actions")
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("wrap_up_auto_available")
        batch_op.drop_column("dispositions")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        for column in (
            "consult_agent_id",
            "consult_call_sid",
            "wrapped_up_at",
            "wrap_s",
            "wrap_started_at",
            "talk_s",
            "muted",
            "held_since",
            "hold_s",
        ):
            batch_op.drop_column(column)
