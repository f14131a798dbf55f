"""What the desktop's snapshot tells the page: an offer is not a call, the live call's queue and
start; the agent's task list; and the status change the call bar sends refuses what it cannot read."""

from __future__ import annotations

import pytest

from contactcenter import clock
from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.contacts.models import Interaction
from contactcenter.tickets.services import open_ticket
from tests.support.factories import PASSWORD, call_sid, gen_agent, gen_queue
from web import create_app


@pytest.fixture
def desk(runtime, db):  # type: ignore[no-untyped-def]
    """Alice, available in Support, with one call ringing for her."""
    app = create_app(runtime, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    support = gen_queue(db, "support", display_name="Customer Support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    ticket = open_ticket(db, "Router <b>down</b>")
    ticket.assignee_id = alice.id
    db.flush()
    client = app.test_client()
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    client.post("/desktop/state", json={"state": "available"})
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550123",
        to_number="+18005550100",
        queue_id=support.id,
        queued_at=clock.now(),
    )
    db.add(call)
    db.flush()
    AcdService(db, runtime.acd).enqueue(call, support)
    return client, call


def test_while_offered_there_is_an_offer_and_no_call(desk):
    client, call = desk
    snap = client.get("/desktop/snapshot").json
    assert snap["agent"]["state"] == "reserved"
    assert snap["offer"]["call_sid"] == call.call_sid and snap["offer_queue"] == "Customer Support"
    assert snap["call"] is None and snap["live"] is None


def test_once_accepted_the_call_carries_its_queue_and_start(desk):
    client, call = desk
    offer_id = client.get("/desktop/snapshot").json["offer"]["offer_id"]
    assert client.post(f"/desktop/offers/{offer_id}/accept").status_code == 200
    snap = client.get("/desktop/snapshot").json
    assert snap["call"]["call_sid"] == call.call_sid
    assert snap["live"]["queue"] == "Customer Support"
    assert abs(snap["live"]["connected_at"] - snap["now"]) < 5


def test_the_task_list_has_my_tickets_as_text(desk):
    client, _ = desk
    tickets = client.get("/desktop/tasks").json["tickets"]
    assert [t["subject"] for t in tickets] == ["Router <b>down</b>"]  # the page shows it as text


def test_the_task_list_is_for_agents_only(desk, runtime, db):
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.flush()
    app = create_app(runtime, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    sam = app.test_client()
    assert sam.post("/login", data={"username": "sam", "password": PASSWORD}).status_code == 302
    assert sam.get("/desktop/tasks").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"state": "break", "reason": "<script>alert(1)</script>"},
        {"state": "break", "reason": "lunch' OR '1'='1"},
        {"state": "break", "reason": "x" * 100_000},
        {"state": ["available"]},
        {"state": "on_call"},
    ],
)
def test_a_status_change_it_cannot_read_is_refused_and_changes_nothing(desk, body):
    client, _ = desk
    resp = client.post("/desktop/state", json=body)
    assert resp.status_code == 400 and resp.json["error"]["message"]
    assert client.get("/desktop/snapshot").json["agent"]["state"] == "reserved"
