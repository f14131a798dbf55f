"""API tokens from the web pages, so a fresh install gets its first token without Python.

Admins list every token (name, user, when created and last used, read-only, expiry, revoked),
create one for any active user (the token is shown once, on the page that answers the form,
and never put in a cookie or the audit log) and revoke one. The same rules as
`POST /api/tokens` and `contactcenter api-token` (`contactcenter.tickets.api_tokens`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter.accounts.models import User
from contactcenter.tickets import api_tokens
from contactcenter.tickets.models import ApiToken
from web import database
from web.admin_people import admin_only
from web.audit import audit

bp = Blueprint("admin_tokens", __name__, url_prefix="/admin")
MAX_ID = 2**31 - 1


class FormError(ValueError):
    """A form value that cannot be used."""


def _page(error: str | None = None, status: int = 200, issued: api_tokens.IssuedToken | None = None) -> tuple[str, int]:
    session = database.session()
    tokens = list(session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))
    users = {u.id: u for u in session.scalars(select(User).order_by(User.username))}
    return render_template(
        "admin/tokens.html", tokens=tokens, users=users, error=error, issued=issued, form=request.form if error else {}
    ), status


def _user() -> User:
    raw = request.form.get("user_id", "").strip()
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise FormError("choose the user the token acts as")
    user = database.session().get(User, int(raw))
    if user is None:
        raise FormError("that user does not exist")
    return user


def _expiry() -> datetime | None:
    raw = request.form.get("expires_on", "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[:10]) if len(raw) <= 10 else None
    except ValueError:
        day = None
    if day is None:
        raise FormError("expires on: a date as YYYY-MM-DD, or empty for no expiry")
    return datetime.combine(day, time(), UTC)


@bp.get("/tokens")
@login_required
@admin_only
def tokens() -> tuple[str, int]:
    return _page()


@bp.post("/tokens")
@login_required
@admin_only
def create_token() -> tuple[str, int]:
    session = database.session()
    try:
        name = request.form.get("name", "")
        if len(name) > 4 * api_tokens.MAX_NAME:
            raise FormError(f"a token needs a name of 1 to {api_tokens.MAX_NAME} characters")
        issued = api_tokens.issue(
            session, _user(), name, read_only=request.form.get("read_only") == "1", expires_at=_expiry()
        )
    except (FormError, api_tokens.TokenError) as exc:
        session.rollback()
        return _page(str(exc), 400)
    audit(
        "token.create",
        object_type="api_token",
        object_id=issued.token.id,
        details={
            "name": issued.token.name,
            "user_id": issued.token.user_id,
            "read_only": issued.token.read_only,
            "via": "web",
        },
    )
    session.commit()
    # The secret is in this response only: not flashed (that would put it in the cookie).
    return _page(status=201, issued=issued)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
@admin_only
def revoke_token(token_id: int) -> Response:
    session = database.session()
    token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None:
        abort(404)
    if api_tokens.revoke(session, token):
        audit(
            "token.revoke",
            object_type="api_token",
            object_id=token.id,
            details={"name": token.name, "user_id": token.user_id, "via": "web"},
        )
        session.commit()
        flash(f"Token {token.name} is revoked.", "info")
    else:
        flash(f"Token {token.name} was already revoked.", "info")
    return redirect(url_for("admin_tokens.tokens"), code=303)
