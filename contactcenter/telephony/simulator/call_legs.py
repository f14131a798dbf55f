"""Call legs: ringing and answering outbound calls, machine detection, and how every call ends.

A call's end is one place (`_finish`) so queues, dials, conferences and callbacks are always
released in the same order whatever ended it.
"""

from __future__ import annotations

from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.callers import Callee, ScriptedCaller
from contactcenter.telephony.simulator.engine_core import AMD_SECONDS, EngineCore
from contactcenter.telephony.simulator.model import Program, SimCall


class CallLegs(EngineCore):
    """Outbound legs and call endings of the engine (see the module docstring)."""

    # ---------------------------------------------------------------- outbound legs
    def _ring(self, call: SimCall) -> None:
        """Progress an outbound leg: initiated, ringing, then answer, busy, no-answer or failed."""
        callee = self._callee(call.to)
        now = self._now()
        self._status_callback(call, "initiated")
        device = self._device_for(call.to)
        if device is not None:
            self._ring_device(call, device)
            return
        ringing = lambda: call.status in ("queued", "ringing")  # noqa: E731
        if callee.answer == "failed":
            self._later(now, ringing, lambda: self._finish(call, "call failed", status="failed"))
            return
        call.status = "ringing"
        if call.participant is not None:
            call.participant.status = "ringing"
        call.note(now, "status", f"ringing {call.to}")
        self._status_callback(call, "ringing")
        if callee.answer == "busy" and callee.ring_s < call.timeout_s:
            self._later(now + callee.ring_s, ringing, lambda: self._finish(call, "busy", status="busy"))
        elif callee.answers and callee.ring_s < call.timeout_s:
            self._later(now + callee.ring_s, ringing, lambda: self._answered(call, callee))
        else:
            self._later(now + call.timeout_s, ringing, lambda: self._finish(call, "no answer", status="no-answer"))

    def _answered(self, call: SimCall, callee: Callee) -> None:
        now = self._now()
        call.status, call.answered_at = "in-progress", now
        call.caller = ScriptedCaller(callee.caller_script(), now)
        call.note(now, "status", f"answered by {callee.answer}")
        self._status_callback(call, "answered")
        self._arm_caller(call)
        if call.purpose == "bridge":
            self._bridge(call)
        elif call.purpose == "conference":
            assert call.participant is not None
            participant = call.participant
            call.participant = None
            self._join(participant)
        elif call.machine_detection:
            kind = callee.answer
            if kind == "machine" and call.machine_detection.lower() == "detectmessageend":
                answered_by, delay = "machine_end_beep", callee.greeting_s
            else:
                answered_by = {"human": "human", "machine": "machine_start"}.get(kind, "unknown")
                delay = AMD_SECONDS.get(kind, AMD_SECONDS["unknown"])
            self._later(now + delay, lambda: not call.ended, lambda: self._detected(call, answered_by))
        else:
            self._start_outbound_twiml(call)

    def _detected(self, call: SimCall, answered_by: str) -> None:
        call.answered_by = answered_by
        call.note(self._now(), "status", f"machine detection: {answered_by}")
        self._start_outbound_twiml(call)

    def _start_outbound_twiml(self, call: SimCall) -> None:
        if call.twiml is not None:
            self._run_inline_twiml(call, call.twiml)
        elif call.voice_url:
            self._fetch(call, call.voice_url, call.voice_method, {}, "main", first=True)

    def _run_inline_twiml(self, call: SimCall, text: str) -> None:
        try:
            doc = tw.parse_twiml(text, "")
        except tw.TwimlError as exc:
            self._app_error(call, f"invalid TwiML: error {exc.code}: {exc}")
            return
        prog = Program(context="main", url="", doc=doc, started_at=self._now())
        call.program = prog
        self._step(call, prog)

    # ---------------------------------------------------------------- the end of a call
    def _caller_hangup(self, call: SimCall) -> None:
        self._finish(call, "caller hung up")

    def _finish(self, call: SimCall, reason: str, *, status: str | None = None) -> None:
        """End `call`. Actions Twilio still requests after a hang-up go out before the status callback."""
        if call.ended:
            return
        now = self._now()
        if status is None:
            status = "completed" if call.answered_at is not None or call.direction == "inbound" else "canceled"
        finals: list[tuple[str, str, dict[str, str]]] = []
        hung_up = reason == "caller hung up"
        # the queue
        left = self._leave_queue(call, "hangup")
        if left is not None:
            verb, waited, queue = left
            if verb.action and hung_up:
                finals.append(
                    (
                        verb.action,
                        verb.method,
                        {"QueueResult": "hangup", "QueueSid": queue.sid, "QueueTime": str(int(waited))},
                    )
                )
        # the conference
        participant = call.participant
        if participant is not None and participant.connected:
            joined = participant.joined_at or now
            self._leave_conference(call, "hangup")
            verb_c = call.conference_dial
            if verb_c is not None and verb_c.action and hung_up:
                finals.append(
                    (
                        verb_c.action,
                        verb_c.method,
                        {"DialCallStatus": "completed", "DialCallDuration": str(int(round(now - joined)))},
                    )
                )
        call.conference_dial = None
        # a <Dial> in progress
        if call.dial is not None:
            state = call.dial
            outcome = "completed" if state.bridged is not None else "canceled"
            params = self._dial_params(call, outcome)
            call.dial = None
            for leg in state.legs:
                self._finish(
                    leg, "other party hung up" if leg is state.bridged else "caller hung up first", status=None
                )
            if state.verb.action and hung_up:
                finals.append((state.verb.action, state.verb.method, params))
        # a <Record> in progress
        if call.recording is not None:
            rec = call.recording
            call.recording = None
            spoken = min(rec.outcome.seconds, now - rec.started_at)
            if spoken > 0 and hung_up:
                finals.append(
                    (rec.verb.action, rec.verb.method, self._recording_params(call, rec.verb, spoken, hangup=True))
                )
        call.status, call.ended_at, call.end_reason = status, now, reason
        call.program = None
        call.music = None
        call.note(now, "end", f"{status}: {reason}")
        for url, method, params in finals:
            self._fire_and_forget(call, url, method, params)
        self._status_callback(call, "completed")
        self._end_recordings(call)
        # the other side of a bridge or a pending conference leg
        if call.direction == "outbound-dial":
            self._leg_ended(call)
        if participant is not None and not participant.connected and participant.status != "complete":
            participant.status = "failed"
            participant.conference.participants.pop(call.sid, None)
        call.done.set()

    def _detach_for_redirect(self, call: SimCall) -> None:
        """New TwiML for a call: it leaves its queue, conference, dial or recording first."""
        self._leave_queue(call, "redirected")
        self._leave_conference(call, "redirected")
        call.conference_dial = None
        if call.dial is not None:
            state = call.dial
            call.dial = None
            for leg in state.legs:
                self._finish(leg, "caller redirected", status=None)
        call.recording = None
        call.music = None
        call.program = None
        self._answer(call)
