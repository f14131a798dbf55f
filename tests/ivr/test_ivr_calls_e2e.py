"""The demo IVR end to end through the carrier simulator."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from contactcenter.acd.models import CallbackRequest
from contactcenter.contacts.models import Interaction
from contactcenter.ivr.reports import containment
from contactcenter.tickets.models import Ticket
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_customer, gen_queue


@pytest.fixture
def center(db, runtime):  # type: ignore[no-untyped-def]
    queues = {name: gen_queue(db, name) for name in ("support", "billing", "technical", "sales")}
    results = runtime.reload_flows()
    assert all(r.accepted for r in results), [r.problems for r in results]
    return queues


def _interaction(db, sid: str) -> Interaction:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()


def _nodes(call: Interaction) -> list[str]:
    """Nodes in the order visited (a node's visit and the caller's answer to it count once)."""
    nodes: list[str] = []
    for entry in call.ivr_path:
        if not nodes or nodes[-1] != entry["node"]:
            nodes.append(entry["node"])
    return nodes


def test_order_status_is_served_in_the_ivr(center, carrier, db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    ticket = Ticket(id=12345, subject="Order 12345 delayed", status="open", customer_id=grace.id)
    db.add(ticket)
    db.flush()
    handle = carrier.place_inbound_call(
        "+14155550100", CENTER_NUMBER, "press 1, press 1, enter 12345#, press 2, press 5"
    )
    carrier.run_until_idle()
    heard = handle.heard_text()
    assert "The status of number 1 2 3 4 5 is: open, and our team is working on it." in heard
    assert "Thank you for calling Acme. Goodbye." in heard
    call = _interaction(db, handle.sid)
    assert call.ivr_flow == "acme-support" and call.ivr_flow_version == 2
    assert call.ivr_exit == "completed" and call.csat == 5
    assert call.queued_at is None and call.outcome == "ended-in-ivr"
    assert _nodes(call)[:4] == ["welcome_chime", "choose_language", "check_hours", "main_menu"]
    lookup = next(e for e in call.ivr_path if e["node"] == "ticket_lookup")
    assert lookup["result"] == "found"
    entry = next(e for e in call.ivr_path if e["node"] == "order_number" and "input" in e)
    assert entry["input"] == "12345"
    assert call.ivr_variables["ticket_number"] == "12345"


def test_unknown_order_number_is_said_not_found(center, carrier, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 1, enter 424242#, press 2")
    carrier.run_until_idle()
    assert "We could not find that number." in handle.heard_text()


def test_three_invalid_keys_follow_the_invalid_path(center, carrier, db):
    handle = carrier.place_inbound_call(
        "+14155550100", CENTER_NUMBER, "press 1, press 7, press 7, press 7, hang up after 300"
    )
    carrier.run_until_idle()
    assert handle.heard_text().count("Sorry, that is not one of the options.") == 2
    assert "Please hold for the next available agent." in handle.heard_text()
    call = _interaction(db, handle.sid)
    assert call.ivr_exit == "queued" and call.queue_id == center["support"].id
    assert call.intent == "general support"
    assert [e.get("input") for e in call.ivr_path if e["node"] == "main_menu" and "input" in e] == ["7", "7", "7"]


def test_silence_reprompts_then_exits(center, carrier, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, wait, wait, wait, hang up after 300")
    carrier.run_until_idle()
    heard = handle.heard()
    menu_prompts = [text for text in heard if text.startswith("For order status, press 1")]
    assert len(menu_prompts) == 3  # the first time and two re-prompts (retries: 2)
    call = _interaction(db, handle.sid)
    assert call.ivr_exit == "queued" and call.queue_id == center["support"].id


def test_after_hours_caller_hears_the_night_team_and_leaves_voicemail(center, carrier, db):
    carrier.run_until(datetime(2026, 11, 28, 15, 0, tzinfo=UTC))  # a Saturday
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 8, speak 12")
    carrier.run_until_idle()
    assert "our night team is answering your call" in handle.heard_text()
    assert "Please leave your name" in handle.heard_text()
    call = _interaction(db, handle.sid)
    assert _nodes(call)[2:4] == ["check_hours", "after_hours_notice"]
    assert call.ivr_exit == "voicemail" and call.recording_url
    ticket = db.scalars(select(Ticket).where(Ticket.subject == "Voicemail from the phone menu")).one()
    assert ticket.tags == ["voicemail"]
    assert ticket.customer_id == grace.id
    assert call.recording_url in ticket.description
    assert [i.call_sid for i in ticket.interactions] == [handle.sid]


def test_after_hours_caller_still_reaches_an_agent_queue(center, carrier, db):
    carrier.run_until(datetime(2026, 11, 29, 4, 0, tzinfo=UTC))  # Saturday 23:00 in New York
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 0, hang up after 120")
    carrier.run_until_idle()
    call = _interaction(db, handle.sid)
    assert _nodes(call)[2:4] == ["check_hours", "after_hours_notice"]
    assert call.ivr_exit == "queued" and call.queue_id == center["support"].id


def test_vip_caller_reaches_billing_with_raised_priority(center, carrier, db):
    gen_customer(db, "Grace Hopper", ("+14155550100",), segment="vip")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 2, hang up after 120")
    carrier.run_until_idle()
    call = _interaction(db, handle.sid)
    assert call.queue_id == center["billing"].id
    assert call.priority == 10 and call.intent == "billing"
    assert call.language == "en-US"


def test_standard_caller_reaches_billing_at_normal_priority(center, carrier, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 2, hang up after 120")
    carrier.run_until_idle()
    call = _interaction(db, handle.sid)
    assert call.queue_id == center["billing"].id and call.priority == 0


def test_spanish_caller_hears_spanish(center, carrier, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 2, press 0, hang up after 120")
    carrier.run_until_idle()
    assert "Por favor, espere al próximo agente disponible." in handle.heard_text()
    assert _interaction(db, handle.sid).language == "es-ES"


def test_callback_request_keeps_the_callers_place(center, carrier, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 3")
    carrier.run_until_idle()
    call = _interaction(db, handle.sid)
    request = db.scalars(select(CallbackRequest)).one()
    assert request.phone == "+14155550100" and request.queue_id == center["support"].id
    assert request.place_at == call.arrived_at and request.status == "pending"
    assert call.ivr_exit == "callback"


def test_caller_hanging_up_in_the_menu_is_recorded(center, carrier, db):
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, hang up")
    carrier.run_until_idle()
    call = _interaction(db, handle.sid)
    assert call.ivr_exit == "caller-hung-up" and call.ended_at is not None


def test_containment_per_flow_and_day(center, carrier, db):
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",))
    db.add(Ticket(id=777, subject="Order", status="solved", customer_id=grace.id))
    db.flush()
    carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "press 1, press 1, enter 777#, press 2, press 4")
    carrier.place_inbound_call("+14155550101", CENTER_NUMBER, "press 1, press 0, hang up after 120")
    carrier.run_until_idle()
    [row] = containment(db, date(2026, 11, 23), date(2026, 11, 23), "America/New_York")
    assert (row.flow, row.entered, row.contained, row.rate) == ("acme-support", 2, 1, 0.5)
    assert row.exits == {"completed": 1, "queued": 1}
