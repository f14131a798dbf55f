"""The pacing worker against real Redis and the SQL store: one leader, events wake it, calls go
out through the telephony port, outcomes come back through the services, compliance holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from freezegun import freeze_time
from sqlalchemy import select

from contactcenter import clock
from contactcenter.dialer import campaign_dialers, dial_gate, dnc, outcomes
from contactcenter.dialer.models import DialAttempt, DialDecision
from contactcenter.dialer.pacer_worker import EVENTS_KEY, LeaderLock, PacerWorker, drain_events, publish_event
from contactcenter.dialer.pacing_vocabulary import AgentView
from contactcenter.telephony.interfaces import PlacedCall
from tests.support.dialer import gen_campaign, gen_lead


@dataclass
class RecordingCarrier:
    """Stands in for the Telephony port: remembers what it was asked."""

    placed: list[dict] = field(default_factory=list)
    hung_up: list[str] = field(default_factory=list)
    fail_next: bool = False

    def place_call(self, to, from_, url, status_callback=None, machine_detection=None, timeout_s=30):
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("carrier said no")
        sid = f"CA{len(self.placed):032d}"
        self.placed.append(
            dict(
                to=to,
                from_=from_,
                url=url,
                status_callback=status_callback,
                machine_detection=machine_detection,
                timeout_s=timeout_s,
                sid=sid,
                at=clock.now(),
            )
        )
        return PlacedCall(sid, "queued")

    def hangup(self, call_sid):
        self.hung_up.append(call_sid)


@dataclass
class FixedPool:
    """The AgentPool port: a fixed set of agents."""

    views: list[AgentView]

    def agents(self, campaign_id):
        return self.views


def test_only_one_pacer_leads_and_leadership_moves_on_release(redis_client):
    first, second = LeaderLock(redis_client, ttl_s=2), LeaderLock(redis_client, ttl_s=2)
    assert first.acquire_or_renew()
    assert not second.acquire_or_renew()
    assert first.acquire_or_renew()  # renewal keeps it
    assert first.holder() == first.token
    first.release()
    assert second.acquire_or_renew() and second.holder() == second.token
    # A lock that is not renewed expires (the leader died): the key has a TTL.
    assert 0 < redis_client.pttl(second.key) <= 2000


def test_events_are_drained_oldest_first(redis_client):
    publish_event(redis_client, "live_answer", 7, call_id="A", at=1.0)
    publish_event(redis_client, "agent_state", 7, agent_id="3")
    redis_client.lpush(EVENTS_KEY, b"{not json")
    events = drain_events(redis_client, wait_s=1)
    assert [e["kind"] for e in events] == ["live_answer", "agent_state"]
    assert drain_events(redis_client, wait_s=0) == []


def test_the_worker_dials_within_the_rules_and_hears_outcomes(db, session_factory, redis_client):
    carrier = RecordingCarrier()
    with freeze_time("2026-01-05 16:00:00"):  # 11:00 New York, 08:00 Los Angeles
        now = clock.timestamp()
        campaign = gen_campaign(db, dial_mode="progressive")
        blocked = gen_lead(db, campaign, "+12125559999")  # first in line, but listed after import
        ny = [gen_lead(db, campaign, f"+1212555{1000 + i}") for i in range(6)]
        la_early = gen_lead(db, campaign, "+14155550147")
        dnc.add(db, blocked.phone)
        db.commit()
        pool = FixedPool([AgentView(str(i), "available", now - 10) for i in range(4)])
        handed_over = []
        dialers = campaign_dialers.CampaignDialers(session_factory, carrier, pool, on_answered=handed_over.append)
        key = f"{{dialer}}:leader:{uuid.uuid4().hex}"
        worker = PacerWorker(redis_client, dialers, lock=LeaderLock(redis_client, key, ttl_s=30, token="w1"))
        other = PacerWorker(redis_client, dialers, lock=LeaderLock(redis_client, key, ttl_s=30, token="w2"))
        reports = worker.step()
        assert other.step() == {}  # not the leader: does nothing
    report = reports[campaign.id]
    assert report.decision.launch == 4 and len(carrier.placed) == 4
    first = carrier.placed[0]
    assert first["from_"] == "+12025550100" and first["machine_detection"] == "Enable" and first["timeout_s"] == 25
    assert "attempt=" in first["url"] and "attempt=" in first["status_callback"]
    attempts = list(db.scalars(select(DialAttempt).where(DialAttempt.campaign_id == campaign.id)))
    assert {a.call_sid for a in attempts} == {p["sid"] for p in carrier.placed}
    assert all(a.placed_at is not None for a in attempts)
    assert blocked.phone not in {p["to"] for p in carrier.placed}
    assert [d.reason for d in db.scalars(select(DialDecision).where(DialDecision.lead_id == blocked.id))] == [
        "dnc_internal"
    ]

    # Outcomes arrive (status callbacks -> services -> events -> the leader's pacer).
    with freeze_time("2026-01-05 16:00:20"):
        for placed, status, answered_by in zip(
            carrier.placed,
            ["busy", "no-answer", "in-progress", "in-progress"],
            [None, None, "human", "machine_start"],
            strict=False,
        ):
            _, events = outcomes.record_status(db, placed["sid"], status, answered_by=answered_by)
            for event in events:
                publish_event(redis_client, **event.as_dict())
        _, events = outcomes.mark_connected(db, carrier.placed[2]["sid"], None)
        for event in events:
            publish_event(redis_client, **event.as_dict())
        db.commit()
        pacer = dialers()[campaign.id].pacer
        assert len(pacer.calls) == 4
        first_four = {p["sid"] for p in carrier.placed}
        report = worker.step(drain_events(redis_client, wait_s=1))[campaign.id]
    assert not first_four & set(pacer.calls)  # every outcome reached the pacer
    # It dialed again for the free agents: the three leads left (two in New York, one in Los Angeles).
    assert report.decision.in_flight == 0 and report.decision.launch == 4 and len(report.placed) == 3
    assert pacer.ledger.counts.live_answered == 1
    # The live answer was handed to the connect path, with 2 s to find an agent.
    (answered,) = handed_over
    assert answered.call_id == carrier.placed[2]["sid"] and answered.phone == carrier.placed[2]["to"]
    assert answered.connect_by - answered.answered_at == 2.0 and answered.campaign_id == campaign.id
    # The blocked number never went out, whatever happened.
    assert all(p["to"] != blocked.phone for p in carrier.placed)
    called = {p["to"] for p in carrier.placed}
    assert called <= {lead.phone for lead in ny + [la_early]}


def test_a_carrier_refusal_is_recorded_and_the_lead_retried(db, session_factory, redis_client):
    carrier = RecordingCarrier(fail_next=True)
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db, dial_mode="progressive", retry_delays={"failed": 300})
        lead = gen_lead(db, campaign, "+12125550147")
        db.commit()
        pool = FixedPool([AgentView("1", "available", clock.timestamp())])
        worker = PacerWorker(redis_client, campaign_dialers.CampaignDialers(session_factory, carrier, pool))
        report = worker.step()[campaign.id]
    assert report.failed == 1 and carrier.placed == []
    attempt = db.scalars(select(DialAttempt).where(DialAttempt.lead_id == lead.id)).one()
    assert attempt.outcome == "failed" and "carrier said no" in attempt.error
    db.refresh(lead)
    assert lead.status == "ready" and lead.next_attempt_at == datetime(2026, 1, 5, 16, 5, tzinfo=UTC)


def test_a_new_leader_rebuilds_the_period_and_calls_in_flight_from_the_records(db, session_factory, redis_client):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db)
        for i in range(3):
            gen_lead(db, campaign, f"+1212555{2000 + i}")
        claims = dial_gate.claim_leads(db, campaign, 3)
        for i, claim in enumerate(claims):
            outcomes.mark_placed(db, claim.attempt_id, f"CAr{i}")
        outcomes.record_status(db, "CAr0", "in-progress", answered_by="human")
        outcomes.mark_abandoned(db, "CAr0")
        db.commit()
        dialers = campaign_dialers.CampaignDialers(session_factory, RecordingCarrier(), FixedPool([]))
        pacer = dialers()[campaign.id].pacer
    assert pacer.ledger.counts.live_answered == 1 and pacer.ledger.counts.abandoned == 1
    assert set(pacer.calls) == {"CAr1", "CAr2"}


def test_a_running_worker_loop_stops_on_request(db, session_factory, redis_client):
    import threading

    stop = threading.Event()
    worker = PacerWorker(
        redis_client, campaign_dialers.CampaignDialers(session_factory, RecordingCarrier(), FixedPool([])), tick_s=1
    )
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop, "max_steps": 3})
    thread.start()
    publish_event(redis_client, "agent_state", 1)
    thread.join(timeout=10)
    assert not thread.is_alive() and worker.steps == 3
    assert worker.lock.holder() is None  # released on the way out


def test_the_ledger_is_reconciled_with_the_records_on_the_cautious_side(db, session_factory):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db)
        for i in range(2):
            gen_lead(db, campaign, f"+1212555{3000 + i}")
        claims = dial_gate.claim_leads(db, campaign, 2)
        for i, claim in enumerate(claims):
            outcomes.mark_placed(db, claim.attempt_id, f"CAq{i}")
        db.commit()
        dialers = campaign_dialers.CampaignDialers(
            session_factory, RecordingCarrier(), FixedPool([]), reload_s=0, reconcile_s=0
        )
        pacer = dialers()[campaign.id].pacer
        # Memory heard of two live answers; the records only hold one, plus an abandonment
        # whose event was lost.
        pacer.on_live_answer("CAq0", clock.timestamp())
        pacer.on_live_answer("CAq1", clock.timestamp())
        outcomes.record_status(db, "CAq1", "in-progress", answered_by="human")
        outcomes.mark_abandoned(db, "CAq1")
        db.commit()
        dialers()
    assert (pacer.ledger.counts.live_answered, pacer.ledger.counts.abandoned) == (1, 1)
