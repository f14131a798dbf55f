"""Login and logout (Flask-Login sessions, CSRF-protected form).

A session carries the user's `session_version` from the moment of login; the user loader
refuses it once the version moved on (logout anywhere, password reset, role change,
deactivation), so every session of that user ends at once (`contactcenter.accounts.sessions`).
Logins, failed ones included, are written to the audit log.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from contactcenter.accounts import sessions
from contactcenter.accounts.models import User
from contactcenter.accounts.services import authenticate
from web import database
from web.audit import audit
from web.extensions import login_manager

bp = Blueprint("auth", __name__)
MAX_FIELD = 256
SESSION_VERSION = "session_version"


class LoginUser:
    """What Flask-Login keeps of a user: id and role, never the ORM object across requests."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.role = user.role
        self.session_version = user.session_version
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def _load(user_id: str) -> LoginUser | None:
    if not user_id.isdigit() or len(user_id) > 10:
        return None
    user = database.session().get(User, int(user_id))
    if user is None or not user.active or session.get(SESSION_VERSION) != user.session_version:
        return None  # deactivated, or this session was ended (logout, password or role change)
    return LoginUser(user)


def end_sessions_of(user_id: int) -> None:
    """After the commit that bumped the version: drop the user's live sockets in every process."""
    sessions.announce_ended(database.runtime().redis, user_id)


def keep_this_session(version: int) -> None:
    """The user ended their own other sessions (e.g. changed their password): this one goes on."""
    session[SESSION_VERSION] = version


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    if request.method == "POST":
        username = request.form.get("username", "")[:MAX_FIELD]
        password = request.form.get("password", "")[:MAX_FIELD]
        db = database.session()
        user = authenticate(db, username, password)
        if user is None:
            tried = username.strip().lower()[:64]
            audit("login.failure", object_type="user", actor_name=tried, details={"username": tried})
            db.commit()
            flash("Wrong username or password.", "error")
            return render_template("login.html", username=username), 401  # type: ignore[return-value]
        audit("login.success", object_type="user", object_id=user.id, actor=user)
        db.commit()
        login_user(LoginUser(user))
        session[SESSION_VERSION] = user.session_version
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", username="")


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Signs the user out everywhere: every browser and socket of theirs, not only this one."""
    db = database.session()
    user = db.get(User, current_user.id)
    if user is not None:
        sessions.end_sessions(db, user)
        audit("user.logout", object_type="user", object_id=user.id)
        db.commit()
        end_sessions_of(user.id)
    logout_user()
    session.pop(SESSION_VERSION, None)
    return redirect(url_for("auth.login"))
