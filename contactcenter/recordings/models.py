"""SQL records of call recordings: the rules that decide whether a call is recorded and what the
caller hears first, each recording the carrier made, its audio, and who paused it when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base

SCOPES = ("queue", "campaign", "region")
MODES = ("record", "announce", "off")  # announce and record; announce only; neither
STATUSES = ("in-progress", "paused", "completed", "absent", "failed", "deleted")
EVENT_ACTIONS = ("started", "paused", "resumed", "completed", "absent", "failed", "deleted")


class RecordingRule(Base):
    """Whether calls of a queue, a campaign or a caller region are recorded, and the consent
    announcement played to the caller before the agent connects.

    `target` is the queue's id, the campaign's id, or the caller's ISO country code (e.g. "DE").
    `retention_days` (queue rules): how long recordings are kept; None keeps them.
    """

    __tablename__ = "recording_rules"
    __table_args__ = (
        UniqueConstraint("scope", "target"),
        CheckConstraint("scope IN ('queue','campaign','region')", name="scope_known"),
        CheckConstraint("mode IN ('record','announce','off')", name="mode_known"),
        CheckConstraint("retention_days IS NULL OR retention_days > 0", name="retention_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    announcement: Mapped[str | None] = mapped_column(Text)
    retention_days: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class CallRecording(Base):
    """One recording the carrier made of a call, keyed by its RecordingSid."""

    __tablename__ = "call_recordings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('in-progress','paused','completed','absent','failed','deleted')", name="status_known"
        ),
        Index("ix_call_recordings_retain_until", "retain_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(34), unique=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in-progress")
    channels: Mapped[int] = mapped_column(default=2)
    duration_s: Mapped[int | None] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column()
    # Kept until then (the queue's retention); None: kept until someone deletes it.
    retention_days: Mapped[int | None] = mapped_column()
    retain_until: Mapped[datetime | None] = mapped_column()
    media_bytes: Mapped[int | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    events: Mapped[list[RecordingEvent]] = relationship(
        order_by="RecordingEvent.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_live(self) -> bool:
        return self.status in ("in-progress", "paused")

    @property
    def playable(self) -> bool:
        return self.status == "completed" and self.media_bytes is not None


class RecordingMedia(Base):
    """A recording's audio file (WAV), fetched from the carrier once it completed."""

    __tablename__ = "call_recording_media"

    recording_id: Mapped[int] = mapped_column(ForeignKey("call_recordings.id", ondelete="CASCADE"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64), default="audio/wav")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(default=clock.now)


class RecordingEvent(Base):
    """What happened to a recording and who did it: started, paused, resumed, completed, deleted."""

    __tablename__ = "call_recording_events"
    __table_args__ = (
        CheckConstraint(
            "action IN ('started','paused','resumed','completed','absent','failed','deleted')", name="action_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("call_recordings.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=clock.now)

    user: Mapped[User | None] = relationship(lazy="joined")


from contactcenter.accounts.models import User  # noqa: E402  (for the relationship's annotation)
