"""The desktop's call controls and wrap-up, over HTTP (/desktop/calls/<sid>/...) and Socket.IO.

Wrap-up: `wrapup` submits it (the answer carries the ticket number), `wrapup-draft` saves what
the agent has typed so far, `wrapup-extend` extends the timer (once; the server sets how long).

Thin: parse and bound the input, let the domain (`contactcenter.calls.controls`, `.wrapup`)
check that the call is the agent's own and act, commit, then announce. Both transports share
one dispatcher, so the socket path makes exactly the same checks as the HTTP one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter.accounts.models import Role, User
from contactcenter.acd.interfaces import AVAILABLE
from contactcenter.acd.models import Queue
from contactcenter.calls.controls import CallControlError, CallControls
from contactcenter.calls.wrapup import MAX_NOTES, TicketChoice, WrapUp, WrapUpService
from contactcenter.contacts.models import Interaction
from contactcenter.errors import DomainError, Kind
from contactcenter.telephony.call_ids import CALL_ID
from web import database, errors
from web.extensions import socketio
from web.services import services

bp = Blueprint("desktop_calls", __name__, url_prefix="/desktop/calls")
MAX_BODY = 64 * 1024
MAX_FIELD = 200
ACTIONS = (
    "hold",
    "resume",
    "mute",
    "unmute",
    "hangup",
    "consult",
    "consult_complete",
    "consult_cancel",
    "transfer",
    "conference",
    "wrapup",
    "wrapup_draft",
    "wrapup_extend",
)


class BadRequest(DomainError):
    """The request cannot be read as an action; answered like the domain's own refusals."""

    def __init__(self, code: str, message: str, kind: Kind = "invalid") -> None:
        super().__init__(message, code=code, kind=kind)


def _controls() -> CallControls:
    return services().controls()


def _wrapups() -> WrapUpService:
    return services().wrapups()


# -- parsing --------------------------------------------------------------------------------------
def _text(data: dict[str, Any], key: str, limit: int = MAX_FIELD) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest("bad_field", f"{key} must be text")
    if len(value) > limit:
        raise BadRequest("field_too_long", f"{key} is at most {limit} characters")
    return value


