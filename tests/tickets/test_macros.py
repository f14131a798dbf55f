"""Macros: validated as a whole, applied through the ticket services (on the trail), within reach."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactcenter.tickets import macros
from contactcenter.tickets.macros import MacroError, MacroFields, MacroInvalid
from contactcenter.tickets.models import TicketEvent, TicketMacro
from tests.support.ticket_office import gen_ticket_office, viewer


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    return gen_ticket_office(db)


def _trail(db, ticket):  # type: ignore[no-untyped-def]
    return list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))


def test_a_macro_is_saved_with_its_fields(db, office):
    macro = macros.save(
        db,
        MacroFields(
            name="  Refund  sent ",
            status="open",
            priority="low",
            assignee="me",
            add_tags="Billing, refund",
            comment="Your refund is on its way.",
            comment_public=True,
        ),
    )
    assert (macro.name, macro.status, macro.priority, macro.assignee) == ("Refund sent", "open", "low", "me")
    assert macro.add_tags == ["billing", "refund"] and macro.comment_public is True


@pytest.mark.parametrize(
    "fields, field, message",
    [
        (MacroFields(name="", comment="x"), "name", "give the macro a name"),
        (MacroFields(name="x" * 81, comment="x"), "name", "at most 80"),
        (MacroFields(name="Nothing"), "name", "sets at least one field"),
        (MacroFields(name="Bad", status="merged"), "status", "choose one of"),
        (MacroFields(name="Bad", priority="' OR 1=1 --"), "priority", "choose one of"),
        (MacroFields(name="Bad", assignee="<script>"), "assignee", "choose a person"),
        (MacroFields(name="Bad", queue_id="999999"), "queue_id", "choose a queue"),
        (MacroFields(name="Bad", add_tags="x" * 41), "add_tags", "each tag must be"),
        (MacroFields(name="Bad", comment="x" * 20_001), "comment", "at most 20,000"),
        (MacroFields(name="Bad\x00", comment="x"), "name", "NUL"),
    ],
)
def test_a_macro_that_does_not_validate_names_the_field_and_stores_nothing(db, office, fields, field, message):
    with pytest.raises(MacroInvalid) as refused:
        macros.save(db, fields)
    assert message in refused.value.problems[field]
    assert db.scalar(select(func.count(TicketMacro.id))) == 0


def test_two_macros_may_not_share_a_name(db, office):
    macros.save(db, MacroFields(name="Escalate", priority="urgent"))
    with pytest.raises(MacroInvalid, match="another macro has this name"):
        macros.save(db, MacroFields(name="escalate", priority="high"))


def test_applying_a_macro_changes_the_fields_on_the_trail_under_the_agents_name(db, office):
    macro = macros.save(db, MacroFields(name="Take it", status="open", priority="high", assignee="me", add_tags="vip"))
    ticket, alice = office["a_new"], office["alice"]
    applied = macros.apply(db, viewer(alice), ticket, macro)
    assert (ticket.status, ticket.priority, ticket.assignee_id) == ("open", "high", alice.id)
    assert ticket.tags == ["vip"]
    changed = {(e.kind, e.field, e.actor_id) for e in _trail(db, ticket)[1:]}
    assert changed == {
        ("updated", "priority", alice.id),
        ("updated", "assignee_id", alice.id),
        ("updated", "tags", alice.id),
        ("status", "status", alice.id),
    }
    assert len(applied.events) == 4


def test_applying_hands_back_the_text_for_the_composer_without_sending_it(db, office):
    macro = macros.save(db, MacroFields(name="Thanks", comment="Thanks for waiting.", comment_public=True))
    applied = macros.apply(db, viewer(office["alice"]), office["a_new"], macro)
    assert (applied.comment, applied.public, applied.events) == ("Thanks for waiting.", True, [])
    assert [e.kind for e in _trail(db, office["a_new"])] == ["created"]


def test_an_agent_may_not_apply_a_macro_that_moves_the_ticket_out_of_reach(db, office):
    macro = macros.save(db, MacroFields(name="To B", queue_id=str(office["b"].id)))
    with pytest.raises(MacroError, match="out of your reach"):
        macros.apply(db, viewer(office["alice"]), office["a_new"], macro)
    assert office["a_new"].queue_id == office["a"].id


def test_a_supervisor_applies_the_same_macro(db, office):
    macro = macros.save(db, MacroFields(name="To B", queue_id=str(office["b"].id)))
    macros.apply(db, viewer(office["sam"]), office["a_new"], macro)
    assert office["a_new"].queue_id == office["b"].id


def test_a_status_the_lifecycle_refuses_is_reported_and_nothing_changes(db, office):
    macro = macros.save(db, MacroFields(name="Solve", status="solved", priority="low"))
    with pytest.raises(MacroError, match="cannot change status from new to solved"):
        macros.apply(db, viewer(office["alice"]), office["a_new"], macro)
    assert (office["a_new"].status, office["a_new"].priority) == ("new", "normal")


def test_an_agent_may_not_apply_a_macro_to_a_ticket_they_cannot_see(db, office):
    macro = macros.save(db, MacroFields(name="Urgent", priority="urgent"))
    with pytest.raises(MacroError, match="no ticket"):
        macros.apply(db, viewer(office["alice"]), office["b_new"], macro)


def test_the_description_says_what_a_macro_does(db, office):
    macro = macros.save(db, MacroFields(name="Close out", status="solved", assignee="none", comment="Done."))
    assert macros.describe(macro, {}, {}) == ["status → solved", "unassign", "internal note text"]
