"""dialer preview and callbacks

Revision ID: 0011
Revises: 0010

Scheduled callbacks on leads: when they are due and, for an agent's own callback, whose they are.
Plain ADD COLUMNs (no batch rebuild, no foreign key), so SQLite never rebuilds `dialer_leads`.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import contactcenter.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = contactcenter.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("dialer_leads", sa.Column("callback_at", UTC, nullable=True))
    op.add_column("dialer_leads", sa.Column("callback_agent_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_dialer_leads_callback_agent_id"), "dialer_leads", ["callback_agent_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dialer_leads_callback_agent_id"), table_name="dialer_leads")
    with op.batch_alter_table("dialer_leads", schema=None) as batch_op:
        batch_op.drop_column("callback_agent_id")
        batch_op.drop_column("callback_at")
