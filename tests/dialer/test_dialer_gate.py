"""The dial gate: nothing outside the calling window, nothing to a do-not-call number, no attempt
beyond the maximum; every refusal is recorded with its reason; outcomes schedule retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from contactcenter import clock
from contactcenter.dialer import campaigns, dial_gate, dnc, ledger_records, outcomes, preview_dialing
from contactcenter.dialer.campaigns import CampaignError
from contactcenter.dialer.models import DialAttempt, DialDecision, Lead
from tests.support.dialer import NUMBERS, gen_campaign, gen_lead


def decisions(db, lead=None):
    query = select(DialDecision).order_by(DialDecision.id)
    if lead is not None:
        query = query.where(DialDecision.lead_id == lead.id)
    return list(db.scalars(query))


def local_clock(at: datetime, zone: str) -> tuple[int, int]:
    t = at.astimezone(ZoneInfo(zone))
    return t.hour, t.minute


def test_leads_are_claimed_only_inside_their_local_window_and_deferrals_are_recorded(db):
    with freeze_time("2026-01-05 14:00:00"):  # 09:00 New York, 06:00 Los Angeles, 04:00 Honolulu
        campaign = gen_campaign(db)
        leads = {zone: gen_lead(db, campaign, number) for zone, number in NUMBERS.items()}
        claims = dial_gate.claim_leads(db, campaign, 10)
    claimed = {c.lead_id for c in claims}
    assert claimed == {leads["America/New_York"].id, leads["America/Chicago"].id}
    for zone in ("America/Los_Angeles", "America/Phoenix", "Pacific/Honolulu", "America/Anchorage"):
        lead = leads[zone]
        (decision,) = decisions(db, lead)
        assert (decision.action, decision.reason) == ("defer", "outside_window")
        # The first instant at which every zone of the number is open (Alaska numbers may be
        # in Adak, an hour behind Anchorage: 08:00 there is 09:00 in Anchorage).
        local_times = [local_clock(decision.retry_at, z) for z in lead.time_zones]
        assert min(local_times) == (8, 0) and all((8, 0) <= t < (21, 0) for t in local_times)
        assert lead.next_attempt_at == decision.retry_at and lead.status == "ready"
    attempt = db.get(DialAttempt, claims[0].attempt_id)
    assert "America/New_York 2026-01-05T09:00:00-05:00" in attempt.local_time
    # Deferred leads are not looked at again (nor recorded again) before their opening.
    with freeze_time("2026-01-05 14:30:00"):
        assert dial_gate.claim_leads(db, campaign, 10) == []
    assert len(decisions(db)) == 4
    with freeze_time("2026-01-05 16:00:00"):  # 08:00 in Los Angeles, 09:00 in Phoenix (no DST)
        later = dial_gate.claim_leads(db, campaign, 10)
    assert {c.lead_id for c in later} == {leads["America/Los_Angeles"].id, leads["America/Phoenix"].id}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)))
def test_no_claim_ever_lands_outside_any_of_the_numbers_zones(db, at):
    """freezegun at random instants of two years (both DST changes each year, every zone)."""
    db.rollback()
    with freeze_time(at):
        campaign = gen_campaign(db, f"c{at.timestamp()}")
        for number in NUMBERS.values():
            gen_lead(db, campaign, number)
        gen_lead(db, campaign, "+13125550199", time_zones=["America/Chicago", "America/New_York"])
        claims = dial_gate.claim_leads(db, campaign, 20)
        now = clock.now()
    ring_end = now + timedelta(seconds=campaign.ring_timeout_s)
    for claim in claims:
        lead = db.get(Lead, claim.lead_id)
        for zone in lead.time_zones:
            assert (8, 0) <= local_clock(now, zone) < (21, 0), (zone, now)
            # ...and the call cannot ring past 21:00 (same local day, before 21:00).
            assert ring_end.astimezone(ZoneInfo(zone)).date() == now.astimezone(ZoneInfo(zone)).date()
            assert local_clock(ring_end, zone) < (21, 0)
    refused = {d.lead_id for d in decisions(db) if d.campaign_id == campaign.id}
    claimed = {c.lead_id for c in claims}
    every = set(db.scalars(select(Lead.id).where(Lead.campaign_id == campaign.id)))
    assert refused | claimed == every and not (refused & claimed)
    db.rollback()


def test_dnc_numbers_are_never_dialed_even_when_listed_after_import(db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db)
        other = gen_campaign(db, "Other")
        internal = gen_lead(db, campaign, NUMBERS["America/New_York"])
        per_campaign = gen_lead(db, campaign, NUMBERS["America/Chicago"])
        elsewhere = gen_lead(db, campaign, NUMBERS["America/Los_Angeles"])
        fine = gen_lead(db, campaign, "+12125550148")
        dnc.add(db, internal.phone, source="manual", reason="asked on the phone")
        dnc.add(db, per_campaign.phone, campaign_id=campaign.id)
        dnc.add(db, elsewhere.phone, campaign_id=other.id)  # another campaign's list does not apply
        claims = dial_gate.claim_leads(db, campaign, 10)
    assert {c.lead_id for c in claims} == {fine.id, elsewhere.id}
    assert [d.reason for d in decisions(db, internal)] == ["dnc_internal"]
    assert [d.reason for d in decisions(db, per_campaign)] == ["dnc_campaign"]
    assert internal.status == per_campaign.status == "dnc"


def test_expired_dnc_entries_no_longer_block(db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db)
        lead = gen_lead(db, campaign, NUMBERS["America/New_York"])
        dnc.add(db, lead.phone, expires_at=clock.now() + timedelta(days=1))
        assert dnc.check(db, lead.phone, campaign.id) is not None
    with freeze_time("2026-01-07 16:00:00"):
        assert dnc.check(db, lead.phone, campaign.id) is None
        assert [c.lead_id for c in dial_gate.claim_leads(db, campaign, 1)] == [lead.id]


def test_dnc_entries_are_stored_in_e164_and_adding_twice_keeps_one(db):
    first = dnc.add(db, "(212) 555-0147")
    second = dnc.add(db, "+1 212 555 0147")
    assert first.id == second.id and first.phone == "+12125550147"
    assert dnc.remove(db, "212-555-0147")
    assert dnc.check(db, "+12125550147", None) is None


def call_through(db, claim, sid, status, at, answered_by=None):
    outcomes.mark_placed(db, claim.attempt_id, sid, at)
    return outcomes.record_status(db, sid, status, at + timedelta(seconds=20), answered_by=answered_by)


def test_outcomes_schedule_retries_and_the_last_attempt_is_recorded(db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db, max_attempts=2, retry_delays={"busy": 600, "no-answer": 3600})
        lead = gen_lead(db, campaign, NUMBERS["America/New_York"])
        (claim,) = dial_gate.claim_leads(db, campaign, 1)
        now = clock.now()
        attempt, events = call_through(db, claim, "CA1", "busy", now)
        assert [e.kind for e in events] == ["not_live"] and events[0].outcome == "busy"
        assert lead.status == "ready" and lead.next_attempt_at == now + timedelta(seconds=620)
        assert dial_gate.claim_leads(db, campaign, 1) == []  # not before the retry delay
    with freeze_time("2026-01-05 16:15:00"):
        (claim,) = dial_gate.claim_leads(db, campaign, 1)
        call_through(db, claim, "CA2", "no-answer", clock.now())
    assert lead.status == "exhausted" and lead.attempts == 2
    assert [(d.action, d.reason) for d in decisions(db, lead)] == [("skip", "max_attempts")]
    # A repeated callback changes nothing.
    _, again = outcomes.record_status(db, "CA2", "no-answer")
    assert again == []


def test_a_live_answer_then_abandon_plays_safe_harbor_and_uk_guards_72_hours(db):
    with freeze_time("2026-01-05 12:00:00"):
        campaign = gen_campaign(
            db,
            rule_set="UK",
            caller_id="+442071838750",
            callback_number="+442071838751",
            retry_delays={"abandoned": 60},
        )
        lead = gen_lead(db, campaign, "+442071838799")
        (claim,) = dial_gate.claim_leads(db, campaign, 1)
        now = clock.now()
        outcomes.mark_placed(db, claim.attempt_id, "CA9", now)
        _, events = outcomes.record_status(db, "CA9", "in-progress", now + timedelta(seconds=8), answered_by="human")
        assert [e.kind for e in events] == ["live_answer"]
        attempt, events = outcomes.mark_abandoned(db, "CA9", now + timedelta(seconds=10))
        assert [e.kind for e in events] == ["abandoned"]
        assert attempt.abandoned and attempt.safe_harbor_played and attempt.outcome == "abandoned"
        report = ledger_records.abandonment_report(db, campaign)
        assert (report["live_answered"], report["abandoned"], report["abandon_rate"]) == (1, 1, 1.0)
    with freeze_time("2026-01-06 12:00:00"):  # retry delay passed, 72-hour guard not
        assert dial_gate.claim_leads(db, campaign, 1) == []
        (decision,) = [d for d in decisions(db, lead) if d.reason == "redial_guard"]
        assert decision.retry_at == attempt.ended_at + timedelta(hours=72)
        # Progressive dialing guarantees an agent: the guard does not apply.
        campaigns.update_campaign(db, campaign, dial_mode="progressive")
        lead.next_attempt_at = None
        assert [c.lead_id for c in dial_gate.claim_leads(db, campaign, 1)] == [lead.id]


def test_machines_count_for_the_uk_false_positive_estimate(db):
    with freeze_time("2026-01-05 12:00:00"):
        campaign = gen_campaign(
            db, rule_set="UK", caller_id="+442071838750", callback_number="+442071838751", amd_false_positive_share=0.1
        )
        numbers = [f"+4420718387{i:02d}" for i in range(20)]
        for n in numbers:
            gen_lead(db, campaign, n)
        claims = dial_gate.claim_leads(db, campaign, 20)
        for i, claim in enumerate(claims):
            outcomes.mark_placed(db, claim.attempt_id, f"CAm{i}", clock.now())
            verdict = "machine_start" if i < 10 else "human"
            outcomes.record_status(db, f"CAm{i}", "in-progress", clock.now(), answered_by=verdict)
            if verdict == "human":
                outcomes.mark_connected(db, f"CAm{i}", None)
        counts = ledger_records.ledger_counts(db, campaign)
        assert (counts.live_answered, counts.machine_verdicts, counts.abandoned) == (10, 10, 0)
        report = ledger_records.abandonment_report(db, campaign)
        assert report["estimated_amd_false_positives"] == 1.0
        assert report["abandon_rate"] == round(1 / 11, 5)


def test_the_do_not_call_disposition_adds_the_number_and_callbacks_come_back(db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db)
        a = gen_lead(db, campaign, NUMBERS["America/New_York"])
        b = gen_lead(db, campaign, NUMBERS["America/Chicago"])
        claims = dial_gate.claim_leads(db, campaign, 2)
        for i, claim in enumerate(claims):
            outcomes.mark_placed(db, claim.attempt_id, f"CAd{i}", clock.now())
            outcomes.record_status(db, f"CAd{i}", "in-progress", clock.now(), answered_by="human")
            outcomes.mark_connected(db, f"CAd{i}", None)
        by_lead = {c.lead_id: c.attempt_id for c in claims}
        outcomes.record_disposition(db, by_lead[a.id], "do_not_call")
        callback_at = clock.now() + timedelta(hours=2)
        outcomes.record_disposition(db, by_lead[b.id], "callback", callback_at=callback_at)
        with pytest.raises(CampaignError):
            outcomes.record_disposition(db, by_lead[b.id], "teleport")
    assert a.status == "dnc" and dnc.check(db, a.phone, None).source == "disposition"
    assert b.status == "ready" and b.next_attempt_at == callback_at
    with freeze_time("2026-01-05 18:30:00"):
        assert [c.lead_id for c in dial_gate.claim_leads(db, campaign, 5)] == [b.id]


def test_paused_or_stopped_campaigns_claim_nothing(db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db)
        gen_lead(db, campaign, NUMBERS["America/New_York"])
        campaigns.pause_campaign(db, campaign)
        assert dial_gate.claim_leads(db, campaign, 1) == []
        campaigns.stop_campaign(db, campaign)
        assert dial_gate.claim_leads(db, campaign, 1) == []


def test_lead_order_and_region_rules(db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db, lead_order="priority")
        low = gen_lead(db, campaign, "+12125550150", priority=1)
        high = gen_lead(db, campaign, "+12125550151", priority=9)
        foreign = gen_lead(db, campaign, "+442071838750")
        claims = dial_gate.claim_leads(db, campaign, 3)
    assert [c.lead_id for c in claims] == [high.id, low.id]
    assert [d.reason for d in decisions(db, foreign)] == ["region_not_allowed"]
    assert foreign.status == "invalid"


def test_preview_holds_a_lead_for_one_agent_and_dials_that_one(db):
    from tests.support.factories import gen_agent

    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db, dial_mode="preview")
        agent, other = gen_agent(db), gen_agent(db)
        first = gen_lead(db, campaign, "+12125550160")
        second = gen_lead(db, campaign, "+12125550161")
        gen_lead(db, campaign, "+12125550162")
        assert preview_dialing.preview_next(db, campaign, other.id).id == first.id
        held = preview_dialing.preview_next(db, campaign, agent.id)
        assert held.id == second.id and held.held_by_id == agent.id
        assert preview_dialing.preview_next(db, campaign, agent.id).id == second.id  # still theirs
        (claim,) = dial_gate.claim_leads(db, campaign, 1, agent_id=agent.id)
    assert claim.lead_id == second.id
    assert db.get(DialAttempt, claim.attempt_id).agent_id == agent.id


def test_without_amd_an_answer_is_a_person_and_a_hang_up_in_the_window_counts_as_abandoned(db):
    with freeze_time("2026-01-05 16:00:00"):
        campaign = gen_campaign(db, amd_enabled=False)
        gen_lead(db, campaign, "+12125550170")
        (claim,) = dial_gate.claim_leads(db, campaign, 1)
        outcomes.mark_placed(db, claim.attempt_id, "CAn1")
        _, events = outcomes.record_status(db, "CAn1", "in-progress")
        assert [e.kind for e in events] == ["live_answer"]
        attempt, events = outcomes.record_status(db, "CAn1", "completed")
        assert [(e.kind, e.outcome) for e in events] == [("abandoned", "hangup")]
        assert attempt.abandoned and not attempt.safe_harbor_played and attempt.outcome == "hangup"
        counts = ledger_records.ledger_counts(db, campaign)
        assert (counts.live_answered, counts.abandoned) == (1, 1)
