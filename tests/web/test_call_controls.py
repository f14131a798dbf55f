"""/desktop/calls/<sid>/...: the agent's own call only, clear 4xx for anything malformed or hostile,
and the same checks over Socket.IO."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls, conference_name
from contactcenter.calls.models import CallAction
from contactcenter.contacts.models import Interaction
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import PASSWORD, gen_agent, gen_customer, gen_queue
from web.extensions import socketio

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


@pytest.fixture
def floor(db, runtime, carrier):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    support = gen_queue(db, "support", wrap_up_s=30)
    gen_customer(db, "Grace Hopper", ("+14155550100",))
    agents = {}
    for name in ("alice", "bob"):
        agents[name] = gen_agent(db, name, skills={"support": 5})
        db.add(QueueMembership(queue_id=support.id, user_id=agents[name].id))
    agents["sam"] = gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.flush()
    acd = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    acd.sync_configuration()
    runtime.acd_configured = True
    return acd, agents


def _login(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _connected(floor, carrier, runtime):  # type: ignore[no-untyped-def]
    acd, agents = floor
    acd.set_state(agents["alice"].id, "available")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 600")
    carrier.run_for(6)
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, agents["alice"].id).ok
    carrier.run_for(10)
    return handle


@pytest.fixture
def call(floor, carrier, runtime):  # type: ignore[no-untyped-def]
    return _connected(floor, carrier, runtime)


def test_agent_holds_their_own_call(app, call, carrier):
    resp = _login(app, "alice").post(f"/desktop/calls/{call.sid}/hold", json={})
    assert resp.status_code == 200 and resp.get_json()["controls"]["on_hold"] is True
    assert carrier.get_participant(conference_name(call.sid), call.sid).hold is True


def test_agent_resumes_their_own_call(app, call, carrier):
    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hold", json={})
    resp = alice.post(f"/desktop/calls/{call.sid}/resume", json={})
    assert resp.status_code == 200 and resp.get_json()["controls"]["on_hold"] is False


def test_another_agent_cannot_hold_the_call(app, call, carrier):
    resp = _login(app, "bob").post(f"/desktop/calls/{call.sid}/hold", json={})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_your_call"
    assert carrier.get_participant(conference_name(call.sid), call.sid).hold is False


def test_another_agent_cannot_transfer_the_call(app, call, floor, db):
    _, agents = floor
    resp = _login(app, "bob").post(f"/desktop/calls/{call.sid}/transfer", json={"agent_id": agents["bob"].id})
    assert resp.status_code == 403
    assert db.scalars(select(CallAction)).all() == []


def test_another_agent_cannot_hang_up_the_call(app, call, carrier):
    assert _login(app, "bob").post(f"/desktop/calls/{call.sid}/hangup", json={}).status_code == 403
    carrier.run_for(3)
    assert not call.ended


def test_another_agent_cannot_wrap_up_the_call(app, call, carrier):
    _login(app, "alice").post(f"/desktop/calls/{call.sid}/hangup", json={})
    carrier.run_for(3)
    resp = _login(app, "bob").post(f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "resolved"})
    assert resp.status_code == 403


def test_another_agent_cannot_read_the_controls(app, call):
    assert _login(app, "bob").get(f"/desktop/calls/{call.sid}/controls").status_code == 403


def test_supervisor_cannot_use_agent_controls(app, call):
    assert _login(app, "sam").post(f"/desktop/calls/{call.sid}/hold", json={}).status_code == 403


def test_not_logged_in_is_sent_to_login(app, call):
    resp = app.test_client().post(f"/desktop/calls/{call.sid}/hold", json={})
    assert resp.status_code in (302, 401)


def test_unknown_call_is_404(app, call):
    assert _login(app, "alice").post("/desktop/calls/CA" + "0" * 32 + "/hold", json={}).status_code == 404


def test_malformed_call_id_is_400(app, call):
    resp = _login(app, "alice").post("/desktop/calls/CA'%20OR%201=1--/hold", json={})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_call"


def test_unknown_action_is_404(app, call):
    assert _login(app, "alice").post(f"/desktop/calls/{call.sid}/explode", json={}).status_code == 404


def test_body_that_is_not_an_object_is_400(app, call):
    resp = _login(app, "alice").post(
        f"/desktop/calls/{call.sid}/transfer", data="[1, 2", content_type="application/json"
    )
    assert resp.status_code == 400


def test_oversized_body_is_413(app, call):
    resp = _login(app, "alice").post(
        f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "resolved", "notes": "x" * 70_000}
    )
    assert resp.status_code == 413


def test_hostile_number_is_400(app, call):
    resp = _login(app, "alice").post(
        f"/desktop/calls/{call.sid}/transfer", json={"number": "<script>alert(1)</script>"}
    )
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_number"


def test_agent_id_of_the_wrong_type_is_400(app, call):
    resp = _login(app, "alice").post(f"/desktop/calls/{call.sid}/transfer", json={"agent_id": {"$gt": 0}})
    assert resp.status_code == 400


def test_two_targets_at_once_is_400(app, call, floor):
    _, agents = floor
    resp = _login(app, "alice").post(
        f"/desktop/calls/{call.sid}/transfer", json={"agent_id": agents["bob"].id, "queue": "support"}
    )
    assert resp.status_code == 400


def test_transfer_to_an_agent_through_http_reaches_them(app, call, floor, carrier, runtime):
    acd, agents = floor
    acd.set_state(agents["bob"].id, "available")
    resp = _login(app, "alice").post(f"/desktop/calls/{call.sid}/transfer", json={"agent_id": agents["bob"].id})
    assert resp.status_code == 200
    carrier.run_for(10)
    assert runtime.acd.agent_snapshot(str(agents["bob"].id)).state == "on_call"
    assert len(carrier.conference_participants(conference_name(call.sid))) == 2


def test_consult_then_complete_through_http(app, call, floor, carrier, runtime):
    acd, agents = floor
    acd.set_state(agents["bob"].id, "available")
    alice = _login(app, "alice")
    assert alice.post(f"/desktop/calls/{call.sid}/consult", json={"agent_id": agents["bob"].id}).status_code == 200
    carrier.run_for(10)
    assert alice.post(f"/desktop/calls/{call.sid}/consult/complete", json={}).status_code == 200
    carrier.run_for(5)
    assert runtime.acd.agent_snapshot(str(agents["bob"].id)).state == "on_call"


def test_wrapup_with_an_html_note_is_stored_as_text(app, call, carrier, db):
    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hangup", json={})
    carrier.run_for(3)
    note = "<img src=x onerror=alert(1)>'); DROP TABLE interactions; --"
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "resolved", "notes": note})
    assert resp.status_code == 200
    db.expire_all()
    stored = db.scalars(select(Interaction).where(Interaction.call_sid == call.sid)).one()
    assert stored.notes == note and stored.disposition == "resolved"


def test_wrapup_with_a_malformed_callback_time_is_400(app, call, carrier):
    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hangup", json={})
    carrier.run_for(3)
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "resolved", "callback_at": "tomorrow"})
    assert resp.status_code == 400


def test_wrapup_with_both_ticket_id_and_subject_is_400(app, call, carrier):
    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hangup", json={})
    carrier.run_for(3)
    resp = alice.post(
        f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "resolved", "ticket": {"id": 1, "subject": "x"}}
    )
    assert resp.status_code == 400


def test_snapshot_carries_the_control_state(app, call):
    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hold", json={})
    snap = alice.get("/desktop/snapshot").get_json()
    assert snap["controls"]["call_sid"] == call.sid and snap["controls"]["on_hold"] is True
    assert snap["wrapup"] is None


def test_snapshot_carries_the_wrap_up_owed(app, call, carrier):
    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hangup", json={})
    carrier.run_for(3)
    snap = alice.get("/desktop/snapshot").get_json()
    assert snap["controls"] is None and snap["wrapup"]["call_sid"] == call.sid
    assert "resolved" in [d["code"] for d in snap["wrapup"]["dispositions"]]


def test_targets_list_available_agents_and_queues(app, call, floor):
    acd, agents = floor
    acd.set_state(agents["bob"].id, "available")
    data = _login(app, "alice").get("/desktop/calls/targets").get_json()
    assert [a["name"] for a in data["agents"]] == [agents["bob"].display_name]
    assert [q["name"] for q in data["queues"]] == ["support"]


def test_socket_control_acts_on_the_agents_own_call(app, call, carrier):
    sock = socketio.test_client(app, flask_test_client=_login(app, "alice"))
    ack = sock.emit("call.control", {"call_sid": call.sid, "action": "hold"}, callback=True)
    assert ack["ok"] is True and ack["controls"]["on_hold"] is True
    assert carrier.get_participant(conference_name(call.sid), call.sid).hold is True


def test_socket_control_refuses_another_agents_call(app, call, carrier):
    sock = socketio.test_client(app, flask_test_client=_login(app, "bob"))
    ack = sock.emit("call.control", {"call_sid": call.sid, "action": "hangup"}, callback=True)
    assert ack["status"] == 403 and ack["error"]["code"] == "not_your_call"
    carrier.run_for(3)
    assert not call.ended


def test_socket_control_refuses_garbage(app, call):
    sock = socketio.test_client(app, flask_test_client=_login(app, "alice"))
    ack = sock.emit("call.control", ["not", "an", "object"], callback=True)
    assert ack["status"] == 400


def test_desktop_page_has_the_call_controls_and_wrap_up_panels(app, floor):
    html = _login(app, "alice").get("/desktop").get_data(as_text=True)
    assert 'id="call-controls"' in html and 'id="wrapup"' in html
    assert "desktop/call_controls.js" in html and "desktop/wrapup.js" in html


def test_notes_longer_than_allowed_are_400(app, call, carrier):
    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hangup", json={})
    carrier.run_for(3)
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "resolved", "notes": "x" * 10_001})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "field_too_long"


def test_hostile_queue_name_is_400(app, call):
    resp = _login(app, "alice").post(f"/desktop/calls/{call.sid}/transfer", json={"queue": "support' OR '1'='1"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "unknown_queue"


def test_wrapup_schedules_a_callback_job(app, call, carrier, runtime, db):
    from datetime import timedelta

    from rq import Queue as RqQueue
    from rq.registry import ScheduledJobRegistry

    from contactcenter import clock
    from contactcenter.acd.models import CallbackRequest

    alice = _login(app, "alice")
    alice.post(f"/desktop/calls/{call.sid}/hangup", json={})
    carrier.run_for(3)
    at = (clock.now() + timedelta(hours=1)).isoformat()
    resp = alice.post(f"/desktop/calls/{call.sid}/wrapup", json={"disposition": "callback", "callback_at": at})
    assert resp.status_code == 200
    request_id = resp.get_json()["wrapup"]["callback_id"]
    assert db.get(CallbackRequest, request_id).status == "pending"
    registry = ScheduledJobRegistry(queue=RqQueue("default", connection=runtime.redis))
    [job_id] = registry.get_job_ids()
    assert RqQueue("default", connection=runtime.redis).fetch_job(job_id).args == (request_id,)


def test_consulted_agent_sees_who_consults_them(app, call, floor, carrier):
    acd, agents = floor
    acd.set_state(agents["bob"].id, "available")
    _login(app, "alice").post(f"/desktop/calls/{call.sid}/consult", json={"agent_id": agents["bob"].id})
    snap = _login(app, "bob").get("/desktop/snapshot").get_json()
    assert snap["consulted"] == {"call_sid": call.sid, "by": agents["alice"].display_name}
    assert snap["controls"] is None
