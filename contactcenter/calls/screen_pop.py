"""The screen pop: the customer 360 an agent sees the moment a call is offered.

Built from the store in a fixed handful of indexed queries (the call by sid, the customer with
their phones, the last few interactions, open tickets with their running SLA clocks, the latest
ticket), so it stays fast with millions of tickets. The shape is plain JSON for the desktop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.acd.models import CallbackRequest
from contactcenter.acd.services import CALLBACK_PREFIX
from contactcenter.analytics.offer_responses import live_offers, responses_for_call
from contactcenter.analytics.services import customer_figures
from contactcenter.contacts.customers import CustomerError, create_customer
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.tickets.models import Ticket, TicketSla

OPEN_TICKET_STATES = ("new", "open", "pending", "on_hold")
HISTORY_SIZE = 5
OPEN_TICKETS_SIZE = 5


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ivr_nodes(path: list[Any] | None) -> list[str]:
    return [str(step.get("node")) for step in path or [] if isinstance(step, dict) and step.get("node")]


def _profile(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "segment": customer.segment,
        "email": customer.email,
        "phones": [p.e164 for p in customer.phones],
    }


def _history(session: Session, customer_id: int, call_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Interaction)
        .where(Interaction.customer_id == customer_id, Interaction.id != call_id)
        .order_by(Interaction.arrived_at.desc())
        .limit(HISTORY_SIZE)
    )
    return [
        {
            "at": _iso(h.arrived_at),
            "direction": h.direction,
            "outcome": h.outcome,
            "disposition": h.disposition,
            "notes": h.notes,
            "intent": h.intent,
        }
        for h in rows
    ]


def _sla_clocks(session: Session, ticket_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Running and paused clocks of the given tickets, soonest deadline first."""
    if not ticket_ids:
        return {}
    now = clock.now()
    clocks: dict[int, list[dict[str, Any]]] = {}
    rows = session.scalars(
        select(TicketSla)
        .where(TicketSla.ticket_id.in_(ticket_ids), TicketSla.state != "stopped")
        .order_by(TicketSla.deadline_at)
    )
    for row in rows:
        left = (row.deadline_at - now).total_seconds() if row.deadline_at is not None else None
        clocks.setdefault(row.ticket_id, []).append(
            {
                "metric": row.metric,
                "state": row.state,
                "deadline": _iso(row.deadline_at),
                "seconds_left": round(left) if left is not None else None,
                "breached": left is not None and left < 0 and row.state == "running",
            }
        )
    return clocks


def _ticket(t: Ticket, clocks: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "id": t.id,
        "subject": t.subject,
        "status": t.status,
        "priority": t.priority,
        "updated_at": _iso(t.updated_at),
        "sla": clocks.get(t.id, []),
    }


def build(session: Session, call_sid: str) -> dict[str, Any] | None:
    """The customer 360 for a call, or None when the store knows no such call."""
    if call_sid.startswith(CALLBACK_PREFIX):
        return _callback(session, call_sid)
    call = session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))
    if call is None:
        return None
    pop: dict[str, Any] = {
        "call_sid": call.call_sid,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "intent": call.intent,
        "language": call.language,
        "priority": call.priority,
        "ivr_path": _ivr_nodes(call.ivr_path),
        "ivr_variables": call.ivr_variables or {},
        "customer": None,
        "history": [],
        "open_tickets": [],
        "latest_ticket": None,
        "can_create_customer": call.customer_id is None,
    }
    if call.customer_id is None:
        return pop
    customer = session.get(Customer, call.customer_id)
    if customer is None:
        pop["can_create_customer"] = True
        return pop
    pop.update(customer_view(session, customer, exclude_call_id=call.id))
    if pop["customer"]["offers"]:
        answered = responses_for_call(session, call.id)
        for offer in pop["customer"]["offers"]:
            offer["response"] = answered.get(offer["product_id"])
    return pop


def _callback(session: Session, task: str) -> dict[str, Any] | None:
    """The pop of a callback the router offers (`cb-<id>`): the customer who asked and what they
    asked on the call they left, so the agent knows whom they are calling back and why. There is
    no call of ours yet (we dial when the agent accepts), so nothing is filed against it from the
    pop: no offer answers, no customer created from it."""
    number = task[len(CALLBACK_PREFIX) :]
    request = session.get(CallbackRequest, int(number)) if number.isdigit() else None
    if request is None:
        return None
    asked = session.get(Interaction, request.interaction_id) if request.interaction_id else None
    pop: dict[str, Any] = {
        "call_sid": None,
        "callback_id": request.id,
        "direction": "callback",
        "from": request.phone,
        "to": asked.to_number if asked is not None else None,
        "intent": request.intent,
        "language": asked.language if asked is not None else None,
        "priority": request.priority,
        "ivr_path": _ivr_nodes(asked.ivr_path) if asked is not None else [],
        "ivr_variables": (asked.ivr_variables or {}) if asked is not None else {},
        "requested_at": request.requested_at.isoformat(),
        "customer": None,
        "history": [],
        "open_tickets": [],
        "latest_ticket": None,
        "can_create_customer": False,
    }
    customer_id = request.customer_id or (asked.customer_id if asked is not None else None)
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is not None:
        pop.update(customer_view(session, customer))
    return pop


def customer_view(session: Session, customer: Customer, *, exclude_call_id: int = 0) -> dict[str, Any]:
    """The customer half of the pop (profile, recent calls, open and latest tickets): also what a
    web chat shows its agent, where there is no call."""
    pop: dict[str, Any] = {"customer": _profile(customer)}
    # Stored figures (segment, value tier, 12-month CLV, P(alive)): one indexed read, never computed here.
    figures = customer_figures(session, customer.id)
    pop["customer"]["analytics"] = figures.as_dict() if figures is not None else None
    # Next-best offers still in stock and eligible now (one query by id, only when there are any).
    pop["customer"]["offers"] = live_offers(session, list(figures.offer_candidates)) if figures is not None else []
    pop["history"] = _history(session, customer.id, exclude_call_id)
    open_tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer.id, Ticket.status.in_(OPEN_TICKET_STATES))
            .order_by(Ticket.id.desc())
            .limit(OPEN_TICKETS_SIZE)
        )
    )
    latest = session.scalar(select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.id.desc()).limit(1))
    clocks = _sla_clocks(session, [t.id for t in open_tickets])
    pop["open_tickets"] = [_ticket(t, clocks) for t in open_tickets]
    pop["latest_ticket"] = _ticket(latest, clocks) if latest is not None else None
    return pop


def create_caller(
    session: Session, call_sid: str, *, name: str, email: str | None = None, segment: str = "standard"
) -> Customer:
    """The quick "create customer" of an unknown caller: a customer with the caller's number,
    linked to this call and to the earlier calls from that number that knew no customer."""
    call = session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))
    if call is None:
        raise CustomerError("no such call")
    if call.customer_id is not None:
        raise CustomerError("this call already has a customer")
    number = call.from_number if call.direction == "inbound" else call.to_number
    customer = create_customer(session, name, [number], email=email or None, segment=segment)
    session.flush()
    for earlier in session.scalars(
        select(Interaction).where(
            Interaction.customer_id.is_(None),
            (Interaction.from_number == number) | (Interaction.to_number == number),
        )
    ):
        earlier.customer_id = customer.id
    return customer
