"""Administration of people and routing: users (role, display name, password, skills with levels,
contact URI, deactivation), queues (strategy, required skills, priority, wrap-up, service level,
max wait and length, overflow, opening hours) and skills. Admins only.

Forms are plain HTML with the CSRF token; every value is checked by the domain services
(`contactcenter.accounts.services`, `contactcenter.acd.services.save_queue`), whose message is
shown with a 400 when a value is refused. Changes reach the router at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter.accounts import services as accounts
from contactcenter.accounts.models import Role, Skill, User
from contactcenter.acd.interfaces import CHANNELS, STRATEGIES, ACDError
from contactcenter.acd.models import Queue, QueueMembership
from contactcenter.acd.services import OVERFLOW_ACTIONS, save_queue, set_capacity
from contactcenter.tickets.intervals import FORMULAS
from web import database
from web.audit import audit
from web.auth import end_sessions_of, keep_this_session
from web.services import acd_service

bp = Blueprint("admin_people", __name__, url_prefix="/admin")
MAX_FIELD = 4096


class FormError(ValueError):
    """A form value that cannot even be read (the domain checks the rest)."""


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != Role.ADMIN.value:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _field(name: str, default: str = "") -> str:
    value = request.form.get(name, default)
    if len(value) > MAX_FIELD:
        raise FormError(f"{name.replace('_', ' ')} is too long")
    return value.strip()


def _int(name: str, optional: bool = False) -> int | None:
    raw = _field(name)
    if raw == "" and optional:
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 9:
        raise FormError(f"{name.replace('_', ' ')} must be a whole number")
    return int(raw)


def _levels(name: str) -> dict[str, int]:
    """`billing=5, spanish=3` (commas or new lines) → {"billing": 5, "spanish": 3}."""
    levels: dict[str, int] = {}
    for part in _field(name).replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        skill, sep, level = part.partition("=")
        if not sep or not level.strip().isdigit() or len(level.strip()) > 2:
            raise FormError(f"skills are written name=level, not {part[:40]!r}")
        levels[skill.strip().lower()] = int(level)
    return levels


def _capacity(user: User) -> None:
    """The capacity fields of the user page; a form without them (older scripts) changes nothing."""
    if request.form.get("capacity_shown") != "1":
        return
    capacity = {}
    for channel in CHANNELS:
        value = _int(f"capacity_{channel}", optional=True)
        if value is not None:
            capacity[channel] = value
    set_capacity(user, capacity, request.form.get("voice_exclusive") == "1")


def _sync_router() -> None:
    database.session().flush()
    acd_service().sync_configuration()


def _user(user_id: int) -> User:
    user = database.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


# -- users ---------------------------------------------------------------------------------------


def _users_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    users = list(database.session().scalars(select(User).order_by(User.username)))
    return render_template(
        "admin/people_users.html",
        users=users,
        roles=[r.value for r in Role],
        error=error,
        form=request.form if error else {},
    ), status


@bp.get("/people")
@login_required
@admin_only
def users() -> tuple[str, int]:
    return _users_page()


@bp.post("/people")
@login_required
@admin_only
def create_user() -> Response | tuple[str, int]:
    session = database.session()
    try:
        role = _field("role", "agent")
        if role not in [r.value for r in Role]:
            raise FormError("role must be agent, supervisor or admin")
        contact = _field("contact_uri")
        user = accounts.create_user(
            session,
            _field("username"),
            request.form.get("password", "")[:MAX_FIELD],
            role=role,
            display_name=_field("display_name") or None,
            skills=_levels("skills"),
            contact_uri=accounts.check_contact_uri(contact) if contact else None,
        )
    except (FormError, accounts.AccountError) as exc:
        session.rollback()
        return _users_page(str(exc), 400)
    audit(
        "user.create",
        object_type="user",
        object_id=user.id,
        details={"username": user.username, "role": user.role, "skills": user.skill_levels()},
    )
    _sync_router()
    session.commit()
    flash(f"User {user.username} created.", "info")
    return redirect(url_for("admin_people.edit_user", user_id=user.id), code=303)


def _contact_for(user: User) -> str | None:
    """The contact the form asks for: a choice (browser, phone number, SIP address) with its value,
    or a raw contact URI (older forms and scripts post `contact_uri`)."""
    kind = _field("contact_kind")
    if not kind:
        return _field("contact_uri")
    if kind == "client":  # another client identity, kept as it was typed
        return _field("contact_value")
    return accounts.contact_from_choice(
        kind, _field("contact_value"), user.username, database.runtime().settings.default_region
    )


def _user_page(user: User, error: str | None = None, status: int = 200) -> tuple[str, int]:
    skills = ", ".join(f"{name}={level}" for name, level in sorted(user.skill_levels().items()))
    contact_kind, contact_value = accounts.contact_choice(user.contact_uri, user.username)
    return render_template(
        "admin/people_user.html",
        user=user,
        roles=[r.value for r in Role],
        skills=skills,
        error=error,
        contact_kind=contact_kind,
        contact_value=contact_value,
    ), status


@bp.get("/people/<int:user_id>")
@login_required
@admin_only
def edit_user(user_id: int) -> tuple[str, int]:
    return _user_page(_user(user_id))


@bp.post("/people/<int:user_id>")
@login_required
@admin_only
def update_user(user_id: int) -> Response | tuple[str, int]:
    session = database.session()
    user = _user(user_id)
    action = _field("action", "save")
    version = user.session_version
    before = {
        "role": user.role,
        "display_name": user.display_name,
        "contact_uri": user.contact_uri,
        "skills": user.skill_levels(),
        "active": user.active,
        "capacity": user.channel_capacity(),
        "voice_exclusive": user.voice_exclusive,
    }
    try:
        if action == "password":
            accounts.set_password(session, user, request.form.get("password", "")[:MAX_FIELD])
            audit("user.password_reset", object_type="user", object_id=user.id, details={"username": user.username})
            message = "Password reset."
        elif action in ("deactivate", "activate"):
            if user.id == current_user.id:
                raise accounts.AccountError("you cannot deactivate yourself")
            accounts.set_active(session, user, action == "activate")
            audit(f"user.{action}", object_type="user", object_id=user.id, details={"username": user.username})
            if action == "deactivate":
                try:
                    database.runtime().acd.remove_agent(str(user.id))
                except Exception:  # not known to the router, or on a call: it stays until logout
                    pass
            message = f"User {action}d."
        elif action == "save":
            role = _field("role")
            if user.id == current_user.id and role != Role.ADMIN.value:
                raise accounts.AccountError("you cannot remove your own admin role")
            accounts.update_user(
                session, user, display_name=_field("display_name"), role=role, contact_uri=_contact_for(user)
            )
            accounts.set_skills(session, user, _levels("skills"))
            _capacity(user)
            after = {
                "role": user.role,
                "display_name": user.display_name,
                "contact_uri": user.contact_uri,
                "skills": user.skill_levels(),
                "active": user.active,
                "capacity": user.channel_capacity(),
                "voice_exclusive": user.voice_exclusive,
            }
            changed = sorted(k for k in after if after[k] != before[k])
            audit(
                "user.update",
                object_type="user",
                object_id=user.id,
                details={
                    "username": user.username,
                    "changed": changed,
                    "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed},
                },
            )
            message = "Saved."
        else:
            raise FormError("unknown action")
    except (FormError, accounts.AccountError, ACDError) as exc:
        session.rollback()
        return _user_page(_user(user_id), str(exc), 400)
    _sync_router()
    session.commit()
    if user.session_version != version:
        end_sessions_of(user.id)  # their open pages and sockets end now, in every process
        if user.id == current_user.id:
            keep_this_session(user.session_version)  # an admin's own reset: only the others end
    flash(message, "info")
    return redirect(url_for("admin_people.edit_user", user_id=user.id), code=303)


# -- skills --------------------------------------------------------------------------------------


@bp.get("/skills")
@login_required
@admin_only
def skills() -> tuple[str, int]:
    return _skills_page()


def _skills_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    rows = list(database.session().scalars(select(Skill).order_by(Skill.name)))
    return render_template("admin/people_skills.html", skills=rows, error=error), status


@bp.post("/skills")
@login_required
@admin_only
def create_skill() -> Response | tuple[str, int]:
    session = database.session()
    try:
        skill = accounts.create_skill(session, _field("name"), _field("description"))
    except (FormError, accounts.AccountError) as exc:
        session.rollback()
        return _skills_page(str(exc), 400)
    audit("skill.create", object_type="skill", object_id=skill.id, details={"name": skill.name})
    session.commit()
    flash(f"Skill {skill.name} created.", "info")
    return redirect(url_for("admin_people.skills"), code=303)


# -- queues --------------------------------------------------------------------------------------


def _queue_values() -> dict[str, Any]:
    hours_text = _field("hours")
    try:
        hours = json.loads(hours_text) if hours_text else None
    except ValueError:
        raise FormError("opening hours must be JSON calendar data (or empty: always open)") from None
    sl_raw = _field("sl_target")
    try:
        sl_target = float(sl_raw)
    except ValueError:
        raise FormError("service-level target must be a number such as 0.8") from None
    return {
        "name": _field("name"),
        "display_name": _field("display_name"),
        "strategy": _field("strategy"),
        "priority": _int("priority"),
        "wrap_up_s": _int("wrap_up_s"),
        "sl_threshold_s": _int("sl_threshold_s"),
        "sl_target": sl_target,
        "max_wait_s": _int("max_wait_s", True),
        "max_length": _int("max_length", True),
        "overflow_action": _field("overflow_action"),
        "overflow_queue_id": _int("overflow_queue_id", True),
        "hours": hours,
        "required_skills": _levels("required_skills"),
        "dispositions": _dispositions("dispositions"),
        "wrap_up_auto_available": _checkbox("wrap_up_auto_available"),
        "survey_after_call": _checkbox("survey_after_call"),
        "alert_wait_s": _int("alert_wait_s", True),
        "sl_formula": _field("sl_formula") or None,
        "time_zone": _field("time_zone") or None,
    }


def _dispositions(name: str) -> list[dict[str, str]] | None:
    """`resolved=Resolved, follow_up=Needs follow-up` → codes with labels; absent → unchanged."""
    if name not in request.form:
        return None
    codes = []
    for part in _field(name).replace("\n", ",").split(","):
        part = part.strip()
        if part:
            code, _, label = part.partition("=")
            codes.append({"code": code.strip().lower(), "label": (label or code).strip()})
    return codes


def _checkbox(name: str) -> bool | None:
    """A checkbox after a hidden "0" of the same name: absent altogether → unchanged."""
    values = request.form.getlist(name)
    return None if not values else "1" in values


def _queue_page(queue: Queue | None, error: str | None = None, status: int = 200) -> tuple[str, int]:
    session = database.session()
    queues = list(session.scalars(select(Queue).order_by(Queue.name)))
    members: list[User] = []
    skills_text = ""
    if queue is not None:
        skills_text = ", ".join(f"{qs.skill.name}={qs.min_level}" for qs in queue.required_skills)
    if queue is not None and queue.id is not None:
        members = list(session.scalars(select(User).join(QueueMembership).where(QueueMembership.queue_id == queue.id)))
    return render_template(
        "admin/queues_edit.html" if queue is not None else "admin/queues_list.html",
        queue=queue,
        queues=queues,
        members=members,
        strategies=STRATEGIES,
        overflow_actions=OVERFLOW_ACTIONS,
        sl_formulas=tuple(FORMULAS),
        error=error,
        form=request.form if error else None,
        json=json,
        skills_text=skills_text,
    ), status


@bp.get("/queues")
@login_required
@admin_only
def queues() -> tuple[str, int]:
    return _queue_page(None)


@bp.post("/queues")
@login_required
@admin_only
def create_queue() -> Response | tuple[str, int]:
    return _save(None)


@bp.get("/queues/<int:queue_id>")
@login_required
@admin_only
def edit_queue(queue_id: int) -> tuple[str, int]:
    queue = database.session().get(Queue, queue_id)
    if queue is None:
        abort(404)
    return _queue_page(queue)


@bp.post("/queues/<int:queue_id>")
@login_required
@admin_only
def update_queue(queue_id: int) -> Response | tuple[str, int]:
    queue = database.session().get(Queue, queue_id)
    if queue is None:
        abort(404)
    return _save(queue)


def _save(queue: Queue | None) -> Response | tuple[str, int]:
    session = database.session()
    try:
        values = _queue_values()
        saved = save_queue(session, queue, **values)
    except (FormError, ACDError) as exc:
        session.rollback()
        fresh = session.get(Queue, queue.id) if queue is not None else None
        return _queue_page(fresh, str(exc), 400)
    audit(
        "queue.create" if queue is None else "queue.update",
        object_type="queue",
        object_id=saved.id,
        details={k: v for k, v in values.items() if v is not None and k != "hours"},
    )
    _sync_router()
    session.commit()
    flash(f"Queue {saved.name} saved.", "info")
    return redirect(url_for("admin_people.edit_queue", queue_id=saved.id), code=303)
