"""The agent desktop's HTTP side: the page, state changes, offers, and the screen pop.

Live updates arrive over Socket.IO (`web.sockets`); every action is a POST here, checked against
the logged-in agent (an agent acts only on their own offers) and carried out by the ACD service.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter import clock
from contactcenter.acd.interfaces import BREAK_REASONS, ACDError
from contactcenter.acd.models import Queue
from contactcenter.acd.services import CHAT_PREFIX
from contactcenter.audit.services import viewed_recently
from contactcenter.calls import agent_legs
from contactcenter.calls.agent_tasks import tasks_for
from contactcenter.calls.screen_pop import build as customer_360, create_caller
from contactcenter.chat import routing, services as chats
from contactcenter.contacts.customers import SEGMENTS, CustomerError
from web import database
from web.audit import audit
from web.chat import offer_summary, wrap_up_summary
from web.services import acd_service
from web.softphone import me, softphone_config

bp = Blueprint("desktop", __name__, url_prefix="/desktop")
MAX_NAME = 200
MAX_EMAIL = 254
POP_AUDIT_EVERY = timedelta(minutes=10)
OFFER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _agent_only() -> None:
    if current_user.role != "agent":
        abort(403, "only agents take calls")


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and request.form:
        data = request.form.to_dict()
    if not isinstance(data, dict):
        abort(400, "send a JSON object")
    return data


def screen_pop(call_sid: str) -> dict[str, Any] | None:
    """Customer 360 for a call (see contactcenter.calls.screen_pop); the view is audited."""
    pop = customer_360(database.session(), call_sid)
    if pop is not None and pop.get("customer"):
        audit_customer_view(pop["customer"]["id"], call_sid)
    return pop


def audit_customer_view(customer_id: int, call_sid: str) -> None:
    """One audit entry per agent and customer per few minutes: the desktop asks for the same pop
    again on every snapshot, and the log should say who saw whom, not how often the page polled."""
    if not current_user or not current_user.is_authenticated:
        return
    session = database.session()
    since = clock.now() - POP_AUDIT_EVERY
    if viewed_recently(session, current_user.id, "customer", customer_id, since):
        return
    audit(
        "customer.view",
        object_type="customer",
        object_id=customer_id,
        details={"via": "screen pop", "call_sid": call_sid},
    )
    session.commit()


def snapshot_for(user: Any) -> dict[str, Any]:
    rt = database.runtime()
    if user.role == "agent":
        acd = rt.acd
        agent = acd.agent_snapshot(str(user.id))
        offer = next((o for o in acd.pending_offers() if o.agent_id == str(user.id)), None)
        call_sid = agent.call_sid if agent is not None else None
        from web.desktop_calls import snapshot_extra

        # The call card is for a connected call only: while reserved, the agent has an offer, not a call.
        connected = agent is not None and agent.state == "on_call" and call_sid
        # A web chat travels the router like a call; its card is the conversation, not a pop.
        offer_chat = offer_summary(offer.call_sid) if offer is not None else None
        chat = offer_summary(call_sid) if connected else None
        if agent is not None and agent.state == "wrap_up":
            chat = wrap_up_summary(user.id, agent.since)
        # every chat the agent holds at once (capacity per channel), each with its own clock
        chats = []
        for task in acd.held_tasks(str(user.id)):
            summary = offer_summary(task.call_sid) if task.state == "connected" else None
            if summary is not None:
                chats.append({**summary, "task": task.call_sid, "since": task.connected_at})
        return {
            "now": clock.timestamp(),
            "agent": asdict(agent) if agent is not None else {"agent_id": str(user.id), "state": "offline"},
            "offer": asdict(offer) if offer is not None else None,
            "offer_queue": queue_label(offer.queue) if offer is not None else None,
            "offer_pop": screen_pop(offer.call_sid) if offer is not None and not offer_chat else None,
            "offer_chat": offer_chat,
            "call": screen_pop(call_sid) if connected and call_sid and not chat else None,
            "chat": chat,
            "chats": chats,
            "live": live_call(call_sid) if connected and call_sid else None,
            **snapshot_extra(user, call_sid),
        }
    return {
        "queues": [asdict(q) for q in rt.acd.queue_stats()],
        "agents": [asdict(a) for a in rt.acd.agents()],
    }


def queue_label(name: str) -> str:
    label = database.session().scalar(select(Queue.display_name).where(Queue.name == name))
    return label or name


def live_call(call_sid: str) -> dict[str, Any] | None:
    """The connected call as the call bar shows it: its queue, when it was accepted, and when the
    agent's leg was answered (None while their phone or browser still rings: "connecting…")."""
    rt = database.runtime()
    call = rt.acd.call_snapshot(call_sid)
    if call is None:
        return None
    answered_at = call.connected_at if call_sid.startswith(CHAT_PREFIX) else None  # a chat has no leg
    if answered_at is None and call.agent_id and call.agent_id.isdigit():
        leg = agent_legs.answered_since(rt.redis, int(call.agent_id), call.connected_at)
        answered_at = leg.at if leg is not None else None
    return {"queue": queue_label(call.queue), "connected_at": call.connected_at, "answered_at": answered_at}


