"""The supervisor board's HTTP side: the page, the wallboard, a snapshot, the supervisor's actions
(agent state, supervision, acknowledging an alert) and the admin's board settings (teams, each
agent's team, per-queue thresholds).

Live updates arrive over Socket.IO (`web.sockets`, `contactcenter.board.feed`). Only supervisors
and admins may open the board or act from it; every action is a JSON POST (CSRF-checked) carried
out by the ACD (agent state) or the supervision service (monitor, whisper, barge).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter.accounts.models import Role, User
from contactcenter.acd.interfaces import BREAK_REASONS, ACDError
from contactcenter.acd.models import Queue
from contactcenter.board import services as board_settings
from contactcenter.board.thresholds import METRICS
from contactcenter.calls.models import MODES
from contactcenter.calls.supervision import SupervisionService
from web import database
from web.audit import audit
from web.services import acd_service, services
from web.sockets import board_of
from web.softphone import SOFTPHONE_ROLES, me, softphone_config

bp = Blueprint("board", __name__, url_prefix="/board")
MAX_BODY = 4096
SETTABLE = ("available", "break", "offline")


def _error(code: str, message: str, status: int) -> Response:
    resp = jsonify(error={"code": code, "message": message})
    resp.status_code = status
    return resp


@bp.before_request
@login_required
def _supervisors_only() -> None:
    if current_user.role not in (Role.SUPERVISOR.value, Role.ADMIN.value):
        abort(403, "the board is for supervisors")


def _json_body() -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(_error("bad_request", "send a JSON object", 400))
    return data


def _agent(agent_id: int) -> User:
    if agent_id > 2**31 - 1:
        abort(_error("unknown_agent", "no such agent", 404))
    agent = database.session().get(User, agent_id)
    if agent is None or agent.role != Role.AGENT.value:
        abort(_error("unknown_agent", "no such agent", 404))
    return agent


@bp.get("")
def page() -> str:
    spell = _supervision().live_spell(current_user.id)
    listening = None
    if spell is not None:
        agent = database.session().get(User, spell.agent_id) if spell.agent_id else None
        listening = {"mode": spell.mode, "agent": agent.display_name if agent else "an agent"}
    # A supervisor listens in through the browser when their calls ring there (no phone needed).
    softphone = softphone_config(me()) if current_user.role in SOFTPHONE_ROLES else None
    return render_template(
        "board.html",
        break_reasons=[r for r in BREAK_REASONS if r != "missed"],
        modes=MODES,
        listening=listening,
        softphone=softphone,
    )


@bp.get("/wall")
def wall() -> str:
    """The wallboard: large type, no controls, for a screen on the wall; live over the same feed."""
    return render_template("board/wall.html")


@bp.get("/snapshot")
def snapshot() -> Response:
    acd_service()  # configures the router on first use in this process
    return jsonify(board_of().source.snapshot(database.session()))


@bp.post("/agents/<int:agent_id>/state")
def set_state(agent_id: int) -> Response:
    data = _json_body()
    state = data.get("state")
    reason = data.get("reason") or None
    if not isinstance(state, str) or state not in SETTABLE:
        return _error("bad_state", "state must be available, break or offline", 400)
    if reason is not None and (not isinstance(reason, str) or reason not in BREAK_REASONS):
        return _error("bad_reason", "reason must be one of " + ", ".join(BREAK_REASONS), 400)
    agent = _agent(agent_id)
    try:
        outcome = acd_service().set_state(agent.id, state, reason if state == "break" else None)
    except ACDError as exc:
        return _error("bad_state", str(exc), 400)
    database.session().commit()
    if not outcome.ok:
        return _error(outcome.reason or "conflict", f"cannot change the agent's state now: {outcome.reason}", 409)
    return jsonify(ok=True, agent_id=agent.id, state=state)


def _supervision() -> SupervisionService:
    return services().supervision()


def _me() -> User:
    user = database.session().get(User, current_user.id)
    if user is None:
        abort(403)
    return user


@bp.post("/agents/<int:agent_id>/supervise")
def supervise(agent_id: int) -> Response:
    data = _json_body()
    mode = data.get("mode")
    if not isinstance(mode, str) or mode not in MODES:
        return _error("bad_mode", "mode must be one of " + ", ".join(MODES), 400)
    agent = _agent(agent_id)
    try:
        view = _supervision().supervise(_me(), agent.id, mode)  # a SupervisionError: web.errors answers
    except RuntimeError:
        return _error("no_carrier", "no carrier is configured", 503)
    database.session().commit()
    return jsonify(ok=True, supervision=view.as_dict())


@bp.post("/supervision/stop")
def stop_supervision() -> Response:
    try:
        view = _supervision().stop(_me())
    except RuntimeError:  # no carrier configured: nothing can be on a call to leave
        database.session().rollback()
        view = None
    database.session().commit()
    return jsonify(ok=True, supervision=view.as_dict() if view is not None else None)


# -- alerts ------------------------------------------------------------------------------------


@bp.post("/alerts/ack")
def acknowledge_alert() -> Response:
    """Acknowledge an alert that holds now: it stops flashing on every board; audited."""
    data = _json_body()
    key = data.get("key")
    if not isinstance(key, str) or len(key) > 120:
        return _error("bad_alert", "send the key of an alert", 400)
    acd_service()
    holding = board_of().source.holding(database.session())
    ack, new = board_settings.acknowledge(database.session(), _me(), key, holding)  # BoardError: web.errors
    if new:
        audit("board.alert_acknowledged", object_type="alert", object_id=key, details={"alert": key})
    database.session().commit()
    if new:
        board_settings.announce(database.runtime().redis, ack)
    return jsonify(ok=True, acknowledged=ack.as_dict(), new=new)


# -- settings (admins) -------------------------------------------------------------------------


def _admin() -> None:
    if current_user.role != Role.ADMIN.value:
        abort(403, "board settings are for admins")


def _settings_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    session = database.session()
    queues = list(session.scalars(select(Queue).order_by(Queue.name)))
    limits = board_settings.thresholds_by_queue(session)
    agents = list(session.scalars(select(User).where(User.role == Role.AGENT.value).order_by(User.display_name)))
    return render_template(
        "board/settings.html",
        queues=queues,
        limits=limits,
        metrics=METRICS,
        teams=board_settings.teams(session),
        agent_teams=board_settings.agent_teams(session),
        agents=agents,
        error=error,
    ), status


@bp.get("/settings")
def settings() -> tuple[str, int]:
    _admin()
    return _settings_page()


class _FormError(ValueError):
    pass


def _form(name: str) -> str:
    value = request.form.get(name, "")
    if len(value) > 200:
        raise _FormError(f"{name.replace('_', ' ')} is too long")
    return value.strip()


def _number(name: str, share: bool) -> float | None:
    raw = _form(name).replace(",", ".").rstrip("%").strip()
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _FormError(f"{name.replace('_', ' ')} must be a number") from None
    return value / 100 if share else value


def _refused(error: str) -> tuple[str, int]:
    database.session().rollback()
    return _settings_page(error, 400)


@bp.post("/settings/queues/<int:queue_id>/thresholds")
def save_thresholds(queue_id: int) -> Response | tuple[str, int]:
    _admin()
    if queue_id > 2**31 - 1:
        abort(404)
    values: dict[str, tuple[float, float] | None] = {}
    try:
        for name, metric in METRICS.items():
            warn, critical = _number(f"{name}_warn", metric.share), _number(f"{name}_critical", metric.share)
            if (warn is None) != (critical is None):
                raise _FormError(f"{metric.label}: give both a warning and a critical value, or neither")
            values[name] = None if warn is None or critical is None else (warn, critical)
        saved = board_settings.save_thresholds(database.session(), queue_id, values)
    except (_FormError, board_settings.BoardError) as exc:
        if isinstance(exc, board_settings.BoardError) and exc.kind == "not_found":
            abort(404)
        return _refused(str(exc))
    audit("board.thresholds_update", object_type="queue", object_id=queue_id, details=saved)
    database.session().commit()
    flash("Thresholds saved.", "info")
    return redirect(url_for("board.settings"))


@bp.post("/settings/teams")
def create_team() -> Response | tuple[str, int]:
    _admin()
    try:
        team = board_settings.create_team(database.session(), _form("name"))
    except (_FormError, board_settings.BoardError) as exc:
        return _refused(str(exc))
    audit("board.team_create", object_type="team", object_id=team.id, details={"name": team.name})
    database.session().commit()
    flash(f"Team {team.name} created.", "info")
    return redirect(url_for("board.settings"))


@bp.post("/settings/teams/<int:team_id>/delete")
def delete_team(team_id: int) -> Response | tuple[str, int]:
    _admin()
    if team_id > 2**31 - 1:
        abort(404)
    try:
        name = board_settings.delete_team(database.session(), team_id)
    except board_settings.BoardError:
        abort(404)
    audit("board.team_delete", object_type="team", object_id=team_id, details={"name": name})
    database.session().commit()
    flash(f"Team {name} removed.", "info")
    return redirect(url_for("board.settings"))


@bp.post("/settings/agents/<int:agent_id>/team")
def set_team(agent_id: int) -> Response | tuple[str, int]:
    _admin()
    if agent_id > 2**31 - 1:
        abort(404)
    try:
        raw = _form("team_id")
        if raw and (not raw.isdigit() or len(raw) > 9):
            raise _FormError("choose a team from the list")
        team = board_settings.set_agent_team(database.session(), agent_id, int(raw) if raw else None)
    except (_FormError, board_settings.BoardError) as exc:
        if isinstance(exc, board_settings.BoardError) and exc.kind == "not_found" and exc.code != "unknown_team":
            abort(404)
        return _refused(str(exc))
    audit(
        "board.agent_team",
        object_type="user",
        object_id=agent_id,
        details={"team": team.name if team else None},
    )
    database.session().commit()
    flash("Team saved.", "info")
    return redirect(url_for("board.settings"))
