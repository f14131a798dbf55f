"""What agents did on a call: every control action, kept once, in order.

The interaction holds the totals (hold, talk, wrap); this trail says who held, muted,
transferred or hung up and when, so a disputed call or a report can be rebuilt from it.
`WrapUpDraft` holds what an agent has typed for a call's wrap-up before they submit it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base


class CallAction(Base):
    __tablename__ = "call_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # hold, resume, mute, unmute, consult, consult_complete, consult_cancel, transfer, conference,
    # hangup, wrap_up, wrap_up_extend
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=clock.now)


class WrapUpDraft(Base):
    """The wrap-up an agent is writing for a call, saved as they type (see `calls.wrapup`).

    Kept in the store, not in the browser, so a reload, a second tab or the end of the wrap-up
    timer loses nothing; removed when the wrap-up is submitted. It also records the agent's one
    extension of the wrap-up timer, so "once per call" holds whichever process answers.
    """

    __tablename__ = "wrap_up_drafts"
    __table_args__ = (UniqueConstraint("interaction_id", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    disposition: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(default=clock.now)
    extended_at: Mapped[datetime | None] = mapped_column()
    extended_s: Mapped[int | None] = mapped_column()


# Supervision trail: who listened to (or spoke into) which call, how, and for how long. Monitoring a
# call is something a customer may ask about and a works council may audit, so each spell (one
# supervisor, one call, one mode) is written down; changing mode ends one spell and starts the next
# on the same carrier leg.
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
