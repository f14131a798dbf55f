"""Domain objects as the JSON the API documents (see openapi.py for the shapes)."""

from __future__ import annotations

from typing import Any

from contactcenter.accounts.models import User
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.tickets.models import (
    ApiToken,
    BusinessCalendarRecord,
    SlaPolicy,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketSla,
)
from web.api.core import finite, iso


def _row(obj: Any, plain: str, *, times: str = "", lists: str = "", maps: str = "") -> dict[str, Any]:
    """One resource as JSON: plain columns as they are, times in ISO 8601, empty lists/maps for NULL."""
    out: dict[str, Any] = {name: getattr(obj, name) for name in plain.split()}
    out.update({name: iso(getattr(obj, name)) for name in times.split()})
    out.update({name: list(getattr(obj, name) or []) for name in lists.split()})
    out.update({name: getattr(obj, name) or {} for name in maps.split()})
    return out


STAMPS = "created_at updated_at"


def customer(c: Customer) -> dict[str, Any]:
    return {**_row(c, "id name email segment", times=STAMPS, maps="attributes"), "phones": [p.e164 for p in c.phones]}


def interaction(i: Interaction) -> dict[str, Any]:
    return _row(
        i,
        "id call_sid direction from_number to_number customer_id status outcome queue_id agent_id duration_s "
        "disposition notes",
        times="arrived_at queued_at answered_at ended_at",
        lists="ivr_path",
    )


def sla_row(r: TicketSla) -> dict[str, Any]:
    return {
        **_row(
            r,
            "id ticket_id metric cycle policy_id target_s business_hours state unanswered",
            times="started_at stopped_at computed_at",
        ),
        "deadline": iso(r.deadline_at),
        "elapsed_s": finite(r.elapsed_s),
    }


def ticket(t: Ticket, *, clocks: list[TicketSla] | None = None) -> dict[str, Any]:
    body = _row(
        t, "id subject description status priority channel queue_id assignee_id customer_id", times=STAMPS, lists="tags"
    )
    if clocks is not None:
        body["sla"] = [sla_row(r) for r in clocks]
    return body


def comment(c: TicketComment) -> dict[str, Any]:
    return _row(c, "id ticket_id author_id author_kind public body", times="created_at")


def event(e: TicketEvent) -> dict[str, Any]:
    return _row(e, "id ticket_id actor_id kind field", times="at", maps="before after")


def policy(p: SlaPolicy) -> dict[str, Any]:
    return _row(
        p,
        "id name position active calendar_id warn_before_s on_breach_raise_priority on_breach_assignee_id "
        "on_breach_queue_id",
        times=STAMPS,
        lists="priorities queue_ids segments channels",
        maps="targets",
    )


def calendar(c: BusinessCalendarRecord) -> dict[str, Any]:
    return _row(c, "id name definition", times=STAMPS)


def token(t: ApiToken) -> dict[str, Any]:
    return _row(t, "id user_id name prefix read_only", times="created_at expires_at last_used_at revoked_at")


def user(u: User) -> dict[str, Any]:
    return _row(u, "id username display_name role active")
