"""API tokens for integrations: shown once when created, stored only as a SHA-256 digest.

A token acts as its user, so the user's role decides what it may read and write; a read-only
token may in addition only read. Tokens are 256-bit random strings, so a plain (fast) digest is
enough: there is nothing to guess, and the lookup by digest does not compare secrets in Python.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets.models import ApiToken

TOKEN_PREFIX = "cct_"
MAX_NAME = 80
# Write "last used" at most this often, so reads do not turn into writes.
TOUCH_EVERY_S = 60


class TokenError(DomainError, ValueError):
    """A token cannot be created as asked."""

    kind: Kind = "unprocessable"
    code = "validation_failed"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the only time the full token exists outside the caller's hands


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    session: Session, user: User, name: str, *, read_only: bool = False, expires_at: datetime | None = None
) -> IssuedToken:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME:
        raise TokenError(f"a token needs a name of 1 to {MAX_NAME} characters")
    if not user.active:
        raise TokenError(f"user {user.username} is not active")
    if expires_at is not None and expires_at <= clock.now():
        raise TokenError("expires_at must be in the future")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:12],
        token_hash=digest(secret),
        read_only=read_only,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def authenticate(session: Session, secret: str | None) -> tuple[ApiToken, User] | None:
    """The token and its user, or None (unknown, revoked, expired, or the user is inactive)."""
    if not secret or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    now = clock.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return token, user


def touch(token: ApiToken, now: datetime | None = None) -> bool:
    """Record use; True when the row changed (the caller commits)."""
    now = now or clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= TOUCH_EVERY_S:
        token.last_used_at = now
        return True
    return False


def revoke(session: Session, token: ApiToken) -> bool:
    if token.revoked_at is not None:
        return False
    token.revoked_at = clock.now()
    session.flush()
    return True


def tokens_of(session: Session, user_id: int | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))
