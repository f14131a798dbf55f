"""Preview dialing from the agent desktop, through the carrier simulator: the agent reads the held
lead, dials it (the gate runs again; a refusal says why), the lead's phone answers and the call is
offered to that agent alone and connected in the call's conference; skipping defers the lead."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls, conference_name
from contactcenter.app.services import pacer_worker
from contactcenter.dialer import dnc
from contactcenter.dialer.models import DialAttempt, DialDecision, Lead
from contactcenter.dialer.pacer_worker import drain_events
from contactcenter.telephony.simulator import Callee
from tests.support.constants import CENTER_NUMBER
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import PASSWORD, gen_agent, gen_queue

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)
ADA, BEA = "+12125550191", "+12125550192"


@pytest.fixture
def floor(db, runtime, carrier):  # type: ignore[no-untyped-def]
    """Alice and Bob in the sales queue, both available; a running preview campaign with two leads."""
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    sales = gen_queue(db, "sales", wrap_up_s=30)
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    for agent in (alice, bob):
        db.add(QueueMembership(queue_id=sales.id, user_id=agent.id))
    db.flush()
    acd = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    acd.sync_configuration()
    runtime.acd_configured = True
    campaign = gen_campaign(db, "Renewals preview", dial_mode="preview", queue_id=sales.id)
    ada = gen_lead(db, campaign, ADA, name="Ada Lovelace", attributes={"notes": "asked about solar", "plan": "gold"})
    bea = gen_lead(db, campaign, BEA, name="Bea Arthur")
    acd.set_state(bob.id, "available")  # Bob is the longest idle: any call not pinned would go to him
    carrier.run_for(1)
    acd.set_state(alice.id, "available")
    db.commit()
    return acd, alice, bob, campaign, ada, bea


def login(client, username):  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_the_agent_sees_the_next_lead_with_local_time_attempts_and_notes(floor, client):
    *_, campaign, ada, _ = floor
    data = login(client, "alice").get("/desktop/preview").get_json()
    assert data["campaigns"] == [{"id": campaign.id, "name": "Renewals preview"}]
    lead = data["lead"]
    assert (lead["lead_id"], lead["name"], lead["phone"]) == (ada.id, "Ada Lovelace", ADA)
    assert lead["local_times"][0]["zone"] == "America/New_York" and lead["local_times"][0]["time"] == "Mon 10:00"
    assert (lead["attempts"], lead["max_attempts"], lead["notes"]) == (0, 3, "asked about solar")
    assert lead["attributes"] == {"plan": "gold"}


def test_the_held_lead_is_not_shown_to_another_agent(floor, client, app):
    *_, ada, bea = floor
    assert login(client, "alice").get("/desktop/preview").get_json()["lead"]["lead_id"] == ada.id
    other = login(app.test_client(), "bob")
    assert other.get("/desktop/preview").get_json()["lead"]["lead_id"] == bea.id


def test_dial_calls_the_lead_and_the_answer_is_connected_to_that_agent(floor, client, carrier, runtime, db):
    acd, alice, bob, campaign, ada, _ = floor
    carrier.set_callee(ADA, Callee(answer="human", ring_s=3, talk_s=60))
    login(client, "alice").get("/desktop/preview")
    resp = client.post("/desktop/preview/dial", json={"campaign_id": campaign.id, "lead_id": ada.id})
    assert resp.status_code == 200, resp.get_json()
    placed = resp.get_json()["call_sid"]
    offers = []
    for _ in range(20):
        carrier.run_for(0.5)
        offers = runtime.acd.pending_offers()
        if offers:
            break
    [offer] = offers
    assert (offer.call_sid, offer.agent_id) == (placed, str(alice.id))
    assert client.post(f"/desktop/offers/{offer.offer_id}/accept").status_code == 200
    carrier.run_for(5)
    participants = carrier.conference_participants(conference_name(placed))
    assert placed in participants and len(participants) == 2
    pacer_worker(runtime, "http://cc.test").step(drain_events(runtime.redis, 0))  # records the connection
    db.expire_all()
    attempt = db.scalars(select(DialAttempt).where(DialAttempt.call_sid == placed)).one()
    assert attempt.agent_id == alice.id and attempt.mode == "preview" and attempt.connected_at is not None
    assert not attempt.abandoned and db.get(Lead, ada.id).attempts == 1


def test_a_number_listed_after_it_was_shown_is_refused_with_the_reason(floor, client, carrier, db):
    *_, campaign, ada, _ = floor
    login(client, "alice").get("/desktop/preview")
    dnc.add(db, ADA, reason="asked by phone")
    db.commit()
    resp = client.post("/desktop/preview/dial", json={"campaign_id": campaign.id, "lead_id": ada.id})
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "dnc_internal" and "do-not-call" in error["message"]
    db.expire_all()
    assert db.scalars(select(DialAttempt)).all() == []
    assert [d.reason for d in db.scalars(select(DialDecision).where(DialDecision.lead_id == ada.id))] == [
        "dnc_internal"
    ]


def test_only_the_lead_held_for_the_agent_can_be_dialed(floor, client):
    *_, campaign, _, bea = floor
    login(client, "alice").get("/desktop/preview")
    resp = client.post("/desktop/preview/dial", json={"campaign_id": campaign.id, "lead_id": bea.id})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_held"


def test_an_agent_who_is_not_available_cannot_dial(floor, client, db):
    acd, alice, _, campaign, ada, _ = floor
    login(client, "alice").get("/desktop/preview")
    acd.set_state(alice.id, "break", "lunch")
    db.commit()
    resp = client.post("/desktop/preview/dial", json={"campaign_id": campaign.id, "lead_id": ada.id})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_available"


def test_skip_defers_the_lead_and_shows_the_next(floor, client, db):
    *_, campaign, ada, bea = floor
    login(client, "alice").get("/desktop/preview")
    assert client.post("/desktop/preview/skip", json={"campaign_id": campaign.id, "lead_id": ada.id}).status_code == 200
    assert client.get("/desktop/preview").get_json()["lead"]["lead_id"] == bea.id
    db.expire_all()
    decision = db.scalars(select(DialDecision).where(DialDecision.lead_id == ada.id)).one()
    assert (decision.action, decision.reason) == ("defer", "agent_skipped")


def test_an_agent_of_no_preview_campaign_gets_no_panel(floor, client, db):
    outsider = gen_agent(db, "olga")
    db.commit()
    assert outsider is not None
    assert login(client, "olga").get("/desktop/preview").get_json() == {"campaigns": [], "lead": None}


def test_an_agent_outside_the_campaign_cannot_dial_it(floor, client, db):
    *_, campaign, ada, _ = floor
    gen_agent(db, "olga")
    db.commit()
    resp = login(client, "olga").post("/desktop/preview/dial", json={"campaign_id": campaign.id, "lead_id": ada.id})
    assert resp.status_code == 403


def test_supervisors_do_not_dial(floor, client, db):
    from contactcenter.accounts.models import Role

    *_, campaign, ada, _ = floor
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    db.commit()
    assert login(client, "sam").get("/desktop/preview").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"campaign_id": "1; DROP TABLE dialer_leads", "lead_id": 1},
        {"campaign_id": 1, "lead_id": "<script>alert(1)</script>"},
        {"campaign_id": -1, "lead_id": 1},
        {"campaign_id": 1, "lead_id": 10**30},
        {"campaign_id": True, "lead_id": 1},
        {},
    ],
)
def test_malformed_and_hostile_ids_are_refused(floor, client, body, db):
    login(client, "alice")
    for action in ("dial", "skip"):
        resp = client.post(f"/desktop/preview/{action}", json=body)
        assert resp.status_code == 400
    assert db.scalars(select(Lead)).all()  # nothing dropped


def test_a_body_that_is_not_an_object_is_refused(floor, client):
    login(client, "alice")
    assert client.post("/desktop/preview/dial", data="[1, 2]", content_type="application/json").status_code == 400


def test_an_oversized_body_is_refused(floor, client):
    login(client, "alice")
    resp = client.post("/desktop/preview/dial", data="x" * (2 * 1024 * 1024), content_type="application/json")
    assert resp.status_code == 413
