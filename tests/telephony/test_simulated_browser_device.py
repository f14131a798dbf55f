"""The simulated browser device: a call to client:<identity> rings the registered page and waits
for it to answer, reject or hang up — reached by the app through the telephony port
(`SimulatedDeviceClient` over the simulator's REST API), as the desktop does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contactcenter import clock
from contactcenter.clock import ManualClock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.interfaces import Conference, DeviceError
from contactcenter.telephony.simulator import SimulatedCarrier, SimulatorHttpClient, WsgiTransport, create_rest_app
from contactcenter.telephony.simulator.carrier import CarrierError
from contactcenter.telephony.softphone import SimulatedDeviceClient, client_address
from contactcenter.telephony.twilio_adapter import TwilioTelephony
from tests.support.standin import StandInApp

BASE = "https://cc.example.com"
CENTER = "+18005550100"
CUSTOMER = "+14155550142"
ROOM = "call-room"


@pytest.fixture
def manual() -> Iterator[ManualClock]:
    with clock.using(ManualClock()) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
def standin() -> StandInApp:
    app = StandInApp(empty_for_unknown=True)
    app.on("/voice", [Conference(ROOM)])
    return app


@pytest.fixture
def carrier(standin: StandInApp, manual: ManualClock) -> SimulatedCarrier:
    sim = SimulatedCarrier(WsgiTransport(standin.app), clock=manual)
    sim.browser_devices = True
    sim.add_number(CENTER, f"{BASE}/voice", f"{BASE}/status")
    return sim


@pytest.fixture
def telephony(carrier: SimulatedCarrier) -> TwilioTelephony:
    return TwilioTelephony(
        SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, http_client=SimulatorHttpClient(create_rest_app(carrier))
    )


@pytest.fixture
def devices(telephony: TwilioTelephony) -> SimulatedDeviceClient:
    found = telephony.browser_devices()
    assert isinstance(found, SimulatedDeviceClient)
    return found


def _agent_leg(carrier: SimulatedCarrier, telephony: TwilioTelephony, to: str = "client:alice") -> str:
    """A caller waits in the room; the app dials the agent's contact into it (as the ACD does)."""
    carrier.place_inbound_call(CUSTOMER, CENTER, "hang up after 600")
    carrier.run_for(2)
    return telephony.add_participant(ROOM, to, CENTER, label="agent-1").call_sid


def test_a_call_to_a_registered_browser_rings_until_the_page_answers(carrier, telephony, devices):
    devices.register("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(20)  # a Callee would have answered after 3 s
    [ringing] = devices.state("alice").calls
    assert (ringing.call_sid, ringing.status, ringing.from_number) == (sid, "ringing", CENTER)
    assert sid not in carrier.conference_participants(ROOM)


def test_answering_in_the_page_joins_the_conference(carrier, telephony, devices):
    devices.register("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(1)
    state = devices.act("alice", sid, "answer")
    carrier.run_for(1)
    assert state.calls[0].status == "in-progress"
    assert sid in carrier.conference_participants(ROOM)


def test_rejecting_in_the_page_ends_the_leg_busy(carrier, telephony, devices):
    devices.register("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(1)
    devices.act("alice", sid, "reject")
    assert carrier.call(sid).status == "busy"


def test_hanging_up_in_the_page_ends_a_connected_leg(carrier, telephony, devices):
    devices.register("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(1)
    devices.act("alice", sid, "answer")
    carrier.run_for(5)
    devices.act("alice", sid, "hangup")
    assert carrier.call(sid).ended and sid not in carrier.conference_participants(ROOM)
    assert devices.state("alice").calls[0].status == "completed"


def test_mute_is_the_pages_microphone(carrier, telephony, devices):
    devices.register("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(1)
    devices.act("alice", sid, "answer")
    assert devices.act("alice", sid, "mute").calls[0].muted is True
    assert devices.act("alice", sid, "unmute").calls[0].muted is False


def test_an_unanswered_browser_times_out_as_no_answer(carrier, telephony, devices):
    devices.register("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(61)  # the participant's 60 s ring timeout
    assert carrier.call(sid).status == "no-answer"


def test_without_a_registered_browser_the_callee_rules_answer(carrier, telephony, devices):
    devices.register("bob")
    sid = _agent_leg(carrier, telephony, to="client:alice")
    carrier.run_for(5)
    assert sid in carrier.conference_participants(ROOM)


def test_an_unregistered_browser_no_longer_rings(carrier, telephony, devices):
    devices.register("alice")
    devices.unregister("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(5)
    assert sid in carrier.conference_participants(ROOM)
    with pytest.raises(DeviceError) as refused:
        devices.state("alice")
    assert refused.value.kind == "not_found"


def test_a_carrier_without_browser_devices_says_so(carrier, devices):
    carrier.browser_devices = False
    with pytest.raises(DeviceError) as refused:
        devices.register("alice")
    assert (refused.value.kind, refused.value.code) == ("unavailable", "no_simulated_device")


def test_a_page_acts_only_on_calls_that_rang_it(carrier, telephony, devices):
    devices.register("alice")
    devices.register("mallory")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(1)
    with pytest.raises(DeviceError) as refused:
        devices.act("mallory", sid, "answer")
    assert refused.value.kind == "not_found"
    assert carrier.call(sid).status == "ringing"


def test_answering_an_ended_call_is_a_conflict(carrier, telephony, devices):
    devices.register("alice")
    sid = _agent_leg(carrier, telephony)
    carrier.run_for(1)
    devices.act("alice", sid, "reject")
    with pytest.raises(DeviceError) as refused:
        devices.act("alice", sid, "answer")
    assert refused.value.kind == "conflict"


HOSTILE = ["<script>alert(1)</script>", "a b", "x" * 500, "' OR 1=1 --", "../Calls"]


@pytest.mark.parametrize("identity", HOSTILE)
def test_hostile_identities_are_refused_by_the_port(devices, identity):
    with pytest.raises(DeviceError) as refused:
        devices.register(identity)
    assert refused.value.kind == "invalid"


@pytest.mark.parametrize("identity", HOSTILE[:4])
def test_hostile_identities_are_refused_by_the_carrier(carrier, identity):
    with pytest.raises(CarrierError) as refused:
        carrier.register_device(identity)
    assert refused.value.status == 400


def test_an_unknown_action_is_refused_before_the_carrier(devices):
    with pytest.raises(DeviceError) as refused:
        devices.act("alice", "CA" + "0" * 32, "drop-table")
    assert refused.value.kind == "invalid"


def test_a_ring_carries_the_task_it_was_dialled_for(carrier, telephony, devices):
    devices.register("alice")
    task = "CA" + "1" * 32
    sid = _agent_leg(carrier, telephony, to=client_address("client:alice", task=task))
    carrier.run_for(1)
    [ringing] = devices.state("alice").calls
    assert (ringing.call_sid, ringing.status, dict(ringing.parameters)) == (sid, "ringing", {"task": task})


def test_a_ring_with_parameters_still_follows_the_plain_addresses_callee_rules(carrier, telephony, devices):
    carrier.set_callee("client:bob", "busy")
    sid = _agent_leg(carrier, telephony, to=client_address("client:bob", task="CA" + "2" * 32))
    carrier.run_for(5)
    assert carrier.call(sid).status == "busy"
