"""A small office for the ticket workspace tests: two queues, an agent in each, a supervisor, an
admin, and tickets in both queues."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contactcenter.accounts.models import Role
from contactcenter.tickets.access import Viewer
from tests.support.factories import gen_agent, gen_customer, gen_member, gen_queue, gen_ticket


def gen_ticket_office(session: Session) -> dict[str, Any]:
    """Queue A (alice) and queue B (bob); sam supervises, ann administers. Tickets:
    a_new, a_open (high), a_billing (tag billing) in A; b_new, b_open in B."""
    a = gen_queue(session, "queue_a", display_name="Queue A")
    b = gen_queue(session, "queue_b", display_name="Queue B")
    alice = gen_agent(session, "alice", display_name="Alice Agent")
    bob = gen_agent(session, "bob", display_name="Bob Agent")
    sam = gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
    ann = gen_agent(session, "ann", role=Role.ADMIN, display_name="Ann Admin")
    gen_member(session, alice, a)
    gen_member(session, bob, b)
    grace = gen_customer(session, "Grace Hopper", ("+14155550100",))
    tickets = {
        "a_new": gen_ticket(session, "Printer jams", queue_id=a.id, customer_id=grace.id),
        "a_open": gen_ticket(session, "Screen flickers", queue_id=a.id, status="open", priority="high"),
        "a_billing": gen_ticket(session, "Invoice twice", queue_id=a.id, tags=["billing"]),
        "b_new": gen_ticket(session, "Router blinks", queue_id=b.id),
        "b_open": gen_ticket(session, "Refund please", queue_id=b.id, status="open", tags=["billing"]),
    }
    session.flush()
    return {"a": a, "b": b, "alice": alice, "bob": bob, "sam": sam, "ann": ann, "grace": grace, **tickets}


def viewer(user: Any) -> Viewer:
    return Viewer(user.id, user.role)
