"""Login and logout (Flask-Login sessions, CSRF-protected form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from contactcenter.accounts.models import User
from contactcenter.accounts.services import authenticate
from web import database
from web.extensions import login_manager

bp = Blueprint("auth", __name__)
MAX_FIELD = 256


class LoginUser:
    """What Flask-Login keeps of a user: id and role, never the ORM object across requests."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.role = user.role
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def _load(user_id: str) -> LoginUser | None:
    if not user_id.isdigit():
        return None
    user = database.session().get(User, int(user_id))
    return LoginUser(user) if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    if request.method == "POST":
        username = request.form.get("username", "")[:MAX_FIELD]
        password = request.form.get("password", "")[:MAX_FIELD]
        user = authenticate(database.session(), username, password)
        if user is None:
            flash("Wrong username or password.", "error")
            return render_template("login.html", username=username), 401  # type: ignore[return-value]
        login_user(LoginUser(user))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", username="")


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))
