from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.calendars import CALENDAR_HOURS, BusinessCalendar
from contactcenter.contacts.models import Customer, Interaction  # noqa: E402  (relationships)
from contactcenter.db import Base

# Where a ticket came from; SLA policies may select on it.
CHANNELS = ("phone", "email", "chat", "sms", "web", "social", "api")


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


# The statuses of tickets still being worked on, as SQL (the views' partial index, migration 0019).
_ACTIVE = text("status IN ('new', 'open', 'pending', 'on_hold')")
# Tickets with an SLA clock counting (migration 0020).
_COUNTING = text("sla_due_at IS NOT NULL")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("status IN ('new','open','pending','on_hold','solved','closed','merged')", name="status_known"),
        CheckConstraint("priority IN ('low','normal','high','urgent')", name="priority_known"),
        # The views of tickets still being worked on: all, a person's, a few queues' (migration 0019).
        *(
            Index(name, *columns, postgresql_where=_ACTIVE, sqlite_where=_ACTIVE)
            for name, columns in (
                ("ix_tickets_active_updated", ("updated_at",)),
                ("ix_tickets_active_assignee", ("assignee_id", "updated_at")),
                ("ix_tickets_active_queue", ("queue_id", "updated_at")),
            )
        ),
        *(
            Index(name, *columns, postgresql_where=_COUNTING, sqlite_where=_COUNTING)
            for name, columns in (
                ("ix_tickets_sla_due", ("sla_due_at",)),
                ("ix_tickets_assignee_sla_due", ("assignee_id", "sla_due_at")),
                ("ix_tickets_queue_sla_due", ("queue_id", "sla_due_at")),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.NEW.value, index=True)
    priority: Mapped[str] = mapped_column(String(16), default=TicketPriority.NORMAL.value)
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now, index=True)
    # The soonest deadline of the ticket's SLA clocks still counting (None when none counts), kept by
    # `sla.recompute` with the clocks: "SLA breaching soon" is then a range on an index of tickets.
    sla_due_at: Mapped[datetime | None] = mapped_column()

    customer: Mapped[Customer | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    interactions: Mapped[list[Interaction]] = relationship(secondary="ticket_interactions")
    merge: Mapped[TicketMerge | None] = relationship(foreign_keys="TicketMerge.source_id", uselist=False, viewonly=True)

    @property
    def merged_into_id(self) -> int | None:
        """The ticket this one was merged into (its status is then "merged", for good)."""
        return None if self.merge is None else self.merge.target_id


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


class CommentAuthor(str, enum.Enum):
    AGENT = "agent"  # a user of the system (agent, supervisor, admin, or an integration acting as one)
    CUSTOMER = "customer"  # the customer wrote it (e-mail, portal, an integration relaying it)
    SYSTEM = "system"  # written by the product itself (merge notes, escalations)


class TicketComment(Base):
    """A message on a ticket: public ones reach the customer, internal ones stay among staff."""

    __tablename__ = "ticket_comments"
    __table_args__ = (CheckConstraint("author_kind IN ('agent','customer','system')", name="author_kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_kind: Mapped[str] = mapped_column(String(16), default=CommentAuthor.AGENT.value)
    public: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TicketLink(Base):
    """Two tickets that concern each other; stored once, lower id first."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("ticket_id", "linked_id"),
        CheckConstraint("ticket_id < linked_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    linked_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="related")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TicketMerge(Base):
    """Ticket `source_id` was merged into `target_id`; a ticket is merged at most once."""

    __tablename__ = "ticket_merges"
    __table_args__ = (
        UniqueConstraint("source_id"),
        CheckConstraint("source_id <> target_id", name="not_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime] = mapped_column(default=clock.now)


class BusinessCalendarRecord(Base):
    """A stored business calendar (time zone, weekly hours, holidays) that SLA policies measure in."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # The plain-data form of `BusinessCalendar` (see `BusinessCalendar.from_dict`).
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_dict(self.definition)


class SlaPolicy(Base):
    """Conditions on a ticket → targets for its SLA clocks, in business or calendar hours.

    A condition list that is empty matches anything; the first active policy (lowest position,
    then id) whose conditions all match applies. `targets` maps a metric (first_response,
    next_reply, resolution) to target seconds per priority, "*" standing for any other priority.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (CheckConstraint("warn_before_s >= 0", name="warn_before_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    priorities: Mapped[list[Any]] = mapped_column(default=list)
    queue_ids: Mapped[list[Any]] = mapped_column(default=list)
    segments: Mapped[list[Any]] = mapped_column(default=list)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    # None: calendar hours (24x7 real time).
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendars.id", ondelete="RESTRICT"))
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Supervisors are warned this long (real time) before a deadline.
    warn_before_s: Mapped[int] = mapped_column(default=1800)
    # What happens on breach, besides telling the supervisors.
    on_breach_raise_priority: Mapped[bool] = mapped_column(default=False)
    on_breach_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    on_breach_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    calendar_record: Mapped[BusinessCalendarRecord | None] = relationship(lazy="joined")

    def calendar(self) -> BusinessCalendar:
        return CALENDAR_HOURS if self.calendar_record is None else self.calendar_record.calendar()


class SlaState(str, enum.Enum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class TicketSla(Base):
    """One SLA clock of one ticket, as last computed from the ticket's event trail.

    Derived data: `contactcenter.tickets.sla.recompute` rewrites these rows on every ticket
    change. `deadline_at` is set while the clock runs (and stays once the target was reached),
    so "tickets breaching in the next hour" is a range scan on its index. First response and
    resolution have one clock (cycle 0); next reply has one per customer message awaiting an
    answer (cycles 1, 2, ...).
    """

    __tablename__ = "ticket_slas"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle"),
        CheckConstraint("metric IN ('first_response','next_reply','resolution')", name="metric_known"),
        CheckConstraint("state IN ('running','paused','stopped')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[int] = mapped_column(default=0)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True)
    target_s: Mapped[int] = mapped_column()
    business_hours: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()
    # Business seconds counted as of `computed_at`.
    elapsed_s: Mapped[float] = mapped_column(default=0.0)
    deadline_at: Mapped[datetime | None] = mapped_column(index=True)
    warn_at: Mapped[datetime | None] = mapped_column(index=True)
    # The deadline supervisors were last warned about, and when the breach was escalated.
    warned_for: Mapped[datetime | None] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column()
    # A first-response clock the ticket's solving (closing, merging) stopped before any agent
    # response: neither met nor, unless its deadline had passed, breached (see `tickets.sla`).
    unanswered: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)

    ticket: Mapped[Ticket] = relationship()
    policy: Mapped[SlaPolicy | None] = relationship()

    def breached(self, at: datetime) -> bool:
        """Target reached by `at` (a clock stopped in time has no deadline)."""
        return self.deadline_at is not None and self.deadline_at <= at


class ApiToken(Base):
    """A bearer token for integrations, acting as its user; only a SHA-256 of it is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The token's first characters, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class SavedTicketFilter(Base):
    """A set of view filters a person saved under a name; shared ones are listed for everyone.

    `filters` holds the query-string values as typed (the keys of `views.FILTER_KEYS`), so a
    saved filter is read back through the same parser as the form and never holds what the
    form would refuse.
    """

    __tablename__ = "ticket_saved_filters"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class TicketMacro(Base):
    """An admin-defined answer to a common case: fields to set on the ticket and text for the composer.

    A field left None is not touched. `assignee` is "me" (whoever applies the macro), "none"
    (unassign) or a user id as text; `add_tags` are added to the ticket's tags.
    """

    __tablename__ = "ticket_macros"
    __table_args__ = (
        CheckConstraint(
            "status IS NULL OR status IN ('new','open','pending','on_hold','solved','closed')", name="status_known"
        ),
        CheckConstraint("priority IS NULL OR priority IN ('low','normal','high','urgent')", name="priority_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(16))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    add_tags: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class AppendOnlyViolation(RuntimeError):
    """Someone tried to rewrite history."""


@event.listens_for(TicketEvent, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: TicketEvent) -> None:
    raise AppendOnlyViolation(f"ticket event {target.id} is append-only")


@event.listens_for(TicketEvent, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: TicketEvent) -> None:
    raise AppendOnlyViolation(f"ticket event {target.id} is append-only")


class TicketSurvey(Base):
    """A satisfaction survey sent after a contact, and the customer's answer (CSAT 1–5 and a
    comment): after a ticket was solved (`ticket_id`), or after an agent answered a call
    (`interaction_id`, texted to the caller where the queue asks for it). `nonce` is part of the
    signed link, so a link stops working once the survey is replaced or deleted."""

    __tablename__ = "ticket_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True, unique=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)
    score: Mapped[int | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
