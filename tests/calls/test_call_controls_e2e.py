"""Call controls end to end: the domain service, the router and the carrier simulator together.

What the controls do is checked where it happens: the participant state the simulator keeps
(hold, mute), the legs in the conference, the router's agent states, the store.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.acd.services import agent_label, conference_name
from contactcenter.calls.controls import BadTarget, CallControlError, NotYourCall
from contactcenter.calls.models import CallAction
from tests.support.calls import Floor, make_floor
from web.errors import status_for


@pytest.fixture
def floor(db, runtime, carrier) -> Floor:  # type: ignore[no-untyped-def]
    return make_floor(db, runtime, carrier)


def _participant(carrier, handle, label_or_sid):  # type: ignore[no-untyped-def]
    return carrier.get_participant(conference_name(handle.sid), label_or_sid)


def test_hold_puts_the_caller_on_hold_in_the_conference_with_music(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.controls().hold(handle.sid, floor.alice.id)
    carrier.run_for(1)
    assert _participant(carrier, handle, handle.sid).hold is True
    assert any("looping" in e.detail for e in handle.entries("music"))


def test_resume_takes_the_caller_off_hold_and_counts_the_hold_time(floor, carrier):
    handle = floor.connect(floor.alice)
    controls = floor.controls()
    controls.hold(handle.sid, floor.alice.id)
    carrier.run_for(42)
    controls.resume(handle.sid, floor.alice.id)
    assert _participant(carrier, handle, handle.sid).hold is False
    assert floor.call(handle.sid).hold_s == 42


def test_hold_spells_add_up(floor, carrier):
    handle = floor.connect(floor.alice)
    controls = floor.controls()
    for seconds in (10, 5):
        controls.hold(handle.sid, floor.alice.id)
        carrier.run_for(seconds)
        controls.resume(handle.sid, floor.alice.id)
        carrier.run_for(3)
    assert floor.call(handle.sid).hold_s == 15


def test_hold_twice_is_refused(floor):
    handle = floor.connect(floor.alice)
    floor.controls().hold(handle.sid, floor.alice.id)
    with pytest.raises(CallControlError) as err:
        floor.controls().hold(handle.sid, floor.alice.id)
    assert err.value.code == "already_on_hold"


def test_mute_mutes_the_agents_own_leg(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.controls().mute(handle.sid, floor.alice.id, True)
    assert _participant(carrier, handle, agent_label(floor.alice.id)).muted is True
    assert _participant(carrier, handle, handle.sid).muted is False
    assert floor.call(handle.sid).muted is True


def test_unmute_restores_the_agents_microphone(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.controls().mute(handle.sid, floor.alice.id, True)
    floor.controls().mute(handle.sid, floor.alice.id, False)
    assert _participant(carrier, handle, agent_label(floor.alice.id)).muted is False


def test_each_action_is_written_to_the_store(floor, carrier, db):
    handle = floor.connect(floor.alice)
    controls = floor.controls()
    controls.hold(handle.sid, floor.alice.id)
    controls.resume(handle.sid, floor.alice.id)
    controls.mute(handle.sid, floor.alice.id, True)
    actions = db.scalars(select(CallAction.action).order_by(CallAction.id)).all()
    assert actions == ["hold", "resume", "mute"]


def test_actions_are_published_as_call_updated(floor, runtime):
    handle = floor.connect(floor.alice)
    pubsub = runtime.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("events:all")
    controls = floor.controls()
    controls.hold(handle.sid, floor.alice.id)
    controls.publish()
    message = None
    for _ in range(20):  # the subscription confirmation comes first
        message = pubsub.get_message(timeout=1)
        if message is not None:
            break
    pubsub.close()
    assert message is not None
    import json

    event = json.loads(message["data"])
    assert event["type"] == "call.updated" and event["action"] == "hold"
    assert event["agent_id"] == str(floor.alice.id) and event["controls"]["on_hold"] is True


def test_hang_up_ends_the_call_and_starts_wrap_up(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.controls().hang_up(handle.sid, floor.alice.id)
    carrier.run_for(5)
    assert handle.ended
    assert carrier.conference_participants(conference_name(handle.sid)) == []
    assert floor.state(floor.alice) == "wrap_up"
    assert floor.call(handle.sid).outcome == "completed"


def test_another_agent_cannot_hold_the_call(floor):
    handle = floor.connect(floor.alice)
    with pytest.raises(NotYourCall):
        floor.controls().hold(handle.sid, floor.bob.id)


def test_another_agent_cannot_hang_up_the_call(floor, carrier):
    handle = floor.connect(floor.alice)
    with pytest.raises(NotYourCall):
        floor.controls().hang_up(handle.sid, floor.bob.id)
    carrier.run_for(5)
    assert not handle.ended


def test_cold_transfer_to_an_agent_reaches_the_second_agent(floor, carrier, runtime):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "available")
    floor.controls().transfer(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    carrier.run_for(10)
    legs = carrier.conference_participants(conference_name(handle.sid))
    bob_leg = _participant(carrier, handle, agent_label(floor.bob.id))
    assert handle.sid in legs and bob_leg.call.sid in legs and len(legs) == 2
    assert floor.state(floor.bob) == "on_call" and floor.state(floor.alice) == "wrap_up"
    assert floor.call(handle.sid).agent_id == floor.bob.id
    assert runtime.acd.audit() == []


def test_cold_transfer_to_a_busy_agent_is_refused(floor):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "break", "lunch")
    with pytest.raises(CallControlError) as err:
        floor.controls().transfer(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    assert err.value.code == "agent_unavailable"
    assert floor.state(floor.alice) == "on_call"


def test_transferred_call_belongs_to_the_new_agent_only(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "available")
    floor.controls().transfer(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    carrier.run_for(10)
    with pytest.raises(NotYourCall):
        floor.controls().hold(handle.sid, floor.alice.id)
    floor.controls().hold(handle.sid, floor.bob.id)
    assert not handle.ended


def test_cold_transfer_to_a_queue_offers_the_caller_again(floor, carrier, runtime):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.carmen.id, "available")
    floor.controls().transfer(handle.sid, floor.alice.id, to_queue="support")
    carrier.run_for(5)
    [offer] = runtime.acd.pending_offers()
    assert offer.call_sid == handle.sid and offer.agent_id == str(floor.carmen.id)
    assert floor.state(floor.alice) == "wrap_up"
    assert floor.acd.accept(offer.offer_id, floor.carmen.id).ok
    carrier.run_for(10)
    legs = carrier.conference_participants(conference_name(handle.sid))
    assert handle.sid in legs and len(legs) == 2 and not handle.ended


def test_cold_transfer_to_an_unknown_queue_is_refused(floor):
    handle = floor.connect(floor.alice)
    with pytest.raises(BadTarget):
        floor.controls().transfer(handle.sid, floor.alice.id, to_queue="no-such-queue")


def test_cold_transfer_to_a_number_hands_the_caller_over(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.controls().transfer(handle.sid, floor.alice.id, to_number="+12125550123")
    carrier.run_for(10)
    legs = carrier.conference_participants(conference_name(handle.sid))
    outside = _participant(carrier, handle, "transfer")
    assert set(legs) == {handle.sid, outside.call.sid}
    assert floor.state(floor.alice) == "wrap_up"


def test_transfer_to_a_malformed_number_is_refused(floor):
    handle = floor.connect(floor.alice)
    with pytest.raises(BadTarget) as err:
        floor.controls().transfer(handle.sid, floor.alice.id, to_number="'; DROP TABLE interactions; --")
    assert err.value.code == "bad_number"


def test_warm_transfer_consult_holds_the_caller_and_adds_the_second_agent(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "available")
    floor.controls().start_consult(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    carrier.run_for(10)
    assert _participant(carrier, handle, handle.sid).hold is True
    assert len(carrier.conference_participants(conference_name(handle.sid))) == 3
    snapshot = floor.runtime.acd.agent_snapshot(str(floor.bob.id))
    assert (snapshot.state, snapshot.reason) == ("break", "consult")


def test_warm_transfer_complete_leaves_caller_with_the_second_agent(floor, carrier, runtime):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "available")
    controls = floor.controls()
    controls.start_consult(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    carrier.run_for(20)
    controls.complete_consult(handle.sid, floor.alice.id)
    carrier.run_for(5)
    legs = carrier.conference_participants(conference_name(handle.sid))
    assert len(legs) == 2 and handle.sid in legs
    assert _participant(carrier, handle, agent_label(floor.bob.id)).call.sid in legs
    assert _participant(carrier, handle, handle.sid).hold is False
    assert floor.state(floor.bob) == "on_call" and floor.state(floor.alice) == "wrap_up"
    assert floor.call(handle.sid).hold_s == 20
    assert runtime.acd.audit() == []


def test_warm_transfer_cancel_returns_to_the_caller(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "available")
    controls = floor.controls()
    controls.start_consult(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    carrier.run_for(10)
    controls.cancel_consult(handle.sid, floor.alice.id)
    carrier.run_for(5)
    legs = carrier.conference_participants(conference_name(handle.sid))
    assert len(legs) == 2 and handle.sid in legs
    assert _participant(carrier, handle, handle.sid).hold is False
    assert floor.state(floor.alice) == "on_call" and floor.state(floor.bob) == "available"
    assert not handle.ended


def test_warm_transfer_to_a_number_then_complete(floor, carrier):
    handle = floor.connect(floor.alice)
    controls = floor.controls()
    controls.start_consult(handle.sid, floor.alice.id, to_number="+12125550123")
    carrier.run_for(10)
    controls.complete_consult(handle.sid, floor.alice.id)
    carrier.run_for(5)
    legs = carrier.conference_participants(conference_name(handle.sid))
    assert len(legs) == 2 and handle.sid in legs and not handle.ended
    assert floor.state(floor.alice) == "wrap_up"


def test_add_to_conference_dials_a_third_party_in(floor, carrier):
    handle = floor.connect(floor.alice)
    state = floor.controls().add_to_conference(handle.sid, floor.alice.id, "+12125550123")
    carrier.run_for(10)
    assert len(carrier.conference_participants(conference_name(handle.sid))) == 3
    assert state.guests == ["+12125550123"]
    assert floor.state(floor.alice) == "on_call"


def test_consult_the_carrier_refuses_releases_the_target_agent(floor, carrier):
    handle = floor.connect(floor.alice)
    floor.acd.set_state(floor.bob.id, "available")
    carrier.hang_up(handle.sid)  # gone at the carrier; its status callback has not arrived yet
    with pytest.raises(CallControlError) as err:
        floor.controls().start_consult(handle.sid, floor.alice.id, to_agent=floor.bob.id)
    assert err.value.code == "carrier_failed" and status_for(err.value) == 502
    assert floor.state(floor.bob) == "available"
