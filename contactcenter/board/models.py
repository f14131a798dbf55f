"""Supervision trail: who listened to (or spoke into) which call, how, and for how long.

Monitoring a call is something a customer may ask about and a works council may audit, so each
spell (one supervisor, one call, one mode) is written down; changing mode ends one spell and
starts the next on the same carrier leg.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base

MODES = ("monitor", "whisper", "barge")


class Supervision(Base):
    __tablename__ = "supervisions"
    __table_args__ = (
        CheckConstraint("mode IN ('monitor','whisper','barge')", name="mode_known"),
        Index("ix_supervisions_supervisor_open", "supervisor_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    conference: Mapped[str] = mapped_column(String(80))
    # The supervisor's own audio leg in the conference (None until the carrier created it).
    leg_sid: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column()
