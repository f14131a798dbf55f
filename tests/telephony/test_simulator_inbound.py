"""Inbound calls through the simulated carrier, against a stand-in customer application.

The stand-in app is a real peer: it checks `X-Twilio-Signature` over the URL it was called on,
records what it was sent, and answers TwiML rendered by `contactcenter.telephony.twiml`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from contactcenter import clock
from contactcenter.clock import ManualClock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.interfaces import (
    Conference,
    Dial,
    Enqueue,
    Gather,
    Hangup,
    Pause,
    Play,
    Record,
    Redirect,
    Say,
)
from contactcenter.telephony.simulator import (
    Callee,
    SimulatedCarrier,
    SimulatorHttpClient,
    WsgiTransport,
    create_rest_app,
    virtual_carrier,
)
from contactcenter.telephony.simulator.carrier import APP_ERROR_MESSAGE
from contactcenter.telephony.twilio_adapter import TwilioTelephony
from tests.support.standin import Reply, StandInApp

BASE = "https://cc.example.com"
CENTER = "+18005550100"
CALLER = "+14155550100"
VOICE_PARAMS = {"CallSid", "AccountSid", "From", "To", "CallStatus", "Direction", "ApiVersion", "Called", "Caller"}


@pytest.fixture
def manual() -> Iterator[ManualClock]:
    with clock.using(ManualClock()) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
def standin() -> StandInApp:
    return StandInApp()


@pytest.fixture
def carrier(standin: StandInApp, manual: ManualClock) -> SimulatedCarrier:
    sim = SimulatedCarrier(WsgiTransport(standin.app), clock=manual)
    sim.add_number(CENTER, f"{BASE}/voice", f"{BASE}/status")
    standin.on("/status", "")
    return sim


@pytest.fixture
def telephony(carrier: SimulatedCarrier) -> TwilioTelephony:
    return TwilioTelephony(
        SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, http_client=SimulatorHttpClient(create_rest_app(carrier))
    )


# ----------------------------------------------------------------------------- webhooks


def test_webhooks_are_signed_and_use_twilio_parameter_names(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    standin.on("/voice", [Say("Hello"), Hangup()])
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_until_idle()

    assert standin.refused == 0
    (voice,) = standin.posted("/voice")
    assert set(voice) == VOICE_PARAMS
    assert re.fullmatch(r"CA[0-9a-f]{32}", voice["CallSid"]) and voice["CallSid"] == call.sid
    assert voice["AccountSid"] == SIMULATOR_ACCOUNT_SID
    assert (voice["From"], voice["To"], voice["Called"], voice["Caller"]) == (CALLER, CENTER, CENTER, CALLER)
    assert (voice["CallStatus"], voice["Direction"], voice["ApiVersion"]) == ("ringing", "inbound", "2010-04-01")

    (status,) = standin.posted("/status")
    assert status["CallStatus"] == "completed"
    assert status["CallDuration"] == "1"
    assert status["SequenceNumber"] == "0"
    assert status["CallbackSource"] == "call-progress-events"
    assert parsedate_to_datetime(status["Timestamp"]) == call.created_at + timedelta(seconds=1)  # RFC 2822
    assert call.status == "completed" and call.heard() == ["Hello"]


def test_an_app_with_another_auth_token_refuses_the_carrier(manual: ManualClock) -> None:
    other = StandInApp(auth_token="someone-elses-token")
    other.on("/voice", [Say("You should never hear this")])
    sim = SimulatedCarrier(WsgiTransport(other.app), clock=manual)
    sim.add_number(CENTER, f"{BASE}/voice")
    call = sim.place_inbound_call(CALLER, CENTER, "")
    sim.run_until_idle()
    assert other.refused == 1
    assert call.heard() == [APP_ERROR_MESSAGE]
    assert call.status == "completed"


def test_status_callbacks_can_be_delivered_twice_to_test_idempotency(standin: StandInApp, manual: ManualClock) -> None:
    sim = SimulatedCarrier(WsgiTransport(standin.app), clock=manual, duplicate_status_callbacks=True)
    sim.add_number(CENTER, f"{BASE}/voice", f"{BASE}/status")
    standin.on("/voice", [Hangup()])
    standin.on("/status", "")
    sim.place_inbound_call(CALLER, CENTER, "")
    sim.run_until_idle()
    first, second = standin.posted("/status")
    assert first == second
    tokens = standin.tokens["/status"]
    assert len(tokens) == 2 and tokens[0] == tokens[1]  # a redelivery, not a new event
    assert standin.tokens["/voice"][0] != tokens[0]


# ----------------------------------------------------------------------------- an IVR call


def ivr(standin: StandInApp) -> None:
    standin.on(
        "/voice",
        [Gather(action="/menu", num_digits=1, prompts=(Say("Welcome to Example Power. For billing, press 1."),))],
    )
    standin.on(
        "/menu",
        lambda p: [
            Say("Billing.") if p["Digits"] == "1" else Say("Sorry."),
            Gather(action="/account", prompts=(Say("Enter your account number, then press pound."),)),
        ],
    )
    standin.on(
        "/account",
        lambda p: [
            Say(f"Account {p['Digits']}."),
            Gather(action="/confirm", prompts=(Say("Press 1 to confirm."),)),
        ],
    )
    standin.on(
        "/confirm",
        lambda p: [
            Say("We did not get that." if p["Digits"] == "" else "Confirmed."),
            Enqueue("billing", wait_url="/wait"),
        ],
    )
    standin.on(
        "/wait", lambda p: [Say(f"You are caller {p['QueuePosition']}."), Play("https://cdn.example.com/hold.mp3")]
    )


def test_an_ivr_call_end_to_end_in_virtual_time(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    ivr(standin)
    started = time.perf_counter()
    call = carrier.place_inbound_call(CALLER, CENTER, "press 1, enter 12345#, wait, hang up after 40")
    carrier.run_until_idle()
    wall = time.perf_counter() - started

    assert [p["Digits"] for p in standin.posted("/menu")] == ["1"]
    assert [p["Digits"] for p in standin.posted("/account")] == ["12345"]  # the finish key is stripped
    assert standin.posted("/account")[0]["FinishedOnKey"] == "#"
    assert [p["Digits"] for p in standin.posted("/confirm")] == [""]  # the wait: a timeout, posted empty
    heard = call.heard_text()
    for text in (
        "Welcome to Example Power",
        "Enter your account number",
        "Account 12345.",
        "We did not get that.",
        "You are caller 1.",
    ):
        assert text in heard
    assert call.digits_sent() == ["1", "12345"]
    waits = standin.posted("/wait")
    assert len(waits) >= 2 and {"QueuePosition", "QueueSid", "QueueTime", "AvgQueueTime", "CurrentQueueSize"} <= set(
        waits[0]
    )
    assert call.ended and call.status == "completed"
    assert call.ended_after_s == 40.0
    assert call.end_reason == "caller hung up"
    assert standin.posted("/status")[0]["CallDuration"] == "40"
    assert carrier.queue_members("billing") == []
    assert wall < 1.0


def test_same_seed_same_calls(standin: StandInApp, manual: ManualClock) -> None:
    ivr(standin)

    def run(seed: int) -> tuple[str, list[tuple[float, str, str]]]:
        with clock.using(ManualClock()) as c:
            sim = SimulatedCarrier(WsgiTransport(standin.app), clock=c, seed=seed)
            sim.add_number(CENTER, f"{BASE}/voice")
            call = sim.place_inbound_call(CALLER, CENTER, "press 1, enter 99#, press 1, hang up after 30")
            sim.run_until_idle()
            return call.sid, [tuple(e) for e in call.transcript]  # type: ignore[misc]

    assert run(7) == run(7)
    assert run(7)[0] != run(8)[0]


# ----------------------------------------------------------------------------- verbs


def test_gather_timeout_with_and_without_action_on_empty_result(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    standin.on(
        "/voice",
        [
            Gather(action="/quiet", timeout=3, action_on_empty_result=False, prompts=(Say("First menu"),)),
            Say("Nothing pressed, so we carry on."),
            Gather(action="/empty", timeout=4, prompts=(Say("Second menu"),)),
        ],
    )
    standin.on("/empty", [Say("Goodbye")])
    call = carrier.place_inbound_call(CALLER, CENTER, "wait, wait")
    carrier.run_until_idle()
    assert standin.posted("/quiet") == []
    assert [p["Digits"] for p in standin.posted("/empty")] == [""]
    assert call.heard() == ["First menu", "Nothing pressed, so we carry on.", "Second menu", "Goodbye"]
    # 1 s of prompt + 3 s timeout; then 6 words (2.4 s) + 1 s of prompt + 4 s timeout
    assert [e.t for e in call.entries("timeout")] == [4.0, 4.0 + 2.4 + 1.0 + 4.0]


def test_speech_and_num_digits(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    standin.on("/voice", [Gather(action="/said", input="speech", prompts=(Say("How can we help?"),))])
    standin.on("/said", [Gather(action="/pin", num_digits=4, prompts=(Say("Your PIN"),))])
    standin.on("/pin", [Hangup()])
    carrier.place_inbound_call(CALLER, CENTER, "say I want to pay my bill, enter 123456")
    carrier.run_until_idle()
    (said,) = standin.posted("/said")
    assert said["SpeechResult"] == "I want to pay my bill" and float(said["Confidence"]) > 0.5
    assert standin.posted("/pin")[0]["Digits"] == "1234"


def test_redirect_resolves_relative_urls_and_end_of_document_completes(
    standin: StandInApp, carrier: SimulatedCarrier
) -> None:
    carrier.add_number("+18005550101", f"{BASE}/ivr/start")
    standin.on("/ivr/start", [Say("One moment"), Redirect("next?step=2")])
    standin.on("/ivr/next", [Pause(2), Say("That is all")])
    call = carrier.place_inbound_call(CALLER, "+18005550101", "")
    carrier.run_until_idle()
    assert [p for p, _ in standin.requests] == ["/ivr/start", "/ivr/next"]
    assert standin.posted("/ivr/next")[0]["step"] == "2"
    assert call.heard() == ["One moment", "That is all"]
    # "One moment" (1 s minimum) + <Pause> 2 s + "That is all" (3 words at 2.5 words/s)
    assert (call.status, call.end_reason, call.ended_after_s) == ("completed", "end of TwiML document", 4.2)


def test_hangup_verb_ends_the_call(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    standin.on("/voice", [Say("Goodbye"), Hangup(), Say("never heard")])
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_until_idle()
    assert call.heard() == ["Goodbye"]
    assert (call.status, call.end_reason) == ("completed", "<Hangup>")


@pytest.mark.parametrize("reason, status", [("busy", "busy"), ("rejected", "no-answer")])
def test_reject_leaves_the_call_unanswered(
    standin: StandInApp, carrier: SimulatedCarrier, reason: str, status: str
) -> None:
    standin.on("/voice", f'<Response><Reject reason="{reason}"/><Say>unreachable</Say></Response>')
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_until_idle()
    assert (call.status, call.duration_s, call.heard()) == (status, 0, [])
    assert standin.posted("/status")[0]["CallStatus"] == status


def test_virtual_carrier_shares_its_clock_with_the_app(standin: StandInApp) -> None:
    seen: list[str] = []

    def first(_: dict[str, str]) -> Reply:
        seen.append(clock.now().isoformat())
        return [Pause(30), Redirect("/again")]

    def again(_: dict[str, str]) -> Reply:
        seen.append(clock.now().isoformat())
        return [Hangup()]

    standin.on("/voice", first)
    standin.on("/again", again)
    with virtual_carrier(WsgiTransport(standin.app)) as sim:
        sim.add_number(CENTER, f"{BASE}/voice")
        sim.place_inbound_call(CALLER, CENTER, "")
        sim.run_until_idle()
    assert seen == ["2026-01-05T09:00:00+00:00", "2026-01-05T09:00:30+00:00"]


def test_caller_hang_up_step_still_delivers_the_digits_before_it(
    standin: StandInApp, carrier: SimulatedCarrier
) -> None:
    standin.on("/voice", [Gather(action="/menu", num_digits=1, prompts=(Say("Press 2 for sales"),))])
    standin.on("/menu", [Say("Please listen to this long message about our many wonderful products and offers")])
    call = carrier.place_inbound_call(CALLER, CENTER, "press 2, hang up")
    carrier.run_until_idle()
    assert standin.posted("/menu")[0]["Digits"] == "2"
    assert call.end_reason == "caller hung up"
    # the prompt (4 words, 1.6 s), a think time to press 2, a think time to hang up
    assert call.ended_after_s == pytest.approx(1.6 + 1.0 + 1.0)


def test_record_posts_the_recording(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    standin.on("/voice", [Say("Leave a message after the tone"), Record(action="/voicemail", max_length=60)])
    standin.on("/voicemail", [Say("Thank you"), Hangup()])
    call = carrier.place_inbound_call(CALLER, CENTER, "speak 12")
    carrier.run_until_idle()
    (posted,) = standin.posted("/voicemail")
    assert posted["RecordingDuration"] == "12"
    assert re.fullmatch(r"RE[0-9a-f]{32}", posted["RecordingSid"])
    assert posted["RecordingUrl"].endswith(posted["RecordingSid"])
    assert call.heard()[-1] == "Thank you"


def test_dial_to_a_number_bridges_then_posts_the_dial_action(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    carrier.set_callee("+14155550199", Callee(ring_s=4, talk_s=30))
    carrier.set_callee("+14155550198", Callee("busy", ring_s=2))
    standin.on("/voice", [Dial("+14155550199", action="/dialed")])
    standin.on(
        "/dialed",
        lambda p: [Dial("+14155550198", action="/second")] if p["DialCallStatus"] == "completed" else [Hangup()],
    )
    standin.on("/second", [Say("They are busy"), Hangup()])
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_until_idle()
    (first,) = standin.posted("/dialed")
    assert (first["DialCallStatus"], first["DialCallDuration"], first["DialBridged"]) == ("completed", "30", "true")
    leg = carrier.call(first["DialCallSid"])
    assert leg.status == "completed"
    assert standin.posted("/second")[0]["DialCallStatus"] == "busy"
    assert call.heard() == ["They are busy"]


# ----------------------------------------------------------------------------- application errors


@pytest.mark.parametrize(
    "reply, detail",
    [
        (("kaput", 500), "HTTP 500"),
        ("<html><body>Welcome!</body></html>", "invalid TwiML"),
        ('{"say": "hello"}', "invalid TwiML"),
        (("", 404), "HTTP 404"),
    ],
)
def test_failing_webhooks_end_the_call_with_an_application_error(
    standin: StandInApp, carrier: SimulatedCarrier, reply: Reply, detail: str
) -> None:
    standin.on("/voice", reply)
    call = carrier.place_inbound_call(CALLER, CENTER, "hang up after 60")
    carrier.run_until_idle()
    (error,) = call.entries("error")
    assert detail in error.detail
    assert call.heard() == [APP_ERROR_MESSAGE]
    assert (call.status, call.end_reason) == ("completed", "application error")
    assert standin.posted("/status")[0]["CallStatus"] == "completed"


def test_an_exception_in_the_app_is_a_500_with_the_traceback_in_the_transcript(
    standin: StandInApp, carrier: SimulatedCarrier
) -> None:
    standin.app.testing = True  # exceptions propagate, as in the project's own test setup

    def broken(_: dict[str, str]) -> Reply:
        raise RuntimeError("database is down")

    standin.on("/voice", broken)
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_until_idle()
    assert "database is down" in call.entries("error")[0].detail
    assert call.end_reason == "application error"


def test_the_fallback_url_answers_when_the_voice_url_fails(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    carrier.add_number("+18005550102", f"{BASE}/broken", fallback_url=f"{BASE}/fallback")
    standin.on("/broken", ("down", 503))
    standin.on("/fallback", [Say("We are having trouble, please call back later")])
    call = carrier.place_inbound_call(CALLER, "+18005550102", "")
    carrier.run_until_idle()
    assert standin.posted("/fallback")[0]["ErrorCode"] == "11200"
    assert call.heard() == ["We are having trouble, please call back later"]


def test_a_redirect_loop_with_no_time_passing_is_cut_short(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    standin.on("/voice", [Redirect("/voice")])
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_until_idle()
    assert "redirect loop" in call.entries("error")[0].detail
    assert call.ended


# ----------------------------------------------------------------------------- queues and conferences


def test_enqueued_caller_waits_until_a_rest_redirect_moves_them_on(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony
) -> None:
    standin.on("/voice", [Say("Please hold"), Enqueue("support", wait_url="/wait", action="/left")])
    standin.on("/wait", lambda p: [Say(f"Position {p['QueuePosition']} of {p['CurrentQueueSize']}"), Pause(10)])
    standin.on("/agent", [Say("Connecting you to an agent"), Hangup()])
    first = carrier.place_inbound_call(CALLER, CENTER, "")
    second = carrier.place_inbound_call("+14155550111", CENTER, "")
    carrier.run_for(60)
    assert carrier.queue_members("support") == [first.sid, second.sid]
    assert len(standin.posted("/wait")) >= 10  # the wait document loops
    assert "Position 2 of 2" in second.heard()

    telephony.redirect(first.sid, f"{BASE}/agent")
    carrier.run_for(30)
    assert first.heard()[-1] == "Connecting you to an agent" and first.status == "completed"
    assert carrier.queue_members("support") == [second.sid]
    assert standin.posted("/left") == []  # moved by REST: the Enqueue action is not requested
    assert "Position 1 of 1" in second.heard()


def test_caller_abandoning_the_queue_is_reported_to_the_enqueue_action(
    standin: StandInApp, carrier: SimulatedCarrier
) -> None:
    standin.on("/voice", [Enqueue("support", action="/left")])
    standin.on("/left", [Say("ignored, the caller is gone")])
    call = carrier.place_inbound_call(CALLER, CENTER, "hang up after 95")
    carrier.run_until_idle()
    (left,) = standin.posted("/left")
    assert (left["QueueResult"], left["QueueTime"], left["CallStatus"]) == ("hangup", "95", "completed")
    assert "ignored, the caller is gone" not in call.heard()
    # Twilio requests the action first, then the status callback
    assert [p for p, _ in standin.requests][-2:] == ["/left", "/status"]


def test_leave_in_the_wait_document_continues_after_the_enqueue(standin: StandInApp, carrier: SimulatedCarrier) -> None:
    standin.on("/voice", [Enqueue("closing", wait_url="/wait"), Say("The line is now closed")])
    standin.on("/wait", "<Response><Say>We are closing</Say><Leave/></Response>")
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_until_idle()
    assert call.heard() == ["We are closing", "The line is now closed"]


def test_conference_wait_loop_then_rest_redirect(
    standin: StandInApp, carrier: SimulatedCarrier, telephony: TwilioTelephony
) -> None:
    standin.on(
        "/voice", lambda p: [Conference(f"call-{p['CallSid']}", wait_url="/hold-music", status_callback="/conf")]
    )
    standin.on("/hold-music", [Say("All our agents are busy"), Play("https://cdn.example.com/jazz.mp3")])
    standin.on("/conf", "")
    standin.on("/callback", [Say("We will call you back"), Hangup()])
    call = carrier.place_inbound_call(CALLER, CENTER, "")
    carrier.run_for(45)
    name = f"call-{call.sid}"
    assert carrier.conference_participants(name) == [call.sid]
    assert call.heard().count("All our agents are busy") >= 5

    telephony.redirect(call.sid, f"{BASE}/callback")
    carrier.run_until_idle()
    assert call.heard()[-1] == "We will call you back"
    assert carrier.conference_participants(name) == []
    events = [p["StatusCallbackEvent"] for p in standin.posted("/conf")]
    assert events == ["participant-join", "participant-leave", "conference-end"]
    assert standin.posted("/conf")[-1]["ReasonConferenceEnded"] == "last-participant-left"


def test_gather_in_a_conference_wait_document_is_refused_as_twilio_does(
    standin: StandInApp, carrier: SimulatedCarrier
) -> None:
    standin.on("/voice", [Conference("room", wait_url="/wait")])
    standin.on("/wait", [Gather(action="/cb", prompts=(Say("Press 1 for a callback"),)), Say("Please hold")])
    call = carrier.place_inbound_call(CALLER, CENTER, "press 1, hang up after 10")
    carrier.run_until_idle()
    assert any("13238" in e.detail for e in call.entries("error"))
    assert "Press 1 for a callback" not in call.heard()
    assert standin.posted("/cb") == []
