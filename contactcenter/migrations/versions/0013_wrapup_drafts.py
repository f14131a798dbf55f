"""wrap-up drafts: what an agent has typed for a call's wrap-up, and their one timer extension

Revision ID: 0013_wrapup_drafts
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contactcenter.db

revision = "0013_wrapup_drafts"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    stamp = contactcenter.db.UTCDateTime(timezone=True)
    op.create_table(
        "wrap_up_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("saved_at", stamp, nullable=False),
        sa.Column("extended_at", stamp, nullable=True),
        sa.Column("extended_s", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_wrap_up_drafts_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_wrap_up_drafts_agent_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wrap_up_drafts")),
        sa.UniqueConstraint("interaction_id", "agent_id", name=op.f("uq_wrap_up_drafts_interaction_id")),
    )
    op.create_index("ix_wrap_up_drafts_agent_id", "wrap_up_drafts", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_wrap_up_drafts_agent_id", table_name="wrap_up_drafts")
    op.drop_table("wrap_up_drafts")
