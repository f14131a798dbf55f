"""Scripted callers and callees: who is on the far end of a simulated call, and what they do.

A `CallerScript` is a list of steps, written compactly as text::

    parse_script("press 1, enter 12345#, wait 5, hang up after 40")

Steps and their meaning (case-insensitive, separated by commas, semicolons or new lines):

- ``press 1`` / ``enter 12345#``: DTMF keys, given to the next <Gather> that listens, one think
  time (1 s) after it starts listening. The finish key is stripped and numDigits truncates, as
  Twilio does.
- ``say I want to pay my bill``: speech for a speech <Gather> (quote it to keep commas:
  ``say "yes, please"``); arrives after the think time plus the time it takes to speak.
- ``speak 20``: talk for 20 seconds, for a <Record> (voicemail).
- ``wait`` / ``wait 5``: silence. A bare ``wait`` lets exactly one <Gather> time out. ``wait N``
  is N seconds of silence that starts when the caller is next asked for something (a <Gather> or
  <Record> listens) or parked (in a queue, a conference, a dial); every <Gather> that listens
  during it times out.
- ``hold`` / ``stay on hold``: stay silent on the line from here on.
- ``hang up``: hang up one think time after the step before it completed (so the app still gets
  the digits pressed just before), or one second into the call if it is the first step.
- ``hang up after 40``: the caller's patience: hang up 40 s after the call started, wherever the
  call is then. Without it a caller hangs up after 600 s; ``never hang up`` removes the limit.

When no steps are left the caller stays silent on the line until that deadline, so an enqueued
caller waits until answered or until their patience runs out.

The planning functions are pure (they return the caller's next state instead of changing it)
because the carrier may abandon a plan: a REST redirect can pull a call out of a <Gather> before
the digits arrive, and the caller must then still have them to give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

DEFAULT_PATIENCE_S = 600.0
THINK_S = 1.0
WORDS_PER_SECOND = 2.5


class ScriptError(ValueError):
    """A caller script step could not be understood; the message quotes it."""


# ----------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Digits:
    keys: str


@dataclass(frozen=True)
class Speech:
    text: str


@dataclass(frozen=True)
class Speak:
    seconds: float


@dataclass(frozen=True)
class Wait:
    seconds: float | None = None


@dataclass(frozen=True)
class Hold:
    pass


@dataclass(frozen=True)
class HangUp:
    pass


Step = Digits | Speech | Speak | Wait | Hold | HangUp


def speech_seconds(text: str) -> float:
    """How long speaking `text` takes (~2.5 words a second, at least one second)."""
    return max(1.0, len(text.split()) / WORDS_PER_SECOND)


@dataclass(frozen=True)
class CallerScript:
    steps: tuple[Step, ...] = ()
    hangup_after_s: float | None = DEFAULT_PATIENCE_S
    think_s: float = THINK_S

    def __post_init__(self) -> None:
        if self.hangup_after_s is not None and self.hangup_after_s < 0:
            raise ScriptError("hang up after must not be negative")

    @classmethod
    def parse(cls, text: str) -> CallerScript:
        return parse_script(text)

    def describe(self) -> str:
        """The script in its text form (round-trips through `parse_script`)."""
        parts: list[str] = []
        for step in self.steps:
            if isinstance(step, Digits):
                parts.append(f"{'press' if len(step.keys) == 1 else 'enter'} {step.keys}")
            elif isinstance(step, Speech):
                parts.append(f'say "{step.text}"')
            elif isinstance(step, Speak):
                parts.append(f"speak {_num(step.seconds)}")
            elif isinstance(step, Wait):
                parts.append("wait" if step.seconds is None else f"wait {_num(step.seconds)}")
            elif isinstance(step, Hold):
                parts.append("hold")
            else:
                parts.append("hang up")
        if self.hangup_after_s is None:
            parts.append("never hang up")
        elif self.hangup_after_s != DEFAULT_PATIENCE_S:
            parts.append(f"hang up after {_num(self.hangup_after_s)}")
        return ", ".join(parts)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# ----------------------------------------------------------------------------- text form

_SECONDS = r"(\d+(?:\.\d+)?)\s*(?:s|sec|secs|second|seconds)?"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"^(?:press|enter|dial|type)\s+([0-9*#]+)$", "digits"),
        (r"^(?:say|says)\s+(.+)$", "speech"),
        (rf"^speak(?:\s+for)?\s+{_SECONDS}$", "speak"),
        (rf"^(?:wait|silence|silent)(?:\s+(?:for\s+)?{_SECONDS})?$", "wait"),
        (r"^(?:stay\s+on\s+hold|hold|stay\s+on\s+the\s+line|stay)$", "hold"),
        (rf"^hang\s*up\s+after\s+{_SECONDS}$", "deadline"),
        (r"^never\s+hang\s*up$", "no-deadline"),
        (r"^hang\s*up(?:\s+now)?$", "hangup"),
    )
)


def _split(text: str) -> list[str]:
    """Split on , ; and new lines, except inside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch in ",;\n" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if quoted:
        raise ScriptError(f"unclosed quote in caller script {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_script(text: str, *, hangup_after_s: float | None = DEFAULT_PATIENCE_S) -> CallerScript:
    """Parse the compact text form (see the module docstring) into a `CallerScript`."""
    steps: list[Step] = []
    deadline = hangup_after_s
    for part in _split(text):
        for pattern, kind in _PATTERNS:  # noqa: B007  (`kind` of the matching pattern is read after the loop)
            match = pattern.match(part)
            if match:
                break
        else:
            raise ScriptError(
                f"cannot understand caller step {part!r} (expected press/enter DIGITS, say TEXT, speak N, "
                "wait [N], hold, hang up, hang up after N)"
            )
        if kind == "digits":
            steps.append(Digits(match.group(1)))
        elif kind == "speech":
            spoken = match.group(1).strip()
            if len(spoken) >= 2 and spoken[0] == spoken[-1] == '"':
                spoken = spoken[1:-1]
            steps.append(Speech(spoken))
        elif kind == "speak":
            steps.append(Speak(float(match.group(1))))
        elif kind == "wait":
            steps.append(Wait(float(match.group(1)) if match.group(1) else None))
        elif kind == "hold":
            steps.append(Hold())
        elif kind == "deadline":
            deadline = float(match.group(1))
        elif kind == "no-deadline":
            deadline = None
        else:
            steps.append(HangUp())
    return CallerScript(steps=tuple(steps), hangup_after_s=deadline)


def as_script(
    script: CallerScript | str | None, *, default_patience_s: float | None = DEFAULT_PATIENCE_S
) -> CallerScript:
    if script is None:
        return CallerScript(hangup_after_s=default_patience_s)
    if isinstance(script, CallerScript):
        return script
    return parse_script(script, hangup_after_s=default_patience_s)


# ----------------------------------------------------------------------------- callees


@dataclass(frozen=True)
class Callee:
    """How the far end of an outbound call behaves.

    `answer`: human | machine | unknown (answers; AMD says so) or busy | no-answer | failed.
    `ring_s`: seconds of ringing before answering (or before busy). `talk_s`: hang up this long
    after answering (None: only when the app or the other party ends the call). `script`: how the
    callee responds to <Gather>/<Record>. `greeting_s`: a machine's greeting length, which is how
    long machine detection with DetectMessageEnd takes.
    """

    answer: str = "human"
    ring_s: float = 3.0
    talk_s: float | None = None
    script: CallerScript | str | None = None
    greeting_s: float = 10.0

    def __post_init__(self) -> None:
        if self.answer not in ANSWERS:
            raise ValueError(f"callee answer must be one of {', '.join(sorted(ANSWERS))}, not {self.answer!r}")

    @property
    def answers(self) -> bool:
        return self.answer in ("human", "machine", "unknown")

    def caller_script(self) -> CallerScript:
        script = as_script(self.script, default_patience_s=None)
        if self.talk_s is not None:
            return replace(script, hangup_after_s=self.talk_s)
        if self.answer == "machine" and script.hangup_after_s is None:
            return replace(script, hangup_after_s=60.0)
        return script


ANSWERS = frozenset({"human", "machine", "unknown", "busy", "no-answer", "failed"})


# ----------------------------------------------------------------------------- runtime


@dataclass(frozen=True)
class CallerState:
    cursor: int = 0
    ready_at: float = 0.0  # when the current step became current
    silence_until: float | None = None  # end of the current `wait N`, once started


@dataclass(frozen=True)
class GatherOutcome:
    at: float
    state: CallerState
    keys: str | None = None
    speech: str | None = None
    hangup: bool = False

    @property
    def timed_out(self) -> bool:
        return self.keys is None and self.speech is None and not self.hangup


@dataclass(frozen=True)
class RecordOutcome:
    at: float
    state: CallerState
    seconds: float = 0.0
    hangup: bool = False


def gather_digits(keys: str, finish_on_key: str, num_digits: int | None) -> tuple[str, str]:
    """(Digits, FinishedOnKey) as Twilio posts them for keys pressed during a <Gather>."""
    digits: list[str] = []
    for key in keys:
        if finish_on_key and key == finish_on_key:
            return "".join(digits), key
        digits.append(key)
        if num_digits and len(digits) >= num_digits:
            break
    return "".join(digits), ""


class ScriptedCaller:
    """A script plus the caller's place in it; times are the carrier's seconds."""

    def __init__(self, script: CallerScript, start: float) -> None:
        self.script = script
        self.state = CallerState(ready_at=start)
        self.deadline = None if script.hangup_after_s is None else start + script.hangup_after_s

    def _step(self, state: CallerState) -> Step | None:
        steps = self.script.steps
        return steps[state.cursor] if state.cursor < len(steps) else None

    def _next(self, state: CallerState, at: float) -> CallerState:
        return CallerState(cursor=state.cursor + 1, ready_at=at)

    def _silence(self, state: CallerState, step: Wait, t: float, end: float) -> tuple[CallerState, float | None]:
        """Advance through a `wait` while listening until `end`; returns (state, resume time or None)."""
        if step.seconds is None:
            return self._next(state, end), None
        until = state.silence_until if state.silence_until is not None else t + step.seconds
        if until > end:
            return replace(state, silence_until=until), None
        return self._next(state, until), until

    def plan_gather(self, listen_at: float, timeout: float, kinds: frozenset[str]) -> GatherOutcome:
        """What the caller does for a <Gather> that listens from `listen_at` for `timeout` s."""
        state = self.state
        end = listen_at + timeout
        while True:
            step = self._step(state)
            t = max(listen_at, state.ready_at)
            if step is None or isinstance(step, (Hold, Speak)):
                return GatherOutcome(at=end, state=state)
            if isinstance(step, HangUp):
                return GatherOutcome(at=max(t, state.ready_at + self.script.think_s), state=state, hangup=True)
            if isinstance(step, Wait):
                state, resume = self._silence(state, step, t, end)
                if resume is None:
                    return GatherOutcome(at=end, state=state)
                continue
            start = t + self.script.think_s
            if isinstance(step, Digits):
                if "dtmf" not in kinds or start > end:
                    return GatherOutcome(at=end, state=state)
                return GatherOutcome(at=start, state=self._next(state, start), keys=step.keys)
            if "speech" not in kinds or start > end:
                return GatherOutcome(at=end, state=state)
            done = start + speech_seconds(step.text)
            return GatherOutcome(at=done, state=self._next(state, done), speech=step.text)

    def plan_record(
        self, start_at: float, max_length: float, silence_timeout: float, finish_keys: str
    ) -> RecordOutcome:
        """What the caller does for a <Record> that starts recording at `start_at`."""
        state = self.state
        silence = max(float(silence_timeout), 1.0)
        end = start_at + silence
        while True:
            step = self._step(state)
            t = max(start_at, state.ready_at)
            if step is None or isinstance(step, Hold):
                return RecordOutcome(at=end, state=state)
            if isinstance(step, HangUp):
                return RecordOutcome(at=max(t, state.ready_at + self.script.think_s), state=state, hangup=True)
            if isinstance(step, Wait):
                state, resume = self._silence(state, step, t, end)
                if resume is None:
                    return RecordOutcome(at=end, state=state)
                continue
            if isinstance(step, Digits):
                if step.keys[:1] and step.keys[0] in finish_keys:
                    at = t + self.script.think_s
                    return RecordOutcome(at=at, state=self._next(state, at))
                return RecordOutcome(at=end, state=state)
            talk = step.seconds if isinstance(step, Speak) else speech_seconds(step.text)
            recorded = min(talk, float(max_length))
            done = t + recorded + (silence if talk < max_length else 0.0)
            return RecordOutcome(at=done, state=self._next(state, done), seconds=recorded)

    def commit(self, state: CallerState) -> None:
        self.state = state

    def park(self, now: float) -> None:
        """The caller waits (queue, conference, dial): a pending `wait N` starts running now."""
        step = self._step(self.state)
        if isinstance(step, Wait) and step.seconds is not None and self.state.silence_until is None:
            start = max(now, self.state.ready_at)
            self.state = replace(self.state, silence_until=start + step.seconds)

    def scripted_hangup_at(self) -> float | None:
        """When a `hang up` step will happen if nothing else consumes steps first."""
        state = self.state
        step = self._step(state)
        if isinstance(step, HangUp):
            # a moment after the step before it, so the app still hears about that step
            return state.ready_at + self.script.think_s
        if isinstance(step, Wait) and state.silence_until is not None:
            following = self.script.steps[state.cursor + 1] if state.cursor + 1 < len(self.script.steps) else None
            if isinstance(following, HangUp):
                return state.silence_until
        return None
