"""What the board keeps in the store: teams of agents, per-queue thresholds, acknowledged alerts.

* `Team` / `TeamMember` — a team groups agents under one supervisor's eye; an agent is in at most
  one team (the grid filters by it).
* `QueueThreshold` — for one queue and one measure (`thresholds.METRICS`), the values at which its
  tile turns to warning and to critical.
* `AlertAck` — one acknowledgement of an alert while it holds: who, when. When the alert stops
  holding the row is closed (`cleared_at`), so the next time it starts it flashes again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TeamMember(Base):
    __tablename__ = "team_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)


class QueueThreshold(Base):
    __tablename__ = "queue_thresholds"
    __table_args__ = (UniqueConstraint("queue_id", "metric", name="uq_queue_thresholds_queue_metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(24))
    warn: Mapped[float] = mapped_column()
    critical: Mapped[float] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class AlertAck(Base):
    __tablename__ = "board_alert_acks"
    __table_args__ = (Index("ix_board_alert_acks_key_cleared", "alert_key", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime] = mapped_column(default=clock.now)
    cleared_at: Mapped[datetime | None] = mapped_column()
