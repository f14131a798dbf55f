"""What the simulated carrier keeps about calls, queues and conferences (its "database").

Plain mutable records guarded by the carrier's lock; the REST API reads them to build Twilio's
JSON, and `CallHandle` reads them for tests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import NamedTuple

from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.callers import RecordOutcome, ScriptedCaller

TERMINAL = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def rfc2822(when: datetime) -> str:
    """Twilio's date format: 'Mon, 05 Jan 2026 09:00:00 +0000'."""
    return format_datetime(when.astimezone(UTC))


class TranscriptEntry(NamedTuple):
    """One thing that happened on a call; `t` is seconds since the call was created.

    Kinds: heard (a <Say>), play, pause, digits, speech, timeout (a <Gather> got nothing),
    record, webhook ("POST url -> 200"), callback (status callbacks), queue, conference, dial,
    hold, music, error (application errors and TwiML the carrier refused), status, end.
    """

    t: float
    kind: str
    detail: str


@dataclass(eq=False)
class Program:
    """A TwiML document being executed on a call, and where execution is.

    `context` is "main" (the call's own TwiML), "queue-wait", "conference-wait" or "hold" (music
    documents that loop while the call waits). A scheduled continuation stays valid only while
    its program is still the call's current one, which is how a REST redirect cancels whatever
    the call was doing.
    """

    context: str
    url: str
    doc: tw.TwimlDocument | None = None
    index: int = 0
    loop_url: str | None = None
    loop_method: str = "POST"
    started_at: float = 0.0
    end_reason: str = "end of TwiML document"


@dataclass(eq=False)
class DialState:
    verb: tw.Dial
    started_at: float
    legs: list[SimCall] = field(default_factory=list)
    bridged: SimCall | None = None
    bridged_at: float | None = None


@dataclass(eq=False)
class RecordState:
    verb: tw.Record
    started_at: float
    outcome: RecordOutcome


@dataclass(eq=False)
class SimCall:
    sid: str
    account_sid: str
    from_: str
    to: str
    direction: str
    created_at: float
    status: str = "queued"
    parent_call_sid: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    end_reason: str = ""
    answered_by: str | None = None
    caller: ScriptedCaller | None = None
    # where TwiML comes from
    voice_url: str | None = None
    voice_method: str = "POST"
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    machine_detection: str | None = None
    timeout_s: float = 60.0
    # status callbacks
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: frozenset[str] = frozenset({"completed"})
    sequence: int = 0
    transcript: list[TranscriptEntry] = field(default_factory=list)
    # what the call is doing now
    program: Program | None = None
    music: Program | None = None
    queue: SimQueue | None = None
    enqueue_verb: tw.Enqueue | None = None
    enqueued_at: float = 0.0
    participant: SimParticipant | None = None
    conference_dial: tw.Dial | None = None
    dial: DialState | None = None
    recording: RecordState | None = None
    bridged_to: SimCall | None = None  # for a dialled leg: the parent it is bridged with
    purpose: str = "url"  # what an answered outbound leg does: url | conference | bridge
    armed: set[float] = field(default_factory=set)  # hang-up times already scheduled
    fetch_instant: float = -1.0
    fetch_streak: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL

    def note(self, now: float, kind: str, detail: str) -> None:
        self.transcript.append(TranscriptEntry(round(now - self.created_at, 6), kind, detail))

    def duration_s(self) -> int | None:
        if self.ended_at is None:
            return None
        if self.answered_at is None:
            return 0
        return int(round(self.ended_at - self.answered_at))


@dataclass(eq=False)
class SimQueue:
    sid: str
    name: str
    account_sid: str
    created_at: float
    max_size: int = 1000
    members: list[SimCall] = field(default_factory=list)


@dataclass(eq=False)
class SimParticipant:
    call: SimCall
    conference: SimConference
    created_at: float
    via_rest: bool
    status: str = "queued"
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_on_enter: bool = True
    end_on_exit: bool = False
    label: str | None = None
    wait_url: str | None = None
    wait_method: str = "POST"
    hold_url: str | None = None
    hold_method: str = "GET"
    joined_at: float | None = None
    updated_at: float = 0.0

    @property
    def connected(self) -> bool:
        return self.status == "connected"


@dataclass(eq=False)
class SimConference:
    sid: str
    friendly_name: str
    account_sid: str
    created_at: float
    status: str = "init"
    updated_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    reason_ended: str | None = None
    call_sid_ending: str | None = None
    participants: dict[str, SimParticipant] = field(default_factory=dict)
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: frozenset[str] = frozenset()
    sequence: int = 0

    def connected(self) -> list[SimParticipant]:
        return [p for p in self.participants.values() if p.connected]


@dataclass(frozen=True)
class OwnedNumber:
    number: str
    voice_url: str
    voice_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"


@dataclass(eq=False)
class SimRecording:
    """A call recording started through the REST API (`POST /Calls/{sid}/Recordings.json`)."""

    sid: str
    call: SimCall
    created_at: float
    channels: int = 2
    status: str = "in-progress"  # in-progress, paused, stopped, completed, absent, deleted
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: frozenset[str] = frozenset({"completed"})
    paused_since: float | None = None
    pauses: list[tuple[float, float]] = field(default_factory=list)  # (from, to) in carrier seconds
    ended_at: float | None = None
    audio: bytes | None = None
    updated_at: float = 0.0

    def duration_s(self) -> int | None:
        if self.ended_at is None:
            return None
        return int(round(self.ended_at - self.created_at))
