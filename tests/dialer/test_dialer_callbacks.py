"""Scheduled callbacks re-enter with priority: due callbacks are dialed before any other due lead;
an agent's own callback is dialed only for that agent (preview: offered to them; progressive and
predictive: only while they are free) and, answered, is offered to that agent alone, ahead of the
campaign's other calls."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from contactcenter import clock
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls
from contactcenter.app.services import pacer_worker
from contactcenter.contacts.models import Interaction
from contactcenter.dialer import campaigns, dial_gate, outcomes, preview_dialing
from contactcenter.dialer.campaigns import CampaignError
from contactcenter.dialer.connect import CALLBACK_PRIORITY
from contactcenter.dialer.models import DialAttempt, Lead
from contactcenter.dialer.pacer_worker import drain_events
from contactcenter.telephony.simulator import Callee
from tests.support.constants import CENTER_NUMBER
from tests.support.dialer import gen_campaign, gen_lead
from tests.support.factories import gen_agent, gen_queue

MONDAY_10_NY = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
_numbers = itertools.count(1000)
_names = itertools.count(1)


def number() -> str:
    return f"+1212555{next(_numbers) % 10000:04d}"


def reached(db, campaign, lead, sid):  # type: ignore[no-untyped-def]
    """Dial `lead` and connect it (the person was reached), as the webhooks would."""
    (claim,) = [c for c in dial_gate.claim_leads(db, campaign, 50) if c.lead_id == lead.id] or [None]
    assert claim is not None
    outcomes.mark_placed(db, claim.attempt_id, sid, clock.now())
    outcomes.record_status(db, sid, "in-progress", clock.now(), answered_by="human")
    outcomes.mark_connected(db, sid, None)
    return claim.attempt_id


# ------------------------------------------------------------------------------- lead order


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.sampled_from(["fifo", "lifo", "priority", "fewest_attempts"]),
    plain=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2)), min_size=0, max_size=5),
    callbacks=st.lists(st.integers(-600, 600), min_size=1, max_size=5),
)
def test_due_callbacks_are_claimed_before_every_other_lead_earliest_promise_first(db, order, plain, callbacks):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db, f"Order {next(_names)}", lead_order=order, max_attempts=5)
        for priority, attempts in plain:
            gen_lead(db, campaign, number(), priority=priority, attempts=attempts)
        now = clock.now()
        due, later = [], []
        for offset in callbacks:
            at = now + timedelta(seconds=offset)
            lead = gen_lead(db, campaign, number(), callback_at=at, next_attempt_at=at, attempts=1)
            (due if offset <= 0 else later).append(lead)
        claims = dial_gate.claim_leads(db, campaign, len(plain) + len(callbacks))
    ids = [c.lead_id for c in claims]
    first = ids[: len(due)]
    assert set(first) == {lead.id for lead in due}
    # Earliest promise first (callbacks due at the same instant follow the campaign's order).
    promised = {lead.id: lead.callback_at for lead in due}
    assert [promised[i] for i in first] == sorted(promised.values())
    assert not {lead.id for lead in later} & set(ids)  # a callback is never dialed early
    assert len(ids) == len(due) + len(plain)


def test_a_callback_disposition_stores_when_and_whose(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        bob = gen_agent(db)
        campaigns.set_agents(db, campaign, [bob.id])
        lead = gen_lead(db, campaign, number())
        attempt_id = reached(db, campaign, lead, "CAcb1")
        when = clock.now() + timedelta(hours=3)
        outcomes.record_disposition(
            db, attempt_id, "callback", agent_id=bob.id, callback_at=when, callback_agent_id=bob.id
        )
    assert (lead.status, lead.callback_at, lead.callback_agent_id) == ("ready", when, bob.id)
    assert lead.next_attempt_at == when


def test_a_callback_without_a_time_is_due_after_the_codes_delay_and_is_anyones(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        lead = gen_lead(db, campaign, number())
        attempt_id = reached(db, campaign, lead, "CAcb2")
        outcomes.record_disposition(db, attempt_id, "callback")
    assert lead.callback_at == MONDAY_10_NY + timedelta(hours=1)
    assert lead.callback_agent_id is None


def test_only_a_campaign_agent_can_own_a_callback(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        stranger = gen_agent(db)
        lead = gen_lead(db, campaign, number())
        attempt_id = reached(db, campaign, lead, "CAcb3")
        with pytest.raises(CampaignError):
            outcomes.record_disposition(db, attempt_id, "callback", callback_agent_id=stranger.id)


def test_reaching_the_person_ends_the_callback(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        lead = gen_lead(db, campaign, number(), callback_at=MONDAY_10_NY, next_attempt_at=MONDAY_10_NY)
        reached(db, campaign, lead, "CAcb4")
    assert lead.callback_at is None and lead.status == "done"


def test_an_unanswered_callback_keeps_its_priority_for_the_retry(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        lead = gen_lead(db, campaign, number(), callback_at=MONDAY_10_NY, next_attempt_at=MONDAY_10_NY)
        (claim,) = dial_gate.claim_leads(db, campaign, 1)
        outcomes.mark_placed(db, claim.attempt_id, "CAcb5", clock.now())
        outcomes.record_status(db, "CAcb5", "busy", clock.now())
    assert lead.status == "ready" and lead.callback_at == MONDAY_10_NY
    with freeze_time(MONDAY_10_NY + timedelta(hours=1)):
        gen_lead(db, campaign, number())  # an older lead's turn would come first otherwise
        assert dial_gate.claim_leads(db, campaign, 1)[0].lead_id == lead.id


def test_a_final_disposition_cancels_a_pending_callback(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        lead = gen_lead(db, campaign, number(), callback_at=MONDAY_10_NY, next_attempt_at=MONDAY_10_NY)
        attempt_id = reached(db, campaign, lead, "CAcb6")
        outcomes.record_disposition(db, attempt_id, "sale")
    assert lead.callback_at is None and lead.callback_agent_id is None and lead.status == "done"


# ------------------------------------------------------------------------------- ownership


def owned_callback(db, campaign, owner):  # type: ignore[no-untyped-def]
    return gen_lead(
        db, campaign, number(), callback_at=MONDAY_10_NY, next_attempt_at=MONDAY_10_NY, callback_agent_id=owner.id
    )


def test_an_agents_own_callback_is_never_claimed_for_the_floor(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        bob = gen_agent(db)
        owned_callback(db, campaign, bob)
        assert dial_gate.claim_leads(db, campaign, 5) == []


def test_an_agents_own_callback_is_never_claimed_for_another_agent(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db, dial_mode="preview")
        alice, bob = gen_agent(db), gen_agent(db)
        owned_callback(db, campaign, bob)
        assert dial_gate.claim_leads(db, campaign, 5, agent_id=alice.id) == []
        assert preview_dialing.preview_next(db, campaign, alice.id) is None


def test_preview_shows_the_owner_their_callback_before_any_other_lead(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db, dial_mode="preview")
        bob = gen_agent(db)
        gen_lead(db, campaign, number())
        mine = owned_callback(db, campaign, bob)
        assert preview_dialing.preview_next(db, campaign, bob.id).id == mine.id


def test_owned_callbacks_are_claimed_only_for_free_owners_one_each(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db)
        alice, bob = gen_agent(db), gen_agent(db)
        a1, a2 = owned_callback(db, campaign, alice), owned_callback(db, campaign, alice)
        owned_callback(db, campaign, bob)
        claimed = dial_gate.claim_owned_callbacks(db, campaign, [alice.id], 5)
    assert [(owner, claim.lead_id) for owner, claim in claimed] == [(alice.id, a1.id)]
    assert db.get(DialAttempt, claimed[0][1].attempt_id).agent_id == alice.id
    assert a2.status == "ready"


# ------------------------------------------------------------------------------- through the carrier

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


@pytest.fixture
def floor(db, runtime, carrier):  # type: ignore[no-untyped-def]
    """A sales queue with Alice and Bob, a progressive campaign on it, and the pacer worker."""
    return make_floor(db, runtime, "progressive")


@pytest.fixture
def predictive_floor(db, runtime, carrier):  # type: ignore[no-untyped-def]
    return make_floor(db, runtime, "predictive")


def make_floor(db, runtime, mode):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    sales = gen_queue(db, "sales", wrap_up_s=30)
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    for agent in (alice, bob):
        db.add(QueueMembership(queue_id=sales.id, user_id=agent.id))
    db.flush()
    acd = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    acd.sync_configuration()
    runtime.acd_configured = True
    campaign = gen_campaign(db, dial_mode=mode, queue_id=sales.id)
    db.commit()
    return acd, alice, bob, campaign, pacer_worker(runtime, "http://cc.test")


def _pass(worker, runtime):  # type: ignore[no-untyped-def]
    return worker.step(drain_events(runtime.redis, 0))


def test_an_owned_callback_is_offered_to_its_owner_alone_and_ahead(floor, carrier, runtime, db):
    acd, alice, bob, campaign, worker = floor
    now = clock.now()
    lead = gen_lead(db, campaign, "+12125550181", callback_at=now, next_attempt_at=now, callback_agent_id=bob.id)
    carrier.set_callee(lead.phone, Callee(answer="human", ring_s=3, talk_s=60))
    acd.set_state(alice.id, "available")  # Alice is the longest idle: she would get any other call
    carrier.run_for(1)
    acd.set_state(bob.id, "available")
    db.commit()
    [placed] = _pass(worker, runtime)[campaign.id].placed
    offers = []
    for _ in range(20):
        carrier.run_for(0.5)
        offers = runtime.acd.pending_offers()
        if offers:
            break
    [offer] = offers
    assert (offer.call_sid, offer.agent_id) == (placed, str(bob.id))
    call = db.scalars(select(Interaction).where(Interaction.call_sid == placed)).one()
    assert call.priority == CALLBACK_PRIORITY
    db.expire_all()
    attempt = db.scalars(select(DialAttempt).where(DialAttempt.call_sid == placed)).one()
    assert attempt.agent_id == bob.id


def test_an_owned_callback_waits_while_its_owner_is_busy(floor, carrier, runtime, db):
    acd, alice, bob, campaign, worker = floor
    now = clock.now()
    lead = gen_lead(db, campaign, "+12125550182", callback_at=now, next_attempt_at=now, callback_agent_id=bob.id)
    acd.set_state(alice.id, "available")
    acd.set_state(bob.id, "break", "lunch")
    db.commit()
    assert _pass(worker, runtime)[campaign.id].placed == []
    db.expire_all()
    assert db.get(Lead, lead.id).status == "ready" and db.get(Lead, lead.id).attempts == 0


def test_a_pass_dials_the_owners_callback_for_them_and_the_floor_leads_for_anyone(floor, carrier, runtime, db):
    acd, alice, bob, campaign, worker = floor
    now = clock.now()
    plain = gen_lead(db, campaign, "+12125550183")
    owned = gen_lead(db, campaign, "+12125550184", callback_at=now, next_attempt_at=now, callback_agent_id=bob.id)
    second = gen_lead(db, campaign, "+12125550185", callback_at=now, next_attempt_at=now, callback_agent_id=bob.id)
    for lead in (plain, owned, second):
        carrier.set_callee(lead.phone, Callee(answer="no-answer"))
    acd.set_state(alice.id, "available")
    acd.set_state(bob.id, "available")
    db.commit()
    assert len(_pass(worker, runtime)[campaign.id].placed) == 2
    db.expire_all()
    agents = {a.lead_id: a.agent_id for a in db.scalars(select(DialAttempt))}
    assert agents == {owned.id: bob.id, plain.id: None}
    # Bob already has a call placed for him: his second callback waits for the next time he is free.
    _pass(worker, runtime)
    db.expire_all()
    assert db.get(Lead, second.id).attempts == 0


def _predictive_pass_with_ledger(worker, runtime, campaign, live_answered):  # type: ignore[no-untyped-def]
    """One pass after giving the campaign's period `live_answered` live answers and no abandonment."""
    from contactcenter.dialer.compliance import LedgerCounts

    pacer = worker.campaigns()[campaign.id].pacer
    pacer.ledger.restore(LedgerCounts(pacer.ledger.counts.period, live_answered, 0, 0))
    return _pass(worker, runtime)[campaign.id]


