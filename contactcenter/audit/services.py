"""Writing to and searching the audit log.

`record` is called in the same transaction as the change it records (the caller commits), so
an admin change and its entry stand or fall together. Details are scrubbed: anything named like
a password, token or secret is dropped, and every text is clipped, so the log can hold no
credential and no single entry can grow without bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from contactcenter.audit.models import AuditEntry
from contactcenter.errors import DomainError

ACTION = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")
MAX_ACTION = 48
MAX_TEXT = 200
MAX_ITEMS = 50
# Detail keys that could carry a credential: never written, whatever the caller passes (a key
# ending in "_id", such as token_id, is a row id and kept).
SECRET_KEY = re.compile(r"pass|token|secret|hash|key|cookie|authorization", re.IGNORECASE)
PAGE_SIZE = 50


class AuditError(DomainError, ValueError):
    """A search of the log was asked with a value that cannot be used."""


@dataclass(frozen=True)
class Origin:
    """Who is acting and from where: the signed-in user (or none), their IP and browser."""

    actor_id: int | None = None
    actor_name: str | None = None
    ip: str | None = None
    user_agent: str | None = None


def _clip(value: str | None, length: int) -> str | None:
    if value is None:
        return None
    value = "".join(ch for ch in str(value) if ch.isprintable())
    return value[:length] or None


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, Mapping):
        if depth > 2:
            return "…"
        return {
            _clip(str(k), 64): _scrub(v, depth + 1)
            for k, v in list(value.items())[:MAX_ITEMS]
            if not SECRET_KEY.search(str(k)) or str(k).endswith("_id")  # token_id names, never holds, a secret
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scrub(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return _clip(str(value), MAX_TEXT)


def record(
    session: Session,
    origin: Origin,
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry (flushed, not committed). `action` is `<area>.<what>`, e.g. `user.update`."""
    if len(action) > MAX_ACTION or not ACTION.match(action):
        raise ValueError(f"audit action {action!r} is not <area>.<what>")
    entry = AuditEntry(
        actor_id=origin.actor_id,
        actor_name=_clip(origin.actor_name, 64),
        action=action,
        object_type=_clip(object_type, 32),
        object_id=_clip(None if object_id is None else str(object_id), 64),
        ip=_clip(origin.ip, 64),
        user_agent=_clip(origin.user_agent, 255),
        details=_scrub(details or {}),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What an admin searches by. `actor` is a user id or a username (also matches the username
    tried at a failed login); `action` is exact, or a prefix when it ends with '.' (`login.`)."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.actor:
            actor = self.actor.strip()
            if actor.isdigit() and len(actor) <= 10:
                out.append(AuditEntry.actor_id == int(actor))
            else:
                out.append(func.lower(AuditEntry.actor_name) == actor.lower())
        if self.action:
            if self.action.endswith("."):
                out.append(AuditEntry.action.startswith(self.action, autoescape=True))
            else:
                out.append(AuditEntry.action == self.action)
        if self.object_type:
            out.append(AuditEntry.object_type == self.object_type)
        if self.object_id:
            out.append(AuditEntry.object_id == self.object_id)
        if self.since is not None:
            out.append(AuditEntry.at >= self.since)
        if self.until is not None:
            out.append(AuditEntry.at < self.until)
        return out


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    page_size: int
    filters: AuditFilter = field(default_factory=AuditFilter)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search(session: Session, filters: AuditFilter, page: int = 1, page_size: int = PAGE_SIZE) -> AuditPage:
    """Newest first, one page at a time."""
    if page < 1:
        raise AuditError("page must be 1 or more")
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        raise AuditError("the start of the date range must come before its end")
    where = and_(*filters.conditions()) if filters.conditions() else None
    count = select(func.count(AuditEntry.id))
    rows = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if where is not None:
        count, rows = count.where(where), rows.where(where)
    total = session.scalar(count) or 0
    entries = list(session.scalars(rows.limit(page_size).offset((page - 1) * page_size)))
    return AuditPage(entries, total, page, page_size, filters)


def actions(session: Session) -> list[str]:
    """The actions the log holds, for the search form's choices."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def viewed_recently(session: Session, actor_id: int, object_type: str, object_id: object, since: datetime) -> bool:
    """Whether this user's view of this object is already on record since `since` (the desktop
    asks for the same screen pop many times during one call)."""
    return (
        session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.actor_id == actor_id,
                AuditEntry.action == "customer.view",
                AuditEntry.object_type == object_type,
                AuditEntry.object_id == str(object_id),
                AuditEntry.at >= since,
            )
            .limit(1)
        )
        is not None
    )
