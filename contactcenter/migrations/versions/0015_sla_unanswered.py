"""SLA clocks: first responses stopped by solving the ticket without any agent reply

Revision ID: 0015_sla_unanswered
Revises: 0014_auth_audit

A plain ADD COLUMN with a server default (no batch rebuild of `ticket_slas`); rows written before
it read false until their ticket is next recomputed (`contactcenter.tickets.sla.recompute_open`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_sla_unanswered"
down_revision = "0014_auth_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket_slas", sa.Column("unanswered", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("ticket_slas") as batch:
        batch.drop_column("unanswered")
