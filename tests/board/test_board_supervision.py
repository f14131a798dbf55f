"""Monitor, whisper and barge through the carrier simulator: the supervisor's leg joins the call's
conference muted, coaching the agent's leg, or as a full participant; switching mode updates the
same leg; leaving removes it; every spell is in the supervision trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls, conference_name
from contactcenter.calls.models import Supervision
from contactcenter.calls.supervision import SupervisionError, SupervisionService
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_queue

URLS = ConnectUrls(
    "http://cc.test/hooks/connect", "http://cc.test/hooks/agent-leg", "http://cc.test/hooks/callback-answer"
)


@pytest.fixture
def call_in_progress(db, runtime, carrier):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    support = gen_queue(db, "support")
    alice = gen_agent(db, "alice", skills={"support": 5})
    sam = gen_agent(db, "sam", role=Role.SUPERVISOR)
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
    service = SupervisionService(db, runtime.acd, runtime.telephony, center_number=CENTER_NUMBER)
    return service, handle.sid, alice, sam


def _leg(carrier, call_sid, leg_sid):  # type: ignore[no-untyped-def]
    return carrier.get_participant(conference_name(call_sid), leg_sid)


def test_monitor_joins_muted(call_in_progress, carrier):
    service, call_sid, alice, sam = call_in_progress
    view = service.supervise(sam, alice.id, "monitor")
    carrier.run_for(5)
    leg = _leg(carrier, call_sid, view.leg_sid)
    assert leg.muted and not leg.coaching and leg.call.to == "client:sam"
    assert len(carrier.conference_participants(conference_name(call_sid))) == 3


def test_whisper_coaches_the_agent_leg(call_in_progress, carrier):
    service, call_sid, alice, sam = call_in_progress
    agent_leg = service.agent_leg(call_sid)
    assert agent_leg is not None and agent_leg != call_sid
    view = service.supervise(sam, alice.id, "whisper")
    carrier.run_for(5)
    leg = _leg(carrier, call_sid, view.leg_sid)
    assert leg.coaching and leg.call_sid_to_coach == agent_leg and not leg.muted


def test_barge_joins_unmuted(call_in_progress, carrier):
    service, call_sid, alice, sam = call_in_progress
    view = service.supervise(sam, alice.id, "barge")
    carrier.run_for(5)
    leg = _leg(carrier, call_sid, view.leg_sid)
    assert not leg.muted and not leg.coaching


def test_switching_mode_updates_the_same_leg(call_in_progress, carrier, db):
    service, call_sid, alice, sam = call_in_progress
    first = service.supervise(sam, alice.id, "monitor")
    carrier.run_for(5)
    whisper = service.supervise(sam, alice.id, "whisper")
    barge = service.supervise(sam, alice.id, "barge")
    assert first.leg_sid == whisper.leg_sid == barge.leg_sid
    leg = _leg(carrier, call_sid, barge.leg_sid)
    assert not leg.muted and not leg.coaching
    trail = db.scalars(select(Supervision).order_by(Supervision.id)).all()
    assert [(s.mode, s.ended_at is None) for s in trail] == [("monitor", False), ("whisper", False), ("barge", True)]


def test_leaving_removes_the_leg_and_closes_the_spell(call_in_progress, carrier, db):
    service, call_sid, alice, sam = call_in_progress
    view = service.supervise(sam, alice.id, "monitor")
    carrier.run_for(5)
    service.stop(sam)
    carrier.run_for(2)
    assert view.leg_sid not in carrier.conference_participants(conference_name(call_sid))
    assert db.get(Supervision, view.supervision_id).ended_at is not None


def test_an_agent_not_on_a_call_cannot_be_supervised(call_in_progress, db, runtime):
    service, call_sid, alice, sam = call_in_progress
    bob = gen_agent(db, "bob")
    with pytest.raises(SupervisionError) as err:
        service.supervise(sam, bob.id, "monitor")
    assert err.value.code == "not_on_call"


def test_agents_cannot_supervise(call_in_progress, db):
    service, call_sid, alice, sam = call_in_progress
    with pytest.raises(SupervisionError) as err:
        service.supervise(alice, alice.id, "monitor")
    assert err.value.code == "forbidden"


def test_unknown_mode_is_refused(call_in_progress):
    service, call_sid, alice, sam = call_in_progress
    with pytest.raises(SupervisionError) as err:
        service.supervise(sam, alice.id, "eavesdrop")
    assert err.value.code == "bad_mode"


def test_a_spell_ends_with_its_call(call_in_progress, carrier, db):
    service, call_sid, alice, sam = call_in_progress
    view = service.supervise(sam, alice.id, "monitor")
    carrier.run_for(5)
    carrier.hang_up(call_sid)
    carrier.run_for(5)
    assert service.current(sam.id) is None
    assert db.get(Supervision, view.supervision_id).ended_at is not None


def test_whisper_finds_the_agent_by_the_leg_label_among_other_legs(call_in_progress, carrier, runtime):
    """A third party added to the call (e.g. a consulted number) is not mistaken for the agent."""
    service, call_sid, alice, sam = call_in_progress
    runtime.telephony.add_participant(conference_name(call_sid), "+14155550177", CENTER_NUMBER)
    carrier.run_for(5)
    by_label = service.agent_leg(call_sid, alice.id)
    conference = conference_name(call_sid)
    legs = carrier.conference_participants(conference)
    labelled = [sid for sid in legs if carrier.get_participant(conference, sid).label == f"agent-{alice.id}"]
    assert len(legs) == 3 and by_label is not None and labelled == [by_label]
