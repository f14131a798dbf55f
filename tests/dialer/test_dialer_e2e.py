"""A campaign end to end through the carrier simulator, on virtual time.

Leads imported from CSV are dialed by the real pacer worker (stepped by hand); an answered person
is queued in the campaign's ACD queue, offered to its agent, accepted on the desktop side
(`AcdService.accept`) and joined with the agent in the call's conference; the agent's disposition
is recorded; busy and unanswered leads come back per the retry delays. With nobody to take the
call within 2 s, the person hears the safe-harbor message and the attempt counts as abandoned.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls, conference_name
from contactcenter.app.services import pacer_worker
from contactcenter.contacts.models import Interaction
from contactcenter.dialer import campaigns, ledger_records
from contactcenter.dialer.connect import AcdAgentPool
from contactcenter.dialer.models import DialAttempt, Lead, LeadStatus
from contactcenter.dialer.pacer_worker import drain_events
from contactcenter.telephony.simulator import Callee
from tests.support.constants import CENTER_NUMBER
from tests.support.dialer import gen_campaign, import_text
from tests.support.factories import PASSWORD, gen_agent, gen_queue

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)
BUSY, NO_ANSWER, HUMAN = "+12125550101", "+12125550102", "+12125550103"
RETRY = {"busy": 600, "no-answer": 5400}


@pytest.fixture
def floor(db, runtime, carrier):  # type: ignore[no-untyped-def]
    """A sales queue with one agent, a progressive campaign on it, and the pacer worker."""
    return _sales_floor(
        db, runtime, "sales", retry_delays=RETRY, script="Hello {name}, this is Acme Energy about your renewal."
    )


def _sales_floor(db, runtime, queue: str, name: str = "Spring renewals", **campaign):  # type: ignore[no-untyped-def]
    """A queue with alice in it, a progressive campaign of `name` on it, and the pacer worker."""
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    sales = gen_queue(db, queue, wrap_up_s=30)
    alice = gen_agent(db, "alice")
    db.add(QueueMembership(queue_id=sales.id, user_id=alice.id))
    db.flush()
    acd = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    acd.sync_configuration()
    runtime.acd_configured = True
    created = gen_campaign(db, name, dial_mode="progressive", queue_id=sales.id, **campaign)
    db.commit()
    return acd, alice, created, pacer_worker(runtime, "http://cc.test")


def _pass(worker, runtime):  # type: ignore[no-untyped-def]
    """One pacer pass with the events the webhooks published."""
    return worker.step(drain_events(runtime.redis, 0))


def _attempt(db, phone) -> DialAttempt:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(DialAttempt).where(DialAttempt.phone == phone).order_by(DialAttempt.id.desc())).first()


def _lead(db, phone) -> Lead:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalars(select(Lead).where(Lead.phone == phone)).one()


def test_campaign_dials_connects_records_and_reschedules(floor, carrier, runtime, db, app):
    acd, alice, campaign, worker = floor
    report = import_text(db, campaign, f"name,phone\nBusy Bea,{BUSY}\nNo Answer Ned,{NO_ANSWER}\nHuman Hal,{HUMAN}\n")
    assert report.imported == 3
    db.commit()
    carrier.set_callee(BUSY, Callee(answer="busy", ring_s=4))
    carrier.set_callee(NO_ANSWER, Callee(answer="no-answer"))
    carrier.set_callee(HUMAN, Callee(answer="human", ring_s=3, talk_s=120))
    acd.set_state(alice.id, "available")
    db.commit()
    assert [v.state for v in AcdAgentPool(runtime.acd, runtime.session_factory).agents(campaign.id)] == ["available"]

    # Progressive, one agent: one call at a time, in import order.
    [placed] = _pass(worker, runtime)[campaign.id].placed
    assert carrier.call(placed).sid == placed
    carrier.run_for(6)
    busy = _attempt(db, BUSY)
    assert (busy.call_sid, busy.outcome) == (placed, "busy") and busy.ended_at is not None

    [placed] = _pass(worker, runtime)[campaign.id].placed
    carrier.run_for(campaign.ring_timeout_s + 2)
    unanswered = _attempt(db, NO_ANSWER)
    assert (unanswered.call_sid, unanswered.outcome) == (placed, "no-answer")

    [placed] = _pass(worker, runtime)[campaign.id].placed
    hal = carrier.call(placed)
    offers = []
    for _ in range(20):  # ring 3 s, machine detection 2 s: the offer comes within the connect window
        carrier.run_for(0.5)
        offers = runtime.acd.pending_offers()
        if offers:
            break
    [offer] = offers
    assert offer.call_sid == placed and offer.agent_id == str(alice.id)
    attempt = _attempt(db, HUMAN)
    assert attempt.answered_by == "human" and attempt.answered_at is not None
    # The screen pop carries the campaign, the lead and the script.
    call = db.scalars(select(Interaction).where(Interaction.call_sid == placed)).one()
    assert call.direction == "outbound" and attempt.interaction_id == call.id
    assert call.ivr_variables["lead_name"] == "Human Hal" and "renewal" in call.ivr_variables["script"]
    assert call.priority >= 800 and call.intent == f"campaign: {campaign.name}"

    assert acd.accept(offer.offer_id, alice.id).ok
    db.commit()
    carrier.run_for(10)
    participants = carrier.conference_participants(conference_name(placed))
    assert placed in participants and len(participants) == 2
    _pass(worker, runtime)  # the pass records the connection made on the desktop
    attempt = _attempt(db, HUMAN)
    assert attempt.connected_at is not None and attempt.agent_id == alice.id and not attempt.abandoned
    assert (attempt.connected_at - attempt.answered_at) <= timedelta(seconds=2)
    assert "safe" not in " ".join(hal.heard()).lower() and "Acme Energy at" not in hal.heard_text()

    carrier.run_until_idle()  # Hal hangs up; Alice is in wrap-up and picks the code on her desktop
    app.config["WTF_CSRF_ENABLED"] = False
    desk = app.test_client()
    assert desk.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    owed = desk.get("/desktop/snapshot").json["wrapup"]
    assert owed["call_sid"] == placed and "sale" in [d["code"] for d in owed["dispositions"]]
    wrapped = desk.post(
        f"/desktop/calls/{placed}/wrapup", json={"disposition": "sale", "notes": "Renewed for two years."}
    )
    assert wrapped.status_code == 200, wrapped.json
    attempt = _attempt(db, HUMAN)
    assert attempt.disposition == "sale" and attempt.outcome == "connected" and not attempt.abandoned
    assert _lead(db, HUMAN).status == LeadStatus.DONE.value
    call = db.scalars(select(Interaction).where(Interaction.call_sid == placed)).one()
    assert call.is_ended and call.agent_id == alice.id
    assert call.disposition == "sale" and call.notes == "Renewed for two years."

    # Retries per the campaign's delays.
    busy_lead, busy = _lead(db, BUSY), _attempt(db, BUSY)
    assert busy_lead.status == LeadStatus.READY.value
    assert busy_lead.next_attempt_at == busy.ended_at + timedelta(seconds=RETRY["busy"])
    quiet_lead, quiet = _lead(db, NO_ANSWER), _attempt(db, NO_ANSWER)
    assert quiet_lead.status == LeadStatus.READY.value
    assert quiet_lead.next_attempt_at == quiet.ended_at + timedelta(seconds=RETRY["no-answer"])
    # Every leg is an outbound interaction linked to its attempt.
    for phone in (BUSY, NO_ANSWER):
        linked = db.get(Interaction, _attempt(db, phone).interaction_id)
        assert linked is not None and linked.direction == "outbound" and linked.is_ended


def test_no_agent_within_two_seconds_plays_the_safe_harbor(floor, carrier, runtime, db):
    acd, alice, campaign, worker = floor
    import_text(db, campaign, f"name,phone\nHuman Hal,{HUMAN}\n")
    carrier.set_callee(HUMAN, Callee(answer="human", ring_s=3, talk_s=120))
    acd.set_state(alice.id, "available")
    db.commit()
    [placed] = _pass(worker, runtime)[campaign.id].placed
    acd.set_state(alice.id, "break", "lunch")  # the agent the pacer counted on leaves
    db.commit()
    carrier.run_until_idle()
    hal = carrier.call(placed)
    heard = hal.heard_text()
    assert "Acme Energy" in heard and campaigns.safe_harbor_instructions(campaign)[0].text in heard
    attempt = _attempt(db, HUMAN)
    assert attempt.abandoned and attempt.safe_harbor_played and attempt.connected_at is None
    assert attempt.ended_at is not None and hal.ended
    # The message starts when the 2-second connect window runs out, not later.
    assert timedelta(seconds=1.9) <= attempt.ended_at - attempt.answered_at <= timedelta(seconds=2.5)
    assert hal.ended_after_s is not None
    assert runtime.acd.call_snapshot(placed) is None or runtime.acd.call_snapshot(placed).state != "waiting"
    report = ledger_records.abandonment_report(db, campaign)
    assert (report["live_answered"], report["abandoned"]) == (1, 1)
    lead = _lead(db, HUMAN)
    assert lead.status == LeadStatus.READY.value and lead.last_abandoned_at is not None


def test_offer_not_accepted_in_time_is_abandoned_and_rescinded(floor, carrier, runtime, db):
    acd, alice, campaign, worker = floor
    import_text(db, campaign, f"name,phone\nHuman Hal,{HUMAN}\n")
    carrier.set_callee(HUMAN, Callee(answer="human", ring_s=3, talk_s=120))
    acd.set_state(alice.id, "available")
    db.commit()
    [placed] = _pass(worker, runtime)[campaign.id].placed
    carrier.run_for(20)
    assert runtime.acd.pending_offers() == []  # the offer went with the call
    attempt = _attempt(db, HUMAN)
    assert attempt.abandoned and attempt.safe_harbor_played
    assert "Acme Energy" in carrier.call(placed).heard_text()
    assert runtime.acd.agent_snapshot(str(alice.id)).state == "available"


def test_machine_is_not_queued(floor, carrier, runtime, db):
    acd, alice, campaign, worker = floor
    import_text(db, campaign, f"name,phone\nMachine Max,{HUMAN}\n")
    carrier.set_callee(HUMAN, Callee(answer="machine", ring_s=3))
    acd.set_state(alice.id, "available")
    db.commit()
    [placed] = _pass(worker, runtime)[campaign.id].placed
    carrier.run_until_idle()
    attempt = _attempt(db, HUMAN)
    assert attempt.outcome == "machine" and not attempt.abandoned and attempt.answered_at is None
    assert runtime.acd.pending_offers() == [] and runtime.acd.call_snapshot(placed) is None
    assert _lead(db, HUMAN).next_attempt_at is not None


def test_dialer_webhooks_refuse_unsigned_requests(client):
    response = client.post("/hooks/dialer/answer?attempt=1", data={"CallSid": "CA" + "0" * 32})
    assert response.status_code == 403


UK_PERSON = "+447911123456"


@pytest.fixture
def uk_floor(db, runtime, carrier):  # type: ignore[no-untyped-def]
    """The same floor with a UK campaign (AMD on, false positives counted by their estimate)."""
    return _sales_floor(
        db,
        runtime,
        "sales-uk",
        "UK renewals",
        rule_set="UK",
        caller_id="+442079460100",
        callback_number="+442079460123",
        amd_false_positive_share=0.1,
    )


def test_a_uk_call_without_room_for_amd_goes_out_without_it_and_reaches_the_agent(uk_floor, carrier, runtime, db):
    acd, alice, campaign, worker = uk_floor
    import_text(db, campaign, f"name,phone\nPenny Person,{UK_PERSON}\n")
    carrier.set_callee(UK_PERSON, Callee(answer="human", ring_s=3, talk_s=120))
    acd.set_state(alice.id, "available")
    db.commit()
    report = _pass(worker, runtime)[campaign.id]
    [placed] = report.placed
    assert report.decision.screened_launch == 0  # a new period has no room for a false-positive charge
    assert carrier.call(placed)._call.machine_detection is None  # what the carrier was asked for
    offers = []
    for _ in range(12):  # rings 3 s; without detection the answer is offered at once
        carrier.run_for(0.5)
        offers = runtime.acd.pending_offers()
        if offers:
            break
    [offer] = offers
    assert offer.call_sid == placed and offer.agent_id == str(alice.id)
    attempt = _attempt(db, UK_PERSON)
    assert attempt.answered_by == "human" and attempt.outcome == "answered" and not attempt.abandoned


@pytest.mark.parametrize("amd", ["OFF", "off'; DROP TABLE dial_attempts; --", "<b>off</b>", "off" * 2000, ""])
def test_only_an_exact_amd_off_marks_a_call_sent_without_detection(app, amd):
    from web.dialer_hooks import _screened

    with app.test_request_context("/hooks/dialer/answer", query_string={"attempt": "1", "amd": amd}):
        assert _screened() is True  # anything else: the campaign's AMD answers for the call
    with app.test_request_context("/hooks/dialer/answer", query_string={"attempt": "1", "amd": "off"}):
        assert _screened() is False
