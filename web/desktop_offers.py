"""The screen pop's offer buttons: POST /desktop/calls/<sid>/offers {"product_id", "response"}.

Thin: bound and type-check the body here, let `contactcenter.analytics.offer_responses` check
that the call is the agent's own and that the product exists, commit, answer with the row.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from contactcenter.analytics.models import OFFER_RESPONSES
from contactcenter.analytics.offer_responses import record
from contactcenter.errors import DomainError, Kind
from web import database

bp = Blueprint("desktop_offers", __name__, url_prefix="/desktop/calls")
MAX_BODY = 4 * 1024
MAX_ID = 2**31 - 1


class BadOffer(DomainError):
    def __init__(self, code: str, message: str, kind: Kind = "invalid") -> None:
        super().__init__(message, code=code, kind=kind)


def _body() -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY:
        raise BadOffer("too_large", f"the request is larger than {MAX_BODY} bytes")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadOffer("bad_body", "send a JSON object with product_id and response")
    return data


@bp.post("/<call_sid>/offers")
@login_required
def respond(call_sid: str) -> tuple[Response, int]:
    data = _body()
    product_id, response = data.get("product_id"), data.get("response")
    if isinstance(product_id, bool) or not isinstance(product_id, int) or not 0 < product_id <= MAX_ID:
        raise BadOffer("bad_product", "product_id must be a product's number")
    if not isinstance(response, str) or response not in OFFER_RESPONSES:
        raise BadOffer("bad_response", "response must be one of " + ", ".join(OFFER_RESPONSES))
    if len(call_sid) > 64:
        raise BadOffer("no_such_call", "no such call", "not_found")
    session = database.session()
    try:
        row = record(
            session, call_sid=call_sid, agent_id=int(current_user.id), product_id=product_id, response=response
        )
    except DomainError:
        session.rollback()
        raise
    body = {"id": row.id, "product_id": row.product_id, "response": row.response, "interaction_id": row.interaction_id}
    session.commit()
    return jsonify(body), 201