@bp.get("")
@login_required
def page() -> str:
    _agent_only()
    return render_template(
        "desktop.html", break_reasons=[r for r in BREAK_REASONS if r != "missed"], softphone=softphone_config(me())
    )


@bp.get("/snapshot")
@login_required
def snapshot() -> Response:
    acd_service()  # configures the router on first use in this process
    return jsonify(snapshot_for(current_user))


@bp.get("/tasks")
@login_required
def tasks() -> Response:
    """The task list's callbacks and tickets: asked for apart from the snapshot, which carries the
    screen pop and must stay quick (the offer's pop is on screen before the list is refreshed)."""
    _agent_only()
    return jsonify(tasks_for(database.session(), current_user.id))


@bp.post("/state")
@login_required
def set_state() -> tuple[Response, int] | Response:
    _agent_only()
    data = _json_body()
    state, reason = str(data.get("state", "")), (str(data["reason"]) if data.get("reason") else None)
    if state not in ("available", "break", "offline"):
        return jsonify(error={"code": "bad_state", "message": "state must be available, break or offline"}), 400
    if reason is not None and reason not in BREAK_REASONS:
        return jsonify(
            error={"code": "bad_reason", "message": "reason must be one of " + ", ".join(BREAK_REASONS)}
        ), 400
    try:
        outcome = acd_service().set_state(current_user.id, state, reason)
    except ACDError as exc:
        return jsonify(error={"code": "bad_state", "message": str(exc)}), 400
    database.session().commit()
    if not outcome.ok:
        return jsonify(error={"code": outcome.reason, "message": f"cannot change state now: {outcome.reason}"}), 409
    return jsonify(ok=True, state=state)


def _offer_action(offer_id: str, action: str) -> tuple[Response, int] | Response:
    _agent_only()
    if not OFFER_ID.match(offer_id):
        abort(400, "not an offer id")
    service = acd_service()
    outcome = (
        service.accept(offer_id, current_user.id) if action == "accept" else service.reject(offer_id, current_user.id)
    )
    chat = routing.accepted(database.session(), outcome, current_user.id) if action == "accept" else None
    database.session().commit()
    if chat is not None:
        from web.chat import announce

        announce(chat, "chat.joined", agent=chats.agent_name(database.session(), current_user.id))
    if not outcome.ok:
        status = 403 if outcome.reason == "not_your_offer" else 409
        return jsonify(
            error={"code": outcome.reason, "message": f"offer cannot be {action}ed: {outcome.reason}"}
        ), status
    return jsonify(ok=True)


@bp.post("/offers/<offer_id>/accept")
@login_required
def accept(offer_id: str) -> tuple[Response, int] | Response:
    return _offer_action(offer_id, "accept")


@bp.post("/offers/<offer_id>/reject")
@login_required
def reject(offer_id: str) -> tuple[Response, int] | Response:
    return _offer_action(offer_id, "reject")


def _check_call_access(call_sid: str) -> None:
    """Agents see only the call they are on or are being offered; supervisors see all."""
    if not OFFER_ID.match(call_sid):
        abort(400, "not a call id")
    if current_user.role != "agent":
        return
    agent = database.runtime().acd.agent_snapshot(str(current_user.id))
    offers = database.runtime().acd.pending_offers()
    mine = (agent is not None and agent.call_sid == call_sid) or any(
        o.call_sid == call_sid and o.agent_id == str(current_user.id) for o in offers
    )
    if not mine:
        abort(403, "not your call")


@bp.get("/calls/<call_sid>/pop")
@login_required
def pop(call_sid: str) -> Response:
    _check_call_access(call_sid)
    data = screen_pop(call_sid)
    if data is None:
        abort(404)
    return jsonify(data)


@bp.post("/calls/<call_sid>/customer")
@login_required
def create_customer_for_call(call_sid: str) -> tuple[Response, int] | Response:
    """The pop's quick "create customer" for an unknown caller."""
    _check_call_access(call_sid)
    data = _json_body()
    name = data.get("name")
    email = data.get("email") or None
    segment = data.get("segment") or "standard"
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        return jsonify(error={"code": "bad_name", "message": f"name must be 1 to {MAX_NAME} characters"}), 400
    if email is not None and (not isinstance(email, str) or len(email) > MAX_EMAIL):
        return jsonify(error={"code": "bad_email", "message": "e-mail address is not valid"}), 400
    if segment not in SEGMENTS:
        return jsonify(error={"code": "bad_segment", "message": "segment must be one of " + ", ".join(SEGMENTS)}), 400
    session = database.session()
    try:
        customer = create_caller(session, call_sid, name=name, email=email, segment=segment)
    except CustomerError as exc:
        session.rollback()
        status = 404 if str(exc) == "no such call" else 409
        return jsonify(error={"code": "customer_not_created", "message": str(exc)}), status
    session.commit()
    return jsonify(ok=True, customer_id=customer.id, pop=screen_pop(call_sid)), 201
