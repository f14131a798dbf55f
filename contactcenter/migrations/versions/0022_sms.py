"""Text messages: our numbers that take texts and the messages on tickets

Revision ID: 0022_sms
Revises: 0021_mail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_sms"
down_revision = "0021_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_numbers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("queue_id", sa.Integer, sa.ForeignKey("queues.id", ondelete="SET NULL")),
        sa.Column("help_text", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sid", sa.String(34), unique=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("status", sa.String(24), nullable=False, index=True),
        sa.Column("keyword", sa.String(8), nullable=False, server_default=""),
        sa.Column("number_id", sa.Integer, sa.ForeignKey("sms_numbers.id", ondelete="SET NULL")),
        sa.Column("our_number", sa.String(32), nullable=False),
        sa.Column("customer_number", sa.String(64), nullable=False, index=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True),
        sa.Column("comment_id", sa.Integer, sa.ForeignKey("ticket_comments.id", ondelete="SET NULL")),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("media_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_code", sa.String(8), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("sms_messages")
    op.drop_table("sms_numbers")
