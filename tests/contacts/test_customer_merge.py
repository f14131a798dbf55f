"""Merging duplicate customers: history moves to the survivor, the duplicate is gone but its links
still lead somewhere, blanks are filled, and the audit log says who did it."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKey, Integer, Table, select

from contactcenter.acd.models import CallbackRequest
from contactcenter.audit.models import AuditEntry
from contactcenter.audit.services import Origin
from contactcenter.contacts import merge
from contactcenter.contacts.models import Customer, CustomerMerge, CustomerPhone, Interaction
from contactcenter.db import Base
from contactcenter.dialer.models import Lead
from contactcenter.tickets.models import Ticket, TicketComment
from contactcenter.tickets.services import add_comment
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import gen_call, gen_customer, gen_queue, gen_ticket


@pytest.fixture
def pair(db):  # type: ignore[no-untyped-def]
    keep = gen_customer(db, "Grace Hopper", ("+14155550100",), email="grace@navy.example")
    dupe = gen_customer(
        db,
        "G. Hopper",
        ("+14155550111", "+14155550122"),
        company="US Navy",
        time_zone="America/New_York",
        email="hopper@other.example",
        attributes={"account": "A-17"},
    )
    return keep, dupe


def test_every_table_referring_to_customers_has_a_merge_rule():
    """A new table with a foreign key to customers must be looked at and listed in merge.HANDLED:
    this fails until it is."""
    tables = {ref.table for ref in merge.references()}
    assert tables - set(merge.HANDLED) == set(), "add these tables to contactcenter.contacts.merge.HANDLED"


def test_no_handled_table_holds_one_row_per_customer():
    assert merge.unhandled() == []


def test_a_new_table_unique_per_customer_blocks_merging_until_it_has_a_rule():
    table = Table(
        "loyalty_cards_test",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_id", ForeignKey("customers.id"), unique=True),
    )
    try:
        assert [(r.table, r.column) for r in merge.unhandled()] == [("loyalty_cards_test", "customer_id")]
    finally:
        Base.metadata.remove(table)


def test_the_duplicates_numbers_move_to_the_survivor(db, pair):
    keep, dupe = pair
    merge.merge(db, keep.id, dupe.id)
    owned = set(db.scalars(select(CustomerPhone.e164).where(CustomerPhone.customer_id == keep.id)))
    assert owned == {"+14155550100", "+14155550111", "+14155550122"}


def test_the_duplicates_calls_move_to_the_survivor(db, pair):
    keep, dupe = pair
    call = gen_call(db, customer_id=dupe.id, from_number="+14155550111")
    merge.merge(db, keep.id, dupe.id)
    assert db.get(Interaction, call.id).customer_id == keep.id


def test_the_duplicates_tickets_move_with_their_comments(db, pair):
    keep, dupe = pair
    ticket = gen_ticket(db, "Printer jams", customer_id=dupe.id)
    add_comment(db, ticket, "Tried a new cartridge")
    merge.merge(db, keep.id, dupe.id)
    assert db.get(Ticket, ticket.id).customer_id == keep.id
    assert [c.body for c in db.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id))] == [
        "Tried a new cartridge"
    ]


def test_the_duplicates_leads_and_callbacks_move_to_the_survivor(db, pair):
    keep, dupe = pair
    lead = gen_lead(db, gen_campaign(db), "+14155550111", customer_id=dupe.id)
    queue = gen_queue(db)
    callback = CallbackRequest(customer_id=dupe.id, phone="+14155550111", queue_id=queue.id)
    db.add(callback)
    db.flush()
    merge.merge(db, keep.id, dupe.id)
    assert (db.get(Lead, lead.id).customer_id, db.get(CallbackRequest, callback.id).customer_id) == (keep.id, keep.id)


def test_the_duplicate_is_gone_and_its_id_resolves_to_the_survivor(db, pair):
    keep, dupe = pair
    dupe_id = dupe.id
    merge.merge(db, keep.id, dupe_id)
    assert db.get(Customer, dupe_id) is None
    assert merge.resolve(db, dupe_id) == keep.id


def test_blank_fields_of_the_survivor_are_filled_and_set_ones_kept(db, pair):
    keep, dupe = pair
    result = merge.merge(db, keep.id, dupe.id)
    survivor = db.get(Customer, keep.id)
    assert (survivor.name, survivor.email, survivor.company, survivor.time_zone, survivor.attributes) == (
        "Grace Hopper",
        "grace@navy.example",
        "US Navy",
        "America/New_York",
        {"account": "A-17"},
    )
    assert result.filled == ["attributes", "company", "time_zone"]


def test_the_merge_keeps_a_snapshot_of_the_duplicate(db, pair):
    keep, dupe = pair
    dupe_id = dupe.id
    merge.merge(db, keep.id, dupe_id)
    record = db.scalars(select(CustomerMerge).where(CustomerMerge.merged_id == dupe_id)).one()
    assert record.snapshot["email"] == "hopper@other.example"
    assert record.snapshot["phones"] == ["+14155550111", "+14155550122"]


def test_the_merge_is_in_the_audit_log_with_who_did_it(db, pair):
    keep, dupe = pair
    dupe_id = dupe.id
    merge.merge(db, keep.id, dupe_id, Origin(actor_id=7, actor_name="sam"))
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "customer.merge")).one()
    assert (entry.actor_name, entry.object_id, entry.details["merged_id"]) == ("sam", str(keep.id), dupe_id)


def test_an_earlier_merge_into_the_duplicate_now_leads_to_the_survivor(db, pair):
    keep, dupe = pair
    older = gen_customer(db, "Grace H.", ("+14155550133",))
    older_id = older.id
    merge.merge(db, dupe.id, older_id)
    merge.merge(db, keep.id, dupe.id)
    assert merge.resolve(db, older_id) == keep.id


def test_a_customer_cannot_be_merged_into_itself(db, pair):
    keep, _ = pair
    with pytest.raises(merge.MergeError, match="itself"):
        merge.merge(db, keep.id, keep.id)


def test_merging_an_already_merged_customer_says_where_it_went(db, pair):
    keep, dupe = pair
    dupe_id = dupe.id
    other = gen_customer(db, "Someone Else", ("+14155550177",))
    merge.merge(db, keep.id, dupe_id)
    with pytest.raises(merge.MergeError, match=f"already merged into customer #{keep.id}"):
        merge.merge(db, other.id, dupe_id)


def test_the_preview_writes_nothing_and_counts_what_moves(db, pair):
    keep, dupe = pair
    gen_call(db, customer_id=dupe.id)
    gen_ticket(db, "Printer jams", customer_id=dupe.id)
    shown = merge.preview(db, keep.id, dupe.id)
    assert shown.moves == {"phone numbers": 2, "calls and messages": 1, "tickets": 1}
    assert db.get(Customer, dupe.id) is not None


def test_the_preview_shows_which_fields_get_filled(db, pair):
    keep, dupe = pair
    shown = merge.preview(db, keep.id, dupe.id)
    assert {row.field for row in shown.fields if row.filled} == {"company", "time_zone", "phones", "attributes"}


def test_moved_tickets_follow_the_sla_policy_of_the_survivors_segment(db, runtime):
    from contactcenter.tickets import sla
    from contactcenter.tickets.models import TicketSla

    sla.create_policy(db, "VIP", targets={"first_response": 600}, segments=["vip"], position=1)
    sla.create_policy(db, "Everyone", targets={"first_response": 3600}, position=2)
    keep = gen_customer(db, "Grace Hopper", ("+14155550100",), segment="vip")
    dupe = gen_customer(db, "G. Hopper", ("+14155550111",))
    ticket = gen_ticket(db, "Printer jams", customer_id=dupe.id)
    merge.merge(db, keep.id, dupe.id)
    clock = db.scalars(select(TicketSla).where(TicketSla.ticket_id == ticket.id)).one()
    assert clock.target_s == 600


def test_an_open_ticket_moved_by_a_merge_shows_the_change_in_its_trail(db, runtime):
    from contactcenter.tickets.models import TicketEvent

    keep = gen_customer(db, "Grace Hopper", ("+14155550100",))
    dupe = gen_customer(db, "G. Hopper", ("+14155550111",))
    ticket = gen_ticket(db, "Printer jams", customer_id=dupe.id)
    merge.merge(db, keep.id, dupe.id, Origin(actor_id=None, actor_name="sam"))
    changes = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "customer_id")
    ).all()
    assert [(e.before, e.after) for e in changes] == [({"customer_id": dupe.id}, {"customer_id": keep.id})]
