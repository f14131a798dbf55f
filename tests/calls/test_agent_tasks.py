"""The desktop's task list: the callbacks an agent promised and the open tickets assigned to them."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time

from contactcenter import clock
from contactcenter.calls.agent_tasks import CALLBACKS_AHEAD, MAX_ITEMS, callbacks_for, tasks_for, tickets_for
from contactcenter.dialer.models import LeadStatus
from contactcenter.tickets.services import open_ticket
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import gen_agent

NOW = "2026-03-02 15:00:00"


def _promise(db, campaign, phone, agent, *, in_minutes, **kw):  # type: ignore[no-untyped-def]
    lead = gen_lead(db, campaign, phone, **kw)
    lead.callback_at = clock.now() + timedelta(minutes=in_minutes)
    lead.callback_agent_id = agent.id
    db.flush()
    return lead


@freeze_time(NOW)
def test_callbacks_list_mine_due_first_and_mark_the_due_ones(db):
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    campaign = gen_campaign(db, "Renewals", start=False)
    later = _promise(db, campaign, "+14155550101", alice, in_minutes=90, name="Later")
    overdue = _promise(db, campaign, "+14155550102", alice, in_minutes=-5, name="Overdue")
    _promise(db, campaign, "+14155550103", bob, in_minutes=-5, name="Bob's")

    listed = callbacks_for(db, alice.id)

    assert [(c.lead_id, c.due) for c in listed] == [(overdue.id, True), (later.id, False)]
    assert listed[0].campaign == "Renewals"


@freeze_time(NOW)
def test_callbacks_far_ahead_or_no_longer_ready_are_left_out(db):
    alice = gen_agent(db, "alice")
    campaign = gen_campaign(db, "Renewals", start=False)
    ahead = CALLBACKS_AHEAD.total_seconds() / 60
    _promise(db, campaign, "+14155550101", alice, in_minutes=ahead + 1)
    done = _promise(db, campaign, "+14155550102", alice, in_minutes=-1)
    done.status = LeadStatus.DONE.value
    db.flush()

    assert callbacks_for(db, alice.id) == []


def test_tickets_are_my_open_ones_only(db):
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    mine = open_ticket(db, "Router keeps dropping")
    mine.assignee_id = alice.id
    solved = open_ticket(db, "Invoice question")
    solved.assignee_id = alice.id
    solved.status = "solved"
    theirs = open_ticket(db, "Billing address")
    theirs.assignee_id = bob.id
    db.flush()

    assert [t["id"] for t in tickets_for(db, alice.id)] == [mine.id]


def test_a_long_list_is_cut_to_what_the_column_shows(db):
    alice = gen_agent(db, "alice")
    for n in range(MAX_ITEMS + 3):
        ticket = open_ticket(db, f"Ticket {n}")
        ticket.assignee_id = alice.id
    db.flush()

    assert len(tasks_for(db, alice.id)["tickets"]) == MAX_ITEMS