def test_predictive_dials_an_owned_callback_only_with_room_for_it_in_the_ledger(predictive_floor, carrier, runtime, db):
    acd, alice, bob, campaign, worker = predictive_floor
    now = clock.now()
    owned = gen_lead(db, campaign, "+12125550186", callback_at=now, next_attempt_at=now, callback_agent_id=bob.id)
    carrier.set_callee(owned.phone, Callee(answer="no-answer"))
    acd.set_state(bob.id, "available")
    db.commit()
    # A young period has no room: a call only Bob can take might be abandoned, so it waits.
    assert _predictive_pass_with_ledger(worker, runtime, campaign, 0).placed == []
    db.expire_all()
    assert db.get(Lead, owned.id).attempts == 0
    report = _predictive_pass_with_ledger(worker, runtime, campaign, 1000)
    assert len(report.placed) == 1
    db.expire_all()
    assert db.get(Lead, owned.id).attempts == 1
    # From then on the pacer counts it as exposed, though Bob is free and it is the only call.
    from contactcenter.dialer.connect import AcdAgentPool

    agents = AcdAgentPool(runtime.acd, runtime.session_factory).agents(campaign.id)
    assert [(a.agent_id, a.state) for a in agents] == [(str(bob.id), "available")]
    assert worker.campaigns()[campaign.id].pacer.decide(clock.timestamp(), agents).exposure == 1


def test_a_preview_hold_nobody_acted_on_goes_back_to_the_others(db):
    with freeze_time(MONDAY_10_NY):
        campaign = gen_campaign(db, dial_mode="preview")
        alice, bob = gen_agent(db), gen_agent(db)
        lead = gen_lead(db, campaign, number())
        assert preview_dialing.preview_next(db, campaign, alice.id).id == lead.id
        assert preview_dialing.preview_next(db, campaign, bob.id) is None
    with freeze_time(MONDAY_10_NY + timedelta(seconds=preview_dialing.PREVIEW_HOLD_S + 1)):
        assert preview_dialing.preview_next(db, campaign, bob.id).id == lead.id
        assert lead.held_by_id == bob.id
