from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.accounts.models import Skill  # noqa: F401  (queues require skills)
from contactcenter.db import Base

if TYPE_CHECKING:
    from contactcenter.accounts.models import User


class Queue(Base):
    """A line callers wait in; its targets drive service-level reporting."""

    __tablename__ = "queues"
    __table_args__ = (
        CheckConstraint("sl_target > 0 AND sl_target <= 1", name="sl_target_share"),
        CheckConstraint("sl_threshold_s > 0", name="sl_threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Twilio <Enqueue> names are at most 64 characters; we keep ours within that.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(default=0)
    sl_threshold_s: Mapped[int] = mapped_column(default=20)
    sl_target: Mapped[float] = mapped_column(default=0.8)
    max_wait_s: Mapped[int | None] = mapped_column()
    max_length: Mapped[int | None] = mapped_column()
    strategy: Mapped[str] = mapped_column(String(32), default="longest-idle")
    wrap_up_s: Mapped[int] = mapped_column(default=30)
    # Escalation steps, e.g. [{"after_seconds": 60, "relax_to": 3}, {"after_seconds": 120,
    # "widen_to": ["billing"]}]: after a wait, relax levels, drop skills or widen to other queues.
    escalation: Mapped[list[Any]] = mapped_column(default=list)
    # Opening hours as `contactcenter.calendars.BusinessCalendar.from_dict` data; None: always open.
    hours: Mapped[dict[str, Any] | None] = mapped_column()
    # Where callers go when the queue is closed, full (max_length) or they waited max_wait_s:
    # "none" (told and let go), "queue" (overflow_queue), "voicemail", or "callback".
    overflow_action: Mapped[str] = mapped_column(String(16), default="none")
    # The queue's id; a plain column (no foreign key) so SQLite never rebuilds `queues`.
    overflow_queue_id: Mapped[int | None] = mapped_column()
    # Wrap-up codes agents pick after this queue's calls: [{"code": "resolved", "label": "Resolved"}].
    dispositions: Mapped[list[Any]] = mapped_column(default=list)
    # True: the wrap-up timer returns the agent to available; False: the agent stays out of
    # routing (not ready) until they submit the wrap-up.
    wrap_up_auto_available: Mapped[bool] = mapped_column(default=True)
    # Supervisor board: raise an alert once the longest waiting caller has waited this long.
    alert_wait_s: Mapped[int] = mapped_column(default=60)
    # Which service-level formula the board uses (`contactcenter.acd.service_level.FORMULAS`).
    sl_formula: Mapped[str] = mapped_column(String(32), default="offered")
    # The zone the board cuts the queue's day and 15-minute intervals in.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Text the caller a 1–5 satisfaction question after an agent answered their call (from the
    # text number of the number they called, else of the queue).
    survey_after_call: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    required_skills: Mapped[list[QueueSkill]] = relationship(
        back_populates="queue", cascade="all, delete-orphan", lazy="selectin"
    )
    members: Mapped[list[QueueMembership]] = relationship(back_populates="queue", cascade="all, delete-orphan")


class QueueSkill(Base):
    __tablename__ = "queue_skills"
    __table_args__ = (
        UniqueConstraint("queue_id", "skill_id"),
        CheckConstraint("min_level BETWEEN 1 AND 10", name="min_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    min_level: Mapped[int] = mapped_column(default=1)

    queue: Mapped[Queue] = relationship(back_populates="required_skills")
    skill: Mapped[Skill] = relationship(lazy="joined")


class QueueMembership(Base):
    __tablename__ = "queue_memberships"
    __table_args__ = (UniqueConstraint("queue_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    queue: Mapped[Queue] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class CallbackRequest(Base):
    """A caller who asked to be called back instead of waiting (virtual hold / IVR callback).

    `place_at` is when the caller joined the line: the callback is served in that order, so
    asking for a callback never costs the caller their place.
    """

    __tablename__ = "callback_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending','dialing','connected','done','failed','canceled')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    place_at: Mapped[datetime] = mapped_column(default=clock.now)
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    done_at: Mapped[datetime | None] = mapped_column()
    intent: Mapped[str | None] = mapped_column(String(120))


class AgentStateChange(Base):
    """Every agent state change, append-only: time in state for reports, truth for a rebuild.

    The live state sits in Redis for speed; this trail is what it is rebuilt from after a Redis
    restart, and what occupancy and time-in-state reports read.
    """

    __tablename__ = "agent_state_changes"
    __table_args__ = (Index("ix_agent_state_changes_agent_at", "agent_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    call_sid: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    # For wrap-up: when it ends, so a rebuild can honour the rest of it.
    until: Mapped[datetime | None] = mapped_column()
