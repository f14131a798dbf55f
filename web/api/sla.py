"""/api/sla: clocks due soon (scoped like tickets), and the policies and calendars (read:
supervisors and admins; write: admins). /api/reports/sla: hit rates."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Response, jsonify
from sqlalchemy import select

from contactcenter import clock
from contactcenter.app.tasks import tickets as tasks
from contactcenter.tickets import access, reports, sla
from contactcenter.tickets.models import BusinessCalendarRecord, SlaPolicy
from web import database
from web.api import render
from web.api.core import (
    MAX_ID,
    Query,
    created,
    cursor_instant_id,
    encode_cursor,
    fail,
    json_body,
    not_found,
    page,
    require_admin,
    require_supervisor,
    require_write,
    viewer,
)

log = logging.getLogger("contactcenter.api")
POLICY_FIELDS = ("name", *sla.POLICY_OPTIONS)


def due() -> Response:
    """Clocks whose deadline falls within `within` seconds (default an hour), soonest first."""
    session = database.session()
    q = Query(("within", "include_breached"))
    within = q.number("within", 1, 366 * 24 * 3600, 3600)
    include_breached = q.flag("include_breached")
    limit = q.limit()
    after = q.cursor("sla-due", cursor_instant_id)
    now = clock.now()
    rows = sla.due_before(
        session,
        now + timedelta(seconds=within),
        now=now,
        include_breached=include_breached,
        ticket_filter=access.ticket_filter(viewer()),
        after=after,
        limit=limit + 1,
    )
    more, rows = len(rows) > limit, rows[:limit]
    cursor = encode_cursor("sla-due", [rows[-1].deadline_at, rows[-1].id]) if more else None
    return page(rows, render.sla_row, cursor)


def _recompute_later() -> None:
    try:
        tasks.recompute_open_tickets.enqueue(_connection=database.runtime().redis)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - tickets also pick the change up at their next update
        log.warning("could not queue the SLA recompute", exc_info=True)


def list_policies() -> Response:
    require_supervisor()
    Query(())
    rows = database.session().scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)).all()
    return page(list(rows), render.policy, None)


def _policy(policy_id: int) -> SlaPolicy:
    policy = database.session().get(SlaPolicy, policy_id) if 0 < policy_id <= MAX_ID else None
    if policy is None:
        not_found("SLA policy", policy_id)
    return policy


def get_policy(policy_id: int) -> Response:
    require_supervisor()
    return jsonify(render.policy(_policy(policy_id)))


def create_policy() -> tuple[Response, int]:
    require_admin()
    require_write()
    data = json_body(POLICY_FIELDS, required=("name", "targets"))
    session = database.session()
    policy = sla.create_policy(session, data.pop("name"), targets=data.pop("targets"), **data)
    session.commit()
    _recompute_later()
    return created(render.policy(policy))


def update_policy(policy_id: int) -> Response:
    require_admin()
    require_write()
    policy = _policy(policy_id)
    data = json_body(POLICY_FIELDS)
    session = database.session()
    sla.update_policy(session, policy, data)
    session.commit()
    _recompute_later()
    return jsonify(render.policy(policy))


def list_calendars() -> Response:
    require_supervisor()
    Query(())
    rows = database.session().scalars(select(BusinessCalendarRecord).order_by(BusinessCalendarRecord.id)).all()
    return page(list(rows), render.calendar, None)


def _calendar(calendar_id: int) -> BusinessCalendarRecord:
    record = database.session().get(BusinessCalendarRecord, calendar_id) if 0 < calendar_id <= MAX_ID else None
    if record is None:
        not_found("calendar", calendar_id)
    return record


def get_calendar(calendar_id: int) -> Response:
    require_supervisor()
    return jsonify(render.calendar(_calendar(calendar_id)))


def create_calendar() -> tuple[Response, int]:
    require_admin()
    require_write()
    data = json_body(("name", "definition"), required=("name", "definition"))
    if not isinstance(data["definition"], dict):
        fail(422, "validation_failed", "definition must be an object")
    session = database.session()
    record = sla.create_calendar(session, data["name"], data["definition"])
    session.commit()
    return created(render.calendar(record))


def update_calendar(calendar_id: int) -> Response:
    require_admin()
    require_write()
    record = _calendar(calendar_id)
    data = json_body(("name", "definition"))
    if "definition" in data and not isinstance(data["definition"], dict):
        fail(422, "validation_failed", "definition must be an object")
    session = database.session()
    sla.update_calendar(session, record, name=data.get("name"), definition=data.get("definition"))
    session.commit()
    _recompute_later()
    return jsonify(render.calendar(record))


def sla_report() -> Response:
    require_supervisor()
    q = Query(("from", "to"))
    start, end = q.instant("from"), q.instant("to")
    if start is not None and end is not None and end <= start:
        fail(400, "invalid_filter", "to must be after from")
    return jsonify(reports.sla_hit_rates(database.session(), start=start, end=end).to_dict())


ROUTES = [
    ("/sla/due", due, ["GET"]),
    ("/sla/policies", list_policies, ["GET"]),
    ("/sla/policies", create_policy, ["POST"]),
    ("/sla/policies/<int:policy_id>", get_policy, ["GET"]),
    ("/sla/policies/<int:policy_id>", update_policy, ["PATCH"]),
    ("/sla/calendars", list_calendars, ["GET"]),
    ("/sla/calendars", create_calendar, ["POST"]),
    ("/sla/calendars/<int:calendar_id>", get_calendar, ["GET"]),
    ("/sla/calendars/<int:calendar_id>", update_calendar, ["PATCH"]),
    ("/reports/sla", sla_report, ["GET"]),
]
