"""Bulk actions: the API's access ticket by ticket, each change on the trail, refusals skipped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.tickets import bulk, views
from contactcenter.tickets.bulk import BulkError
from contactcenter.tickets.models import TicketEvent
from contactcenter.tickets.services import update_ticket
from tests.support.factories import gen_ticket
from tests.support.ticket_office import gen_ticket_office, viewer


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    return gen_ticket_office(db)


def _trail(db, ticket):  # type: ignore[no-untyped-def]
    return list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))


def test_assigning_in_bulk_writes_one_trail_entry_per_ticket(db, office):
    alice = office["alice"]
    picked = [office["a_new"], office["a_open"]]
    result = bulk.apply(db, viewer(alice), [t.id for t in picked], "assign", "me")
    assert sorted(result.changed) == sorted(t.id for t in picked)
    for ticket in picked:
        last = _trail(db, ticket)[-1]
        assert (last.kind, last.field, last.actor_id, last.after) == (
            "updated",
            "assignee_id",
            alice.id,
            {"assignee_id": alice.id},
        )


def test_an_agent_picking_a_ticket_they_cannot_see_changes_nothing(db, office):
    picked = [office["a_new"].id, office["b_new"].id]
    with pytest.raises(BulkError, match=f"no ticket #{office['b_new'].id}"):
        bulk.apply(db, viewer(office["alice"]), picked, "priority", "urgent")
    assert office["a_new"].priority == "normal"


def test_an_agent_may_assign_within_their_queue_as_the_api_does(db, office):
    result = bulk.apply(db, viewer(office["alice"]), [office["a_new"].id], "assign", str(office["bob"].id))
    assert result.changed == [office["a_new"].id] and office["a_new"].assignee_id == office["bob"].id


def test_an_agent_may_not_assign_a_ticket_out_of_their_reach(db, office):
    own = gen_ticket(db, "Only mine", assignee_id=office["alice"].id)
    result = bulk.apply(db, viewer(office["alice"]), [own.id], "assign", str(office["bob"].id))
    assert result.changed == [] and "own queues" in result.skipped[own.id]
    assert own.assignee_id == office["alice"].id


def test_a_supervisor_assigns_anyone_anywhere(db, office):
    picked = [office["a_new"].id, office["b_new"].id]
    result = bulk.apply(db, viewer(office["sam"]), picked, "assign", str(office["bob"].id))
    assert sorted(result.changed) == sorted(picked)


def test_a_status_the_lifecycle_refuses_skips_that_ticket_only(db, office):
    picked = [office["a_new"].id, office["a_open"].id]
    result = bulk.apply(db, viewer(office["alice"]), picked, "status", "solved")
    assert result.changed == [office["a_open"].id]
    assert "cannot change status from new to solved" in result.skipped[office["a_new"].id]
    assert (office["a_new"].status, office["a_open"].status) == ("new", "solved")


def test_tickets_already_so_are_counted_apart(db, office):
    result = bulk.apply(db, viewer(office["alice"]), [office["a_open"].id, office["a_new"].id], "priority", "high")
    assert result.unchanged == [office["a_open"].id] and result.changed == [office["a_new"].id]
    assert result.summary() == "1 ticket changed, 1 already so."


def test_a_tag_is_added_to_the_tags_each_ticket_has(db, office):
    bulk.apply(db, viewer(office["sam"]), [office["a_billing"].id, office["a_new"].id], "tag", "Printer")
    assert office["a_billing"].tags == ["billing", "printer"] and office["a_new"].tags == ["printer"]


def test_merging_folds_the_others_into_the_chosen_ticket(db, office):
    target, other = office["a_new"], office["a_billing"]
    result = bulk.apply(db, viewer(office["alice"]), [target.id, other.id], "merge", f"#{target.id}")
    assert result.changed == [other.id]
    assert other.status == "merged" and other.merged_into_id == target.id


def test_the_ticket_merged_into_must_be_one_of_the_picked(db, office):
    with pytest.raises(BulkError, match="must be one of the picked"):
        picked = [office["a_new"].id, office["a_open"].id]
        bulk.apply(db, viewer(office["sam"]), picked, "merge", str(office["b_new"].id))


@pytest.mark.parametrize(
    "ids, action, value, message",
    [
        ([], "priority", "high", "pick at least one ticket"),
        (list(range(1, 102)), "priority", "high", "at most 100"),
        ([1], "delete", "", "the action must be one of"),
        ([1], "status", "merged", "choose a status"),
        ([1], "priority", "' OR 1=1 --", "priority must be one of"),
        ([1], "assign", "<script>alert(1)</script>", "choose whom"),
        ([1], "tag", "x" * 41, "a tag is 1 to 40"),
    ],
)
def test_a_request_that_cannot_run_is_refused_whole(db, office, ids, action, value, message):
    ids = [office["a_new"].id] if ids == [1] else ids
    with pytest.raises(BulkError, match=message):
        bulk.apply(db, viewer(office["sam"]), ids, action, value)


def test_a_ticket_change_marks_the_session_for_the_live_counts(db, office):
    views.take_changed(db)
    update_ticket(db, office["a_new"], {"priority": "low"})
    assert views.take_changed(db) is True
    assert views.take_changed(db) is False
