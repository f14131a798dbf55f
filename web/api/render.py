"""Domain objects as the JSON the API documents (see openapi.py for the shapes)."""

from __future__ import annotations

from typing import Any

from contactcenter.accounts.models import User
from contactcenter.tickets.models import (
    ApiToken,
    BusinessCalendarRecord,
    Customer,
    Interaction,
    SlaPolicy,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketSla,
)
from web.api.core import finite, iso


def customer(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "segment": c.segment,
        "phones": [p.e164 for p in c.phones],
        "attributes": c.attributes or {},
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
    }


def interaction(i: Interaction) -> dict[str, Any]:
    return {
        "id": i.id,
        "call_sid": i.call_sid,
        "direction": i.direction,
        "from_number": i.from_number,
        "to_number": i.to_number,
        "customer_id": i.customer_id,
        "status": i.status,
        "outcome": i.outcome,
        "queue_id": i.queue_id,
        "agent_id": i.agent_id,
        "arrived_at": iso(i.arrived_at),
        "queued_at": iso(i.queued_at),
        "answered_at": iso(i.answered_at),
        "ended_at": iso(i.ended_at),
        "duration_s": i.duration_s,
        "disposition": i.disposition,
        "notes": i.notes,
        "ivr_path": i.ivr_path or [],
    }


def sla_row(r: TicketSla) -> dict[str, Any]:
    return {
        "id": r.id,
        "ticket_id": r.ticket_id,
        "metric": r.metric,
        "cycle": r.cycle,
        "policy_id": r.policy_id,
        "target_s": r.target_s,
        "business_hours": r.business_hours,
        "state": r.state,
        "started_at": iso(r.started_at),
        "stopped_at": iso(r.stopped_at),
        "deadline": iso(r.deadline_at),
        "elapsed_s": finite(r.elapsed_s),
        "computed_at": iso(r.computed_at),
    }


def ticket(t: Ticket, *, clocks: list[TicketSla] | None = None) -> dict[str, Any]:
    body = {
        "id": t.id,
        "subject": t.subject,
        "description": t.description,
        "status": t.status,
        "priority": t.priority,
        "channel": t.channel,
        "queue_id": t.queue_id,
        "assignee_id": t.assignee_id,
        "customer_id": t.customer_id,
        "tags": list(t.tags or []),
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    }
    if clocks is not None:
        body["sla"] = [sla_row(r) for r in clocks]
    return body


def comment(c: TicketComment) -> dict[str, Any]:
    return {
        "id": c.id,
        "ticket_id": c.ticket_id,
        "author_id": c.author_id,
        "author_kind": c.author_kind,
        "public": c.public,
        "body": c.body,
        "created_at": iso(c.created_at),
    }


def event(e: TicketEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "ticket_id": e.ticket_id,
        "actor_id": e.actor_id,
        "at": iso(e.at),
        "kind": e.kind,
        "field": e.field,
        "before": e.before or {},
        "after": e.after or {},
    }


def policy(p: SlaPolicy) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "position": p.position,
        "active": p.active,
        "priorities": p.priorities or [],
        "queue_ids": p.queue_ids or [],
        "segments": p.segments or [],
        "channels": p.channels or [],
        "calendar_id": p.calendar_id,
        "targets": p.targets or {},
        "warn_before_s": p.warn_before_s,
        "on_breach_raise_priority": p.on_breach_raise_priority,
        "on_breach_assignee_id": p.on_breach_assignee_id,
        "on_breach_queue_id": p.on_breach_queue_id,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def calendar(c: BusinessCalendarRecord) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "definition": c.definition, "created_at": iso(c.created_at), "updated_at": iso(c.updated_at)}


def token(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "user_id": t.user_id,
        "name": t.name,
        "prefix": t.prefix,
        "read_only": t.read_only,
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
        "last_used_at": iso(t.last_used_at),
        "revoked_at": iso(t.revoked_at),
    }


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role, "active": u.active}
