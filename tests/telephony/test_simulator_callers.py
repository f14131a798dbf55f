"""Scripted callers: the text form, and what a caller does when a <Gather> or <Record> listens."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from contactcenter.telephony.simulator.callers import (
    Callee,
    CallerScript,
    Digits,
    HangUp,
    Hold,
    ScriptedCaller,
    ScriptError,
    Speak,
    Speech,
    Wait,
    gather_digits,
    parse_script,
)

DTMF = frozenset({"dtmf"})
SPEECH = frozenset({"speech"})


def test_parses_the_compact_text_form() -> None:
    script = parse_script(
        'press 1, enter 12345#; say "yes, please"\nspeak 12 s, wait, wait 5, hold, hang up, hang up after 40'
    )
    assert script.steps == (
        Digits("1"),
        Digits("12345#"),
        Speech("yes, please"),
        Speak(12.0),
        Wait(None),
        Wait(5.0),
        Hold(),
        HangUp(),
    )
    assert script.hangup_after_s == 40.0


def test_default_patience_and_never_hanging_up() -> None:
    assert parse_script("press 1").hangup_after_s == 600.0
    assert parse_script("press 1, never hang up").hangup_after_s is None
    assert parse_script("").steps == ()


@pytest.mark.parametrize("text", ["press one", "dance", "wait forever", 'say "unclosed', "hang up after soon"])
def test_unknown_steps_are_refused_with_the_step_quoted(text: str) -> None:
    with pytest.raises(ScriptError) as err:
        parse_script(text)
    assert "caller" in str(err.value) or "quote" in str(err.value)


_steps = st.lists(
    st.one_of(
        st.builds(Digits, st.text("0123456789*#", min_size=1, max_size=6)),
        st.builds(Speech, st.text("abcdefgh ,", min_size=1, max_size=20).map(str.strip).filter(bool)),
        st.builds(Speak, st.integers(1, 120).map(float)),
        st.builds(Wait, st.one_of(st.none(), st.integers(1, 60).map(float))),
        st.just(Hold()),
        st.just(HangUp()),
    ),
    max_size=8,
)


@given(_steps, st.one_of(st.none(), st.integers(0, 3600).map(float)))
def test_describe_round_trips(steps: list, patience: float | None) -> None:  # type: ignore[type-arg]
    script = CallerScript(steps=tuple(steps), hangup_after_s=patience)
    assert parse_script(script.describe()) == script


def test_finish_key_is_stripped_and_num_digits_truncates() -> None:
    assert gather_digits("12345#", "#", None) == ("12345", "#")
    assert gather_digits("12#45", "#", None) == ("12", "#")
    assert gather_digits("12345", "#", 3) == ("123", "")
    assert gather_digits("#", "#", None) == ("", "#")
    assert gather_digits("12#", "", None) == ("12#", "")


def test_each_gather_takes_the_next_input_after_a_think_time() -> None:
    caller = ScriptedCaller(parse_script("press 1, enter 12345#"), start=0.0)
    first = caller.plan_gather(listen_at=3.0, timeout=5, kinds=DTMF)
    assert (first.at, first.keys) == (4.0, "1")
    caller.commit(first.state)
    second = caller.plan_gather(listen_at=10.0, timeout=5, kinds=DTMF)
    assert (second.at, second.keys) == (11.0, "12345#")
    caller.commit(second.state)
    # nothing left: silence until the gather times out
    third = caller.plan_gather(listen_at=20.0, timeout=5, kinds=DTMF)
    assert third.timed_out and third.at == 25.0


def test_an_uncommitted_plan_leaves_the_input_for_later() -> None:
    caller = ScriptedCaller(parse_script("press 2"), start=0.0)
    caller.plan_gather(listen_at=1.0, timeout=5, kinds=DTMF)  # pre-empted, never committed
    assert caller.plan_gather(listen_at=9.0, timeout=5, kinds=DTMF).keys == "2"


def test_a_bare_wait_lets_exactly_one_gather_time_out() -> None:
    caller = ScriptedCaller(parse_script("wait, press 3"), start=0.0)
    first = caller.plan_gather(listen_at=2.0, timeout=5, kinds=DTMF)
    assert first.timed_out and first.at == 7.0
    caller.commit(first.state)
    second = caller.plan_gather(listen_at=9.0, timeout=5, kinds=DTMF)
    assert (second.at, second.keys) == (10.0, "3")


def test_a_timed_wait_is_silence_across_gathers() -> None:
    caller = ScriptedCaller(parse_script("wait 12, press 4"), start=0.0)
    first = caller.plan_gather(listen_at=0.0, timeout=5, kinds=DTMF)
    assert first.timed_out and first.at == 5.0
    caller.commit(first.state)
    second = caller.plan_gather(listen_at=6.0, timeout=5, kinds=DTMF)
    assert second.timed_out and second.at == 11.0
    caller.commit(second.state)
    # silence ends at 12 s; the key comes one think time later, inside this gather's window
    third = caller.plan_gather(listen_at=11.5, timeout=5, kinds=DTMF)
    assert (third.at, third.keys) == (13.0, "4")


def test_speech_needs_a_speech_gather_and_takes_time_to_say() -> None:
    caller = ScriptedCaller(parse_script("say I want to pay my bill"), start=0.0)
    assert caller.plan_gather(listen_at=0.0, timeout=5, kinds=DTMF).timed_out
    heard = caller.plan_gather(listen_at=0.0, timeout=5, kinds=SPEECH)
    assert heard.speech == "I want to pay my bill"
    assert heard.at == pytest.approx(1.0 + 6 / 2.5)


def test_hang_up_step_comes_a_moment_after_the_step_before() -> None:
    caller = ScriptedCaller(parse_script("press 1, hang up"), start=0.0)
    assert caller.scripted_hangup_at() is None
    outcome = caller.plan_gather(listen_at=2.0, timeout=5, kinds=DTMF)
    caller.commit(outcome.state)
    assert caller.scripted_hangup_at() == 4.0
    assert caller.plan_gather(listen_at=3.5, timeout=5, kinds=DTMF).hangup


def test_parking_starts_a_wait_that_ends_in_a_hang_up() -> None:
    caller = ScriptedCaller(parse_script("wait 30, hang up"), start=0.0)
    assert caller.scripted_hangup_at() is None
    caller.park(now=10.0)
    assert caller.scripted_hangup_at() == 40.0
    assert ScriptedCaller(parse_script("hang up after 40"), start=5.0).deadline == 45.0


def test_record_takes_the_next_speak_step() -> None:
    caller = ScriptedCaller(parse_script("speak 12"), start=0.0)
    outcome = caller.plan_record(start_at=3.0, max_length=60, silence_timeout=5, finish_keys="#")
    assert (outcome.seconds, outcome.at) == (12.0, 20.0)
    capped = ScriptedCaller(parse_script("speak 90"), start=0.0).plan_record(0.0, 60, 5, "#")
    assert (capped.seconds, capped.at) == (60.0, 60.0)
    silent = ScriptedCaller(parse_script(""), start=0.0).plan_record(0.0, 60, 5, "#")
    assert (silent.seconds, silent.at) == (0.0, 5.0)


def test_callee_behaviours() -> None:
    assert Callee().caller_script().hangup_after_s is None
    assert Callee(talk_s=30).caller_script().hangup_after_s == 30
    assert Callee("machine").caller_script().hangup_after_s == 60.0
    assert Callee(script="press 1").caller_script().steps == (Digits("1"),)
    assert not Callee("busy").answers
    with pytest.raises(ValueError):
        Callee("voicemail")
