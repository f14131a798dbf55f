"""Recording to the audit log from a request: who is signed in (or who the API token acts as),
their IP address and browser. Views call `audit(...)` before their commit, so the entry is
written with the change it records (`contactcenter.audit`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from flask_login import current_user

from contactcenter.audit.services import Origin, record
from web import database


def origin(actor: Any = None, *, name: str | None = None) -> Origin:
    """The acting user (default: the signed-in one), or only a name (a failed login's username)."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    return Origin(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else name,
        ip=request.remote_addr,
        user_agent=request.user_agent.string or None,
    )


def audit(
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    details: Mapping[str, Any] | None = None,
    actor: Any = None,
    actor_name: str | None = None,
) -> None:
    """One entry in the current request's transaction (the view commits)."""
    record(
        database.session(),
        origin(actor, name=actor_name),
        action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
