"""Customers and their interactions (calls today; messages and chats share the table)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    # The organisation the customer belongs to, as people type it; searched like the name.
    company: Mapped[str | None] = mapped_column(String(200))
    # IANA time zone ("Europe/Paris") when the customer told us; otherwise their numbers say.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # Service tier, e.g. "standard", "gold", "vip": IVR branches and ACD priorities read it.
    segment: Mapped[str] = mapped_column(String(32), default="standard")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", lazy="selectin"
    )


# Imports and merges match e-mail addresses whatever their case: this index answers them.
Index("ix_customers_email_lower", func.lower(Customer.email))


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


class CustomerMerge(Base):
    """A duplicate customer folded into another: the duplicate's row is gone, this remembers it.

    Links to the old customer page redirect through `merged_id` (no foreign key: that row no
    longer exists) to the survivor; `snapshot` keeps the duplicate's record as it was, and
    `moved` how many rows of each table changed owner.
    """

    __tablename__ = "customer_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not unique: SQLite hands a deleted row's id out again when it was the highest, so the same
    # id may be merged away twice over the years; the newest merge is the one that counts.
    merged_id: Mapped[int] = mapped_column(index=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    merged_name: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_by_id: Mapped[int | None] = mapped_column()
    merged_at: Mapped[datetime] = mapped_column(default=clock.now)


class CustomerImport(Base):
    """One uploaded customer file, from upload to its validation report.

    The file itself is kept (`data`) until the import has run, so a worker that picks the job up
    (or retries it) reads it from the store rather than from Redis.
    """

    __tablename__ = "customer_imports"
    __table_args__ = (
        CheckConstraint("status IN ('queued','running','done','failed')", name="status_known"),
        CheckConstraint("on_duplicate IN ('update','reject')", name="on_duplicate_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # What a row whose phone or e-mail is already on file does: update that customer, or be rejected.
    on_duplicate: Mapped[str] = mapped_column(String(16), default="update")
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    encoding: Mapped[str | None] = mapped_column(String(16))
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_accepted: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class CustomerImportRow(Base):
    """What became of one row of an imported file: accepted (a new customer), updated, rejected."""

    __tablename__ = "customer_import_rows"
    __table_args__ = (
        CheckConstraint("outcome IN ('accepted','updated','rejected')", name="outcome_known"),
        Index("ix_customer_import_rows_import_outcome", "import_id", "outcome", "line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("customer_imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(255), default="")
    # The row as it was in the file (rejected rows only, cut at a few thousand characters).
    raw: Mapped[str] = mapped_column(Text, default="")
