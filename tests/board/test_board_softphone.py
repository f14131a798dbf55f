"""A supervisor listens in from the board with no phone number: monitor dials client:<username>,
which rings the supervisor's browser device (here the simulated carrier's); answering joins the
call muted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role, User
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls, conference_name
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_queue
from tests.support.web_client import logged_in

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


@pytest.fixture
def listening(app, db, runtime, carrier):  # type: ignore[no-untyped-def]
    """Alice is on a call; Sam has the board open, his softphone registered."""
    carrier.browser_devices = True
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    db.flush()
    acd = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    acd.sync_configuration()
    runtime.acd_configured = True
    acd.set_state(alice.id, "available")
    handle = carrier.place_inbound_call("+14155550100", CENTER_NUMBER, "hang up after 300")
    carrier.run_for(5)
    [offer] = runtime.acd.pending_offers()
    assert acd.accept(offer.offer_id, alice.id).ok
    carrier.run_for(10)
    db.commit()
    sam = logged_in(app, "sam")
    assert sam.post("/desktop/device").status_code == 201
    resp = sam.post(f"/board/agents/{alice.id}/supervise", json={"mode": "monitor"})
    assert resp.status_code == 200, resp.data
    carrier.run_for(2)
    return sam, handle.sid


def test_monitor_rings_the_supervisors_browser(listening, carrier):
    sam, call_sid = listening
    [ringing] = sam.get("/desktop/device").get_json()["calls"]
    assert ringing["status"] == "ringing"
    assert ringing["call_sid"] not in carrier.conference_participants(conference_name(call_sid))


def test_answering_in_the_browser_joins_muted(listening, carrier):
    sam, call_sid = listening
    [ringing] = sam.get("/desktop/device").get_json()["calls"]
    resp = sam.post(f"/desktop/device/calls/{ringing['call_sid']}/answer")
    assert resp.status_code == 200 and resp.get_json()["calls"][0]["status"] == "in-progress"
    carrier.run_for(2)
    leg = carrier.get_participant(conference_name(call_sid), ringing["call_sid"])
    assert leg.muted and leg.call.to == "client:sam"
    assert len(carrier.conference_participants(conference_name(call_sid))) == 3


def test_hanging_up_in_the_browser_leaves_the_call(listening, carrier):
    sam, call_sid = listening
    [ringing] = sam.get("/desktop/device").get_json()["calls"]
    sam.post(f"/desktop/device/calls/{ringing['call_sid']}/answer")
    carrier.run_for(2)
    sam.post(f"/desktop/device/calls/{ringing['call_sid']}/hangup")
    carrier.run_for(2)
    assert len(carrier.conference_participants(conference_name(call_sid))) == 2


def test_an_admins_monitor_rings_their_browser(app, db, runtime, carrier, listening):
    gen_agent(db, "ann", role=Role.ADMIN)
    db.commit()
    ann = logged_in(app, "ann")
    assert ann.post("/desktop/device").status_code == 201
    alice = db.scalar(select(User).where(User.username == "alice"))
    resp = ann.post(f"/board/agents/{alice.id}/supervise", json={"mode": "monitor"})
    assert resp.status_code == 200, resp.data
    carrier.run_for(2)
    [ringing] = ann.get("/desktop/device").get_json()["calls"]
    assert ringing["status"] == "ringing"


def test_nobody_signed_out_listens_in(client, listening, carrier):
    resp = client.get("/desktop/device")
    assert resp.status_code in (302, 401) and b"call_sid" not in resp.data
