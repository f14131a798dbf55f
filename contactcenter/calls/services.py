"""What to do with each carrier webhook, in domain terms.

An inbound caller first meets the IVR (when a flow is loaded); a caller who needs a person waits
in a conference named for the call — the Flex model, where the agent is later added as a
participant. Every answer is a function of stored state, so a replayed webhook changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.acd.models import Queue
from contactcenter.ivr.engine import HandOff, Turn
from contactcenter.ivr.services import IvrService
from contactcenter.telephony.interfaces import CallEvent, Conference, Hangup, Instruction, Pause, Play, Say
from contactcenter.tickets import interactions
from contactcenter.tickets.interactions import Recorded
from contactcenter.tickets.models import Interaction

DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class HookUrls:
    """Absolute URLs of our webhooks as the carrier must call them."""

    voice: str
    status: str
    wait: str


def conference_name(call_sid: str) -> str:
    return f"call-{call_sid}"


class CallService:
    def __init__(
        self,
        session: Session,
        urls: HookUrls,
        *,
        ivr: IvrService | None = None,
        default_region: str = "US",
        default_queue: str = "support",
        hold_music_url: str = DEFAULT_HOLD_MUSIC,
    ) -> None:
        self.session = session
        self.urls = urls
        self.ivr = ivr
        self.default_region = default_region
        self.default_queue = default_queue
        self.hold_music_url = hold_music_url

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
            return self._conference(call)
        if recorded.duplicate:
            return self._after_turn(call, self.ivr.answer(call, -1, duplicate=True))
        return self._after_turn(call, self.ivr.begin(call))

    def ivr_input(self, event: CallEvent, step: int, kind: str = "gather",
                  dial_status: str | None = None, recording_duration: int | None = None) -> list[Instruction]:
        """The caller answered an IVR prompt (digits, speech, a recording, a transfer result)."""
        recorded = interactions.record_event(self.session, event, key=f"ivr:{event.call_sid}:{kind}:{step}")
        call = recorded.interaction
        if call.is_ended:
            return [Hangup()]
        if call.queued_at is not None:
            return self._conference(call)
        if self.ivr is None:
            return self._enter_queue(call, self.default_queue, priority=0)
        turn = self.ivr.answer(
            call, step, duplicate=recorded.duplicate, digits=event.digits, speech=event.speech_result,
            dial_status=dial_status, recording_url=event.recording_url, recording_duration=recording_duration,
        )
        return self._after_turn(call, turn)

    def hold(self, event: CallEvent) -> list[Instruction]:
        """The wait document played in a loop while the caller is alone in the conference."""
        call = interactions.find(self.session, event.call_sid)
        if call is None:
            raise interactions.UnknownCall(event.call_sid)
        if call.is_ended:
            return [Hangup()]
        return [
            Say("All of our agents are helping other customers. Your call is important to us.",
                language=call.language or "en-US"),
            Play(self.hold_music_url),
            Pause(2),
        ]

    def status(self, event: CallEvent) -> Recorded:
        return interactions.record_event(self.session, event)

    # -- helpers ----------------------------------------------------------------------------
    def _after_turn(self, call: Interaction, turn: Turn) -> list[Instruction]:
        instructions: list[Instruction] = list(turn.instructions)
        if turn.handoff is not None:
            instructions += self._hand_off(call, turn.handoff)
        return instructions

    def _hand_off(self, call: Interaction, handoff: HandOff) -> list[Instruction]:
        return self._enter_queue(call, handoff.queue, priority=handoff.priority)

    def _enter_queue(self, call: Interaction, queue_name: str, *, priority: int) -> list[Instruction]:
        queue_id = self.session.scalar(select(Queue.id).where(Queue.name == queue_name))
        interactions.mark_queued(call, queue_id)
        call.priority = max(call.priority or 0, priority)
        return self._conference(call)

    def _conference(self, call: Interaction) -> list[Instruction]:
        return [
            Conference(
                name=conference_name(call.call_sid),
                wait_url=self.urls.wait,
                start_on_enter=False,
                end_on_exit=True,
            )
        ]
