"""How simulated calls behave: the TwiML interpreter, queues, dials, conferences, endings.

Everything happens as events on one scheduler. An event takes the carrier's lock, decides, and
schedules what comes next; a webhook is an event of its own that builds its parameters under
the lock, posts *without* it (the app may call the REST API back, from this thread in process or
from another over HTTP), then takes the lock again and acts on the reply only if the call is
still where it was. That last check is what lets a REST redirect, a hang-up or a conference
ending pre-empt whatever a call was doing, as on the real network.

`SimulatedCarrier` (carrier.py) adds the public and REST-facing operations on top.
"""

from __future__ import annotations

import random
import threading
from typing import Callable, Mapping
from urllib.parse import urlencode, urlsplit

from contactcenter.clock import Clock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.signatures import SignatureChecker
from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.callers import Callee, ScriptedCaller, gather_digits, speech_seconds
from contactcenter.telephony.simulator.model import (
    DialState,
    OwnedNumber,
    Program,
    RecordState,
    SimCall,
    SimConference,
    SimParticipant,
    SimQueue,
    rfc2822,
)
from contactcenter.telephony.simulator.scheduler import EventScheduler
from contactcenter.telephony.simulator.transport import WebhookTransport

API_VERSION = "2010-04-01"
APP_ERROR_MESSAGE = "We are sorry, an application error has occurred. Goodbye."
PLAY_SECONDS = 5.0  # a <Play> of unknown length
MAX_HEARD_LOOPS = 20  # transcript entries for one looping <Say>
MAX_FETCHES_PER_INSTANT = 50  # documents fetched with no time passing: a redirect loop
AUDIO_SUFFIXES = (".mp3", ".wav", ".aif", ".aiff", ".gsm", ".ulaw", ".ogg")
AMD_SECONDS = {"human": 2.0, "machine": 4.0, "unknown": 5.0}
SPEECH_CONFIDENCE = "0.92"
CONFERENCE_EVENT_NAMES = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "participant-modify": "modify",
}

Guard = Callable[[], bool]


