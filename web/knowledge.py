"""The desktop's script and FAQ panels: the script for my call, my answers, FAQ search.

Thin: parse, check that the call is the agent's own (the store records who took it), call
`contactcenter.scripts`, answer JSON. Errors are `{"error": {"code", "message"}}` with a 4xx.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter.contacts.models import Interaction
from contactcenter.errors import DomainError, Kind
from contactcenter.scripts import faq
from contactcenter.scripts.services import record_answer, script_view
from contactcenter.telephony.call_ids import CALL_ID_DOTTED
from web import database

bp = Blueprint("knowledge", __name__, url_prefix="/desktop/knowledge")
STEP_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
MAX_QUERY = 200
MAX_PAGE = 25


class KnowledgeError(DomainError):
    """A request the panel cannot take as sent; answered like any domain error (web.errors)."""

    def __init__(self, kind: Kind, code: str, message: str) -> None:
        super().__init__(message, code=code, kind=kind)


def _my_call(call_sid: str) -> Interaction:
    """The call, if the logged-in agent is the one who took it (404 unknown, 403 someone else's).

    The store records who took a call (`agent_id`); between the router's accept and that record
    being committed, the router's view of the agent's current call answers instead.
    """
    if not CALL_ID_DOTTED.match(call_sid):
        raise KnowledgeError("invalid", "bad_call", "not a call id")
    call = database.session().scalar(select(Interaction).where(Interaction.call_sid == call_sid))
    if call is None:
        raise KnowledgeError("not_found", "unknown_call", "no such call")
    if call.agent_id == current_user.id:
        return call
    # Just accepted: the router already connected the agent, the store may not say so yet.
    if call.agent_id is None and current_user.role == "agent":
        agent = database.runtime().acd.agent_snapshot(str(current_user.id))
        if agent is not None and agent.call_sid == call.call_sid:
            return call
    raise KnowledgeError("forbidden", "not_your_call", "this call is not yours")


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise KnowledgeError("invalid", f"bad_{name}", f"{name} must be a whole number from {low} to {high}")
    return int(raw)


@bp.get("/calls/<call_sid>/script")
@login_required
def script(call_sid: str) -> Response:
    view = script_view(database.session(), _my_call(call_sid), current_user)
    return jsonify(script=view.to_dict() if view is not None else None)


@bp.post("/calls/<call_sid>/answers")
@login_required
def answer(call_sid: str) -> Response:
    call = _my_call(call_sid)
    data: Any = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise KnowledgeError("invalid", "bad_request", "send a JSON object with step and answer")
    step, value = data.get("step"), data.get("answer", "")
    if not isinstance(step, str) or not STEP_ID.match(step):
        raise KnowledgeError("invalid", "bad_step", "step must be a step id")
    if value is None:
        value = ""
    session = database.session()
    view = record_answer(session, call, step, value, current_user)  # AnswerRefused: web.errors answers
    session.commit()
    return jsonify(script=view.to_dict())


@bp.get("/calls/<call_sid>/suggestions")
@login_required
def suggestions(call_sid: str) -> Response:
    call = _my_call(call_sid)
    hits = faq.suggestions(database.session(), call.intent)
    return jsonify(intent=call.intent, items=[h.to_dict() for h in hits])


@bp.get("/faq")
@login_required
def search() -> Response:
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY:
        raise KnowledgeError("invalid", "bad_query", f"a search is at most {MAX_QUERY} characters")
    limit = _int_arg("limit", 10, 1, MAX_PAGE)
    offset = _int_arg("offset", 0, 0, faq.MAX_OFFSET)
    try:
        hits = faq.search(database.session(), query, limit=limit + 1, offset=offset)
    except faq.SearchError as exc:
        raise KnowledgeError("invalid", "bad_query", str(exc)) from None
    more = len(hits) > limit
    return jsonify(items=[h.to_dict() for h in hits[:limit]], next_offset=offset + limit if more else None)
