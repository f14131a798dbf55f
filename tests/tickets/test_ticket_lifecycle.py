"""Ticket lifecycle: allowed transitions, audit trail, comments, links, merges."""

from __future__ import annotations

import itertools

import pytest

from contactcenter import clock
from contactcenter.contacts.models import Interaction
from contactcenter.tickets.models import TicketComment, TicketMerge
from contactcenter.tickets.services import (
    FINAL,
    STATUSES,
    TRANSITIONS,
    InvalidTransition,
    TicketError,
    add_comment,
    change_status,
    link_interaction,
    link_tickets,
    linked_tickets,
    merge_tickets,
    open_ticket,
    ticket_events,
    unlink_tickets,
    update_ticket,
)
from tests.support.factories import call_sid, gen_agent, gen_customer, gen_queue

# Shortest path from new to each status, through allowed transitions only.
PATHS = {
    "new": [],
    "open": ["open"],
    "pending": ["open", "pending"],
    "on_hold": ["open", "on_hold"],
    "solved": ["open", "solved"],
    "closed": ["open", "solved", "closed"],
}


def ticket_in(db, status):  # type: ignore[no-untyped-def]
    ticket = open_ticket(db, f"In {status}")
    for step in PATHS[status]:
        change_status(db, ticket, step)
    assert ticket.status == status
    return ticket


def test_the_documented_lifecycle_is_the_enforced_one():
    assert TRANSITIONS == {
        "new": {"open"},
        "open": {"pending", "on_hold", "solved"},
        "pending": {"open", "on_hold", "solved"},
        "on_hold": {"open", "pending", "solved"},
        "solved": {"open", "closed"},
        "closed": set(),
        "merged": set(),
    }


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(PATHS, STATUSES)))
def test_every_transition_is_allowed_or_refused_with_a_clear_message(db, current, wanted):
    ticket = ticket_in(db, current)
    before = len(ticket_events(db, ticket.id))
    if wanted == current:
        assert change_status(db, ticket, wanted) is None
        assert len(ticket_events(db, ticket.id)) == before
    elif wanted in TRANSITIONS[current]:
        event = change_status(db, ticket, wanted, actor_id=None)
        assert event is not None and event.before == {"status": current} and event.after == {"status": wanted}
        assert ticket.status == wanted
    elif wanted == "merged":
        with pytest.raises(TicketError, match="merging" if current != "closed" else "closed tickets cannot"):
            change_status(db, ticket, wanted)
    else:
        with pytest.raises(InvalidTransition) as caught:
            change_status(db, ticket, wanted)
        message = str(caught.value)
        assert f"from {current} to {wanted}" in message
        assert all(a in message for a in TRANSITIONS[current]) or "cannot change status" in message
        assert ticket.status == current
        assert len(ticket_events(db, ticket.id)) == before


def test_unknown_status_is_refused(db):
    ticket = open_ticket(db, "Printer on fire")
    with pytest.raises(TicketError, match="status must be one of"):
        change_status(db, ticket, "'; DROP TABLE tickets; --")


def test_every_change_is_audited_with_who_and_before_after(db):
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    support, billing = gen_queue(db, "support"), gen_queue(db, "billing")
    grace = gen_customer(db)
    ticket = open_ticket(db, "Refund", customer_id=grace.id, queue_id=support.id, actor_id=alice.id)
    events = update_ticket(
        db,
        ticket,
        {
            "priority": "urgent",
            "queue_id": billing.id,
            "assignee_id": bob.id,
            "tags": ["Refund", "vip", "refund"],
            "subject": "Refund for order 12345",
            "status": "open",
        },
        actor_id=alice.id,
    )
    changes = {(e.kind, e.field): (e.before, e.after) for e in events}
    assert changes == {
        ("updated", "subject"): ({"subject": "Refund"}, {"subject": "Refund for order 12345"}),
        ("updated", "priority"): ({"priority": "normal"}, {"priority": "urgent"}),
        ("updated", "queue_id"): ({"queue_id": support.id}, {"queue_id": billing.id}),
        ("updated", "assignee_id"): ({"assignee_id": None}, {"assignee_id": bob.id}),
        ("updated", "tags"): ({"tags": []}, {"tags": ["refund", "vip"]}),
        ("status", "status"): ({"status": "new"}, {"status": "open"}),
    }
    assert all(e.actor_id == alice.id and e.at is not None for e in events)
    assert update_ticket(db, ticket, {"priority": "urgent"}) == []  # no change, no event
    assert [e.kind for e in ticket.events][0] == "created"


def test_update_validates_before_changing_anything(db):
    ticket = open_ticket(db, "Refund")
    for changes, message in [
        ({"priority": "critical"}, "priority"),
        ({"queue_id": 99999}, "queue 99999 does not exist"),
        ({"assignee_id": "1; DROP TABLE users"}, "whole number"),
        ({"customer_id": 2**40}, "does not exist"),
        ({"channel": "pigeon"}, "channel"),
        ({"tags": "not-a-list"}, "tags"),
        ({"tags": ["x" * 41]}, "tag"),
        ({"subject": ""}, "subject"),
        ({"owner": 1}, "unknown ticket field"),
        ({"priority": "high", "status": "solved"}, "from new to solved"),
    ]:
        with pytest.raises(TicketError, match=message):
            update_ticket(db, ticket, changes)
    assert (ticket.priority, ticket.status, ticket.subject) == ("normal", "new", "Refund")
    assert [e.kind for e in ticket_events(db, ticket.id)] == ["created"]


