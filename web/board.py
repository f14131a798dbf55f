"""The supervisor board's HTTP side: the page, a snapshot, and the supervisor's actions.

Live updates arrive over Socket.IO (`web.sockets`, `contactcenter.board.feed`). Only supervisors
and admins may open the board or act from it; every action is a JSON POST (CSRF-checked) carried
out by the ACD (agent state) or the supervision service (monitor, whisper, barge).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from contactcenter.accounts.models import Role, User
from contactcenter.acd.interfaces import BREAK_REASONS, ACDError
from contactcenter.calls.models import MODES
from contactcenter.calls.supervision import SupervisionService
from web import database
from web.services import acd_service, services
from web.sockets import board_of

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
    return render_template(
        "board.html", break_reasons=[r for r in BREAK_REASONS if r != "missed"], modes=MODES, listening=listening
    )


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
