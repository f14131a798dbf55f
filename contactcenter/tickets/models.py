from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
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

    phones: Mapped[list["CustomerPhone"]] = relationship(
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
    # Why the call ended, in our terms: completed, abandoned, busy, no-answer, failed, canceled, ...
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    customer: Mapped[Customer | None] = relationship(lazy="joined")
    events: Mapped[list["CarrierEvent"]] = relationship(
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


class TicketStatus(str, enum.Enum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"
    MERGED = "merged"


class TicketPriority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(
            "status IN ('new','open','pending','on_hold','solved','closed','merged')", name="status_known"
        ),
        CheckConstraint("priority IN ('low','normal','high','urgent')", name="priority_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.NEW.value, index=True)
    priority: Mapped[str] = mapped_column(String(16), default=TicketPriority.NORMAL.value)
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    customer: Mapped[Customer | None] = relationship()
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    interactions: Mapped[list[Interaction]] = relationship(secondary="ticket_interactions")


class TicketInteraction(Base):
    __tablename__ = "ticket_interactions"
    __table_args__ = (UniqueConstraint("ticket_id", "interaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)


class TicketEvent(Base):
    """The ticket's audit trail: append-only (the ORM refuses updates and deletes of rows)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    kind: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class AppendOnlyViolation(RuntimeError):
    """Someone tried to rewrite history."""


@event.listens_for(TicketEvent, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: TicketEvent) -> None:
    raise AppendOnlyViolation(f"ticket event {target.id} is append-only")


@event.listens_for(TicketEvent, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: TicketEvent) -> None:
    raise AppendOnlyViolation(f"ticket event {target.id} is append-only")
