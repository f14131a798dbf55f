"""What agents did on a call: every control action, kept once, in order.

The interaction holds the totals (hold, talk, wrap); this trail says who held, muted,
transferred or hung up and when, so a disputed call or a report can be rebuilt from it.
`WrapUpDraft` holds what an agent has typed for a call's wrap-up before they submit it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
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
