"""One row per audited action. Rows are never changed or deleted by the application."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter import clock
from contactcenter.db import Base


class AuditEntry(Base):
    """Who (a user id and the name they had then, or the username tried at a failed login) did
    what (`action`, e.g. `login.failure`, `user.update`, `customer.view`) to which object, from
    where (IP and browser), with a few details. No foreign keys: the log outlives what it names."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        Index("ix_audit_log_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditLogIsAppendOnly(RuntimeError):
    """Someone tried to rewrite the audit log."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} is append-only")
