"""Mailboxes and the e-mail messages on tickets.

A mailbox is an address customers write to (support@…); it files new conversations into a queue
and signs the replies sent from it. Every message that came in or went out is kept as received
or built (headers that thread it, the text shown on the ticket, the sanitised HTML, attachments),
so a reply can always name the message it answers, and a failed send can be retried as it was.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base


class Direction(str, enum.Enum):
    IN = "in"
    OUT = "out"


class MailStatus(str, enum.Enum):
    RECEIVED = "received"  # in: filed on a ticket
    IGNORED = "ignored"  # in: an auto-reply, bounce or list mail — kept, never answered
    QUEUED = "queued"  # out: waiting for the sending job
    SENT = "sent"  # out: accepted by the outgoing mail server
    FAILED = "failed"  # out: the last attempt failed (the job retries; the ticket shows why)


class Mailbox(Base):
    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(120), default="")
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    signature: Mapped[str] = mapped_column(Text, default="")
    # Where `contactcenter mail fetch` collects this mailbox's mail by IMAP (empty host: it is
    # delivered to us instead). The password is never stored: `imap_password_env` names the
    # environment variable that holds it (an app password, typically).
    imap_host: Mapped[str] = mapped_column(String(255), default="")
    imap_port: Mapped[int] = mapped_column(default=993)
    imap_security: Mapped[str] = mapped_column(String(8), default="ssl")  # ssl, starttls or none
    imap_username: Mapped[str] = mapped_column(String(254), default="")
    imap_password_env: Mapped[str] = mapped_column(String(64), default="")
    imap_folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class MailMessage(Base):
    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Null for ignored mail that never reached a ticket.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_comments.id", ondelete="SET NULL"))
    # RFC 5322 identifiers, with their angle brackets: what threads a conversation.
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str] = mapped_column(String(254), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_addresses: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(998), default="")
    # What the ticket shows: the new text of the message (quoted replies and signatures removed
    # for mail that came in); the whole text and the sanitised HTML are kept beside it.
    body_text: Mapped[str] = mapped_column(Text, default="")
    full_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Why mail was ignored, or the last sending error.
    note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column()

    attachments: Mapped[list[MailAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="MailAttachment.id"
    )


class MailAttachment(Base):
    __tablename__ = "mail_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column()
    data: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[MailMessage] = relationship(back_populates="attachments")
