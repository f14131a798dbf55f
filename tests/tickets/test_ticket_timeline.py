"""The ticket timeline: calls, comments and trail events as one list, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

from contactcenter.tickets import timeline
from contactcenter.tickets.services import (
    add_comment,
    change_status,
    link_interaction,
    link_tickets,
    merge_tickets,
    update_ticket,
)
from tests.support.factories import gen_agent, gen_call, gen_queue, gen_ticket

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_calls_comments_and_changes_form_one_list_in_time_order(db):
    alice = gen_agent(db, "alice", display_name="Alice Agent")
    support = gen_queue(db, "support", display_name="Support")
    call = gen_call(
        db,
        arrived_at=at(-5),
        agent_id=alice.id,
        queue_id=support.id,
        disposition="resolved",
        notes="Customer reports a jam",
        duration_s=125,
        ivr_path=[{"node": "menu", "input": "2"}, {"node": "agent"}],
    )
    with freeze_time(at(0)):
        ticket = gen_ticket(db, "Printer jams", queue_id=support.id, actor_id=alice.id)
    with freeze_time(at(1)):
        link_interaction(db, ticket, call, actor_id=alice.id)  # attached later; shown when it happened
    with freeze_time(at(2)):
        add_comment(db, ticket, "Checked the logs", public=False, author_id=alice.id)
    with freeze_time(at(3)):
        update_ticket(
            db, ticket, {"priority": "high", "assignee_id": alice.id, "tags": ["hardware"]}, actor_id=alice.id
        )
    with freeze_time(at(4)):
        change_status(db, ticket, "open", actor_id=alice.id)
        add_comment(db, ticket, "We are on it", public=True, author_id=alice.id)
    with freeze_time(at(5)):
        add_comment(db, ticket, "Still broken", public=True, author_kind="customer")

    entries = timeline.build(db, ticket)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert [(e.kind, e.title) for e in entries] == [
        ("call", "Inbound call"),
        ("created", "Ticket created"),
        ("comment", "Internal note"),
        ("change", "Priority changed"),
        ("change", "Assignee changed"),
        ("change", "Tags changed"),
        ("change", "Status changed"),
        ("comment", "Public reply"),
        ("comment", "Customer wrote"),
    ]
    first = entries[0]
    assert first.actor == "Alice Agent"
    assert first.details["ivr_path"] == "menu (2) → agent"
    assert first.details["queue"] == "Support" and first.details["disposition"] == "resolved"
    assert first.details["notes"] == "Customer reports a jam" and first.details["duration_s"] == 125
    assignee = entries[4]
    assert (assignee.details["before"], assignee.details["after"]) == ("—", "Alice Agent")
    status = entries[6]
    assert (status.details["before"], status.details["after"]) == ("new", "open")
    internal, public = entries[2], entries[7]
    assert internal.details["public"] is False and public.details["public"] is True


def test_merges_and_links_appear_on_both_tickets(db):
    with freeze_time(at(0)):
        first = gen_ticket(db, "First")
        second = gen_ticket(db, "Second")
        third = gen_ticket(db, "Third")
    with freeze_time(at(1)):
        link_tickets(db, first, third, kind="related")
    with freeze_time(at(2)):
        merge_tickets(db, second, first)

    titles = [e.title for e in timeline.build(db, first)]
    assert titles == [
        "Ticket created",
        f"Linked to ticket #{third.id} (related)",
        f"Ticket #{second.id} merged into this one",
        "System note",
    ]
    merged = [e.title for e in timeline.build(db, second)]
    assert merged == ["Ticket created", "Status changed", f"Merged into ticket #{first.id}", "System note"]


def test_an_empty_ticket_has_its_creation_only(db):
    ticket = gen_ticket(db)
    assert [e.kind for e in timeline.build(db, ticket)] == ["created"]


def test_ivr_paths_of_any_shape_read_as_text():
    assert timeline.ivr_path_text([]) is None
    assert timeline.ivr_path_text(None) is None
    assert timeline.ivr_path_text(["welcome", {"node": "menu"}]) == "welcome → menu"
