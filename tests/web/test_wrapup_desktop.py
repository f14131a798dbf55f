"""The desktop's wrap-up over HTTP and Socket.IO: drafts saved as the agent types, one extension of
the timer, the ticket number in the submit's answer; the agent's own call only, clear 4xx for
anything malformed, hostile or oversized."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls
from contactcenter.calls.models import WrapUpDraft
from contactcenter.tickets import services as tickets
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_customer, gen_queue
from tests.support.web_client import logged_in
from web.extensions import socketio

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


@pytest.fixture
def acd(db, runtime, carrier):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    support = gen_queue(db, "support", wrap_up_s=30)
    gen_customer(db, "Grace Hopper", ("+14155550100",))
    for name in ("alice", "bob"):
        agent = gen_agent(db, name, skills={"support": 5})
        db.add(QueueMembership(queue_id=support.id, user_id=agent.id))
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.flush()
    service = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    service.sync_configuration()
    runtime.acd_configured = True
    return service


@pytest.fixture
def alice(app):  # type: ignore[no-untyped-def]
    return logged_in(app, "alice")


@pytest.fixture
def call(acd, alice, carrier, runtime, db):  # type: ignore[no-untyped-def]
    """Alice took a call and hung up: she is in wrap-up (30 s from the hang-up)."""
    alice_id = db.scalar(select(QueueMembership.user_id).order_by(QueueMembership.id).limit(1))
    acd.set_state(alice_id, "available")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    carrier.run_for(6)
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, alice_id).ok
    carrier.run_for(10)
    assert alice.post(f"/desktop/calls/{handle.sid}/hangup", json={}).status_code == 200
    carrier.run_for(2)
    return handle


def _timer_ends(acd, carrier):  # type: ignore[no-untyped-def]
    carrier.run_for(30)
    acd.tick()


def test_draft_is_in_the_snapshot_after_the_timer_ends(app, call, alice, acd, carrier):
    resp = alice.post(
        f"/desktop/calls/{call.sid}/wrapup-draft", json={"disposition": "follow_up", "notes": "Wants a new modem"}
    )
    assert resp.status_code == 200 and resp.get_json()["draft"]["notes"] == "Wants a new modem"
    _timer_ends(acd, carrier)
    snap = alice.get("/desktop/snapshot").get_json()
    assert snap["agent"]["state"] == "available" and snap["wrapup"]["call_sid"] == call.sid
    assert snap["wrapup"]["draft"]["disposition"] == "follow_up"
    assert snap["wrapup"]["draft"]["notes"] == "Wants a new modem"


def test_draft_survives_a_new_browser_session(app, call, alice):
    alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": "Typed before the reload"})
    snap = logged_in(app, "alice").get("/desktop/snapshot").get_json()
    assert snap["wrapup"]["draft"] == {
        "disposition": None,
        "notes": "Typed before the reload",
        "saved_at": snap["wrapup"]["draft"]["saved_at"],
    }


def test_draft_can_be_submitted_after_the_timer_ends(app, call, alice, acd, carrier, db):
    alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"disposition": "resolved", "notes": "Fixed"})
    _timer_ends(acd, carrier)
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "resolved", "notes": "Fixed"})
    assert resp.status_code == 200 and resp.get_json()["wrapup"]["disposition"] == "resolved"
    assert alice.get("/desktop/snapshot").get_json()["wrapup"] is None
    assert db.scalars(select(WrapUpDraft)).all() == []


def test_submit_answers_with_the_new_tickets_number(app, call, alice, db):
    resp = alice.post(
        f"/desktop/calls/{call.sid}/wrapup",
        json={"disposition": "follow_up", "notes": "Send a modem", "ticket": {"subject": "Modem"}},
    )
    ticket_id = resp.get_json()["wrapup"]["ticket_id"]
    assert resp.status_code == 200 and tickets.get_ticket(db, ticket_id).subject == "Modem"


def test_another_agent_cannot_save_a_draft(app, call):
    resp = logged_in(app, "bob").post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": "hijack"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_your_call"


def test_supervisor_cannot_save_a_draft(app, call):
    assert logged_in(app, "sam").post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": "x"}).status_code == 403


def test_not_logged_in_cannot_save_a_draft(app, call):
    resp = app.test_client().post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": "x"})
    assert resp.status_code in (302, 401)


def test_draft_for_an_unknown_call_is_404(app, call, alice):
    resp = alice.post("/desktop/calls/CA" + "0" * 32 + "/wrapup-draft", json={"notes": "x"})
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "unknown_call"


def test_draft_with_a_hostile_call_id_is_400(app, call, alice):
    resp = alice.post("/desktop/calls/CA'%20OR%201=1--/wrapup-draft", json={"notes": "x"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_call"


def test_draft_with_a_hostile_disposition_is_400(app, call, alice, db):
    resp = alice.post(
        f"/desktop/calls/{call.sid}/wrapup-draft", json={"disposition": "resolved' OR '1'='1", "notes": "x"}
    )
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_disposition"
    assert db.scalars(select(WrapUpDraft)).all() == []


def test_draft_notes_with_html_are_kept_as_typed(app, call, alice):
    note = "<img src=x onerror=alert(1)> & </textarea>"
    alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": note})
    assert alice.get("/desktop/snapshot").get_json()["wrapup"]["draft"]["notes"] == note


def test_draft_notes_that_are_not_text_are_400(app, call, alice):
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": {"$gt": ""}})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_field"


def test_draft_notes_over_the_limit_are_400(app, call, alice):
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": "x" * 10_001})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "field_too_long"


def test_draft_notes_with_a_nul_character_are_400(app, call, alice):
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": "a\u0000b"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_notes"


def test_oversized_draft_body_is_413(app, call, alice):
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", json={"notes": "x" * 70_000})
    assert resp.status_code == 413


def test_malformed_draft_body_is_400(app, call, alice):
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-draft", data='{"notes": ', content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_json"


def test_extend_moves_the_deadline_by_the_queue_wrap_up_length(app, call, alice):
    before = alice.get("/desktop/snapshot").get_json()["wrapup"]["deadline"]
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-extend", json={})
    assert resp.status_code == 200 and resp.get_json()["extension"]["seconds"] == 30
    after = alice.get("/desktop/snapshot").get_json()["wrapup"]
    assert after["deadline"] == pytest.approx(before + 30, abs=0.01) and after["can_extend"] is False


def test_second_extension_is_409(app, call, alice):
    alice.post(f"/desktop/calls/{call.sid}/wrapup-extend", json={})
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-extend", json={})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "already_extended"


def test_extension_length_sent_by_the_browser_is_ignored(app, call, alice):
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-extend", json={"seconds": 86_400})
    assert resp.get_json()["extension"]["seconds"] == 30


def test_another_agent_cannot_extend(app, call):
    resp = logged_in(app, "bob").post(f"/desktop/calls/{call.sid}/wrapup-extend", json={})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_your_call"


def test_extend_after_the_timer_ended_is_409(app, call, alice, acd, carrier):
    _timer_ends(acd, carrier)
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup-extend", json={})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "wrap_up_over"


def test_socket_draft_refuses_another_agents_call(app, call):
    sock = socketio.test_client(app, flask_test_client=logged_in(app, "bob"))
    ack = sock.emit("call.control", {"call_sid": call.sid, "action": "wrapup_draft", "notes": "x"}, callback=True)
    assert ack["status"] == 403 and ack["error"]["code"] == "not_your_call"
