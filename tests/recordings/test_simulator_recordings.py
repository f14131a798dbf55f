"""The simulator's Recordings REST resources and recording callbacks, driven by the unmodified
`twilio` library (TwilioTelephony through SimulatorHttpClient), as the app uses Twilio's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contactcenter import clock
from contactcenter.clock import ManualClock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.interfaces import Pause, Say, TelephonyError
from contactcenter.telephony.simulator import (
    Callee,
    SimulatedCarrier,
    SimulatorHttpClient,
    WsgiTransport,
    create_rest_app,
)
from contactcenter.telephony.twilio_adapter import TwilioTelephony
from tests.support.recordings import wav_facts
from tests.support.standin import StandInApp

BASE = "https://cc.example.com"
CENTER = "+18005550100"
CUSTOMER = "+14155550142"
CALLBACK = f"{BASE}/recording-status"


@pytest.fixture
def manual() -> Iterator[ManualClock]:
    with clock.using(ManualClock()) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
def standin() -> StandInApp:
    app = StandInApp(empty_for_unknown=True)
    app.on("/talk", [Say("Hello"), Pause(120)])
    return app


@pytest.fixture
def carrier(standin: StandInApp, manual: ManualClock) -> SimulatedCarrier:
    sim = SimulatedCarrier(WsgiTransport(standin.app), clock=manual)
    sim.set_callee(CUSTOMER, Callee("human", ring_s=2))
    return sim


@pytest.fixture
def telephony(carrier: SimulatedCarrier) -> TwilioTelephony:
    return TwilioTelephony(
        SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, http_client=SimulatorHttpClient(create_rest_app(carrier))
    )


def _talking(carrier: SimulatedCarrier, telephony: TwilioTelephony) -> str:
    placed = telephony.place_call(CUSTOMER, CENTER, f"{BASE}/talk")
    carrier.run_for(5)
    return placed.call_sid


def test_a_started_recording_is_in_progress_in_two_channels(carrier, telephony, standin):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK)
    carrier.run_for(1)
    assert info.recording_sid.startswith("RE") and (info.status, info.channels) == ("in-progress", 2)
    [posted] = standin.posted("/recording-status")
    assert (posted["RecordingStatus"], posted["RecordingSid"], posted["CallSid"]) == (
        "in-progress",
        info.recording_sid,
        call_sid,
    )


def test_the_end_of_the_call_completes_the_recording_with_a_wav(carrier, telephony, standin):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK)
    carrier.run_for(30)
    telephony.hangup(call_sid)
    carrier.run_until_idle()
    completed = standin.posted("/recording-status")[-1]
    assert (completed["RecordingStatus"], completed["RecordingDuration"], completed["RecordingChannels"]) == (
        "completed",
        "30",
        "2",
    )
    assert wav_facts(telephony.recording_audio(info.recording_sid)) == (2, 30.0)


def test_a_mono_recording_has_one_channel(carrier, telephony):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK, dual_channel=False)
    carrier.run_for(4)
    telephony.hangup(call_sid)
    carrier.run_until_idle()
    assert wav_facts(telephony.recording_audio(info.recording_sid))[0] == 1


def test_pause_and_resume_through_the_rest_api(carrier, telephony):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK)
    assert telephony.update_recording(call_sid, info.recording_sid, "paused").status == "paused"
    assert telephony.update_recording(call_sid, info.recording_sid, "in-progress").status == "in-progress"


def test_a_recording_of_no_time_at_all_is_absent(carrier, telephony, standin):
    call_sid = _talking(carrier, telephony)
    telephony.start_recording(call_sid, CALLBACK)
    telephony.hangup(call_sid)
    carrier.run_until_idle()
    assert standin.posted("/recording-status")[-1]["RecordingStatus"] == "absent"


def test_recording_a_call_that_has_ended_is_refused(carrier, telephony):
    call_sid = _talking(carrier, telephony)
    telephony.hangup(call_sid)
    carrier.run_until_idle()
    with pytest.raises(TelephonyError) as err:
        telephony.start_recording(call_sid, CALLBACK)
    assert err.value.status == 400


def test_an_unknown_status_is_refused(carrier, telephony):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK)
    with pytest.raises(TelephonyError) as err:
        telephony.update_recording(call_sid, info.recording_sid, "exploded")
    assert err.value.status == 400


def test_the_audio_of_a_recording_still_running_is_not_there_yet(carrier, telephony):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK)
    with pytest.raises(TelephonyError) as err:
        telephony.recording_audio(info.recording_sid)
    assert err.value.status == 404


def test_a_deleted_recording_is_gone(carrier, telephony):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK)
    carrier.run_for(5)
    telephony.hangup(call_sid)
    carrier.run_until_idle()
    telephony.delete_recording(info.recording_sid)
    with pytest.raises(TelephonyError) as err:
        telephony.recording_audio(info.recording_sid)
    assert err.value.status == 404
    with pytest.raises(TelephonyError):
        telephony.delete_recording(info.recording_sid)


def test_the_audio_needs_the_accounts_credentials(carrier, telephony):
    call_sid = _talking(carrier, telephony)
    info = telephony.start_recording(call_sid, CALLBACK)
    carrier.run_for(5)
    telephony.hangup(call_sid)
    carrier.run_until_idle()
    stranger = TwilioTelephony(
        SIMULATOR_ACCOUNT_SID, "wrong-token", http_client=SimulatorHttpClient(create_rest_app(carrier))
    )
    with pytest.raises(TelephonyError) as err:
        stranger.recording_audio(info.recording_sid)
    assert err.value.status == 401


def test_the_recording_callbacks_are_signed(carrier, telephony, standin):
    call_sid = _talking(carrier, telephony)
    telephony.start_recording(call_sid, CALLBACK)
    carrier.run_for(1)
    assert standin.posted("/recording-status") and standin.refused == 0  # it refuses unsigned requests
