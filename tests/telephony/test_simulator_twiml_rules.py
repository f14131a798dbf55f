"""The simulated carrier refuses the TwiML Twilio refuses, with Twilio's error codes.

A refused document takes the call down the application-error path (or to the number's fallback
URL, which is sent the error code), and the error is reported with its code, as Twilio reports
it to its debugger. What the app itself renders must keep passing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contactcenter import clock
from contactcenter.clock import ManualClock
from contactcenter.telephony import interfaces as i
from contactcenter.telephony.simulator import SimulatedCarrier, WsgiTransport, twiml_reader as tw
from contactcenter.telephony.simulator.carrier import APP_ERROR_MESSAGE, CarrierError
from contactcenter.telephony.simulator.twiml_reader import TwimlError, parse_twiml
from contactcenter.telephony.twiml import render
from tests.support.standin import StandInApp

BASE = "https://cc.example.com"
CENTER = "+18005550100"
CALLER = "+14155550100"


def _doc(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


# (what, document body, Twilio error code)
REFUSED = [
    ("empty Say", "<Say></Say>", 13520),
    ("blank Say", "<Say>   \n  </Say>", 13520),
    ("self-closed Say", "<Say/>", 13520),
    ("empty Say in a Gather", '<Gather action="/g"><Say></Say></Gather>', 13520),
    ("unknown Say attribute", '<Say colour="blue">Hello</Say>', 12200),
    ("attribute in the wrong case", '<Say Voice="alice">Hello</Say>', 12200),
    ("unknown Gather attribute", '<Gather action="/g" numdigits="1"><Say>Hi</Say></Gather>', 12200),
    ("unknown Play attribute", '<Play volume="11">https://cdn.example.com/a.mp3</Play>', 12200),
    ("unknown Pause attribute", '<Pause seconds="2"/>', 12200),
    ("unknown Redirect attribute", '<Redirect target="_top">/next</Redirect>', 12200),
    ("unknown Enqueue attribute", '<Enqueue priority="1">support</Enqueue>', 12200),
    ("unknown Hangup attribute", '<Hangup reason="busy"/>', 12200),
    ("unknown Record attribute", '<Record action="/r" maxSeconds="60"/>', 12200),
    ("unknown Dial attribute", '<Dial ringFor="20">+14155550199</Dial>', 12200),
    ("unknown Number attribute", '<Dial><Number delay="1">+14155550199</Number></Dial>', 12200),
    ("unknown Conference attribute", '<Dial><Conference moderator="true">room</Conference></Dial>', 12200),
    ("hostile attribute", '<Say onload="alert(1)">Hello</Say>', 12200),
    (
        "unknown conference event",
        '<Dial><Conference statusCallback="/c" statusCallbackEvent="start explode">room</Conference></Dial>',
        12200,
    ),
    (
        "comma-separated conference events",
        '<Dial><Conference statusCallbackEvent="start,end">room</Conference></Dial>',
        12200,
    ),
    ("empty conference event list", '<Dial><Conference statusCallbackEvent="">room</Conference></Dial>', 12200),
    ("unknown number event", '<Dial><Number statusCallbackEvent="picked-up">+14155550199</Number></Dial>', 12200),
    ("unknown recording event", '<Record action="/r" recordingStatusCallbackEvent="done"/>', 12200),
    ("beep yes", '<Dial><Conference beep="yes">room</Conference></Dial>', 13235),
    ("beep on-enter", '<Dial><Conference beep="on-enter">room</Conference></Dial>', 13235),
    ("beep empty", '<Dial><Conference beep="">room</Conference></Dial>', 13235),
    ("maxParticipants over 250", '<Dial><Conference maxParticipants="251">room</Conference></Dial>', 12200),
    (
        "maxParticipants huge",
        '<Dial><Conference maxParticipants="99999999999999999999">room</Conference></Dial>',
        12200,
    ),
    ("maxParticipants below 2", '<Dial><Conference maxParticipants="1">room</Conference></Dial>', 12200),
    ("Dial timeout over 600", '<Dial timeout="601">+14155550199</Dial>', 13212),
    ("Dial timeout of an hour", '<Dial timeout="3600">+14155550199</Dial>', 13212),
    ("Dial timeout zero", '<Dial timeout="0">+14155550199</Dial>', 13212),
    ("Dial timeout negative", '<Dial timeout="-5">+14155550199</Dial>', 13212),
    ("Dial timeout not a number", '<Dial timeout="30s">+14155550199</Dial>', 13212),
    ("Record trim true", '<Record action="/r" trim="true"/>', 12200),
    ("Record trim misspelt", '<Record action="/r" trim="trim_silence"/>', 12200),
    ("Record trim empty", '<Record action="/r" trim=""/>', 12200),
    ("unknown verb", "<Whisper>psst</Whisper>", 12200),
    ("not XML", "<Say>unclosed", 12100),
]

# At the edge of what Twilio takes: all of it must still be read.
ACCEPTED = [
    '<Say voice="Polly.Joanna" language="en-US" loop="2">Hello</Say>',
    "<Say>Your balance is <emphasis>forty</emphasis> dollars</Say>",
    '<Dial><Conference beep="onEnter">room</Conference></Dial>',
    '<Dial><Conference beep="onExit">room</Conference></Dial>',
    '<Dial><Conference beep="false" maxParticipants="250">room</Conference></Dial>',
    '<Dial><Conference statusCallback="/c" statusCallbackEvent="start end join leave mute hold modify speaker '
    'announcement">room</Conference></Dial>',
    '<Dial timeout="600">+14155550199</Dial>',
    '<Dial><Number statusCallbackEvent="initiated ringing answered completed">+14155550199</Number></Dial>',
    '<Record action="/r" trim="do-not-trim"/>',
    '<Record action="/r" trim="trim-silence" recordingStatusCallbackEvent="in-progress completed absent"/>',
    '<Gather action="/g" input="dtmf speech" hints="billing" speechTimeout="auto" numDigits="1"><Say>Hi</Say></Gather>',
]


@pytest.mark.parametrize("what, body, code", REFUSED, ids=[r[0] for r in REFUSED])
def test_the_reader_refuses_what_twilio_refuses_with_its_code(what: str, body: str, code: int) -> None:
    with pytest.raises(TwimlError) as err:
        parse_twiml(_doc(body) if code != 12100 else f"<Response>{body}", f"{BASE}/voice")
    assert err.value.code == code, (what, str(err.value))


@pytest.mark.parametrize("body", ACCEPTED)
def test_the_reader_accepts_twiml_at_the_edge_of_what_twilio_takes(body: str) -> None:
    assert len(parse_twiml(_doc(body), f"{BASE}/voice").verbs) == 1


def test_a_beep_on_enter_is_kept() -> None:
    (dial,) = parse_twiml(_doc('<Dial><Conference beep="onEnter">room</Conference></Dial>')).verbs
    assert isinstance(dial, tw.Dial) and dial.conference is not None and dial.conference.beep == "onenter"


def test_everything_the_app_renders_is_accepted() -> None:
    xml = render(
        [
            i.Say("Welcome", language="es-ES", voice="Polly.Lucia", loop=2),
            i.Play("https://cdn.example.com/hold.mp3", loop=3),
            i.Pause(2),
            i.Gather(
                action="/hooks/ivr?step=1",
                prompts=(i.Say("Press 1"), i.Play("https://cdn.example.com/a.mp3"), i.Pause(1)),
                num_digits=1,
                timeout=5,
                input="dtmf speech",
                language="en-US",
                speech_hints="billing, agent",
                finish_on_key="",
            ),
            i.Redirect("/hooks/wait"),
            i.Enqueue("support", wait_url="/hooks/wait", action="/hooks/left"),
            i.Conference(
                "call-CA1",
                wait_url="/hooks/hold",
                start_on_enter=False,
                end_on_exit=True,
                muted=True,
                beep=True,
                status_callback="/hooks/conf",
                action="/hooks/after",
            ),
            i.Conference("call-CA2"),
            i.Dial("+14155550199", caller_id="+18005550100", timeout=600, action="/hooks/ivr/dial?step=2"),
            i.Record(
                action="/hooks/overflow/recording?call=CA1",
                max_length=120,
                recording_status_callback="/hooks/recording",
            ),
            i.Hangup(),
        ]
    )
    assert len(parse_twiml(xml, f"{BASE}/hooks/voice").verbs) == 11


# ----------------------------------------------------------------------------- on a call


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
    sim.add_number("+18005550102", f"{BASE}/voice", f"{BASE}/status", fallback_url=f"{BASE}/fallback")
    standin.on("/status", "")
    return sim


@pytest.mark.parametrize("what, body, code", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_document_ends_the_call_as_an_application_error(
    standin: StandInApp, carrier: SimulatedCarrier, what: str, body: str, code: int
) -> None:
    standin.on("/voice", _doc(body) if code != 12100 else f"<Response>{body}")
    call = carrier.place_inbound_call(CALLER, CENTER, "hang up after 60")
    carrier.run_until_idle()
    (error,) = call.entries("error")
    assert f"error {code}" in error.detail and "invalid TwiML" in error.detail
    assert call.heard() == [APP_ERROR_MESSAGE]
    assert (call.status, call.end_reason) == ("completed", "application error")
    assert standin.posted("/status")[0]["CallStatus"] == "completed"


@pytest.mark.parametrize(
    "body, code",
    [
        ("<Say/>", "13520"),
        ('<Dial timeout="900">+14155550199</Dial>', "13212"),
        ('<Dial><Conference beep="loud">room</Conference></Dial>', "13235"),
        ('<Say rate="fast">Hi</Say>', "12200"),
    ],
)
def test_the_fallback_url_is_sent_the_twilio_error_code(
    standin: StandInApp, carrier: SimulatedCarrier, body: str, code: str
) -> None:
    standin.on("/voice", _doc(body))
    standin.on("/fallback", [i.Say("Sorry, please call back later"), i.Hangup()])
    call = carrier.place_inbound_call(CALLER, "+18005550102", "")
    carrier.run_until_idle()
    (fallback,) = standin.posted("/fallback")
    assert (fallback["ErrorCode"], fallback["ErrorUrl"]) == (code, f"{BASE}/voice")
    assert call.heard() == ["Sorry, please call back later"]


def test_rest_twiml_twilio_refuses_is_a_400_with_its_code(carrier: SimulatedCarrier) -> None:
    with pytest.raises(CarrierError) as err:
        carrier.create_call(to=CALLER, from_=CENTER, twiml=_doc('<Dial timeout="601">+14155550199</Dial>'))
    assert (err.value.status, err.value.code) == (400, 13212)


def test_the_app_leaves_out_a_say_with_nothing_to_say() -> None:
    xml = render(
        [
            i.Say(""),
            i.Gather(action="/hooks/ivr?step=1", prompts=(i.Say("  "), i.Say("Press 1"))),
            i.Say("Goodbye"),
            i.Hangup(),
        ]
    )
    gather, goodbye, hangup = parse_twiml(xml, f"{BASE}/hooks/voice").verbs
    assert isinstance(gather, tw.Gather) and gather.prompts == (tw.Say(text="Press 1", language="en-US"),)
    assert goodbye == tw.Say(text="Goodbye", language="en-US") and hangup == tw.Hangup()
