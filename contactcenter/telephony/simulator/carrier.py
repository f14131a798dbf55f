"""`SimulatedCarrier`: phone numbers, calls, queues and conferences that behave like Twilio's.

This module is what tests, the demo and the REST API use: setting up numbers and callees,
placing inbound calls, driving time, looking at calls, and the REST operations (create and
update calls, conferences and participants). How calls then behave lives in `engine.py` and the
parts it is assembled from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from contactcenter import clock as clock_mod
from contactcenter.clock import ManualClock
from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.callers import Callee, CallerScript, ScriptedCaller, as_script
from contactcenter.telephony.simulator.engine import CarrierEngine
from contactcenter.telephony.simulator.engine_core import API_VERSION, APP_ERROR_MESSAGE
from contactcenter.telephony.simulator.model import (
    OwnedNumber,
    SimCall,
    SimConference,
    SimParticipant,
    TranscriptEntry,
)
from contactcenter.telephony.simulator.transport import WebhookTransport

__all__ = [
    "API_VERSION",
    "APP_ERROR_MESSAGE",
    "Callee",
    "CallHandle",
    "CarrierError",
    "SimulatedCarrier",
    "TranscriptEntry",
    "virtual_carrier",
]

CALL_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


class CarrierError(Exception):
    """A REST request the carrier refuses, with Twilio's HTTP status and error code."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class CallHandle:
    """A test's view of one call: status, transcript, what the caller heard."""

    def __init__(self, carrier: SimulatedCarrier, call: SimCall) -> None:
        self._carrier = carrier
        self._call = call

    @property
    def sid(self) -> str:
        return self._call.sid

    @property
    def status(self) -> str:
        with self._carrier.lock:
            return self._call.status

    @property
    def ended(self) -> bool:
        with self._carrier.lock:
            return self._call.ended

    @property
    def end_reason(self) -> str:
        with self._carrier.lock:
            return self._call.end_reason

    @property
    def duration_s(self) -> int | None:
        with self._carrier.lock:
            return self._call.duration_s()

    @property
    def answered_by(self) -> str | None:
        return self._call.answered_by

    @property
    def created_at(self) -> datetime:
        return self._carrier.scheduler.datetime_at(self._call.created_at)

    @property
    def ended_after_s(self) -> float | None:
        """Seconds from creation to the end of the call (None while it lasts)."""
        with self._carrier.lock:
            end = self._call.ended_at
            return None if end is None else round(end - self._call.created_at, 6)

    @property
    def transcript(self) -> list[TranscriptEntry]:
        with self._carrier.lock:
            return list(self._call.transcript)

    def entries(self, kind: str) -> list[TranscriptEntry]:
        return [e for e in self.transcript if e.kind == kind]

    def heard(self) -> list[str]:
        """Every <Say> text the caller heard, in order."""
        return [e.detail for e in self.entries("heard")]

    def heard_text(self) -> str:
        return " ".join(self.heard())

    def digits_sent(self) -> list[str]:
        return [e.detail for e in self.entries("digits")]

    def webhooks(self) -> list[str]:
        return [e.detail for e in self.entries("webhook")]

    def hang_up(self) -> None:
        """The caller hangs up now."""
        self._carrier.hang_up(self.sid)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the call ends (real-time mode); True if it did."""
        return self._call.done.wait(timeout_s)

    def __repr__(self) -> str:
        return f"<CallHandle {self.sid} {self._call.from_}->{self._call.to} {self._call.status}>"


class SimulatedCarrier(CarrierEngine):
    """A local Twilio: owns numbers, places and follows calls, hosts queues and conferences.

    Virtual time: pass a `ManualClock` (and install it with `contactcenter.clock.using` so the
    app shares it, or use `virtual_carrier`), then drive with `run_until`, `run_for` or
    `run_until_idle`. Real time: pass no clock (the process clock) and call `start()`; a daemon
    thread runs events when due. Constructor: see `CarrierEngine.__init__`.
    """

    # ================================================================ public: setup and time
    def add_number(
        self,
        number: str,
        voice_url: str,
        status_callback: str | None = None,
        *,
        voice_method: str = "POST",
        status_callback_method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
    ) -> None:
        """Own `number`: calls to it fetch `voice_url`; `status_callback` gets the end of each call."""
        with self.lock:
            self._numbers[number] = OwnedNumber(
                number,
                voice_url,
                voice_method.upper(),
                status_callback,
                status_callback_method.upper(),
                fallback_url,
                fallback_method.upper(),
            )

    def set_callee(self, number: str, callee: Callee | str) -> None:
        """How `number` (or "client:identity") behaves when called; a string is the answer kind."""
        with self.lock:
            self._callees[number] = Callee(answer=callee) if isinstance(callee, str) else callee

    def now(self) -> datetime:
        return self.scheduler.datetime_at(self.scheduler.now())

    def elapsed(self) -> float:
        """Seconds since the carrier was created."""
        return self.scheduler.now()

    def call_at(self, when: datetime | float, callback: Callable[[], None]) -> None:
        """Run `callback` at `when` on the carrier's timeline (e.g. simulated agents acting)."""
        self.scheduler.call_at(self._seconds(when), callback)

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> None:
        self.scheduler.call_later(delay_s, callback)

    def _seconds(self, when: datetime | float) -> float:
        return self.scheduler.seconds_at(when) if isinstance(when, datetime) else float(when)

    def run_until(self, when: datetime | float) -> int:
        """Virtual time: run every event up to `when` (a datetime, or seconds since creation)."""
        return self.scheduler.run_until(self._seconds(when))

    def run_for(self, seconds: float) -> int:
        return self.scheduler.run_until(self.scheduler.now() + seconds)

    def run_until_idle(self, limit_s: float = 3600.0) -> int:
        """Virtual time: run events until none are left, looking at most `limit_s` ahead."""
        return self.scheduler.run_until_idle(limit_s)

    def start(self) -> None:
        """Real time: run events on a daemon thread as they fall due."""
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()

    # ================================================================ public: calls and lookups
    def place_inbound_call(self, from_: str, to: str, script: CallerScript | str | None = None) -> CallHandle:
        """A caller dials one of our numbers and follows `script` (text form or CallerScript)."""
        caller_script = as_script(script)
        with self.lock:
            number = self._numbers.get(to)
            if number is None:
                raise ValueError(f"{to} is not a number this carrier owns (add_number first)")
            now = self.scheduler.now()
            call = self._new_call(from_, to, "inbound", status="ringing")
            call.voice_url, call.voice_method = number.voice_url, number.voice_method
            call.fallback_url, call.fallback_method = number.fallback_url, number.fallback_method
            call.status_callback = number.status_callback
            call.status_callback_method = number.status_callback_method
            call.status_events = frozenset({"completed"})
            call.caller = ScriptedCaller(caller_script, now)
            call.note(now, "status", f"ringing: call from {from_} to {to}")
            self._arm_caller(call)
            self._fetch(call, number.voice_url, number.voice_method, {}, "main", first=True)
            return CallHandle(self, call)

    def call(self, sid: str) -> CallHandle:
        with self.lock:
            return CallHandle(self, self._calls[sid])

    def calls(self) -> list[CallHandle]:
        with self.lock:
            return [CallHandle(self, c) for c in self._calls.values()]

    def hang_up(self, sid: str) -> None:
        """The party on the far end of `sid` hangs up now."""
        with self.lock:
            call = self._calls[sid]
            self._finish(call, "caller hung up")

    def queue_members(self, name: str) -> list[str]:
        with self.lock:
            queue = self._queues.get(name)
            return [c.sid for c in queue.members] if queue else []

    def conference_participants(self, name: str) -> list[str]:
        """Call SIDs connected to the active conference `name` (empty if none)."""
        with self.lock:
            conf = self._active_conferences.get(name)
            return [p.call.sid for p in conf.connected()] if conf else []

    def active_calls(self) -> int:
        with self.lock:
            return sum(1 for c in self._calls.values() if not c.ended)

    # ================================================================ REST operations
    def _not_found(self, path: str) -> CarrierError:
        return CarrierError(
            404, 20404, f"The requested resource /{API_VERSION}/Accounts/{self.account_sid}/{path} was not found"
        )

    def _get_call(self, sid: str) -> SimCall:
        call = self._calls.get(sid)
        if call is None:
            raise self._not_found(f"Calls/{sid}.json")
        return call

    def get_call(self, sid: str) -> SimCall:
        with self.lock:
            return self._get_call(sid)

    def list_calls(
        self, *, to: str | None = None, from_: str | None = None, status: str | None = None
    ) -> list[SimCall]:
        with self.lock:
            calls = [
                c
                for c in self._calls.values()
                if (to is None or c.to == to)
                and (from_ is None or c.from_ == from_)
                and (status is None or c.status == status)
            ]
            return list(reversed(calls))

    def create_call(
        self,
        *,
        to: str,
        from_: str,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        status_callback_events: Iterable[str] = (),
        machine_detection: str | None = None,
        timeout_s: float = 60.0,
        fallback_url: str | None = None,
    ) -> SimCall:
        """POST /Calls.json: an outbound call that rings the callee registered for `to`."""
        if not to:
            raise CarrierError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise CarrierError(400, 21213, "No 'From' number is specified")
        if not url and not twiml:
            raise CarrierError(400, 21205, "Url or Twiml parameter is required")
        if twiml:
            try:
                tw.parse_twiml(twiml, "")
            except tw.TwimlError as exc:
                raise CarrierError(400, exc.code, f"Twiml is not valid: {exc}") from None
        events = _events(status_callback_events)
        with self.lock:
            call = self._new_call(from_, to, "outbound-api")
            call.voice_url, call.voice_method, call.twiml = url, method.upper(), twiml or None
            call.fallback_url = fallback_url
            call.status_callback, call.status_callback_method = status_callback, status_callback_method.upper()
            call.status_events = events
            call.machine_detection = machine_detection or None
            call.timeout_s = max(1.0, min(float(timeout_s), 600.0))
            call.note(self._now(), "status", f"queued: call from {from_} to {to}")
            self._later(self._now(), lambda: call.status == "queued", lambda: self._ring(call))
            return call

    def update_call(
        self,
        sid: str,
        *,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
        status: str | None = None,
    ) -> SimCall:
        """POST /Calls/{sid}.json: redirect to new TwiML, or hang up (completed / canceled)."""
        with self.lock:
            call = self._get_call(sid)
            now = self._now()
            if status is not None:
                if status not in ("completed", "canceled"):
                    raise CarrierError(400, 21218, f"Invalid Status {status!r}: use completed or canceled")
                if call.ended:
                    return call
                if call.status in ("queued", "ringing"):
                    self._finish(call, "hung up via REST", status="canceled")
                elif status == "completed":
                    self._finish(call, "hung up via REST", status="completed")
                return call
            if not url and not twiml:
                raise CarrierError(400, 21205, "Url or Twiml parameter is required")
            if call.ended:
                raise CarrierError(400, 21220, "Call is not in-progress. Cannot redirect.")
            if twiml:
                try:
                    tw.parse_twiml(twiml, "")
                except tw.TwimlError as exc:
                    raise CarrierError(400, exc.code, f"Twiml is not valid: {exc}") from None
            if call.status in ("queued", "ringing"):
                call.voice_url, call.voice_method, call.twiml = url, method.upper(), twiml or None
                return call
            call.note(now, "status", f"redirected via REST to {url or 'inline TwiML'}")
            self._detach_for_redirect(call)
            if twiml:
                self._run_inline_twiml(call, twiml)
            else:
                assert url is not None
                self._fetch(call, url, method.upper(), {}, "main")
            return call

    # ---------------------------------------------------------------- conferences over REST
    def get_conference(self, ref: str) -> SimConference:
        with self.lock:
            conf = self._conference_for(ref, create=False)
            if conf is None:
                raise self._not_found(f"Conferences/{ref}.json")
            return conf

    def list_conferences(self, *, friendly_name: str | None = None, status: str | None = None) -> list[SimConference]:
        with self.lock:
            found = [
                c
                for c in self._conferences.values()
                if (friendly_name is None or c.friendly_name == friendly_name)
                and (status is None or c.status == status)
            ]
            return list(reversed(found))

    def end_conference(self, ref: str) -> SimConference:
        with self.lock:
            conf = self.get_conference(ref)
            self._end_conference(conf, "conference-ended-via-api", None)
            return conf

    def add_participant(
        self,
        conference: str,
        *,
        to: str,
        from_: str,
        muted: bool = False,
        hold: bool = False,
        coaching: bool = False,
        call_sid_to_coach: str | None = None,
        start_on_enter: bool = True,
        end_on_exit: bool = False,
        label: str | None = None,
        wait_url: str | None = None,
        wait_method: str = "POST",
        timeout_s: float = 60.0,
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        status_callback_events: Iterable[str] = (),
        conference_status_callback: str | None = None,
        conference_status_callback_method: str = "POST",
        conference_status_callback_events: Iterable[str] = (),
    ) -> SimParticipant:
        """POST /Conferences/{sid or name}/Participants.json: dial `to` into the conference."""
        if not to:
            raise CarrierError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise CarrierError(400, 21213, "No 'From' number is specified")
        with self.lock:
            conf = self._conference_for(conference, create=True)
            if conf is None:
                raise self._not_found(f"Conferences/{conference}/Participants.json")
            if conf.status == "completed":
                raise CarrierError(400, 20404, f"Conference {conf.sid} has already ended")
            if coaching and not call_sid_to_coach:
                raise CarrierError(400, 21218, "CallSidToCoach is required when Coaching is true")
            if label and any(p.label == label for p in conf.participants.values()):
                raise CarrierError(400, 16026, f"Participant label {label!r} is in use by another participant")
            if call_sid_to_coach and call_sid_to_coach not in conf.participants:
                raise CarrierError(400, 21218, f"CallSidToCoach {call_sid_to_coach} is not a participant of {conf.sid}")
            if conference_status_callback and conf.status_callback is None:
                conf.status_callback = conference_status_callback
                conf.status_callback_method = conference_status_callback_method.upper()
                conf.status_events = frozenset(_split_events(conference_status_callback_events)) or frozenset(
                    {"start", "end"}
                )
            call = self._new_call(from_, to, "outbound-api")
            call.purpose = "conference"
            call.timeout_s = max(1.0, min(float(timeout_s), 600.0))
            call.status_callback, call.status_callback_method = status_callback, status_callback_method.upper()
            call.status_events = _events(status_callback_events)
            now = self._now()
            participant = SimParticipant(
                call=call,
                conference=conf,
                created_at=now,
                via_rest=True,
                muted=muted,
                hold=hold,
                coaching=bool(coaching or call_sid_to_coach),
                call_sid_to_coach=call_sid_to_coach,
                start_on_enter=start_on_enter,
                end_on_exit=end_on_exit,
                label=label,
                wait_url=wait_url,
                wait_method=wait_method.upper(),
                updated_at=now,
            )
            conf.participants[call.sid] = participant
            call.participant = participant
            call.note(now, "conference", f"dialled into {conf.friendly_name} via REST")
            self._later(now, lambda: call.status == "queued", lambda: self._ring(call))
            return participant

    def _get_participant(self, conference: str, call_sid: str) -> SimParticipant:
        conf = self.get_conference(conference)
        participant = conf.participants.get(call_sid)
        if participant is None:
            # Twilio takes the participant's label in place of its call SID.
            participant = next((p for p in conf.participants.values() if p.label and p.label == call_sid), None)
        if participant is None:
            raise self._not_found(f"Conferences/{conf.sid}/Participants/{call_sid}.json")
        return participant

    def get_participant(self, conference: str, call_sid: str) -> SimParticipant:
        with self.lock:
            return self._get_participant(conference, call_sid)

    def list_participants(
        self, conference: str, *, muted: bool | None = None, hold: bool | None = None, coaching: bool | None = None
    ) -> list[SimParticipant]:
        with self.lock:
            conf = self.get_conference(conference)
            return [
                p
                for p in conf.participants.values()
                if (muted is None or p.muted == muted)
                and (hold is None or p.hold == hold)
                and (coaching is None or p.coaching == coaching)
            ]

    def update_participant(
        self,
        conference: str,
        call_sid: str,
        *,
        hold: bool | None = None,
        hold_url: str | None = None,
        hold_method: str | None = None,
        muted: bool | None = None,
        coaching: bool | None = None,
        call_sid_to_coach: str | None = None,
        end_on_exit: bool | None = None,
        wait_url: str | None = None,
    ) -> SimParticipant:
        """POST /Participants/{CallSid}.json: hold, mute, coach (each change a conference event)."""
        with self.lock:
            participant = self._get_participant(conference, call_sid)
            now = self._now()
            if hold_url is not None:
                participant.hold_url = hold_url
            if hold_method is not None:
                participant.hold_method = hold_method.upper()
            if wait_url is not None:
                participant.wait_url = wait_url
            if end_on_exit is not None:
                participant.end_on_exit = end_on_exit
            if muted is not None and muted != participant.muted:
                participant.muted = muted
                participant.call.note(now, "conference", "muted" if muted else "unmuted")
                self._conference_event(
                    participant.conference, "participant-mute" if muted else "participant-unmute", participant
                )
            if call_sid_to_coach is not None:
                participant.call_sid_to_coach = call_sid_to_coach or None
            if coaching is not None and coaching != participant.coaching:
                if coaching and not participant.call_sid_to_coach:
                    raise CarrierError(400, 21218, "CallSidToCoach is required when Coaching is true")
                participant.coaching = coaching
                participant.call.note(
                    now, "conference", f"coaching {participant.call_sid_to_coach}" if coaching else "no longer coaching"
                )
                self._conference_event(participant.conference, "participant-modify", participant)
            if hold is not None:
                self._hold(participant, hold)
            participant.updated_at = now
            return participant

    def remove_participant(self, conference: str, call_sid: str) -> None:
        """DELETE /Participants/{CallSid}.json: kick the call out of the conference."""
        with self.lock:
            participant = self._get_participant(conference, call_sid)
            call = participant.call
            if not participant.connected:
                participant.conference.participants.pop(call.sid, None)
                participant.status = "failed"
                self._finish(call, "removed before answering", status="canceled")
                return
            self._leave_conference(call, "kicked")
            self._conference_left(call, participant)


def _split_events(values: Iterable[str]) -> list[str]:
    return [event for value in values for event in value.replace(",", " ").split()]


def _events(values: Iterable[str]) -> frozenset[str]:
    """StatusCallbackEvent values as Twilio reads them (default: only "completed")."""
    events = frozenset(e.lower() for e in _split_events(values))
    unknown = events - CALL_EVENTS
    if unknown:
        raise CarrierError(400, 21626, f"Invalid StatusCallbackEvent {sorted(unknown)[0]!r}")
    return events or frozenset({"completed"})


@contextmanager
def virtual_carrier(
    transport: WebhookTransport, *, start: datetime | None = None, **options: Any
) -> Iterator[SimulatedCarrier]:
    """A carrier on a fresh ManualClock that is also the project clock while the block runs.

    The app under test then reads the same virtual time as the carrier, e.g. for wait times.
    """
    manual = ManualClock(start)
    with clock_mod.using(manual):
        yield SimulatedCarrier(transport, clock=manual, **options)
