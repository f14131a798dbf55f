"""The IVR's ticket-status lookup answers only about the caller's own tickets.

Anyone can dial in and type numbers: another customer's ticket must sound exactly like a
number that does not exist, and an unidentified caller hears about no ticket at all.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.contacts.models import Interaction
from contactcenter.ivr.services import CrmSelfService
from contactcenter.tickets.models import Ticket
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_customer, gen_queue

LOOK_UP = "press 1, press 1, enter {number}#, press 2"
FOUND = "The status of number"
NOT_FOUND = "We could not find that number."


@pytest.fixture
def center(db, runtime):  # type: ignore[no-untyped-def]
    for name in ("support", "billing", "technical", "sales"):
        gen_queue(db, name)
    assert all(r.accepted for r in runtime.reload_flows())
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    alan = gen_customer(db, "Alan Turing", ("+14155550177",))
    db.add_all(
        [
            Ticket(id=4242, subject="Grace's order", status="open", customer_id=grace.id),
            Ticket(id=9191, subject="Alan's order", status="pending", customer_id=alan.id),
        ]
    )
    db.flush()


def _heard(carrier, caller: str, number: str) -> str:  # type: ignore[no-untyped-def]
    handle = carrier.place_inbound_call(caller, CENTER_NUMBER, LOOK_UP.format(number=number))
    carrier.run_until_idle()
    return handle.heard_text()


def _lookup_result(db, carrier, caller: str, number: str) -> str:  # type: ignore[no-untyped-def]
    handle = carrier.place_inbound_call(caller, CENTER_NUMBER, LOOK_UP.format(number=number))
    carrier.run_until_idle()
    db.expire_all()
    call = db.scalars(select(Interaction).where(Interaction.call_sid == handle.sid)).one()
    return next(e["result"] for e in call.ivr_path if e["node"] == "ticket_lookup")


def test_caller_hears_the_status_of_their_own_ticket(center, carrier):
    heard = _heard(carrier, "+14155550100", "4242")
    assert "The status of number 4 2 4 2 is: open, and our team is working on it." in heard


def test_another_customers_ticket_sounds_like_an_unknown_number(center, carrier):
    others = _heard(carrier, "+14155550100", "9191")
    unknown = _heard(carrier, "+14155550100", "9192")
    assert NOT_FOUND in others and FOUND not in others
    assert "waiting for information" not in others
    assert others == unknown


def test_another_customers_ticket_is_recorded_as_not_found(center, carrier, db):
    assert _lookup_result(db, carrier, "+14155550100", "9191") == "not-found"


def test_unidentified_caller_hears_about_no_ticket(center, carrier):
    heard = _heard(carrier, "+14155550199", "4242")
    assert NOT_FOUND in heard and FOUND not in heard


@pytest.mark.parametrize("number", ["9191", "0", "4242 OR 1=1", "4242'--", "<b>4242</b>", "9" * 13, ""])
def test_self_service_answers_only_about_the_customers_own_tickets(center, db, number):
    grace_id = db.scalar(select(Ticket.customer_id).where(Ticket.id == 4242))
    assert CrmSelfService(db).ticket_status(number, grace_id, "en-US") is None


def test_self_service_answers_nobody_without_a_customer_record(center, db):
    assert CrmSelfService(db).ticket_status("4242", None, "en-US") is None