def _id(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise BadRequest("bad_field", f"{key} must be a whole number")
    return value


def _when(data: dict[str, Any], key: str) -> datetime | None:
    raw = _text(data, key, 40)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest("bad_field", f"{key} must be an ISO 8601 date and time") from None


def _wrap_up(data: dict[str, Any]) -> WrapUp:
    disposition = _text(data, "disposition", 64)
    if disposition is None:
        raise BadRequest("bad_disposition", "pick a disposition")
    notes = _text(data, "notes", MAX_NOTES) or ""
    ticket = data.get("ticket")
    choice = None
    if ticket not in (None, "", {}):
        if not isinstance(ticket, dict):
            raise BadRequest("bad_field", "ticket must be an object")
        ticket_id, subject = _id(ticket, "id"), _text(ticket, "subject", 255)
        if (ticket_id is None) == (subject is None):
            raise BadRequest("bad_ticket", "give either a ticket id or a subject for a new ticket")
        choice = TicketChoice(ticket_id=ticket_id, subject=subject, priority=_text(ticket, "priority", 16) or "normal")
    return WrapUp(
        disposition=disposition,
        notes=notes,
        ticket=choice,
        callback_at=_when(data, "callback_at"),
        callback_phone=_text(data, "callback_phone", 32),
        callback_mine=data.get("callback_mine") is True,
    )


# -- one dispatcher for HTTP and sockets -------------------------------------------------------
def perform(agent_id: int, call_sid: str, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Carry out one action for the logged-in agent; raises BadRequest / CallControlError / WrapUpError."""
    if not CALL_ID.match(call_sid):
        raise BadRequest("bad_call", "not a call id")
    if action not in ACTIONS:
        raise BadRequest("bad_action", "unknown action", "not_found")
    if action == "wrapup":
        result = _wrapups().submit(call_sid, agent_id, _wrap_up(data))
        database.session().commit()
        return {"ok": True, "wrapup": result.as_dict()}
    if action == "wrapup_draft":
        draft = _wrapups().save_draft(
            call_sid, agent_id, _text(data, "disposition", 64), _text(data, "notes", MAX_NOTES) or ""
        )
        database.session().commit()
        return {"ok": True, "draft": draft}
    if action == "wrapup_extend":
        extension = _wrapups().extend(call_sid, agent_id)
        database.session().commit()
        return {"ok": True, "extension": extension}
    controls = _controls()
    if action in ("hold", "resume", "hangup", "consult_complete", "consult_cancel"):
        method = {
            "hold": controls.hold,
            "resume": controls.resume,
            "hangup": controls.hang_up,
            "consult_complete": controls.complete_consult,
            "consult_cancel": controls.cancel_consult,
        }[action]
        state = method(call_sid, agent_id)
    elif action in ("mute", "unmute"):
        state = controls.mute(call_sid, agent_id, action == "mute")
    elif action == "consult":
        state = controls.start_consult(
            call_sid, agent_id, to_agent=_id(data, "agent_id"), to_number=_text(data, "number", 32)
        )
    elif action == "transfer":
        state = controls.transfer(
            call_sid,
            agent_id,
            to_agent=_id(data, "agent_id"),
            to_queue=_text(data, "queue", 64),
            to_number=_text(data, "number", 32),
        )
    else:
        number = _text(data, "number", 32)
        if number is None:
            raise BadRequest("bad_number", "give a number to add")
        state = controls.add_to_conference(call_sid, agent_id, number)
    database.session().commit()
    controls.publish()
    return {"ok": True, "controls": state.as_dict()}


def _error(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _run(call_sid: str, action: str) -> tuple[Response, int] | Response:
    if current_user.role != Role.AGENT.value:
        abort(403, "only agents handle calls")
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error("too_large", f"send at most {MAX_BODY} bytes", 413)
    data: Any = {}
    if request.data:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _error("bad_json", "send a JSON object", 400)
    return jsonify(perform(current_user.id, call_sid, action, data))  # a refusal: web.errors answers


@bp.post("/<call_sid>/<action>")
@login_required
def act(call_sid: str, action: str) -> tuple[Response, int] | Response:
    return _run(call_sid, action.replace("-", "_"))


@bp.post("/<call_sid>/consult/<step>")
@login_required
def consult_step(call_sid: str, step: str) -> tuple[Response, int] | Response:
    if step not in ("complete", "cancel"):
        return _error("bad_action", "unknown action", 404)
    return _run(call_sid, f"consult_{step}")


@bp.get("/<call_sid>/controls")
@login_required
def controls_state(call_sid: str) -> tuple[Response, int] | Response:
    if current_user.role != Role.AGENT.value:
        abort(403)
    if not CALL_ID.match(call_sid):
        return _error("bad_call", "not a call id", 400)
    controls = _controls()
    return jsonify(controls.state(controls.owned_call(call_sid, current_user.id)).as_dict())


@bp.get("/targets")
@login_required
def targets() -> Response:
    """Who and where a call can be transferred to: available agents, queues."""
    if current_user.role != Role.AGENT.value:
        abort(403)
    session = database.session()
    acd = database.runtime().acd
    free = {a.agent_id for a in acd.agents() if a.state == AVAILABLE}
    agents: Iterable[User] = (
        []
        if not free
        else session.scalars(
            select(User)
            .where(User.id.in_([int(a) for a in free if a.isdigit()]), User.id != current_user.id)
            .order_by(User.display_name)
        )
    )
    queues = session.scalars(select(Queue).order_by(Queue.display_name))
    return jsonify(
        agents=[{"id": u.id, "name": u.display_name} for u in agents],
        queues=[{"name": q.name, "label": q.display_name} for q in queues],
    )


# -- the desktop snapshot -------------------------------------------------------------------------
def snapshot_extra(user: Any, call_sid: str | None) -> dict[str, Any]:
    """Control state of the agent's live call and the wrap-up they owe, for /desktop/snapshot."""
    out: dict[str, Any] = {"controls": None, "wrapup": None, "consulted": None}
    consulted = (
        database.session()
        .scalars(
            select(Interaction)
            .where(
                Interaction.consult_agent_id == user.id,
                Interaction.consult_call_sid.is_not(None),
                Interaction.ended_at.is_(None),
            )
            .limit(1)
        )
        .first()
    )
    if consulted is not None:
        who = database.session().get(User, consulted.agent_id) if consulted.agent_id else None
        out["consulted"] = {"call_sid": consulted.call_sid, "by": who.display_name if who else None}
    if call_sid:
        controls = _controls()
        try:
            out["controls"] = controls.state(controls.owned_call(call_sid, user.id)).as_dict()
        except CallControlError:
            pass
    else:
        out["wrapup"] = _wrapups().pending(user.id)
    return out


# -- Socket.IO ------------------------------------------------------------------------------------
def on_call_control(data: Any = None) -> dict[str, Any]:
    """The same actions over the socket: {"call_sid", "action", ...}; answered as an ack."""
    if not current_user.is_authenticated or current_user.role != Role.AGENT.value:
        return {"error": {"code": "forbidden", "message": "only agents handle calls"}, "status": 403}
    if not isinstance(data, dict) or len(str(data)) > MAX_BODY:
        return {"error": {"code": "bad_request", "message": "send an object"}, "status": 400}
    try:
        return perform(current_user.id, str(data.get("call_sid", ""))[:80], str(data.get("action", ""))[:40], data)
    except DomainError as exc:  # an ack has no error handler: the same mapping, applied here
        database.session().rollback()
        return {**errors.error_body(exc), "status": errors.status_for(exc)}


# Attached to the Socket.IO server of every app this blueprint is registered on (create_app builds
# a new server each time, so a module-level decorator would only reach the first one).
bp.record(lambda _state: socketio.on_event("call.control", on_call_control))
