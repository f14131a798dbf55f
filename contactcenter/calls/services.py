"""What to do with each carrier webhook, in domain terms.

Until the IVR and ACD are wired in, an inbound caller is greeted (by name when the store knows
the number) and waits in a conference named for the call — the Flex model, where an agent is
later added as a participant. Every answer is a pure function of stored state, so a replayed
webhook gets the same instructions and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.acd.models import Queue
from contactcenter.telephony.interfaces import CallEvent, Conference, Hangup, Instruction, Pause, Play, Say
from contactcenter.tickets import interactions
from contactcenter.tickets.interactions import Recorded

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
        default_region: str = "US",
        default_queue: str = "support",
        hold_music_url: str = DEFAULT_HOLD_MUSIC,
    ) -> None:
        self.session = session
        self.urls = urls
        self.default_region = default_region
        self.default_queue = default_queue
        self.hold_music_url = hold_music_url

    def answer(self, event: CallEvent) -> list[Instruction]:
        recorded = interactions.open_call(self.session, event, self.default_region)
        call = recorded.interaction
        if call.is_ended:
            return [Hangup()]
        if not recorded.duplicate:
            queue_id = self.session.scalar(select(Queue.id).where(Queue.name == self.default_queue))
            interactions.mark_queued(call, queue_id)
        greeting = "Thank you for calling."
        if call.customer is not None:
            greeting = f"Hello {call.customer.name.split()[0]}, thank you for calling."
        return [
            Say(greeting),
            Say("Please hold while we connect you to the next available agent."),
            Conference(
                name=conference_name(call.call_sid),
                wait_url=self.urls.wait,
                start_on_enter=False,
                end_on_exit=True,
            ),
        ]

    def hold(self, event: CallEvent) -> list[Instruction]:
        """The wait document played in a loop while the caller is alone in the conference."""
        call = interactions.find(self.session, event.call_sid)
        if call is None:
            raise interactions.UnknownCall(event.call_sid)
        if call.is_ended:
            return [Hangup()]
        return [
            Say("All of our agents are helping other customers. Your call is important to us."),
            Play(self.hold_music_url),
            Pause(2),
        ]

    def status(self, event: CallEvent) -> Recorded:
        return interactions.record_event(self.session, event)
