"""The screen pop (customer 360) and the quick "create customer" for an unknown caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import CallbackRequest, QueueMembership
from contactcenter.acd.services import AcdService, callback_key
from contactcenter.calls import screen_pop
from contactcenter.contacts.customers import CustomerError
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.tickets import sla
from contactcenter.tickets.services import change_status, open_ticket
from tests.support.factories import PASSWORD, call_sid, gen_agent, gen_customer, gen_queue
from web import create_app

CALLER = "+14155550123"
NOON = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def _call(db, customer=None, number=CALLER, **kw):  # type: ignore[no-untyped-def]
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number=number,
        to_number="+18005550100",
        customer_id=customer.id if customer else None,
        **kw,
    )
    db.add(call)
    db.flush()
    return call


def test_pop_of_a_known_caller_has_profile_history_and_latest_ticket(db):
    grace = gen_customer(db, "Grace Hopper", (CALLER,), segment="gold", email="grace@example.com")
    earlier = _call(db, grace, arrived_at=clock.now() - timedelta(days=2), disposition="resolved", notes="reset router")
    old = open_ticket(db, "Invoice question", customer_id=grace.id)
    change_status(db, old, "open")
    change_status(db, old, "solved")
    newest = open_ticket(db, "Router down", customer_id=grace.id, priority="high")
    call = _call(db, grace, intent="billing", ivr_variables={"account_number": "1234"})

    pop = screen_pop.build(db, call.call_sid)

    assert pop is not None
    assert pop["customer"]["name"] == "Grace Hopper" and pop["customer"]["segment"] == "gold"
    assert pop["customer"]["phones"] == [CALLER]
    assert [h["notes"] for h in pop["history"]] == [earlier.notes]
    assert pop["latest_ticket"]["id"] == newest.id and pop["latest_ticket"]["subject"] == "Router down"
    assert [t["id"] for t in pop["open_tickets"]] == [newest.id]
    assert pop["intent"] == "billing" and pop["ivr_variables"] == {"account_number": "1234"}
    assert pop["can_create_customer"] is False


def test_open_tickets_carry_their_running_sla_clocks(db):
    sla.create_policy(db, "Fast", targets={"first_response": 3600, "resolution": 4 * 3600})
    grace = gen_customer(db, "Grace Hopper", (CALLER,))
    with freeze_time(NOON):
        ticket = open_ticket(db, "Router down", customer_id=grace.id)
    call = _call(db, grace)
    with freeze_time(NOON + timedelta(minutes=30)):
        pop = screen_pop.build(db, call.call_sid)
    clocks = {c["metric"]: c for c in pop["open_tickets"][0]["sla"]}
    assert pop["open_tickets"][0]["id"] == ticket.id
    assert clocks["first_response"]["seconds_left"] == 1800 and not clocks["first_response"]["breached"]
    assert clocks["resolution"]["seconds_left"] == 3.5 * 3600


def test_a_breached_clock_is_flagged(db):
    sla.create_policy(db, "Fast", targets={"first_response": 600})
    grace = gen_customer(db, "Grace Hopper", (CALLER,))
    with freeze_time(NOON):
        open_ticket(db, "Router down", customer_id=grace.id)
    call = _call(db, grace)
    with freeze_time(NOON + timedelta(hours=1)):
        pop = screen_pop.build(db, call.call_sid)
    first = next(c for c in pop["open_tickets"][0]["sla"] if c["metric"] == "first_response")
    assert first["breached"] is True and first["seconds_left"] < 0


def test_pop_of_an_unknown_caller_offers_to_create_the_customer(db):
    call = _call(db)
    pop = screen_pop.build(db, call.call_sid)
    assert pop["customer"] is None and pop["can_create_customer"] is True and pop["from"] == CALLER


def test_pop_of_an_unknown_call_is_none(db):
    assert screen_pop.build(db, "CAdoesnotexist") is None


def _callback(db, call, **kw):  # type: ignore[no-untyped-def]
    queue = gen_queue(db, "support")
    request = CallbackRequest(
        interaction_id=call.id if call else None,
        phone=CALLER,
        queue_id=queue.id,
        priority=0,
        place_at=clock.now(),
        **kw,
    )
    db.add(request)
    db.flush()
    return request


def test_pop_of_a_callback_shows_who_asked_and_why(db):
    grace = gen_customer(db, "Grace Hopper", (CALLER,))
    asked = _call(db, grace, intent="billing", ivr_path=[{"node": "main_menu"}, {"node": "callback"}])
    request = _callback(db, asked, customer_id=grace.id, intent="billing")
    pop = screen_pop.build(db, callback_key(request.id))
    assert pop["direction"] == "callback" and pop["from"] == CALLER and pop["intent"] == "billing"
    assert pop["customer"]["name"] == "Grace Hopper"
    assert pop["ivr_path"] == ["main_menu", "callback"]


def test_pop_of_a_callback_files_nothing_against_a_call(db):
    request = _callback(db, _call(db))
    pop = screen_pop.build(db, callback_key(request.id))
    assert pop["call_sid"] is None and pop["can_create_customer"] is False and pop["customer"] is None


@pytest.mark.parametrize("task", ["cb-999999", "cb-", "cb-x1"])
def test_pop_of_an_unknown_callback_is_none(db, task):
    assert screen_pop.build(db, task) is None


def test_creating_the_caller_links_this_call_and_earlier_unknown_ones(db):
    earlier = _call(db, arrived_at=clock.now() - timedelta(days=1))
    call = _call(db)
    customer = screen_pop.create_caller(db, call.call_sid, name="Ada Lovelace", email="ada@example.com")
    db.flush()
    assert call.customer_id == customer.id and earlier.customer_id == customer.id
    assert [p.e164 for p in customer.phones] == [CALLER]
    assert screen_pop.build(db, call.call_sid)["customer"]["name"] == "Ada Lovelace"


def test_creating_a_customer_for_a_known_caller_is_refused(db):
    grace = gen_customer(db, "Grace Hopper", (CALLER,))
    call = _call(db, grace)
    with pytest.raises(CustomerError, match="already has a customer"):
        screen_pop.create_caller(db, call.call_sid, name="Someone Else")


# ----------------------------------------------------------------------------- over HTTP


@pytest.fixture
def desk(runtime, db):  # type: ignore[no-untyped-def]
    app = create_app(runtime, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    bob = gen_agent(db, "bob", skills={"support": 5})
    for agent in (alice, bob):
        db.add(QueueMembership(queue_id=support.id, user_id=agent.id))
    db.flush()
    clients = {}
    for name in ("alice", "bob"):
        clients[name] = app.test_client()
        assert clients[name].post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
    clients["alice"].post("/desktop/state", json={"state": "available"})
    call = _call(db, queue_id=support.id, queued_at=clock.now())
    AcdService(db, runtime.acd).enqueue(call, support)
    assert clients["alice"].get("/desktop/snapshot").json["offer"]["call_sid"] == call.call_sid
    return clients, call


def test_offered_agent_creates_the_customer_from_the_pop(desk, db):
    clients, call = desk
    resp = clients["alice"].post(
        f"/desktop/calls/{call.call_sid}/customer", json={"name": "Ada Lovelace", "segment": "vip"}
    )
    assert resp.status_code == 201
    assert resp.json["pop"]["customer"]["name"] == "Ada Lovelace" and resp.json["pop"]["customer"]["segment"] == "vip"
    assert db.scalar(select(Customer).where(Customer.name == "Ada Lovelace")) is not None


def test_another_agent_cannot_create_a_customer_on_the_call(desk, db):
    clients, call = desk
    resp = clients["bob"].post(f"/desktop/calls/{call.call_sid}/customer", json={"name": "Mallory"})
    assert resp.status_code == 403
    assert db.scalar(select(Customer).where(Customer.name == "Mallory")) is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 201},
        {"name": 42},
        {"name": "Ada", "segment": "platinum"},
        {"name": "Ada", "email": "x" * 300},
        ["not", "an", "object"],
    ],
)
def test_bad_customer_forms_are_refused_with_a_reason(desk, db, body):
    clients, call = desk
    resp = clients["alice"].post(f"/desktop/calls/{call.call_sid}/customer", json=body)
    assert resp.status_code == 400
    assert db.get(Interaction, call.id).customer_id is None


def test_hostile_names_are_stored_as_text(desk, db):
    clients, call = desk
    name = "<img src=x onerror=alert(1)>'; DROP TABLE customers;--"
    resp = clients["alice"].post(f"/desktop/calls/{call.call_sid}/customer", json={"name": name})
    assert resp.status_code == 201 and resp.json["pop"]["customer"]["name"] == name
    assert db.scalar(select(Customer.name).where(Customer.id == resp.json["customer_id"])) == name


def test_a_number_that_already_belongs_to_someone_is_a_conflict(desk, db):
    clients, call = desk
    gen_customer(db, "Grace Hopper", (CALLER,))
    resp = clients["alice"].post(f"/desktop/calls/{call.call_sid}/customer", json={"name": "Ada"})
    assert resp.status_code == 409 and "already belongs" in resp.json["error"]["message"]


def test_bad_call_ids_are_refused(desk):
    clients, _ = desk
    assert clients["alice"].post("/desktop/calls/" + "C" * 100 + "/customer", json={"name": "Ada"}).status_code == 400
    assert clients["alice"].get("/desktop/calls/%3Cscript%3E/pop").status_code == 400
