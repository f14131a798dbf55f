"""Board: teams of agents, per-queue warning and critical thresholds, acknowledged alerts

Revision ID: 0024_board_thresholds_teams
Revises: 0023_portal
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_board_thresholds_teams"
down_revision = "0023_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    )
    op.create_table(
        "queue_thresholds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("queue_id", sa.Integer, sa.ForeignKey("queues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("metric", sa.String(24), nullable=False),
        sa.Column("warn", sa.Float, nullable=False),
        sa.Column("critical", sa.Float, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("queue_id", "metric", name="uq_queue_thresholds_queue_metric"),
    )
    op.create_table(
        "board_alert_acks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_key", sa.String(120), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("user_name", sa.String(120), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_board_alert_acks_key_cleared", "board_alert_acks", ["alert_key", "cleared_at"])


def downgrade() -> None:
    op.drop_index("ix_board_alert_acks_key_cleared", table_name="board_alert_acks")
    op.drop_table("board_alert_acks")
    op.drop_table("queue_thresholds")
    op.drop_table("team_members")
    op.drop_table("teams")
