"""The simulator's REST API, driven by the unmodified `twilio` library through SimulatorHttpClient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from contactcenter import clock
from contactcenter.clock import ManualClock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.interfaces import Conference, Hangup, Say, TelephonyError
from contactcenter.telephony.simulator import (
    Callee,
    SimulatedCarrier,
    SimulatorHttpClient,
    WsgiTransport,
    create_rest_app,
)
from contactcenter.telephony.twilio_adapter import TwilioTelephony
from tests.support.standin import StandInApp

BASE = "https://cc.example.com"
CENTER = "+18005550100"
CUSTOMER = "+14155550142"


@pytest.fixture
def manual() -> Iterator[ManualClock]:
    with clock.using(ManualClock()) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
def standin() -> StandInApp:
    return StandInApp(empty_for_unknown=True)


@pytest.fixture
def carrier(standin: StandInApp, manual: ManualClock) -> SimulatedCarrier:
    sim = SimulatedCarrier(WsgiTransport(standin.app), clock=manual)
    sim.add_number(CENTER, f"{BASE}/voice", f"{BASE}/status")
    return sim


@pytest.fixture
def http(carrier: SimulatedCarrier) -> SimulatorHttpClient:
    return SimulatorHttpClient(create_rest_app(carrier))


@pytest.fixture
def client(http: SimulatorHttpClient) -> Client:
    return Client(SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, http_client=http)


@pytest.fixture
def telephony(http: SimulatorHttpClient) -> TwilioTelephony:
    return TwilioTelephony(SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, http_client=http)


# ----------------------------------------------------------------------------- outbound calls


def test_outbound_call_answered_by_a_human(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony, client: Client
) -> None:
    carrier.set_callee(CUSTOMER, Callee("human", ring_s=6, script="press 1"))
    standin.on("/outbound", [Say("This is Example Power calling about your bill")])
    placed = telephony.place_call(CUSTOMER, CENTER, f"{BASE}/outbound", status_callback=f"{BASE}/call-status")
    assert placed.status == "queued" and placed.call_sid.startswith("CA")
    carrier.run_until_idle()

    (voice,) = standin.posted("/outbound")
    assert (voice["Direction"], voice["CallStatus"], voice["From"], voice["To"]) == (
        "outbound-api",
        "in-progress",
        CENTER,
        CUSTOMER,
    )
    assert "AnsweredBy" not in voice  # no machine detection asked for
    statuses = standin.posted("/call-status")
    assert [p["CallStatus"] for p in statuses] == ["initiated", "ringing", "in-progress", "completed"]
    assert [p["SequenceNumber"] for p in statuses] == ["0", "1", "2", "3"]
    assert statuses[-1]["CallDuration"] == "3"  # 8 words at 2.5 words a second, then the document ends

    fetched = client.calls(placed.call_sid).fetch()
    assert (fetched.status, fetched.direction, fetched._from, fetched.to) == (
        "completed",
        "outbound-api",
        CENTER,
        CUSTOMER,
    )
    assert fetched.duration == "3"
    # RFC 2822 has whole seconds: answered at 6 s, ended at 9.2 s
    assert isinstance(fetched.start_time, datetime) and fetched.end_time - fetched.start_time == timedelta(seconds=3)
    assert fetched.start_time == carrier.scheduler.epoch + timedelta(seconds=6)


@pytest.mark.parametrize(
    "answer, detection, expected",
    [
        ("human", "Enable", "human"),
        ("machine", "Enable", "machine_start"),
        ("machine", "DetectMessageEnd", "machine_end_beep"),
    ],
)
def test_machine_detection_reports_who_answered(
    standin: StandInApp,
    carrier: SimulatedCarrier,
    telephony: TwilioTelephony,
    client: Client,
    answer: str,
    detection: str,
    expected: str,
) -> None:
    carrier.set_callee(CUSTOMER, Callee(answer))
    standin.on("/outbound", [Hangup()])
    placed = telephony.place_call(CUSTOMER, CENTER, f"{BASE}/outbound", machine_detection=detection)
    carrier.run_until_idle()
    assert standin.posted("/outbound")[0]["AnsweredBy"] == expected
    assert client.calls(placed.call_sid).fetch().answered_by == expected


@pytest.mark.parametrize("answer, status", [("busy", "busy"), ("no-answer", "no-answer"), ("failed", "failed")])
def test_unanswered_outbound_calls_report_their_outcome(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony, client: Client, answer: str, status: str
) -> None:
    carrier.set_callee(CUSTOMER, answer)
    placed = telephony.place_call(
        CUSTOMER, CENTER, f"{BASE}/outbound", status_callback=f"{BASE}/call-status", timeout_s=20
    )
    carrier.run_until_idle()
    assert standin.posted("/outbound") == []
    final = standin.posted("/call-status")[-1]
    assert (final["CallStatus"], final["CallDuration"]) == (status, "0")
    assert client.calls(placed.call_sid).fetch().status == status
    if answer == "no-answer":
        assert carrier.call(placed.call_sid).ended_after_s == 20.0  # the Timeout we asked for


def test_hang_up_an_in_progress_call(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony, client: Client
) -> None:
    carrier.set_callee(CUSTOMER, Callee(ring_s=2))
    standin.on("/outbound", [Conference("outbound-room")])
    placed = telephony.place_call(CUSTOMER, CENTER, f"{BASE}/outbound", status_callback=f"{BASE}/call-status")
    carrier.run_for(30)
    assert client.calls(placed.call_sid).fetch().status == "in-progress"
    telephony.hangup(placed.call_sid)
    carrier.run_until_idle()
    call = client.calls(placed.call_sid).fetch()
    assert (call.status, call.duration) == ("completed", "28")
    assert standin.posted("/call-status")[-1]["CallStatus"] == "completed"
    assert carrier.conference_participants("outbound-room") == []
    # hanging up twice is harmless; redirecting a finished call is refused as Twilio does
    telephony.hangup(placed.call_sid)
    with pytest.raises(TelephonyError) as err:
        telephony.redirect(placed.call_sid, f"{BASE}/outbound")
    assert err.value.status == 400


def test_a_call_created_with_inline_twiml(standin: StandInApp, carrier: SimulatedCarrier, client: Client) -> None:
    call = client.calls.create(
        to=CUSTOMER, from_=CENTER, twiml="<Response><Say>Your appointment is tomorrow</Say></Response>"
    )
    carrier.run_until_idle()
    assert carrier.call(call.sid).heard() == ["Your appointment is tomorrow"]


# ----------------------------------------------------------------------------- conferences


def _caller_waiting_in_conference(standin: StandInApp, carrier: SimulatedCarrier) -> tuple[str, str]:
    standin.on(
        "/voice",
        lambda p: [
            Say("Connecting you"),
            Conference(f"call-{p['CallSid']}", wait_url="/wait", status_callback="/conf"),
        ],
    )
    standin.on("/wait", [Say("Please hold")])
    call = carrier.place_inbound_call(CUSTOMER, CENTER, "hang up after 300")
    carrier.run_for(20)
    return call.sid, f"call-{call.sid}"


def test_agent_joins_by_friendly_name_then_hold_mute_and_remove(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony, client: Client
) -> None:
    caller_sid, name = _caller_waiting_in_conference(standin, carrier)
    assert client.conferences.list(friendly_name=name, status="in-progress") == []  # alone: not started yet
    (waiting,) = client.conferences.list(friendly_name=name)
    assert waiting.status == "init"

    agent = telephony.add_participant(name, "client:alice", CENTER, status_callback=f"{BASE}/agent-status")
    assert (agent.status, agent.hold, agent.muted) == ("queued", False, False)
    assert agent.conference_sid == waiting.sid
    carrier.run_for(10)
    assert carrier.conference_participants(name) == [caller_sid, agent.call_sid]
    (started,) = client.conferences.list(friendly_name=name, status="in-progress", limit=1)
    assert started.sid == waiting.sid
    waits_before = len(standin.posted("/wait"))
    carrier.run_for(30)
    assert len(standin.posted("/wait")) == waits_before  # the conference started: no more wait music

    held = telephony.update_participant(name, caller_sid, hold=True, hold_url=f"{BASE}/hold")
    assert held.hold is True
    carrier.run_for(5)
    assert standin.posted("/hold")  # the hold URL is fetched (GET, Twilio's default HoldMethod)
    unheld = telephony.update_participant(name, caller_sid, hold=False, muted=True)
    assert (unheld.hold, unheld.muted) == (False, True)
    listed = client.conferences(waiting.sid).participants.list(muted=True)
    assert [p.call_sid for p in listed] == [caller_sid]

    telephony.remove_participant(name, agent.call_sid)
    carrier.run_for(5)
    assert carrier.call(agent.call_sid).status == "completed"
    # an agent's leg reports only what the app acts on: answered and ended
    assert [p["CallStatus"] for p in standin.posted("/agent-status")] == ["in-progress", "completed"]
    # the app subscribed to start, end, join and leave (no hold or mute events)
    events = [p["StatusCallbackEvent"] for p in standin.posted("/conf")]
    assert events == ["participant-join", "participant-join", "conference-start", "participant-leave"]
    assert standin.posted("/conf")[-1]["CallSid"] == agent.call_sid
    assert carrier.conference_participants(name) == [caller_sid]


def test_whisper_participant_coaches_the_agent(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony, client: Client
) -> None:
    caller_sid, name = _caller_waiting_in_conference(standin, carrier)
    agent = telephony.add_participant(name, "client:alice", CENTER)
    carrier.run_for(5)
    coach = telephony.add_participant(name, "client:supervisor", CENTER, coach_call_sid=agent.call_sid)
    carrier.run_for(5)
    fetched = client.conferences(agent.conference_sid).participants(coach.call_sid).fetch()
    assert (fetched.coaching, fetched.call_sid_to_coach, fetched.status) == (True, agent.call_sid, "connected")


def test_caller_leaving_a_conference_with_end_on_exit_ends_it_for_everyone(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony, client: Client
) -> None:
    standin.on("/voice", lambda p: [Conference(f"call-{p['CallSid']}", end_on_exit=True)])
    call = carrier.place_inbound_call(CUSTOMER, CENTER, "hang up after 60")
    carrier.run_for(5)
    agent = telephony.add_participant(f"call-{call.sid}", "client:bob", CENTER)
    carrier.run_until_idle()
    assert carrier.call(agent.call_sid).status == "completed"
    (conf,) = client.conferences.list(friendly_name=f"call-{call.sid}")
    assert (conf.status, conf.reason_conference_ended, conf.call_sid_ending_conference) == (
        "completed",
        "participant-with-end-conference-on-exit-left",
        call.sid,
    )


def test_conference_events_follow_the_subscription_made_over_rest(
    standin: StandInApp, carrier: SimulatedCarrier, client: Client
) -> None:
    events = ["start", "end", "join", "leave", "mute", "hold"]
    first = client.conferences("team-huddle").participants.create(
        from_=CENTER,
        to="client:alice",
        conference_status_callback=f"{BASE}/conf",
        conference_status_callback_event=events,
    )
    second = client.conferences("team-huddle").participants.create(from_=CENTER, to="client:bob")
    carrier.run_for(5)
    client.conferences(first.conference_sid).participants(second.call_sid).update(muted=True)
    client.conferences(first.conference_sid).participants(second.call_sid).update(hold=True)
    client.conferences(first.conference_sid).update(status="completed")
    carrier.run_until_idle()
    posted = standin.posted("/conf")
    assert [p["StatusCallbackEvent"] for p in posted] == [
        "participant-join",
        "participant-join",
        "conference-start",
        "participant-mute",
        "participant-hold",
        "participant-leave",
        "participant-leave",
        "conference-end",
    ]
    assert (posted[3]["CallSid"], posted[3]["Muted"]) == (second.call_sid, "true")
    assert [p["SequenceNumber"] for p in posted] == [str(n) for n in range(8)]
    assert posted[-1]["ReasonConferenceEnded"] == "conference-ended-via-api"
    assert carrier.call(first.call_sid).status == "completed"


def test_conference_lists_page_like_twilio(
    carrier: SimulatedCarrier, telephony: TwilioTelephony, client: Client
) -> None:
    for n in range(5):
        telephony.add_participant(f"room-{n}", f"client:agent{n}", CENTER)
    carrier.run_for(5)
    page = client.conferences.page(page_size=2)
    assert len(list(page)) == 2 and page.next_page_url is not None
    names = sorted(c.friendly_name for c in client.conferences.list(page_size=2))
    assert names == [f"room-{n}" for n in range(5)]


# ----------------------------------------------------------------------------- errors


def test_wrong_credentials_are_refused_with_401(carrier: SimulatedCarrier) -> None:
    wrong = TwilioTelephony(
        SIMULATOR_ACCOUNT_SID, "not-the-token", http_client=SimulatorHttpClient(create_rest_app(carrier))
    )
    with pytest.raises(TelephonyError) as err:
        wrong.place_call(CUSTOMER, CENTER, f"{BASE}/outbound")
    assert err.value.status == 401


def test_unknown_resources_are_404(telephony: TwilioTelephony, client: Client) -> None:
    with pytest.raises(TelephonyError) as err:
        telephony.hangup("CA" + "0" * 32)
    assert err.value.status == 404
    with pytest.raises(TwilioRestException) as raw:
        client.calls("CA" + "0" * 32).fetch()
    assert (raw.value.status, raw.value.code) == (404, 20404)
    with pytest.raises(TelephonyError) as missing:
        telephony.update_participant("no-such-room", "CA" + "1" * 32, hold=True)
    assert missing.value.status == 404


def test_bad_requests_carry_twilio_error_codes(client: Client) -> None:
    with pytest.raises(TwilioRestException) as err:
        client.calls.create(to=CUSTOMER, from_=CENTER)
    assert (err.value.status, err.value.code) == (400, 21205)
    with pytest.raises(TwilioRestException) as bad_twiml:
        client.calls.create(to=CUSTOMER, from_=CENTER, twiml="<Response><Dance/></Response>")
    assert bad_twiml.value.status == 400
