"""Customers and their interactions (calls today; messages and chats share the table)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    # Service tier, e.g. "standard", "gold", "vip": IVR branches and ACD priorities read it.
    segment: Mapped[str] = mapped_column(String(32), default="standard")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", lazy="selectin"
    )


class CustomerPhone(Base):
    __tablename__ = "customer_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # One number belongs to one customer, so a caller ID resolves to at most one record.
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(32), default="mobile")

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Direction(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Interaction(Base):
    """One call leg, from the carrier's first webhook to its last status callback."""

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint("direction IN ('inbound','outbound')", name="direction_known"),
        Index("ix_interactions_arrived_at", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    parent_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    from_number: Mapped[str] = mapped_column(String(128))
    to_number: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    # Last carrier CallStatus we accepted (queued, ringing, in-progress, completed, ...).
    status: Mapped[str] = mapped_column(String(16), default="ringing")
    arrived_at: Mapped[datetime] = mapped_column(default=clock.now)
    queued_at: Mapped[datetime | None] = mapped_column()
    offered_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    duration_s: Mapped[int | None] = mapped_column()
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The IVR: which flow (and version) served the call, every node and input (masked where
    # the flow says so), why the caller left it, and what they told us on the way.
    ivr_flow: Mapped[str | None] = mapped_column(String(64))
    ivr_flow_version: Mapped[int | None] = mapped_column()
    ivr_path: Mapped[list[Any]] = mapped_column(default=list)
    ivr_exit: Mapped[str | None] = mapped_column(String(32))
    ivr_variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    intent: Mapped[str | None] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(default=0)
    language: Mapped[str | None] = mapped_column(String(16))
    csat: Mapped[int | None] = mapped_column()
    disposition: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(512))
    # The call script the agent followed and their answers, step by step (contactcenter.scripts).
    script_answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Why the call ended, in our terms: completed, abandoned, busy, no-answer, failed, canceled, ...
    outcome: Mapped[str | None] = mapped_column(String(32))
    # Seconds from joining the queue to being answered (or to hanging up, when abandoned).
    wait_s: Mapped[int | None] = mapped_column()
    short_abandon: Mapped[bool] = mapped_column(default=False)
    # Call controls and wrap-up (contactcenter.calls): seconds on hold (the caller held by the
    # agent), on hold now since, muted, talk (answer to end, less hold) and after-call work.
    hold_s: Mapped[int] = mapped_column(default=0)
    held_since: Mapped[datetime | None] = mapped_column()
    muted: Mapped[bool] = mapped_column(default=False)
    talk_s: Mapped[int | None] = mapped_column()
    wrap_started_at: Mapped[datetime | None] = mapped_column()
    wrap_s: Mapped[int | None] = mapped_column()
    wrapped_up_at: Mapped[datetime | None] = mapped_column()
    # A warm transfer in progress: the consulted leg, and the agent it reaches (None: a number).
    consult_call_sid: Mapped[str | None] = mapped_column(String(64))
    consult_agent_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    customer: Mapped[Customer | None] = relationship(lazy="joined")
    events: Mapped[list[CarrierEvent]] = relationship(
        back_populates="interaction", order_by="CarrierEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None


class CarrierEvent(Base):
    """Every webhook we accepted, once: the unique key is what makes carrier retries harmless."""

    __tablename__ = "carrier_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    call_status: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The webhook's parameters, minus anything secret; kept for audits and disputes.
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)

    interaction: Mapped[Interaction] = relationship(back_populates="events")
