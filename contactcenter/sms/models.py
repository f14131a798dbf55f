"""Our numbers that take texts, and every text that came in or went out.

A conversation is a customer's number and one of ours: texts thread into the ticket that is
still open for that pair, so an agent's reply goes back from the number the customer wrote to.
Each message keeps the carrier's id (MessageSid), which makes a redelivered webhook harmless and
lets the status callbacks find the message they speak of.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base


class Direction(str, enum.Enum):
    IN = "in"
    OUT = "out"


class Keyword(str, enum.Enum):
    """What a one-word text asks of us (the carriers' opt-out words)."""

    NONE = ""
    STOP = "stop"
    START = "start"
    HELP = "help"


class SmsNumber(Base):
    __tablename__ = "sms_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # E.164
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    # Sent back to a customer who texts HELP (who we are and how to stop).
    help_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SmsMessage(Base):
    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The carrier's id: known when a text arrives, and once a reply has been handed over.
    sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    direction: Mapped[str] = mapped_column(String(8))
    # In: "received" (filed), "opt-out" words and texts that open nothing are "handled".
    # Out: "queued" (waiting for the job), then the carrier's statuses; "failed" with a note.
    status: Mapped[str] = mapped_column(String(24), index=True)
    keyword: Mapped[str] = mapped_column(String(8), default="")
    number_id: Mapped[int | None] = mapped_column(ForeignKey("sms_numbers.id", ondelete="SET NULL"))
    our_number: Mapped[str] = mapped_column(String(32))
    customer_number: Mapped[str] = mapped_column(String(64), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_comments.id", ondelete="SET NULL"))
    # A satisfaction question: the survey it asks (the caller's answer finds it by conversation).
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_surveys.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    media_count: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str] = mapped_column(String(8), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime | None] = mapped_column()
