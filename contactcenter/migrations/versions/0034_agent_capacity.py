"""Agents' capacity per channel and the voice mixing rule

The router gives an agent up to this many tasks of each channel at once (voice 1, chat 3,
e-mail 5, SMS 5 unless changed); voice_exclusive keeps a voice call and other tasks apart.

Revision ID: 0034_agent_capacity
Revises: 0033_churn_offers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034_agent_capacity"
down_revision = "0033_churn_offers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("capacity_voice", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("capacity_chat", sa.Integer(), nullable=False, server_default="3"))
        batch.add_column(sa.Column("capacity_email", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(sa.Column("capacity_sms", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(sa.Column("voice_exclusive", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name in ("voice_exclusive", "capacity_sms", "capacity_email", "capacity_chat", "capacity_voice"):
            batch.drop_column(name)
