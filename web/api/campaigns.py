"""/api/campaigns: outbound campaigns for integrations (supervisors and admins).

List, read, create, change, clone, start / pause / stop, and a campaign's leads with the gate's
refusals. Settings are the domain's (`contactcenter.dialer.campaigns`), which checks them against
the rule set; a refusal is a 422 naming the field. Stopping is final, so it must say
`{"confirm": true}`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.dialer import campaigns as domain, lead_history
from contactcenter.dialer.models import Campaign, Lead, LeadStatus
from web import database
from web.api.core import (
    MAX_ID,
    Query,
    created,
    cursor_id,
    encode_cursor,
    fail,
    iso,
    json_body,
    not_found,
    page,
    require_supervisor,
    require_write,
)
from web.audit import audit

FIELDS = (*sorted(domain.SETTINGS), "agent_ids")
REQUIRED = ("name", "caller_id", "company_name", "callback_number")
# The JSON type of each setting (the domain checks the values) and the longest text each takes.
_TEXT = {
    "name": 120,
    "description": 2000,
    "dial_mode": 16,
    "rule_set": 8,
    "script": 20000,
    "caller_id": 40,
    "company_name": 120,
    "callback_number": 40,
    "time_zone": 64,
    "amd_action": 16,
    "lead_order": 16,
    "default_region": 2,
}
_NULLABLE_TEXT = {"safe_harbor_message": 1000, "amd_message": 1000}
_NUMBERS = ("abandon_cap", "amd_false_positive_share", "max_dial_ratio")
_WHOLE = ("ring_timeout_s", "max_attempts")
_OBJECTS = ("calling_window", "retry_delays", "pacing")
_LISTS = ("dispositions", "allowed_regions")


def _check_types(data: dict[str, Any]) -> None:
    """Refuse a setting of the wrong JSON type or length before the domain looks at its value."""
    for key, value in data.items():
        problem = None
        if key in _TEXT or key in _NULLABLE_TEXT:
            limit = _TEXT.get(key) or _NULLABLE_TEXT[key]
            if value is None and key in _NULLABLE_TEXT:
                continue
            if not isinstance(value, str):
                problem = "must be text"
            elif len(value) > limit:
                problem = f"must be at most {limit} characters"
        elif key in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problem = "must be a number"
        elif key in _WHOLE:
            if isinstance(value, bool) or not isinstance(value, int):
                problem = "must be a whole number"
        elif key == "amd_enabled":
            if not isinstance(value, bool):
                problem = "must be true or false"
        elif key in _OBJECTS:
            if not isinstance(value, dict):
                problem = "must be an object"
        elif key in _LISTS:
            if not isinstance(value, list):
                problem = "must be a list"
        elif key == "queue_id" and value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
                problem = "must be a queue id or null"
            elif database.session().get(Queue, value) is None:
                problem = f"there is no queue {value}"
        if problem:
            fail(422, "validation_failed", f"{key} {problem}")


def render_campaign(campaign: Campaign) -> dict[str, Any]:
    out: dict[str, Any] = {"id": campaign.id, "status": campaign.status, **domain.settings_of(campaign)}
    out["agent_ids"] = sorted(a.user_id for a in campaign.agents)
    out["created_at"] = iso(campaign.created_at)
    out["started_at"] = iso(campaign.started_at)
    out["stopped_at"] = iso(campaign.stopped_at)
    return out


def render_lead(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "campaign_id": lead.campaign_id,
        "phone": lead.phone,
        "name": lead.name,
        "status": lead.status,
        "attempts": lead.attempts,
        "last_outcome": lead.last_outcome,
        "disposition": lead.disposition,
        "next_attempt_at": iso(lead.next_attempt_at),
    }


def _load(campaign_id: int) -> Campaign:
    campaign = database.session().get(Campaign, campaign_id) if 0 < campaign_id <= MAX_ID else None
    if campaign is None:
        not_found("campaign", campaign_id)
    return campaign


def _agents(data: dict[str, Any]) -> list[int] | None:
    if "agent_ids" not in data:
        return None
    ids = data.pop("agent_ids")
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in ids
    ):
        fail(422, "validation_failed", "agent_ids must be a list of user ids")
    known = set(database.session().scalars(select(User.id).where(User.id.in_(ids)))) if ids else set()
    unknown = sorted(set(ids) - known)
    if unknown:
        fail(422, "validation_failed", f"agent_ids: no user {unknown[0]}")
    return ids


def _apply(make: Any) -> Campaign:
    try:
        return make()
    except domain.CampaignError as exc:
        database.session().rollback()
        where = f"{exc.field}: " if exc.field else ""
        fail(422, "validation_failed", f"{where}{exc.message}")
    except (TypeError, ValueError) as exc:
        database.session().rollback()
        fail(422, "validation_failed", f"a setting has the wrong type: {str(exc)[:200]}")


def list_campaigns() -> Response:
    require_supervisor()
    q = Query(("status",))
    limit = q.limit()
    after = q.cursor("campaigns", cursor_id)
    stmt = select(Campaign)
    statuses = q.choices("status", ("draft", "running", "paused", "stopped"))
    if statuses:
        stmt = stmt.where(Campaign.status.in_(statuses))
    if after is not None:
        stmt = stmt.where(Campaign.id > after)
    rows = list(database.session().scalars(stmt.order_by(Campaign.id).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return page(rows, render_campaign, encode_cursor("campaigns", [rows[-1].id]) if more else None)


def create_campaign() -> tuple[Response, int]:
    require_supervisor()
    require_write()
    data = json_body(FIELDS, required=REQUIRED)
    agents = _agents(data)
    _check_types(data)
    session = database.session()
    campaign = _apply(lambda: domain.create_campaign(session, **data))
    if agents is not None:
        domain.set_agents(session, campaign, agents)
    audit(
        "campaign.create", object_type="campaign", object_id=campaign.id, details={"name": campaign.name, "via": "api"}
    )
    session.commit()
    return created(render_campaign(campaign))


def get_campaign(campaign_id: int) -> Response:
    require_supervisor()
    campaign = _load(campaign_id)
    body = render_campaign(campaign)
    body["totals"] = lead_history.campaign_totals(database.session(), campaign.id)
    return jsonify(body)


def update_campaign(campaign_id: int) -> Response:
    require_supervisor()
    require_write()
    campaign = _load(campaign_id)
    data = json_body(FIELDS)
    agents = _agents(data)
    _check_types(data)
    session = database.session()
    _apply(lambda: domain.update_campaign(session, campaign, **data))
    if agents is not None:
        domain.set_agents(session, campaign, agents)
    audit(
        "campaign.update", object_type="campaign", object_id=campaign.id, details={"fields": sorted(data), "via": "api"}
    )
    session.commit()
    return jsonify(render_campaign(campaign))


def clone_campaign(campaign_id: int) -> tuple[Response, int]:
    require_supervisor()
    require_write()
    source = _load(campaign_id)
    data = json_body(("name",), required=("name",))
    _check_types(data)
    session = database.session()
    clone = _apply(lambda: domain.clone_campaign(session, source, data["name"]))
    audit("campaign.clone", object_type="campaign", object_id=clone.id, details={"from": source.id, "via": "api"})
    session.commit()
    return created(render_campaign(clone))


def _step(campaign_id: int, action: str) -> Response:
    require_supervisor()
    require_write()
    campaign = _load(campaign_id)
    if action == "stop":
        data = json_body(("confirm",))
        if data.get("confirm") is not True:
            fail(422, "validation_failed", 'stopping is final: send {"confirm": true}')
    steps = {"start": domain.start_campaign, "pause": domain.pause_campaign, "stop": domain.stop_campaign}
    try:
        steps[action](database.session(), campaign)
    except domain.CampaignError as exc:
        database.session().rollback()
        fail(409, "invalid_transition", exc.message)
    audit(f"campaign.{action}", object_type="campaign", object_id=campaign.id, details={"via": "api"})
    database.session().commit()
    return jsonify(render_campaign(campaign))


def start_campaign(campaign_id: int) -> Response:
    return _step(campaign_id, "start")


def pause_campaign(campaign_id: int) -> Response:
    return _step(campaign_id, "pause")


def stop_campaign(campaign_id: int) -> Response:
    return _step(campaign_id, "stop")


def list_leads(campaign_id: int) -> Response:
    require_supervisor()
    campaign = _load(campaign_id)
    q = Query(("status",))
    limit = q.limit()
    after = q.cursor("leads", cursor_id)
    stmt = select(Lead).where(Lead.campaign_id == campaign.id)
    statuses = q.choices("status", [s.value for s in LeadStatus])
    if statuses:
        stmt = stmt.where(Lead.status.in_(statuses))
    if after is not None:
        stmt = stmt.where(Lead.id > after)
    rows = list(database.session().scalars(stmt.order_by(Lead.id).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return page(rows, render_lead, encode_cursor("leads", [rows[-1].id]) if more else None)


def get_lead(lead_id: int) -> Response:
    """One lead with its calls and every refusal to dial it, with the reason."""
    require_supervisor()
    session = database.session()
    lead = session.get(Lead, lead_id) if 0 < lead_id <= MAX_ID else None
    if lead is None:
        not_found("lead", lead_id)
    body = render_lead(lead)
    body["refusals"] = [
        {
            "decided_at": iso(r.decided_at),
            "action": r.action,
            "reason": r.reason,
            "meaning": r.meaning,
            "retry_at": iso(r.retry_at),
            "dnc_source": r.dnc_source,
        }
        for r in lead_history.refusals(session, lead)
    ]
    body["attempts"] = [
        {
            "id": a.id,
            "placed_at": iso(a.placed_at),
            "outcome": a.outcome,
            "status": a.status,
            "abandoned": a.abandoned,
            "disposition": a.disposition,
        }
        for a in lead_history.attempts(session, lead)
    ]
    return jsonify(body)


ROUTES = [
    ("/campaigns", list_campaigns, ["GET"]),
    ("/campaigns", create_campaign, ["POST"]),
    ("/campaigns/<int:campaign_id>", get_campaign, ["GET"]),
    ("/campaigns/<int:campaign_id>", update_campaign, ["PATCH"]),
    ("/campaigns/<int:campaign_id>/clone", clone_campaign, ["POST"]),
    ("/campaigns/<int:campaign_id>/start", start_campaign, ["POST"]),
    ("/campaigns/<int:campaign_id>/pause", pause_campaign, ["POST"]),
    ("/campaigns/<int:campaign_id>/stop", stop_campaign, ["POST"]),
    ("/campaigns/<int:campaign_id>/leads", list_leads, ["GET"]),
    ("/leads/<int:lead_id>", get_lead, ["GET"]),
]
