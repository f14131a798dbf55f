"""Preview dialing on the agent desktop: the agent reads the next lead, then dials or skips it.

`GET /desktop/preview` holds the next lead of the agent's running preview campaign(s) for them
and returns it (name, number, local time, attempts, last disposition, notes); `POST .../dial`
runs the dial gate again on that very lead and places the call through the campaign dialer's
agent path (a refusal comes back as 409 with its reason); `POST .../skip` releases it for an
hour. The answered call is offered to this agent alone (`contactcenter.dialer.connect`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from contactcenter.dialer import preview_dialing
from contactcenter.dialer.campaigns import agent_ids
from contactcenter.dialer.dialing import CallUrls
from contactcenter.dialer.models import Campaign
from web import database, errors
from web.desktop import _agent_only, _json_body
from web.services import acd_service, external_url

bp = Blueprint("desktop_preview", __name__, url_prefix="/desktop/preview")
MAX_ID = 2**31 - 1


def _error(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _id(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def _campaign(data: dict[str, Any]) -> Campaign | tuple[Response, int]:
    campaign_id = _id(data, "campaign_id")
    if campaign_id is None or _id(data, "lead_id") is None:
        return _error("bad_request", "campaign_id and lead_id must be positive whole numbers", 400)
    campaign = database.session().get(Campaign, campaign_id)
    if campaign is None or current_user.id not in agent_ids(database.session(), campaign):
        return _error("not_your_campaign", "you do not work on this campaign", 403)
    return campaign


@bp.get("")
@login_required
def next_lead() -> Response:
    _agent_only()
    session = database.session()
    campaigns = preview_dialing.preview_campaigns(session, current_user.id)
    card = None
    for campaign in campaigns:
        lead = preview_dialing.preview_next(session, campaign, current_user.id)
        if lead is not None:
            card = preview_dialing.lead_card(campaign, lead)
            break
    session.commit()  # the hold, and any refusal the gate recorded on the way
    return jsonify(campaigns=[{"id": c.id, "name": c.name} for c in campaigns], lead=card)


@bp.post("/dial")
@login_required
def dial() -> tuple[Response, int] | Response:
    _agent_only()
    data = _json_body()
    campaign = _campaign(data)
    if not isinstance(campaign, Campaign):
        return campaign
    agent = database.runtime().acd.agent_snapshot(str(current_user.id))
    if agent is None or agent.state != "available":
        return _error("not_available", "go available before dialing: the answered call comes to you", 409)
    session = database.session()
    try:
        claim = preview_dialing.claim_held_lead(session, campaign, current_user.id, _id(data, "lead_id") or 0)
    except preview_dialing.DialRefused as exc:
        session.commit()  # the refusal is a record too
        return _error(exc.reason, f"not dialed: {exc}", errors.status_for(exc))
    acd_service()  # the router knows this process's agents before the call can be answered
    base = external_url("dialer_hooks.answer").rsplit("/hooks/dialer/answer", 1)[0]
    dialer = preview_dialing.preview_dialer(session, campaign, database.runtime().telephony, CallUrls(base))
    call_sid = dialer.dial_claim(claim, str(current_user.id))
    session.commit()
    if call_sid is None:
        return _error("carrier_refused", "the carrier refused the call; the attempt is recorded as failed", 502)
    return jsonify(ok=True, call_sid=call_sid, attempt_id=claim.attempt_id)


@bp.post("/skip")
@login_required
def skip() -> tuple[Response, int] | Response:
    _agent_only()
    data = _json_body()
    campaign = _campaign(data)
    if not isinstance(campaign, Campaign):
        return campaign
    # A DialRefused is answered by web.errors (its reason as the code, 409); nothing to keep.
    preview_dialing.skip_held_lead(database.session(), campaign, current_user.id, _id(data, "lead_id") or 0)
    database.session().commit()
    return jsonify(ok=True)
