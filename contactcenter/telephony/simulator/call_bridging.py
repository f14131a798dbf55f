"""Where calls meet: `<Enqueue>` queues with their wait music, `<Dial>` bridges and conferences.

Kept together because a call leaves one of these for another (a queued call is dialed into a
conference) and each must be left cleanly before the next begins.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.engine_core import AUDIO_SUFFIXES, CONFERENCE_EVENT_NAMES, EngineCore
from contactcenter.telephony.simulator.model import (
    DialState,
    SimCall,
    SimConference,
    SimParticipant,
    SimQueue,
    rfc2822,
)


class CallBridging(EngineCore):
    """Queues, dials and conferences of the engine (see the module docstring)."""

    # ---------------------------------------------------------------- <Enqueue>
    def _queue(self, name: str) -> SimQueue:
        queue = self._queues.get(name)
        if queue is None:
            queue = SimQueue(sid=self._sid("QU"), name=name, account_sid=self.account_sid, created_at=self._now())
            self._queues[name] = queue
        return queue

    def _queue_params(self, call: SimCall) -> dict[str, str]:
        queue = call.queue
        if queue is None:
            return {}
        now = self._now()
        waits = [now - c.enqueued_at for c in queue.members]
        position = queue.members.index(call) + 1 if call in queue.members else 0
        return {
            "QueueSid": queue.sid,
            "QueuePosition": str(position),
            "QueueTime": str(int(now - call.enqueued_at)),
            "AvgQueueTime": str(int(sum(waits) / len(waits))) if waits else "0",
            "CurrentQueueSize": str(len(queue.members)),
            "MaxQueueSize": str(queue.max_size),
        }

    def _music_params(self, call: SimCall, context: str) -> Callable[[], dict[str, str]] | None:
        if context == "queue-wait":
            return lambda: self._queue_params(call)
        return None

    def _enqueue(self, call: SimCall, verb: tw.Enqueue) -> None:
        now = self._now()
        queue = self._queue(verb.name)
        if len(queue.members) >= queue.max_size:
            call.note(now, "queue", f"{verb.name} is full")
            self._after_enqueue(call, verb, "queue-full", 0.0, queue)
            return
        queue.members.append(call)
        call.queue, call.enqueue_verb, call.enqueued_at = queue, verb, now
        call.note(now, "queue", f"joined {verb.name} at position {len(queue.members)}")
        self._park(call)
        self._start_music(call, "queue-wait", verb.wait_url, verb.wait_url_method)

    def _leave_queue(self, call: SimCall, why: str) -> tuple[tw.Enqueue, float, SimQueue] | None:
        queue, verb = call.queue, call.enqueue_verb
        if queue is None or verb is None:
            return None
        if call in queue.members:
            queue.members.remove(call)
        waited = self._now() - call.enqueued_at
        call.queue, call.enqueue_verb = None, None
        call.music = None
        call.note(self._now(), "queue", f"left {queue.name} after {waited:g} s ({why})")
        return verb, waited, queue

    def _leave_queue_verb(self, call: SimCall) -> None:
        left = self._leave_queue(call, "leave")
        if left is not None:
            verb, waited, queue = left
            self._after_enqueue(call, verb, "leave", waited, queue)

    def _after_enqueue(self, call: SimCall, verb: tw.Enqueue, result: str, waited: float, queue: SimQueue) -> None:
        if verb.action:
            extra = {"QueueResult": result, "QueueSid": queue.sid, "QueueTime": str(int(waited))}
            self._fetch(call, verb.action, verb.method, extra, "main")
        elif call.program is not None and call.program.doc is not None:
            self._step(call, call.program)

    # ---------------------------------------------------------------- music while waiting
    def _start_music(self, call: SimCall, context: str, url: str | None, method: str) -> None:
        now = self._now()
        call.music = None
        if url is None:
            call.note(now, "music", "default hold music")
        elif url == "":
            call.note(now, "music", "silence")
        elif urlsplit(url).path.lower().endswith(AUDIO_SUFFIXES):
            call.note(now, "music", f"looping {url}")
        else:
            self._fetch(
                call,
                url,
                method,
                {},
                context,
                loop_url=url,
                loop_method=method,
                extra_params=self._music_params(call, context),
            )

    # ---------------------------------------------------------------- <Dial>
    def _dial(self, call: SimCall, verb: tw.Dial) -> None:
        conference = verb.conference
        if conference is not None:
            self._join_conference_twiml(call, verb, conference)
            return
        now = self._now()
        unsupported = [t for t in verb.targets if isinstance(t, (tw.QueueNoun, tw.SipNoun))]
        if unsupported:
            self._app_error(
                call, f"the simulated carrier does not support <Dial><{type(unsupported[0]).__name__[:-4]}>"
            )
            return
        state = DialState(verb=verb, started_at=now)
        call.dial = state
        for target in verb.targets:
            address = target.address if isinstance(target, tw.ClientNoun) else target.number  # type: ignore[union-attr]
            leg = self._new_call(verb.caller_id or call.from_, address, "outbound-dial")
            leg.parent_call_sid = call.sid
            leg.purpose = "bridge"
            leg.timeout_s = float(verb.timeout)
            state.legs.append(leg)
            call.note(now, "dial", f"dialling {address}")
            self._ring(leg)
        self._park(call)

    def _bridge(self, leg: SimCall) -> None:
        parent = self._calls.get(leg.parent_call_sid or "")
        if parent is None or parent.ended or parent.dial is None or leg not in parent.dial.legs or parent.dial.bridged:
            self._finish(leg, "nobody to bridge with", status="completed")
            return
        state = parent.dial
        now = self._now()
        state.bridged, state.bridged_at = leg, now
        leg.bridged_to = parent
        parent.note(now, "dial", f"connected to {leg.to}")
        for other in state.legs:
            if other is not leg and not other.ended:
                self._finish(other, "answered elsewhere", status="canceled")

    def _leg_ended(self, leg: SimCall) -> None:
        """A dialled leg ended: the parent's <Dial> is over if no other leg is still trying."""
        parent = self._calls.get(leg.parent_call_sid or "")
        if parent is None or parent.ended or parent.dial is None:
            return
        state = parent.dial
        if state.bridged is not None and state.bridged is not leg:
            return
        if state.bridged is None and any(not other.ended for other in state.legs):
            return
        outcome = "completed" if state.bridged is leg else leg.status
        self._dial_finished(parent, outcome)

    def _dial_params(self, call: SimCall, outcome: str) -> dict[str, str]:
        state = call.dial
        assert state is not None
        bridged = state.bridged
        talked = 0 if state.bridged_at is None else int(round(self._now() - state.bridged_at))
        params = {
            "DialCallStatus": outcome,
            "DialCallDuration": str(talked),
            "DialBridged": "true" if bridged else "false",
        }
        leg = bridged or (state.legs[0] if state.legs else None)
        if leg is not None:
            params["DialCallSid"] = leg.sid
        return params

    def _dial_finished(self, call: SimCall, outcome: str) -> None:
        state = call.dial
        assert state is not None
        params = self._dial_params(call, outcome)
        call.dial = None
        call.note(self._now(), "dial", f"dial ended: {outcome}")
        if state.verb.action:
            self._fetch(call, state.verb.action, state.verb.method, params, "main")
        elif call.program is not None and call.program.doc is not None:
            self._step(call, call.program)

    # ---------------------------------------------------------------- conferences
    def _conference_for(self, ref: str, *, create: bool) -> SimConference | None:
        conf = self._conferences.get(ref) or self._active_conferences.get(ref)
        if conf is None and create and not (ref.startswith("CF") and len(ref) == 34):
            now = self._now()
            conf = SimConference(
                sid=self._sid("CF"), friendly_name=ref, account_sid=self.account_sid, created_at=now, updated_at=now
            )
            self._conferences[conf.sid] = conf
            self._active_conferences[ref] = conf
        return conf

    def _conference_event(self, conf: SimConference, event: str, participant: SimParticipant | None = None) -> None:
        if not conf.status_callback or CONFERENCE_EVENT_NAMES[event] not in conf.status_events:
            return
        params = {
            "ConferenceSid": conf.sid,
            "FriendlyName": conf.friendly_name,
            "AccountSid": conf.account_sid,
            "StatusCallbackEvent": event,
            "Timestamp": rfc2822(self.scheduler.datetime_at(self._now())),
            "SequenceNumber": str(conf.sequence),
        }
        conf.sequence += 1
        if participant is not None:
            params.update(
                {
                    "CallSid": participant.call.sid,
                    "Muted": _flag(participant.muted),
                    "Hold": _flag(participant.hold),
                    "Coaching": _flag(participant.coaching),
                    "EndConferenceOnExit": _flag(participant.end_on_exit),
                    "StartConferenceOnEnter": _flag(participant.start_on_enter),
                }
            )
            if participant.call_sid_to_coach:
                params["CallSidToCoach"] = participant.call_sid_to_coach
            if participant.label:
                params["ParticipantLabel"] = participant.label
        if event == "conference-end":
            params["ReasonConferenceEnded"] = conf.reason_ended or ""
            if conf.call_sid_ending:
                params["CallSidEndingConference"] = conf.call_sid_ending
        anchor = participant.call if participant is not None else None
        url, method = conf.status_callback, conf.status_callback_method
        self._webhook(anchor, url, method, {}, guard=None, on_reply=None, kind="callback", params=lambda: dict(params))

    def _join_conference_twiml(self, call: SimCall, verb: tw.Dial, noun: tw.ConferenceNoun) -> None:
        conf = self._conference_for(noun.name, create=True)
        assert conf is not None
        if conf.status_callback is None and noun.status_callback:
            conf.status_callback = noun.status_callback
            conf.status_callback_method = noun.status_callback_method
            conf.status_events = noun.status_callback_events
        now = self._now()
        participant = SimParticipant(
            call=call,
            conference=conf,
            created_at=now,
            via_rest=False,
            muted=noun.muted,
            coaching=bool(noun.coach),
            call_sid_to_coach=noun.coach,
            start_on_enter=noun.start_on_enter,
            end_on_exit=noun.end_on_exit,
            wait_url=noun.wait_url,
            wait_method=noun.wait_method,
            updated_at=now,
        )
        call.conference_dial = verb
        self._join(participant)

    def _join(self, participant: SimParticipant) -> None:
        conf, call = participant.conference, participant.call
        now = self._now()
        if conf.status == "completed":
            call.note(now, "conference", f"conference {conf.friendly_name} has ended")
            participant.status = "failed"
            if participant.via_rest:
                self._finish(call, "conference ended before joining")
            else:
                self._conference_left(call, participant)
            return
        participant.status, participant.joined_at, participant.updated_at = "connected", now, now
        conf.participants[call.sid] = participant
        conf.updated_at = now
        call.participant = participant
        call.note(now, "conference", f"joined {conf.friendly_name}")
        self._conference_event(conf, "participant-join", participant)
        self._park(call)
        if conf.status == "init":
            connected = conf.connected()
            if len(connected) >= 2 and any(p.start_on_enter for p in connected):
                self._start_conference(conf)
            else:
                self._start_music(call, "conference-wait", participant.wait_url, participant.wait_method)

    def _start_conference(self, conf: SimConference) -> None:
        now = self._now()
        conf.status, conf.started_at, conf.updated_at = "in-progress", now, now
        self._conference_event(conf, "conference-start")
        for p in conf.connected():
            p.call.note(now, "conference", f"{conf.friendly_name} started")
            if not p.hold:
                p.call.music = None

    def _leave_conference(self, call: SimCall, why: str) -> SimParticipant | None:
        """Take `call` out of its conference (why: hangup, kicked, redirected, ended)."""
        participant = call.participant
        if participant is None:
            return None
        conf = participant.conference
        now = self._now()
        participant.status, participant.updated_at = "complete", now
        conf.participants.pop(call.sid, None)
        conf.updated_at = now
        call.participant = None
        call.music = None
        call.note(now, "conference", f"left {conf.friendly_name} ({why})")
        self._conference_event(conf, "participant-leave", participant)
        if conf.status != "completed" and why != "ended":
            suffix = "kicked" if why == "kicked" else "left"
            if participant.end_on_exit:
                self._end_conference(conf, f"participant-with-end-conference-on-exit-{suffix}", call.sid)
            elif not conf.connected():
                self._end_conference(conf, f"last-participant-{suffix}", call.sid)
        return participant

    def _end_conference(self, conf: SimConference, reason: str, ending_call_sid: str | None) -> None:
        if conf.status == "completed":
            return
        now = self._now()
        conf.status, conf.ended_at, conf.updated_at = "completed", now, now
        conf.reason_ended, conf.call_sid_ending = reason, ending_call_sid
        if self._active_conferences.get(conf.friendly_name) is conf:
            del self._active_conferences[conf.friendly_name]
        for participant in list(conf.participants.values()):
            call = participant.call
            if participant.connected:
                self._leave_conference(call, "ended")
                self._conference_left(call, participant)
            else:
                conf.participants.pop(call.sid, None)
                participant.status = "failed"
                self._finish(call, "conference ended before the participant answered", status="canceled")
        self._conference_event(conf, "conference-end")

    def _conference_left(self, call: SimCall, participant: SimParticipant) -> None:
        """After leaving (kicked or conference ended): REST legs hang up, TwiML legs move on."""
        if call.ended:
            return
        if participant.via_rest:
            self._finish(call, "left the conference")
            return
        verb = call.conference_dial
        call.conference_dial = None
        joined = participant.joined_at if participant.joined_at is not None else self._now()
        if verb is not None and verb.action:
            extra = {"DialCallStatus": "completed", "DialCallDuration": str(int(round(self._now() - joined)))}
            self._fetch(call, verb.action, verb.method, extra, "main")
        elif call.program is not None and call.program.doc is not None:
            self._step(call, call.program)
        else:
            self._finish(call, "left the conference")

    def _hold(self, participant: SimParticipant, hold: bool) -> None:
        call, conf = participant.call, participant.conference
        if participant.hold == hold:
            return
        participant.hold = hold
        now = self._now()
        call.note(now, "hold", "on hold" if hold else "off hold")
        self._conference_event(conf, "participant-hold" if hold else "participant-unhold", participant)
        if not participant.connected:
            return
        if hold:
            self._start_music(call, "hold", participant.hold_url, participant.hold_method)
        else:
            call.music = None
            if conf.status == "init":
                self._start_music(call, "conference-wait", participant.wait_url, participant.wait_method)


def _flag(value: bool) -> str:
    return "true" if value else "false"