def test_comments_public_and_internal(db):
    alice = gen_agent(db, "alice")
    ticket = ticket_in(db, "open")
    note = add_comment(db, ticket, "Customer sounded upset", author_id=alice.id)
    reply = add_comment(db, ticket, "We are on it", public=True, author_id=alice.id)
    assert (note.public, reply.public) == (False, True)
    kinds = [(e.kind, e.after.get("public")) for e in ticket_events(db, ticket.id) if e.kind == "comment"]
    assert kinds == [("comment", False), ("comment", True)]
    with pytest.raises(TicketError, match="body"):
        add_comment(db, ticket, "   ")
    with pytest.raises(TicketError, match="always public"):
        add_comment(db, ticket, "hi", author_kind="customer", public=False)


@pytest.mark.parametrize("status", ["pending", "on_hold", "solved"])
def test_customer_reply_reopens_the_ticket(db, status):
    ticket = ticket_in(db, status)
    add_comment(db, ticket, "Still broken", public=True, author_kind="customer")
    assert ticket.status == "open"
    trail = [(e.kind, e.after) for e in ticket_events(db, ticket.id)][-2:]
    assert trail[0] == ("status", {"status": "open"})
    assert trail[1][0] == "comment" and trail[1][1]["author"] == "customer"


def test_closed_tickets_are_final(db):
    ticket = ticket_in(db, "closed")
    with pytest.raises(TicketError, match="closed"):
        add_comment(db, ticket, "hello", public=True, author_kind="customer")
    with pytest.raises(TicketError, match="closed"):
        update_ticket(db, ticket, {"priority": "high"})


def test_linking_calls_is_idempotent_and_audited(db):
    ticket = open_ticket(db, "Call about invoice")
    call = Interaction(call_sid=call_sid(), direction="inbound", from_number="+14155550100", to_number="+18005550199")
    db.add(call)
    db.flush()
    assert link_interaction(db, ticket, call) is True
    assert link_interaction(db, ticket, call) is False
    db.expire(ticket, ["interactions"])
    assert [i.id for i in ticket.interactions] == [call.id]
    [event] = [e for e in ticket_events(db, ticket.id) if e.kind == "linked_call"]
    assert event.after == {
        "call_sid": call.call_sid,
        "interaction_id": call.id,
        "direction": "inbound",
        "answered": False,
    }


def test_link_and_unlink_tickets(db):
    a, b = open_ticket(db, "Outage in Berlin"), open_ticket(db, "Outage in Hamburg")
    link = link_tickets(db, b, a, kind="related")
    assert (link.ticket_id, link.linked_id) == (a.id, b.id)
    assert link_tickets(db, a, b).id == link.id  # again: same link
    assert linked_tickets(db, a.id) == [(b.id, "related")] and linked_tickets(db, b.id) == [(a.id, "related")]
    with pytest.raises(TicketError, match="itself"):
        link_tickets(db, a, a)
    with pytest.raises(TicketError, match="already linked"):
        link_tickets(db, a, b, kind="duplicate")
    assert unlink_tickets(db, a, b) is True and unlink_tickets(db, a, b) is False
    assert [e.kind for e in ticket_events(db, a.id)][-2:] == ["linked_ticket", "unlinked_ticket"]


def test_merge_moves_calls_and_is_terminal(db):
    alice = gen_agent(db, "alice")
    source, target = ticket_in(db, "open"), ticket_in(db, "pending")
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550199",
        answered_at=clock.now(),
    )
    db.add(call)
    db.flush()
    link_interaction(db, source, call)
    result = merge_tickets(db, source, target, actor_id=alice.id)
    assert result.moved_calls == 1 and source.status == "merged" and source.merged_into_id == target.id
    assert db.query(TicketMerge).filter_by(source_id=source.id).one().target_id == target.id
    notes = db.query(TicketComment).filter(TicketComment.ticket_id.in_([source.id, target.id])).all()
    assert {n.author_kind for n in notes} == {"system"} and not any(n.public for n in notes)
    assert [e.kind for e in ticket_events(db, source.id)][-2:] == ["status", "merged_into"]
    assert "merged_from" in [e.kind for e in ticket_events(db, target.id)]
    for attempt in (
        lambda: change_status(db, source, "open"),
        lambda: merge_tickets(db, source, target),
        lambda: merge_tickets(db, target, source),
        lambda: add_comment(db, source, "hello"),
    ):
        with pytest.raises(TicketError):
            attempt()
    with pytest.raises(TicketError, match="itself"):
        merge_tickets(db, target, target)


def test_final_statuses():
    assert FINAL == {"closed", "merged"}
