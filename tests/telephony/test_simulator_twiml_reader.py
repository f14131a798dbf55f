"""The simulated carrier reads TwiML as Twilio does, and refuses what a carrier must not expand."""

from __future__ import annotations

import pytest

from contactcenter.telephony import interfaces as i
from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.twiml_reader import TwimlError, parse_twiml
from contactcenter.telephony.twiml import render

DOC_URL = "https://cc.example.com/hooks/ivr/menu?step=2"


def test_reads_what_the_app_renders() -> None:
    xml = render(
        [
            i.Say("Welcome", language="en-GB", loop=2),
            i.Gather(action="/hooks/ivr/choice", prompts=(i.Say("Press 1"), i.Pause(2)), num_digits=1, timeout=7),
            i.Redirect("next"),
            i.Enqueue("billing", wait_url="/hooks/wait", action="/hooks/left"),
            i.Conference("call-CA1", wait_url="/hooks/hold", end_on_exit=True, status_callback="/hooks/conf"),
            i.Dial("+14155550199", caller_id="+18005550100", timeout=20, action="/hooks/dialed"),
            i.Record(action="/hooks/voicemail", max_length=60),
            i.Hangup(),
        ]
    )
    doc = parse_twiml(xml, DOC_URL)
    say, gather, redirect, enqueue, conf_dial, dial, record, hangup = doc.verbs
    assert say == tw.Say(text="Welcome", language="en-GB", loop=2)
    assert isinstance(gather, tw.Gather)
    assert gather.action == "https://cc.example.com/hooks/ivr/choice"
    assert (gather.num_digits, gather.timeout, gather.finish_on_key, gather.input) == (1, 7, "#", frozenset({"dtmf"}))
    assert gather.action_on_empty_result is True
    assert gather.prompts == (tw.Say(text="Press 1", language="en-US"), tw.Pause(2))
    # relative URLs resolve against the URL of the document that contained them
    assert redirect == tw.Redirect(url="https://cc.example.com/hooks/ivr/next", method="POST")
    assert enqueue == tw.Enqueue(
        name="billing", action="https://cc.example.com/hooks/left", wait_url="https://cc.example.com/hooks/wait"
    )
    assert isinstance(conf_dial, tw.Dial) and conf_dial.conference is not None
    conf = conf_dial.conference
    assert (conf.name, conf.wait_url, conf.end_on_exit, conf.start_on_enter) == (
        "call-CA1",
        "https://cc.example.com/hooks/hold",
        True,
        True,
    )
    assert conf.status_callback == "https://cc.example.com/hooks/conf"
    assert conf.status_callback_events == frozenset({"start", "end", "join", "leave"})
    assert isinstance(dial, tw.Dial)
    assert dial.targets == (tw.NumberNoun("+14155550199"),)
    assert (dial.caller_id, dial.timeout, dial.action) == ("+18005550100", 20, "https://cc.example.com/hooks/dialed")
    assert isinstance(record, tw.Record) and record.max_length == 60
    assert record.action == "https://cc.example.com/hooks/voicemail"
    assert hangup == tw.Hangup()


def test_twilio_defaults_apply_when_attributes_are_missing() -> None:
    doc = parse_twiml("<Response><Gather><Say>Hi</Say></Gather><Record/><Pause/></Response>", DOC_URL)
    gather, record, pause = doc.verbs
    assert isinstance(gather, tw.Gather) and isinstance(record, tw.Record)
    # no action: Twilio posts back to the document's own URL
    assert gather.action == DOC_URL and record.action == DOC_URL
    assert (gather.timeout, gather.finish_on_key, gather.input, gather.action_on_empty_result) == (
        5,
        "#",
        frozenset({"dtmf"}),
        False,
    )
    assert (record.max_length, record.timeout, record.play_beep) == (3600, 5, True)
    assert pause == tw.Pause(1)


def test_dial_nouns_and_bare_numbers() -> None:
    doc = parse_twiml(
        "<Response><Dial>+14155550123</Dial>"
        "<Dial><Client>alice</Client><Number sendDigits='1'>+14155550124</Number></Dial></Response>"
    )
    bare, multi = doc.verbs
    assert isinstance(bare, tw.Dial) and bare.targets == (tw.NumberNoun("+14155550123"),)
    assert isinstance(multi, tw.Dial)
    assert multi.targets == (tw.ClientNoun("alice"), tw.NumberNoun("+14155550124", send_digits="1"))
    assert multi.targets[0].address == "client:alice"  # type: ignore[union-attr]


def test_speech_gather_and_enqueue_leave() -> None:
    doc = parse_twiml('<Response><Gather input="dtmf speech" numDigits="3" finishOnKey=""/><Leave/></Response>')
    gather, leave = doc.verbs
    assert isinstance(gather, tw.Gather)
    assert gather.input == frozenset({"dtmf", "speech"})
    assert gather.finish_on_key == "" and gather.num_digits == 3
    assert leave == tw.Leave()


@pytest.mark.parametrize(
    "document, message",
    [
        ('<?xml version="1.0"?><!DOCTYPE Response [<!ENTITY a "x">]><Response><Say>&a;</Say></Response>', "DOCTYPE"),
        ('<Response><!ENTITY lol "lol"><Say>hi</Say></Response>', "entity"),
        ("<Document><Say>hi</Say></Document>", "<Response>"),
        ("<Response><Say>unclosed</Response>", "well-formed"),
        ("<html><body>Oops</body></html>", "<Response>"),
        ("Internal Server Error", "well-formed"),
        ("", "empty"),
        ("<Response><say>lower case</say></Response>", "<say>"),
        ("<Response><Gather timeout='soon'/></Response>", "timeout"),
        ("<Response><Gather><Dial>+1415</Dial></Gather></Response>", "cannot contain"),
        ("<Response><Redirect/></Response>", "URL"),
        ("<Response><Enqueue/></Response>", "queue name"),
        (f"<Response><Enqueue>{'q' * 65}</Enqueue></Response>", "64"),
        ("<Response><Dial method='PUT'>+1415</Dial></Response>", "GET or POST"),
    ],
)
def test_refuses_documents_twilio_would_not_run(document: str, message: str) -> None:
    with pytest.raises(TwimlError) as err:
        parse_twiml(document, DOC_URL)
    assert message.lower() in str(err.value).lower()


def test_refuses_oversized_documents() -> None:
    big = "<Response>" + "<Say>padding padding padding</Say>" * 9000 + "</Response>"
    assert len(big) > tw.MAX_TWIML_BYTES
    with pytest.raises(TwimlError, match="byte limit"):
        parse_twiml(big, DOC_URL)
    # just under the limit is fine
    ok = "<Response>" + "<Pause/>" * 1000 + "</Response>"
    assert len(parse_twiml(ok).verbs) == 1000


def test_ssml_inside_say_is_heard_as_text() -> None:
    doc = parse_twiml("<Response><Say>Your balance is <emphasis>forty</emphasis> dollars</Say></Response>")
    assert doc.verbs == (tw.Say(text="Your balance is forty dollars"),)