class CarrierEngine:
    """The carrier's state and the rules calls follow; every method runs under `self.lock`."""

    def __init__(
        self,
        transport: WebhookTransport,
        *,
        account_sid: str = SIMULATOR_ACCOUNT_SID,
        auth_token: str = SIMULATOR_AUTH_TOKEN,
        clock: Clock | None = None,
        seed: int = 0,
        duplicate_status_callbacks: bool = False,
        default_callee: Callee | None = None,
    ) -> None:
        """`transport` delivers webhooks to the app. `account_sid`/`auth_token` sign webhooks
        and guard the REST API (the simulator defaults match `contactcenter.config`). `clock`: a
        ManualClock for virtual time, None for the process clock (real time). `seed` makes SIDs
        repeatable. `duplicate_status_callbacks` delivers every status callback twice, as a
        carrier retry would, to prove the app is idempotent. `default_callee` answers numbers
        that `set_callee` did not configure.
        """
        self.transport = transport
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.scheduler = EventScheduler(clock)
        self.lock = threading.RLock()
        self.duplicate_status_callbacks = duplicate_status_callbacks
        self.default_callee = default_callee or Callee()
        self._signer = SignatureChecker(auth_token)
        self._rng = random.Random(seed)
        self._tokens = random.Random(f"idempotency-{seed}")
        self._numbers: dict[str, OwnedNumber] = {}
        self._callees: dict[str, Callee] = {}
        self._calls: dict[str, SimCall] = {}
        self._queues: dict[str, SimQueue] = {}
        self._conferences: dict[str, SimConference] = {}
        self._active_conferences: dict[str, SimConference] = {}  # by friendly name
        self.webhook_count = 0

    # ================================================================ identifiers and records
    def _sid(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(128):032x}"

    def _new_call(self, from_: str, to: str, direction: str, *, status: str = "queued") -> SimCall:
        call = SimCall(
            sid=self._sid("CA"),
            account_sid=self.account_sid,
            from_=from_,
            to=to,
            direction=direction,
            created_at=self.scheduler.now(),
            status=status,
        )
        self._calls[call.sid] = call
        return call

    def _callee(self, address: str) -> Callee:
        return self._callees.get(address, self.default_callee)

    # ================================================================ scheduling helpers
    def _now(self) -> float:
        return self.scheduler.now()

    def _later(self, at: float, guard: Guard | None, action: Callable[[], None]) -> None:
        def run() -> None:
            with self.lock:
                if guard is None or guard():
                    action()

        self.scheduler.call_at(at, run)

    def _live(self, call: SimCall, prog: Program) -> Guard:
        return lambda: not call.ended and (call.program is prog or call.music is prog)

    # ================================================================ webhooks
    def _call_params(self, call: SimCall) -> dict[str, str]:
        params = {
            "CallSid": call.sid,
            "AccountSid": call.account_sid,
            "From": call.from_,
            "To": call.to,
            "CallStatus": call.status,
            "Direction": call.direction,
            "ApiVersion": API_VERSION,
            "Called": call.to,
            "Caller": call.from_,
        }
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        if call.parent_call_sid:
            params["ParentCallSid"] = call.parent_call_sid
        return params

    def _token(self) -> str:
        return f"{self._tokens.getrandbits(128):032x}"

    def _send(self, url: str, method: str, params: Mapping[str, str], token: str) -> tuple[int, str]:
        """Sign and deliver one webhook; never raises (a failure is a status, as for Twilio)."""
        self.webhook_count += 1
        headers = {"User-Agent": "TwilioProxy/1.1", "I-Twilio-Idempotency-Token": token}
        try:
            if method == "GET":
                full = url + ("&" if "?" in url else "?") + urlencode(params) if params else url
                headers["X-Twilio-Signature"] = self._signer.sign(full, {})
                return self.transport.get(full, headers)
            headers["X-Twilio-Signature"] = self._signer.sign(url, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.transport.post(url, params, headers)
        except Exception as exc:  # a broken transport is an unreachable app, not a carrier crash
            return 0, f"{type(exc).__name__}: {exc}"

    def _webhook(
        self,
        call: SimCall | None,
        url: str,
        method: str,
        extra: Mapping[str, str],
        *,
        guard: Guard | None,
        on_reply: Callable[[int, str], None] | None,
        kind: str = "webhook",
        params: Callable[[], dict[str, str]] | None = None,
        token: str | None = None,
    ) -> None:
        """Schedule a webhook now; `on_reply` runs under the lock if `guard` still holds after.

        `token` is the I-Twilio-Idempotency-Token; a redelivery of the same request reuses it.
        """
        token = token or self._token()

        def run() -> None:
            with self.lock:
                if guard is not None and not guard():
                    return
                if params is not None:
                    body = params()
                else:
                    assert call is not None
                    body = {**self._call_params(call), **extra}
            status, text = self._send(url, method, body, token)
            with self.lock:
                if call is not None:
                    call.note(self._now(), kind, f"{method} {url} -> {status or 'no response'}")
                if on_reply is not None and (guard is None or guard()):
                    on_reply(status, text)

        self.scheduler.call_at(self._now(), run)

    def _fire_and_forget(self, call: SimCall, url: str, method: str, extra: Mapping[str, str]) -> None:
        """An action request made after the caller hung up: Twilio sends it, ignores the reply."""
        self._webhook(call, url, method, extra, guard=None, on_reply=None)

    def _status_callback(self, call: SimCall, event: str) -> None:
        if not call.status_callback or event not in call.status_events:
            return
        now = self._now()
        extra: dict[str, str] = {
            "Timestamp": rfc2822(self.scheduler.datetime_at(now)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(call.sequence),
        }
        call.sequence += 1
        if event == "initiated":
            extra["CallStatus"] = "initiated"
        if call.ended:
            extra["CallDuration"] = str(call.duration_s() or 0)
        snapshot = {**self._call_params(call), **extra}
        url, method = call.status_callback, call.status_callback_method
        token = self._token()
        for _ in range(2 if self.duplicate_status_callbacks else 1):
            self._webhook(
                call,
                url,
                method,
                {},
                guard=None,
                on_reply=None,
                kind="callback",
                params=lambda: dict(snapshot),
                token=token,
            )

    # ================================================================ documents
    def _fetch(
        self,
        call: SimCall,
        url: str,
        method: str,
        extra: Mapping[str, str],
        context: str,
        *,
        first: bool = False,
        loop_url: str | None = None,
        loop_method: str = "POST",
        extra_params: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        """Request TwiML for `context` ("main" or a music context) and run it when it arrives."""
        now = self._now()
        if call.fetch_instant == now:
            call.fetch_streak += 1
        else:
            call.fetch_instant, call.fetch_streak = now, 0
        if call.fetch_streak > MAX_FETCHES_PER_INSTANT:
            if context == "main":
                self._app_error(
                    call, f"more than {MAX_FETCHES_PER_INSTANT} documents fetched with no time passing (redirect loop)"
                )
            else:
                call.note(now, "error", "wait document loops without taking time; waiting in silence")
                call.music = None
            return
        prog = Program(context=context, url=url, loop_url=loop_url, loop_method=loop_method, started_at=now)
        if context == "main":
            call.program = prog
        else:
            call.music = prog
        guard = self._live(call, prog)

        def build() -> dict[str, str]:
            params = {**self._call_params(call), **extra}
            if extra_params is not None:
                params.update(extra_params())
            return params

        def on_reply(status: int, text: str) -> None:
            self._on_document(call, prog, url, status, text, first=first)

        self._webhook(call, url, method, extra, guard=guard, on_reply=on_reply, params=build)

    def _on_document(self, call: SimCall, prog: Program, url: str, status: int, text: str, *, first: bool) -> None:
        now = self._now()
        problem: str | None = None
        error_code = "11200"  # HTTP retrieval failure
        doc: tw.TwimlDocument | None = None
        if not 200 <= status < 300:
            detail = text.strip().splitlines()[-1] if text.strip() else ""
            problem = f"HTTP {status or 'no response'} from {url}" + (f": {detail[:200]}" if detail else "")
        else:
            try:
                doc = tw.parse_twiml(text, url)
            except tw.TwimlError as exc:
                # Reported with Twilio's code, as its debugger and the fallback URL get it.
                error_code = str(exc.code)
                problem = f"invalid TwiML from {url}: error {exc.code}: {exc}"
        if problem is not None:
            if prog.context != "main":
                call.note(now, "error", f"{problem}; waiting in silence")
                call.music = None
                return
            if first and call.fallback_url and url != call.fallback_url:
                call.note(now, "error", problem)
                self._fetch(
                    call, call.fallback_url, call.fallback_method, {"ErrorCode": error_code, "ErrorUrl": url}, "main"
                )
                return
            self._app_error(call, problem)
            return
        assert doc is not None
        prog.doc, prog.index, prog.started_at = doc, 0, now
        self._step(call, prog)

    def _app_error(self, call: SimCall, detail: str) -> None:
        """What Twilio does when the app fails: apologise, then end the call as completed."""
        now = self._now()
        call.note(now, "error", detail)
        prog = Program(
            context="main",
            url="",
            end_reason="application error",
            doc=tw.TwimlDocument(url="", verbs=(tw.Say(APP_ERROR_MESSAGE),)),
            started_at=now,
        )
        call.program = prog
        call.music = None
        self._step(call, prog)

    # ================================================================ the interpreter
    def _answer(self, call: SimCall) -> None:
        if call.answered_at is None:
            call.answered_at = self._now()
            call.status = "in-progress"

    def _prompt(self, call: SimCall, item: tw.Prompt) -> float:
        """Play one Say/Play/Pause to the caller; returns how long it takes."""
        now = self._now()
        if isinstance(item, tw.Say):
            loops = item.loop or tw.INFINITE_LOOP
            for _ in range(min(loops, MAX_HEARD_LOOPS)):
                call.note(now, "heard", item.text)
            return speech_seconds(item.text) * loops
        if isinstance(item, tw.Play):
            loops = item.loop or tw.INFINITE_LOOP
            call.note(now, "play", item.url or f"digits {item.digits}")
            return (PLAY_SECONDS if item.url else 0.5 * len(item.digits or "")) * loops
        call.note(now, "pause", f"{item.length} s")
        return float(item.length)

    _ALLOWED = {
        "queue-wait": (tw.Say, tw.Play, tw.Pause, tw.Redirect, tw.Gather, tw.Leave, tw.Hangup),
        "conference-wait": (tw.Say, tw.Play, tw.Pause, tw.Redirect),
        "hold": (tw.Say, tw.Play, tw.Pause, tw.Redirect),
    }

    def _step(self, call: SimCall, prog: Program) -> None:
        """Execute verbs of `prog` until one takes time (then schedule the rest) or the doc ends."""
        assert prog.doc is not None
        while True:
            if call.ended:
                return
            if prog.index >= len(prog.doc.verbs):
                self._document_ended(call, prog)
                return
            verb = prog.doc.verbs[prog.index]
            prog.index += 1
            now = self._now()
            allowed = self._ALLOWED.get(prog.context)
            if allowed is not None and not isinstance(verb, allowed):
                code = "13238 " if prog.context != "queue-wait" else ""
                call.note(
                    now, "error", f"{code}<{type(verb).__name__}> is not allowed in a {prog.context} document; skipped"
                )
                continue
            if prog.context == "main" and not isinstance(verb, (tw.Pause, tw.Redirect, tw.Reject, tw.Leave)):
                self._answer(call)
            guard = self._live(call, prog)
            if isinstance(verb, (tw.Say, tw.Play, tw.Pause)):
                duration = self._prompt(call, verb)
                if duration > 0:
                    self._later(now + duration, guard, lambda: self._step(call, prog))
                    return
            elif isinstance(verb, tw.Gather):
                self._gather(call, prog, verb)
                return
            elif isinstance(verb, tw.Redirect):
                self._fetch(
                    call,
                    verb.url,
                    verb.method,
                    {},
                    prog.context,
                    loop_url=prog.loop_url,
                    loop_method=prog.loop_method,
                    extra_params=self._music_params(call, prog.context),
                )
                return
            elif isinstance(verb, tw.Hangup):
                self._finish(call, "<Hangup>")
                return
            elif isinstance(verb, tw.Reject):
                # Only a <Reject> before anything answered the call leaves it unanswered.
                unanswered = "busy" if verb.reason == "busy" else "no-answer"
                self._finish(
                    call,
                    f"<Reject reason={verb.reason}>",
                    status=unanswered if call.answered_at is None else "completed",
                )
                return
            elif isinstance(verb, tw.Leave):
                if call.queue is not None:
                    self._leave_queue_verb(call)
                    return
                call.note(now, "error", "<Leave> outside a queue; skipped")
            elif isinstance(verb, tw.Enqueue):
                self._enqueue(call, verb)
                return
            elif isinstance(verb, tw.Dial):
                self._dial(call, verb)
                return
            elif isinstance(verb, tw.Record):
                self._record(call, prog, verb)
                return

    def _document_ended(self, call: SimCall, prog: Program) -> None:
        now = self._now()
        if prog.context == "main":
            self._finish(call, prog.end_reason)
            return
        if prog.loop_url is None:
            call.music = None
            return
        if now - prog.started_at <= 0:
            call.note(now, "music", "wait document takes no time; waiting in silence")
            call.music = None
            return
        self._fetch(
            call,
            prog.loop_url,
            prog.loop_method,
            {},
            prog.context,
            loop_url=prog.loop_url,
            loop_method=prog.loop_method,
            extra_params=self._music_params(call, prog.context),
        )

    # ---------------------------------------------------------------- <Gather>
    def _play_then(self, call: SimCall, prog: Program, items: tuple[tw.Prompt, ...], then: Callable[[], None]) -> None:
        guard = self._live(call, prog)
        for index, item in enumerate(items):
            duration = self._prompt(call, item)
            if duration > 0:
                rest = items[index + 1 :]
                self._later(self._now() + duration, guard, lambda: self._play_then(call, prog, rest, then))
                return
        then()

    def _gather(self, call: SimCall, prog: Program, verb: tw.Gather) -> None:
        self._play_then(call, prog, verb.prompts, lambda: self._listen(call, prog, verb))

    def _listen(self, call: SimCall, prog: Program, verb: tw.Gather) -> None:
        assert call.caller is not None
        outcome = call.caller.plan_gather(self._now(), verb.timeout, verb.input)

        def result() -> None:
            assert call.caller is not None
            call.caller.commit(outcome.state)
            self._arm_caller(call)
            now = self._now()
            if outcome.hangup:
                self._finish(call, "caller hung up")
                return
            extra: dict[str, str] | None = None
            if outcome.keys is not None:
                digits, finished = gather_digits(outcome.keys, verb.finish_on_key, verb.num_digits)
                call.note(now, "digits", digits)
                if digits:
                    extra = {"Digits": digits, "FinishedOnKey": finished}
            elif outcome.speech is not None:
                call.note(now, "speech", outcome.speech)
                extra = {"SpeechResult": outcome.speech, "Confidence": SPEECH_CONFIDENCE}
            else:
                call.note(now, "timeout", f"no input within {verb.timeout} s")
            if extra is None:
                if not verb.action_on_empty_result:
                    self._step(call, prog)
                    return
                extra = {"Digits": ""} if "dtmf" in verb.input else {"SpeechResult": ""}
            self._fetch(
                call,
                verb.action,
                verb.method,
                extra,
                prog.context,
                loop_url=prog.loop_url,
                loop_method=prog.loop_method,
                extra_params=self._music_params(call, prog.context),
            )

        self._later(outcome.at, self._live(call, prog), result)

    # ---------------------------------------------------------------- <Record>
    def _record(self, call: SimCall, prog: Program, verb: tw.Record) -> None:
        assert call.caller is not None
        now = self._now()
        if verb.play_beep:
            call.note(now, "record", "beep")
        outcome = call.caller.plan_record(now, verb.max_length, verb.timeout, verb.finish_on_key)
        call.recording = RecordState(verb=verb, started_at=now, outcome=outcome)

        def done() -> None:
            assert call.caller is not None
            call.caller.commit(outcome.state)
            call.recording = None
            if outcome.hangup:
                self._finish(call, "caller hung up")
                return
            self._arm_caller(call)
            if outcome.seconds <= 0:
                call.note(self._now(), "record", "nothing recorded")
                self._step(call, prog)
                return
            params = self._recording_params(call, verb, outcome.seconds)
            self._fetch(call, verb.action, verb.method, params, "main")

        self._later(outcome.at, self._live(call, prog), done)

    def _recording_params(
        self, call: SimCall, verb: tw.Record, seconds: float, *, hangup: bool = False
    ) -> dict[str, str]:
        rec_sid = self._sid("RE")
        url = f"https://api.twilio.com/{API_VERSION}/Accounts/{call.account_sid}/Recordings/{rec_sid}"
        duration = str(int(round(seconds)))
        call.note(self._now(), "record", f"{duration} s recorded as {rec_sid}")
        params = {"RecordingUrl": url, "RecordingSid": rec_sid, "RecordingDuration": duration}
        if hangup:
            params["Digits"] = "hangup"
        if verb.recording_status_callback:
            status_params = {
                "AccountSid": call.account_sid,
                "CallSid": call.sid,
                "RecordingSid": rec_sid,
                "RecordingUrl": url,
                "RecordingStatus": "completed",
                "RecordingDuration": duration,
                "RecordingChannels": "1",
                "RecordingSource": "RecordVerb",
                "RecordingStartTime": rfc2822(self.scheduler.datetime_at(self._now() - seconds)),
            }
            cb, cb_method = verb.recording_status_callback, verb.recording_status_callback_method
            self._later(
                self._now() + 1.0,
                None,
                lambda: self._webhook(
                    call,
                    cb,
                    cb_method,
                    {},
                    guard=None,
                    on_reply=None,
                    kind="callback",
                    params=lambda: dict(status_params),
                ),
            )
        return params

    # ---------------------------------------------------------------- the caller's own clock
    def _arm_caller(self, call: SimCall) -> None:
        """Schedule the caller's hang-ups: the patience deadline and any `hang up` step."""
        caller = call.caller
        if caller is None:
            return
        for at in (caller.deadline, caller.scripted_hangup_at()):
            if at is None or at in call.armed:
                continue
            call.armed.add(at)
            self._later(max(at, self._now()), lambda: not call.ended, lambda: self._caller_hangup_if_due(call))

    def _caller_hangup_if_due(self, call: SimCall) -> None:
        caller = call.caller
        if caller is None:
            return
        now = self._now()
        due = [t for t in (caller.deadline, caller.scripted_hangup_at()) if t is not None and t <= now + 1e-9]
        if due:
            self._finish(call, "caller hung up")

    def _park(self, call: SimCall) -> None:
        if call.caller is not None:
            call.caller.park(self._now())
            self._arm_caller(call)

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

    # ---------------------------------------------------------------- outbound legs
    def _ring(self, call: SimCall) -> None:
        """Progress an outbound leg: initiated, ringing, then answer, busy, no-answer or failed."""
        callee = self._callee(call.to)
        now = self._now()
        self._status_callback(call, "initiated")
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


def _flag(value: bool) -> str:
    return "true" if value else "false"
