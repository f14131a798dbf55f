"""What to do with each carrier webhook, in domain terms.

An inbound caller first meets the IVR (when a flow is loaded); a caller who needs a person waits
in a conference named for the call — the Flex model, where the agent is later added as a
participant. Every answer is a function of stored state, so a replayed webhook changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.acd.models import Queue
from contactcenter.acd.services import AcdService, conference_name
from contactcenter.contacts import interactions
from contactcenter.contacts.interactions import Recorded
from contactcenter.contacts.models import Interaction
from contactcenter.ivr.engine import HandOff, Turn
from contactcenter.ivr.services import IvrService, leave, write_pending
from contactcenter.ivr.session import SessionStore
from contactcenter.sms.surveys import text_call_survey
from contactcenter.telephony.interfaces import (
    CallEvent,
    Conference,
    Enqueue,
    Gather,
    Hangup,
    Instruction,
    Pause,
    Play,
    Record,
    Redirect,
    Say,
)

DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class HookUrls:
    """Absolute URLs of our webhooks as the carrier must call them."""

    voice: str
    status: str
    wait: str  # hold document while in the queue (announcements, callback key)
    queue_key: str = ""  # where a key pressed while waiting is posted
    hold: str = ""  # hold document inside the conference until the agent joins
    overflow_recording: str = ""  # where a message left on overflow to voicemail is posted


class CallService:
    def __init__(
        self,
        session: Session,
        urls: HookUrls,
        *,
        ivr: IvrService | None = None,
        acd: AcdService | None = None,
        default_region: str = "US",
        default_queue: str = "support",
        hold_music_url: str = DEFAULT_HOLD_MUSIC,
        short_abandon_s: float = interactions.SHORT_ABANDON_S,
        ivr_sessions: SessionStore | None = None,
    ) -> None:
        self.session = session
        # Where IVR turns wait to be written: the status callback needs it even when no flow is
        # loaded in this process (the outbox replaying a hang-up, a flow removed mid-call).
        self.ivr_sessions = ivr_sessions or (ivr.store if ivr is not None else None)
        self.urls = urls
        self.ivr = ivr
        self.acd = acd
        self.default_region = default_region
        self.default_queue = default_queue
        self.hold_music_url = hold_music_url
        self.short_abandon_s = short_abandon_s

    # -- webhooks ---------------------------------------------------------------------------
    def answer(self, event: CallEvent) -> list[Instruction]:
        """The carrier's first webhook of a call: greet, and start the IVR or queue the caller."""
        recorded = interactions.open_call(self.session, event, self.default_region)
        call = recorded.interaction
        if call.is_ended:
            return [Hangup()]
        if self.ivr is None:
            greeting = "Thank you for calling."
            if call.customer is not None:
                greeting = f"Hello {call.customer.name.split()[0]}, thank you for calling."
            return [
                Say(greeting),
                Say("Please hold while we connect you to the next available agent."),
                *self._enter_queue(call, self.default_queue, priority=0),
            ]
        if call.queued_at is not None:
            return self._waiting(call)
        if recorded.duplicate:
            return self._after_turn(call, self.ivr.answer(call, -1, duplicate=True))
        return self._after_turn(call, self.ivr.begin(call))

    def ivr_input(
        self,
        event: CallEvent,
        step: int,
        kind: str = "gather",
        dial_status: str | None = None,
        recording_duration: int | None = None,
    ) -> list[Instruction]:
        """The caller answered an IVR prompt (digits, speech, a recording, a transfer result).

        A menu answer from a caller still in the IVR takes the hot path: Redis alone, nothing
        read from or written to the store until the caller leaves the IVR
        (`IvrService.answer_live`). Anything else (an unknown call, one ended or queued, a status
        that moves the call forward, a recording or transfer result) goes through the store."""
        key = f"ivr:{event.call_sid}:{kind}:{step}"
        if self.ivr is not None and kind == "gather":
            answered = self.ivr.answer_live(
                event, step, interactions.event_values(event, key), lambda: self._load(event.call_sid)
            )
            if answered is not None:
                if answered.turn.handoff is None:
                    return list(answered.turn.instructions)
                return self._after_turn(answered.call or self._load(event.call_sid), answered.turn)
        recorded = interactions.record_event(self.session, event, key=key)
        call = recorded.interaction
        if call.is_ended:
            return [Hangup()]
        if call.queued_at is not None:
            return self._waiting(call)
        if self.ivr is None:
            return self._enter_queue(call, self.default_queue, priority=0)
        turn = self.ivr.answer(
            call,
            step,
            duplicate=recorded.duplicate,
            digits=event.digits,
            speech=event.speech_result,
            dial_status=dial_status,
            recording_url=event.recording_url,
            recording_duration=recording_duration,
        )
        return self._after_turn(call, turn)

    def hold(self, event: CallEvent) -> list[Instruction]:
        """The queue's wait document, played in a loop: place in line, estimated wait, and a key
        to be called back instead of waiting (the caller keeps their place)."""
        call = interactions.find(self.session, event.call_sid)
        if call is None:
            raise interactions.UnknownCall(event.call_sid)
        if call.is_ended:
            return [Hangup()]
        lang = call.language or "en-US"
        spanish = lang.startswith("es")
        said: list[Instruction] = []
        position = self.acd.position(call.call_sid) if self.acd is not None else None
        if position is not None and position.position > 0:
            said.append(Say(_place_in_line(position.position, position.ewt_seconds, spanish), language=lang))
        said.append(
            Say(
                "Todos nuestros agentes están ocupados. Su llamada es importante para nosotros."
                if spanish
                else "All of our agents are helping other customers. Your call is important to us.",
                language=lang,
            )
        )
        if self.acd is None or not self.urls.queue_key:
            return [*said, Play(self.hold_music_url), Pause(2)]
        offer = Say(
            "Para que le devolvamos la llamada sin perder su turno, oprima 1."
            if spanish
            else "To keep your place in line and have us call you back, press 1.",
            language=lang,
        )
        return [
            *said,
            Gather(
                action=self.urls.queue_key,
                prompts=(offer, Play(self.hold_music_url)),
                num_digits=1,
                timeout=2,
                language=lang,
            ),
        ]

    def callback_answered(self, event: CallEvent, request_id: int) -> list[Instruction]:
        """The customer we called back picked up: greet them and join the agent's conference."""
        from contactcenter.acd.models import CallbackRequest

        recorded = interactions.open_call(self.session, event, self.default_region)
        call = recorded.interaction
        request = self.session.get(CallbackRequest, request_id)
        if request is None:
            return [Say("We are sorry, this call is no longer needed. Goodbye."), Hangup()]
        if not recorded.duplicate:
            request.status = "connected"
            call.queue_id, call.intent, call.priority = request.queue_id, request.intent, request.priority
            call.queued_at = call.queued_at or call.arrived_at
        return [
            Say("Hello, this is the call back you asked for. Connecting you to an agent now."),
            Conference(name=conference_name(call.call_sid), start_on_enter=True, end_on_exit=True),
        ]

    def conference_hold(self, event: CallEvent) -> list[Instruction]:
        """What the caller hears in the conference in the seconds before the agent joins."""
        return [Play(self.hold_music_url)]

    def queue_key(self, event: CallEvent) -> list[Instruction]:
        """A key pressed while waiting: 1 asks for a callback that keeps the caller's place."""
        recorded = interactions.record_event(self.session, event)
        call = recorded.interaction
        if call.is_ended:
            return [Hangup()]
        lang = call.language or "en-US"
        if event.digits == "1" and self.acd is not None:
            request = self.acd.request_callback(call, self.default_region)
            if request is not None:
                call.outcome = "callback"
                return [
                    Say(
                        "Gracias. Le llamaremos a este número cuando sea su turno. Adiós."
                        if lang.startswith("es")
                        else "Thank you. We will call you back at this number when it is your turn. Goodbye.",
                        language=lang,
                    ),
                    Hangup(),
                ]
        return [Redirect(self.urls.wait)]

    def connect(self, call_sid: str) -> list[Instruction]:
        """An agent accepted: the caller leaves the queue for the call's conference."""
        call = interactions.find(self.session, call_sid)
        if call is None:
            raise interactions.UnknownCall(call_sid)
        if call.is_ended:
            return [Hangup()]
        if self.acd is not None:
            self.acd.caller_joining(call_sid)
        return [
            Conference(
                name=conference_name(call_sid), wait_url=self.urls.hold or None, start_on_enter=False, end_on_exit=True
            )
        ]

    def status(self, event: CallEvent) -> Recorded:
        recorded = interactions.record_event(self.session, event, short_abandon_s=self.short_abandon_s)
        call = recorded.interaction
        if not recorded.duplicate and call.is_ended and call.ivr_flow and self.ivr_sessions is not None:
            # A caller who hung up in the IVR: the turns still in Redis are their path.
            write_pending(self.session, self.ivr_sessions, call)
            leave(self.ivr_sessions, call)
        if not recorded.duplicate and call.is_ended and call.queued_at is not None and self.acd is not None:
            self.acd.call_ended(call)
        if not recorded.duplicate and call.is_ended:
            text_call_survey(self.session, call)
        return recorded

    # -- helpers ----------------------------------------------------------------------------
    def _load(self, call_sid: str) -> Interaction:
        call = interactions.find(self.session, call_sid)
        if call is None:
            raise interactions.UnknownCall(call_sid)
        return call

    def _after_turn(self, call: Interaction, turn: Turn) -> list[Instruction]:
        instructions: list[Instruction] = list(turn.instructions)
        if turn.handoff is not None:
            instructions += self._hand_off(call, turn.handoff)
        return instructions

    def _hand_off(self, call: Interaction, handoff: HandOff) -> list[Instruction]:
        attributes = {"intent": handoff.intent, "language": handoff.language, "variables": dict(handoff.variables)}
        return self._enter_queue(
            call, handoff.queue, priority=handoff.priority, skills=handoff.skills, attributes=attributes
        )

    def _enter_queue(
        self,
        call: Interaction,
        queue_name: str,
        *,
        priority: int,
        skills: Mapping[str, int] | None = None,
        attributes: dict | None = None,
    ) -> list[Instruction]:
        queue = self.session.scalar(select(Queue).where(Queue.name == queue_name))
        first_time = call.queued_at is None
        interactions.mark_queued(call, queue.id if queue is not None else None)
        call.priority = max(call.priority or 0, priority)
        if first_time and queue is not None and self.acd is not None:
            reason = "closed" if not _is_open(queue) else None
            if reason is None:
                self.session.flush()
                outcome = self.acd.enqueue(
                    call, queue, priority=call.priority, skills=skills or None, attributes=attributes
                )
                if not outcome.ok and outcome.reason == "queue_full":
                    reason = "full"
            if reason is not None:
                return self.overflow(call, queue, reason)
        return self._waiting(call)

    def overflow(self, call: Interaction, queue: Queue, reason: str, *, hop: int = 0) -> list[Instruction]:
        """The queue cannot take the caller (closed, full, or they waited too long): its overflow."""
        lang = call.language or "en-US"
        spanish = lang.startswith("es")
        action = queue.overflow_action or "none"
        if action == "queue" and queue.overflow_queue_id and hop == 0 and self.acd is not None:
            other = self.session.get(Queue, queue.overflow_queue_id)
            if other is not None and _is_open(other):
                call.queue_id = other.id
                self.session.flush()
                outcome = self.acd.enqueue(call, other, priority=call.priority)
                if outcome.ok:
                    return self._waiting(call)
                return self.overflow(call, other, "full", hop=hop + 1)
        if action == "callback" and self.acd is not None:
            if self.acd.request_callback(call, self.default_region, queue=queue) is not None:
                call.outcome = "callback"
                return [
                    Say(
                        "Le llamaremos a este número en cuanto un agente esté disponible. Adiós."
                        if spanish
                        else "We will call you back at this number as soon as an agent is free. Goodbye.",
                        language=lang,
                    ),
                    Hangup(),
                ]
        if action == "voicemail" and self.urls.overflow_recording:
            call.outcome = "voicemail"
            return [
                Say(
                    "Deje su nombre, número y mensaje después del tono."
                    if spanish
                    else "Please leave your name, number and message after the tone.",
                    language=lang,
                ),
                Record(action=f"{self.urls.overflow_recording}?call={call.call_sid}", max_length=120),
            ]
        call.outcome = "closed" if reason == "closed" else "overflow"
        if reason == "closed":
            text = (
                "Estamos cerrados en este momento. Por favor, llame en horario de atención. Adiós."
                if spanish
                else "We are closed right now. Please call again during our opening hours. Goodbye."
            )
        else:
            text = (
                "Todos nuestros agentes están ocupados. Por favor, llame más tarde. Adiós."
                if spanish
                else "All of our agents are busy. Please call again later. Goodbye."
            )
        return [Say(text, language=lang), Hangup()]

    def overflow_now(self, call_sid: str, reason: str) -> list[Instruction]:
        """A waiting caller was taken out of the line (max wait): where they go now."""
        call = interactions.find(self.session, call_sid)
        if call is None:
            raise interactions.UnknownCall(call_sid)
        queue = self.session.get(Queue, call.queue_id) if call.queue_id else None
        if call.is_ended or queue is None:
            return [Hangup()]
        return self.overflow(call, queue, reason)

    def overflow_recording(self, event: CallEvent, call_sid: str, duration_s: int | None) -> list[Instruction]:
        from contactcenter.tickets.services import voicemail_ticket

        recorded = interactions.record_event(self.session, event, key=f"overflow-recording:{call_sid}")
        call = recorded.interaction
        if not recorded.duplicate and event.recording_url:
            queue = self.session.get(Queue, call.queue_id) if call.queue_id else None
            voicemail_ticket(
                self.session,
                call,
                event.recording_url,
                duration_s,
                queue_id=call.queue_id,
                subject=f"Voicemail for {queue.display_name if queue else 'the team'}",
            )
        return [Say("Thank you. Goodbye.", language=call.language or "en-US"), Hangup()]

    def _waiting(self, call: Interaction) -> list[Instruction]:
        if self.acd is None:
            # No router in this process: wait in the call's conference for an agent to be added.
            return [
                Conference(
                    name=conference_name(call.call_sid), wait_url=self.urls.wait, start_on_enter=False, end_on_exit=True
                )
            ]
        queue = self.session.get(Queue, call.queue_id) if call.queue_id else None
        return [Enqueue(queue.name if queue is not None else self.default_queue, wait_url=self.urls.wait)]


def _is_open(queue: Queue) -> bool:
    if not queue.hours:
        return True
    from contactcenter import clock
    from contactcenter.calendars import BusinessCalendar

    try:
        return BusinessCalendar.from_dict(queue.hours).is_open(clock.now())
    except ValueError:
        return True  # a malformed calendar must not close the line; admin validation reports it


def _place_in_line(position: int, ewt_s: float | None, spanish: bool) -> str:
    if spanish:
        text = f"Usted es el número {position} en la fila."
        if ewt_s is not None:
            text += f" El tiempo de espera estimado es de unos {max(1, round(ewt_s / 60))} minutos."
        return text
    text = f"You are number {position} in line."
    if ewt_s is not None:
        minutes = max(1, round(ewt_s / 60))
        text += f" Your estimated wait is about {minutes} minute{'s' if minutes != 1 else ''}."
    return text
