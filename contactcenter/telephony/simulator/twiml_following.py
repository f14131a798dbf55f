"""Following TwiML: fetching documents and running their verbs (`<Say>`, `<Gather>`, `<Record>`...).

The interpreter takes one verb at a time and schedules the rest, so a REST redirect or a
hang-up can pre-empt a document between any two verbs, as on the real network.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from contactcenter.telephony.simulator import twiml_reader as tw
from contactcenter.telephony.simulator.callers import gather_digits, speech_seconds
from contactcenter.telephony.simulator.engine_core import (
    API_VERSION,
    APP_ERROR_MESSAGE,
    MAX_FETCHES_PER_INSTANT,
    MAX_HEARD_LOOPS,
    PLAY_SECONDS,
    SPEECH_CONFIDENCE,
    EngineCore,
)
from contactcenter.telephony.simulator.model import Program, RecordState, SimCall, rfc2822


class TwimlFollowing(EngineCore):
    """The TwiML interpreter of the engine (see the module docstring)."""

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
                self._later(self._now() + duration, guard, functools.partial(self._play_then, call, prog, rest, then))
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
