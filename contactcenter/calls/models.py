"""What agents did on a call: every control action, kept once, in order.

The interaction holds the totals (hold, talk, wrap); this trail says who held, muted,
transferred or hung up and when, so a disputed call or a report can be rebuilt from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base


class CallAction(Base):
    __tablename__ = "call_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # hold, resume, mute, unmute, consult, consult_complete, consult_cancel, transfer, conference,
    # hangup, wrap_up
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=clock.now)
