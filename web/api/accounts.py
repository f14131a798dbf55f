"""/api/me, /api/users (supervisors and admins) and /api/tokens (your own; admins: anyone's)."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy import select

from contactcenter.accounts.models import User
from contactcenter.tickets import api_tokens
from contactcenter.tickets.models import ApiToken
from web import database
from web.api import render
from web.api.core import (
    MAX_ID,
    Query,
    body_id,
    created,
    fail,
    json_body,
    not_found,
    page,
    parse_instant,
    principal,
    require_supervisor,
    require_write,
    viewer,
)
from web.audit import audit


def audit_token(action: str, token: ApiToken) -> None:
    """A token created or revoked, on the audit log: which one and for whom, never its secret."""
    audit(
        action,
        object_type="api_token",
        object_id=token.id,
        actor=principal().user,
        details={
            "name": token.name,
            "user_id": token.user_id,
            "read_only": token.read_only,
            "via": "api" if principal().token is not None else "web",
        },
    )


def me() -> Response:
    body = render.user(principal().user)
    token = principal().token
    body["token"] = render.token(token) if token is not None else None
    return jsonify(body)


def list_users() -> Response:
    require_supervisor()
    Query(())
    return page(list(database.session().scalars(select(User).order_by(User.id))), render.user, None)


def list_tokens() -> Response:
    q = Query(("user_id",))
    user_id = q.ident("user_id")
    if not viewer().is_admin:
        if user_id not in (None, principal().user.id):
            fail(403, "forbidden", "only admins see other people's tokens")
        user_id = principal().user.id
    return page(api_tokens.tokens_of(database.session(), user_id), render.token, None)  # type: ignore[arg-type]


def create_token() -> tuple[Response, int]:
    require_write()
    data = json_body(("name", "read_only", "expires_at", "user_id"), required=("name",))
    session = database.session()
    owner = principal().user
    if "user_id" in data and data["user_id"] != owner.id:
        if not viewer().is_admin:
            fail(403, "forbidden", "only admins create tokens for other people")
        user_id = body_id(data, "user_id")
        other = session.get(User, user_id)
        if other is None:
            fail(422, "validation_failed", f"user {user_id} does not exist")
        owner = other
    read_only = data.get("read_only", False)
    if not isinstance(read_only, bool):
        fail(422, "validation_failed", "read_only must be true or false")
    expires_at = None if data.get("expires_at") is None else parse_instant(data["expires_at"], "expires_at")
    issued = api_tokens.issue(session, owner, data["name"], read_only=read_only, expires_at=expires_at)
    audit_token("token.create", issued.token)
    session.commit()
    body = render.token(issued.token)
    body["token"] = issued.secret  # shown this once
    return created(body)


def revoke_token(token_id: int) -> tuple[str, int]:
    require_write()
    session = database.session()
    token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or (token.user_id != principal().user.id and not viewer().is_admin):
        not_found("token", token_id)
    if api_tokens.revoke(session, token):
        audit_token("token.revoke", token)
    session.commit()
    return "", 204


ROUTES = [
    ("/me", me, ["GET"]),
    ("/users", list_users, ["GET"]),
    ("/tokens", list_tokens, ["GET"]),
    ("/tokens", create_token, ["POST"]),
    ("/tokens/<int:token_id>", revoke_token, ["DELETE"]),
]
