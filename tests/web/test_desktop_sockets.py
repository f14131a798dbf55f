"""Socket.IO for desktops and boards: authenticated sockets, events to the right rooms only,
and the desktop's actions limited to the agent's own offers."""

from __future__ import annotations

import time

import pytest

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.contacts.models import Interaction
from tests.support.factories import PASSWORD, call_sid, gen_agent, gen_customer, gen_queue
from web.extensions import socketio


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    bob = gen_agent(db, "bob", skills={"support": 5})
    sam = gen_agent(db, "sam", role=Role.SUPERVISOR)
    for agent in (alice, bob):
        db.add(QueueMembership(queue_id=support.id, user_id=agent.id))
    db.flush()
    return support, alice, bob, sam


def _logged_in(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _received(sock, name, timeout=3.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    got = []
    while time.monotonic() < deadline:
        got += [m for m in sock.get_received() if m["name"] == name]
        if got:
            return got
        time.sleep(0.05)
    return got


def _waiting_call(db, runtime, queue, customer=None):  # type: ignore[no-untyped-def]
    from contactcenter import clock

    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        customer_id=customer.id if customer else None,
        queue_id=queue.id,
        queued_at=clock.now(),
        intent="billing",
    )
    db.add(call)
    db.flush()
    return call


def test_socket_without_a_session_is_refused(live_app):
    sock = socketio.test_client(live_app)
    assert not sock.is_connected()


def test_offer_reaches_only_its_agent_and_the_board(live_app, team, db, runtime):
    support, alice, bob, sam = team
    alice_web, bob_web, sam_web = (_logged_in(live_app, u) for u in ("alice", "bob", "sam"))
    alice_sock = socketio.test_client(live_app, flask_test_client=alice_web)
    bob_sock = socketio.test_client(live_app, flask_test_client=bob_web)
    board = socketio.test_client(live_app, flask_test_client=sam_web)
    assert alice_sock.is_connected() and bob_sock.is_connected() and board.is_connected()
    assert alice_web.post("/desktop/state", json={"state": "available"}).status_code == 200
    call = _waiting_call(db, runtime, support)
    from contactcenter.acd.services import AcdService
    from web.hooks import acd_service  # noqa: F401  (configured by the state change above)

    AcdService(db, runtime.acd).enqueue(call, support)
    offers = _received(alice_sock, "offer.created")
    assert offers and offers[0]["args"][0]["call_sid"] == call.call_sid
    assert _received(board, "board.update")  # the board gets coalesced updates, not each event
    assert _received(bob_sock, "offer.created", timeout=0.5) == []


def test_agent_accepts_own_offer_but_not_anothers(live_app, team, db, runtime, carrier):
    support, alice, bob, sam = team
    alice_web, bob_web = _logged_in(live_app, "alice"), _logged_in(live_app, "bob")
    alice_web.post("/desktop/state", json={"state": "available"})
    grace = gen_customer(db, "Grace Hopper", ("+14155550100",), segment="vip")
    call = _waiting_call(db, runtime, support, grace)
    from contactcenter.acd.services import AcdService

    AcdService(db, runtime.acd).enqueue(call, support)
    snap = alice_web.get("/desktop/snapshot").json
    offer = snap["offer"]
    assert offer["call_sid"] == call.call_sid
    assert snap["offer_pop"]["customer"]["name"] == "Grace Hopper" and snap["offer_pop"]["intent"] == "billing"
    stolen = bob_web.post(f"/desktop/offers/{offer['offer_id']}/accept")
    assert stolen.status_code == 403 and stolen.json["error"]["code"] == "not_your_offer"
    assert bob_web.get(f"/desktop/calls/{call.call_sid}/pop").status_code == 403
    # The carrier no longer knows this call (it was made up for the test): the answer still stands.
    accepted = alice_web.post(f"/desktop/offers/{offer['offer_id']}/accept")
    assert accepted.status_code == 200
    assert alice_web.get("/desktop/snapshot").json["agent"]["state"] == "on_call"


def test_reconnecting_desktop_gets_the_true_state(live_app, team, db, runtime):
    support, alice, bob, sam = team
    alice_web = _logged_in(live_app, "alice")
    sock = socketio.test_client(live_app, flask_test_client=alice_web)
    alice_web.post("/desktop/state", json={"state": "break", "reason": "lunch"})
    sock.disconnect()
    sock = socketio.test_client(live_app, flask_test_client=alice_web)
    snapshot = sock.emit("snapshot.request", {}, callback=True)
    assert snapshot["agent"]["state"] == "break" and snapshot["agent"]["reason"] == "lunch"


@pytest.mark.parametrize(
    "body", [{"state": "on_call"}, {"state": "break", "reason": "<script>"}, {"state": "x" * 5000}, []]
)
def test_bad_state_requests_are_refused(live_app, team, body):
    alice_web = _logged_in(live_app, "alice")
    resp = alice_web.post("/desktop/state", json=body)
    assert resp.status_code == 400
    assert b"<script>" not in resp.data


def test_supervisor_cannot_take_calls(live_app, team):
    sam_web = _logged_in(live_app, "sam")
    assert sam_web.post("/desktop/state", json={"state": "available"}).status_code == 403
    assert sam_web.get("/desktop").status_code == 403


def test_unknown_offer_is_a_clear_conflict(live_app, team):
    alice_web = _logged_in(live_app, "alice")
    resp = alice_web.post("/desktop/offers/abc123/accept")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "unknown_offer"
    assert alice_web.post("/desktop/offers/../../etc/accept").status_code == 404
