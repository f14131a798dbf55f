"""Ending every session of a user at once (logout, password reset, role change, deactivation).

Sign-in sessions are signed cookies, which the server cannot delete. Each user therefore has a
`session_version`: a session remembers the version it was opened with, and the web layer refuses
a session whose version is no longer the user's. Bumping the version ends all of them.

Live sockets do not send their cookie again, so the web processes are told on Redis pub/sub
(`SESSIONS_ENDED_CHANNEL`) and each one disconnects its own sockets of that user.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from sqlalchemy.orm import Session

from contactcenter.accounts.models import User

SESSIONS_ENDED_CHANNEL = "accounts:sessions-ended"
log = logging.getLogger("contactcenter.accounts")


def end_sessions(session: Session, user: User) -> int:
    """Invalidate every session opened before now; returns the new version (the caller commits)."""
    user.session_version = (user.session_version or 0) + 1
    session.flush()
    return user.session_version


def announce_ended(client: redis.Redis, user_id: int) -> bool:
    """After the commit: tell every web process to drop this user's sockets. False if Redis is
    unreachable (the sockets then end at their next request, which the version check refuses)."""
    try:
        client.publish(SESSIONS_ENDED_CHANNEL, json.dumps({"user_id": int(user_id)}))
        return True
    except redis.RedisError:
        log.warning("could not announce the end of user %s's sessions", user_id, exc_info=True)
        return False


def decode_ended(raw: Any) -> int | None:
    """The user id of a sessions-ended message, or None for anything else."""
    try:
        data = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    user_id = data.get("user_id") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) and user_id > 0 else None
