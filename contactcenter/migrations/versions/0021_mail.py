"""E-mail: mailboxes, the messages on tickets and their attachments; satisfaction surveys after solved tickets

Revision ID: 0021_mail
Revises: 0020_ticket_sla_due
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021_mail"
down_revision = "0020_ticket_sla_due"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("address", sa.String(254), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False, server_default=""),
        sa.Column("queue_id", sa.Integer, sa.ForeignKey("queues.id", ondelete="SET NULL")),
        sa.Column("signature", sa.Text, nullable=False, server_default=""),
        sa.Column("imap_host", sa.String(255), nullable=False, server_default=""),
        sa.Column("imap_port", sa.Integer, nullable=False, server_default="993"),
        sa.Column("imap_security", sa.String(8), nullable=False, server_default="ssl"),
        sa.Column("imap_username", sa.String(254), nullable=False, server_default=""),
        sa.Column("imap_password_env", sa.String(64), nullable=False, server_default=""),
        sa.Column("imap_folder", sa.String(200), nullable=False, server_default="INBOX"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True),
        sa.Column("mailbox_id", sa.Integer, sa.ForeignKey("mailboxes.id", ondelete="SET NULL")),
        sa.Column("comment_id", sa.Integer, sa.ForeignKey("ticket_comments.id", ondelete="SET NULL")),
        sa.Column("message_id", sa.String(998), nullable=False, unique=True),
        sa.Column("in_reply_to", sa.String(998)),
        sa.Column("references", sa.Text, nullable=False, server_default=""),
        sa.Column("from_address", sa.String(254), nullable=False, server_default=""),
        sa.Column("from_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("to_addresses", JSON, nullable=False),
        sa.Column("subject", sa.String(998), nullable=False, server_default=""),
        sa.Column("body_text", sa.Text, nullable=False, server_default=""),
        sa.Column("full_text", sa.Text, nullable=False, server_default=""),
        sa.Column("body_html", sa.Text, nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "mail_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "message_id", sa.Integer, sa.ForeignKey("mail_messages.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )

    op.create_table(
        "ticket_surveys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("comment", sa.Text),
        sa.Column("answered_at", sa.DateTime(timezone=True), index=True),
    )


def downgrade() -> None:
    op.drop_table("ticket_surveys")
    op.drop_table("mail_attachments")
    op.drop_table("mail_messages")
    op.drop_table("mailboxes")
