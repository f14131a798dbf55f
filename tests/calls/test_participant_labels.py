"""The telephony port's participant operations the controls rely on, through the twilio library
and the simulator's REST API: labels in place of call SIDs, and new TwiML for a live call."""

from __future__ import annotations

import pytest

from contactcenter.acd.services import agent_label, conference_name
from contactcenter.telephony.interfaces import Hangup, Say, TelephonyError
from tests.support.calls import Floor, make_floor
from tests.support.constants import CENTER_NUMBER


@pytest.fixture
def floor(db, runtime, carrier) -> Floor:  # type: ignore[no-untyped-def]
    return make_floor(db, runtime, carrier)


def test_the_agents_leg_carries_its_label(floor, runtime):
    handle = floor.connect(floor.alice)
    participant = runtime.telephony.update_participant(
        conference_name(handle.sid), agent_label(floor.alice.id), muted=True
    )
    assert participant.label == agent_label(floor.alice.id) and participant.muted is True


def test_a_label_already_in_the_conference_is_refused(floor, runtime):
    handle = floor.connect(floor.alice)
    with pytest.raises(TelephonyError) as err:
        runtime.telephony.add_participant(
            conference_name(handle.sid), "client:bob", CENTER_NUMBER, label=agent_label(floor.alice.id)
        )
    assert err.value.status == 400


def test_a_participant_is_removed_by_label(floor, runtime, carrier):
    handle = floor.connect(floor.alice)
    agent_leg = carrier.get_participant(conference_name(handle.sid), agent_label(floor.alice.id)).call.sid
    runtime.telephony.remove_participant(conference_name(handle.sid), agent_label(floor.alice.id))
    carrier.run_for(2)
    assert carrier.call(agent_leg).ended


def test_an_unknown_label_is_not_found(floor, runtime):
    handle = floor.connect(floor.alice)
    with pytest.raises(TelephonyError) as err:
        runtime.telephony.update_participant(conference_name(handle.sid), "agent-999999", hold=True)
    assert err.value.status == 404


def test_new_twiml_takes_a_live_call_out_of_its_conference(floor, runtime, carrier):
    handle = floor.connect(floor.alice)
    runtime.telephony.update_call_twiml(handle.sid, [Say("We will call you back."), Hangup()])
    carrier.run_for(10)
    assert "We will call you back." in handle.heard_text() and handle.ended
