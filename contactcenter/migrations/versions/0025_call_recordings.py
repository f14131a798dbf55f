"""Call recordings: consent rules per queue, campaign and region; recordings, their audio and pauses

Revision ID: 0025_call_recordings
Revises: 0024_board_thresholds_teams
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_call_recordings"
down_revision = "0024_board_thresholds_teams"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recording_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("announcement", sa.Text),
        sa.Column("retention_days", sa.Integer),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("scope", "target", name=op.f("uq_recording_rules_scope")),
        sa.CheckConstraint("scope IN ('queue','campaign','region')", name=op.f("ck_recording_rules_scope_known")),
        sa.CheckConstraint("mode IN ('record','announce','off')", name=op.f("ck_recording_rules_mode_known")),
        sa.CheckConstraint(
            "retention_days IS NULL OR retention_days > 0", name=op.f("ck_recording_rules_retention_positive")
        ),
    )
    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recording_sid", sa.String(34), nullable=False, unique=True),
        sa.Column("interaction_id", sa.Integer, sa.ForeignKey("interactions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channels", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.Integer),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("completed_at", WHEN),
        sa.Column("retention_days", sa.Integer),
        sa.Column("retain_until", WHEN),
        sa.Column("media_bytes", sa.Integer),
        sa.Column("deleted_at", WHEN),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "status IN ('in-progress','paused','completed','absent','failed','deleted')",
            name=op.f("ck_call_recordings_status_known"),
        ),
    )
    op.create_index("ix_call_recordings_interaction_id", "call_recordings", ["interaction_id"])
    op.create_index("ix_call_recordings_retain_until", "call_recordings", ["retain_until"])
    op.create_table(
        "call_recording_media",
        sa.Column(
            "recording_id",
            sa.Integer,
            sa.ForeignKey("call_recordings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("fetched_at", WHEN, nullable=False),
    )
    op.create_table(
        "call_recording_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("call_recordings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("at", WHEN, nullable=False),
        sa.CheckConstraint(
            "action IN ('started','paused','resumed','completed','absent','failed','deleted')",
            name=op.f("ck_call_recording_events_action_known"),
        ),
    )
    op.create_index("ix_call_recording_events_recording_id", "call_recording_events", ["recording_id"])


def downgrade() -> None:
    op.drop_table("call_recording_events")
    op.drop_table("call_recording_media")
    op.drop_table("call_recordings")
    op.drop_table("recording_rules")
