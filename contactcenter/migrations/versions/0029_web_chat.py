"""Web chats and their messages

Revision ID: 0029_web_chat
Revises: 0028_quality_scorecards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_web_chat"
down_revision = "0028_quality_scorecards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("queue_id", sa.Integer(), sa.ForeignKey("queues.id", ondelete="SET NULL"), nullable=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("visitor_name", sa.String(200), nullable=False),
        sa.Column("visitor_email", sa.String(254), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("ended_by", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_chats_status", "chats", ["status"])
    op.create_index("ix_chats_customer_id", "chats", ["customer_id"])
    op.create_index("ix_chats_ticket_id", "chats", ["ticket_id"])
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.Integer(), sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("ticket_comments.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("chat_id", "seq", name="uq_chat_messages_seq"),
        sa.UniqueConstraint("chat_id", "client_id", name="uq_chat_messages_client_id"),
    )
    op.create_index("ix_chat_messages_chat_id", "chat_messages", ["chat_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_messages_chat_id", table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_index("ix_chats_ticket_id", table_name="chats")
    op.drop_index("ix_chats_customer_id", table_name="chats")
    op.drop_index("ix_chats_status", table_name="chats")
    op.drop_table("chats")
