"""Tickets keep an append-only trail of what happened to them."""

from __future__ import annotations

import pytest

from contactcenter.tickets.models import AppendOnlyViolation, TicketEvent
from contactcenter.tickets.services import TicketError, open_ticket
from tests.support.factories import gen_agent, gen_customer


def test_opening_a_ticket_records_who_and_what(db):
    alice = gen_agent(db, "alice")
    grace = gen_customer(db)
    ticket = open_ticket(db, "Refund for order 12345", customer_id=grace.id, priority="high", actor_id=alice.id)
    [event] = ticket.events
    assert event.kind == "created" and event.actor_id == alice.id
    assert event.after["priority"] == "high" and event.after["status"] == "new"


def test_ticket_events_cannot_be_rewritten(db):
    ticket = open_ticket(db, "Broken router")
    event = db.get(TicketEvent, ticket.events[0].id)
    event.kind = "tampered"
    with pytest.raises(AppendOnlyViolation):
        db.flush()


def test_ticket_events_cannot_be_deleted(db):
    ticket = open_ticket(db, "Broken router")
    db.delete(ticket.events[0])
    with pytest.raises(AppendOnlyViolation):
        db.flush()


@pytest.mark.parametrize("subject", ["", "   ", "x" * 256])
def test_ticket_needs_a_reasonable_subject(db, subject):
    with pytest.raises(TicketError):
        open_ticket(db, subject)


def test_unknown_priority_is_refused(db):
    with pytest.raises(TicketError, match="priority"):
        open_ticket(db, "Something", priority="'; DROP TABLE tickets; --")
