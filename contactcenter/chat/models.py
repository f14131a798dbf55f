"""A web chat and its messages.

A chat is one visitor's conversation from the widget on a company's site. It belongs to a
customer (found or created by the e-mail the visitor gives) and a ticket with channel "chat", on
whose timeline every message is filed as it is written. Each message carries a per-chat sequence
number, so a widget that lost its connection asks for what came after the last one it saw, and
the visitor's own messages carry the widget's client id, so a resend after a drop is stored once.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base


class ChatStatus(str, enum.Enum):
    WAITING = "waiting"  # in the queue, no agent yet
    ACTIVE = "active"  # an agent accepted it
    ENDED = "ended"


class ChatAuthor(str, enum.Enum):
    VISITOR = "visitor"
    AGENT = "agent"
    SYSTEM = "system"


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, part of the signed token the widget keeps: a token for a deleted and re-used id fails.
    nonce: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True, default=ChatStatus.WAITING.value)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    visitor_name: Mapped[str] = mapped_column(String(200))
    visitor_email: Mapped[str] = mapped_column(String(254))
    origin: Mapped[str] = mapped_column(String(200), default="")  # the site the widget ran on
    # The last sequence number given to a message of this chat (0: none yet).
    last_seq: Mapped[int] = mapped_column(default=0)
    ended_by: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    accepted_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "seq", name="uq_chat_messages_seq"),
        UniqueConstraint("chat_id", "client_id", name="uq_chat_messages_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column()
    author: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The widget's id for a visitor's message (None for agents' and system lines).
    client_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_comments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
