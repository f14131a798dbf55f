"""Call controls on the agent desktop: hold, mute, transfers, conference, hang up.

Every call lives in a conference named for the caller's leg, and the agent's leg carries the
label `agent-<id>`, so each control is a participant operation through the telephony port (the
Twilio adapter, or the carrier simulator behind the same port). The router (`RealtimeACD`) is
told first whenever a call changes hands, so the agent-leg status callback that follows a
transfer finds the call already moved and never hangs up the caller.

Only the agent the router has connected to the call may act on it (`NotYourCall` otherwise).
Each action is written to the store (`CallAction`, and the totals on the interaction) in the
caller's transaction and announced as a `call.updated` event once the web layer has committed
(`publish`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock, events, phones
from contactcenter.accounts.models import Role, User
from contactcenter.acd.interfaces import AVAILABLE, CONNECTED, ACDError
from contactcenter.acd.models import Queue
from contactcenter.acd.services import AcdService, agent_label, conference_name
from contactcenter.calls.models import CallAction
from contactcenter.contacts import interactions
from contactcenter.contacts.models import Interaction
from contactcenter.errors import DomainError, Kind
from contactcenter.telephony.interfaces import CarrierRef, Enqueue, Say, Telephony, TelephonyError

DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
CONSULT_LABEL = "consult"
TRANSFER_LABEL = "transfer"
MAX_CONFERENCE_GUESTS = 5


class CallControlError(DomainError):
    """The control cannot be carried out now; `code` says why in a word the desktop acts on."""

    kind: Kind = "conflict"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class CallNotFound(CallControlError):
    kind: Kind = "not_found"


class NotYourCall(CallControlError):
    kind: Kind = "forbidden"


class BadTarget(CallControlError):
    kind: Kind = "invalid"


class CarrierFailed(CallControlError):
    kind: Kind = "dependency_failed"


@dataclass(frozen=True)
class ControlUrls:
    """Where the carrier goes for the documents call controls need."""

    wait: str  # the queue wait document, for a caller transferred to a queue
    agent_status: str  # status callback of an agent's leg (ends their part of the call)
    hold_music: str = DEFAULT_HOLD_MUSIC


@dataclass(frozen=True)
class ControlState:
    """What the desktop shows about a live call's controls."""

    call_sid: str
    on_hold: bool
    held_since: datetime | None
    hold_s: int
    muted: bool
    consult: dict[str, Any] | None
    guests: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "call_sid": self.call_sid,
            "on_hold": self.on_hold,
            "held_since": self.held_since.isoformat() if self.held_since else None,
            "hold_s": self.hold_s,
            "muted": self.muted,
            "consult": self.consult,
            "guests": list(self.guests),
        }


def close_hold(call: Interaction, at: datetime | None = None) -> None:
    """Add the open hold spell (if any) to the interaction's hold seconds."""
    if call.held_since is None:
        return
    at = at or clock.now()
    call.hold_s = (call.hold_s or 0) + max(0, int(round((at - call.held_since).total_seconds())))
    call.held_since = None


class CallControls:
    def __init__(
        self,
        session: Session,
        acd: AcdService,
        telephony: Telephony | Callable[[], Telephony],
        urls: ControlUrls,
        *,
        redis_client: redis.Redis | None = None,
        default_region: str = "US",
        center_number: str = "",
    ) -> None:
        self.session = session
        self.acd = acd
        self._carrier_ref = CarrierRef(telephony)
        self.urls = urls
        self.redis = redis_client
        self.default_region = default_region
        self.center_number = center_number
        self.pending: list[dict[str, Any]] = []

    @property
    def telephony(self) -> Telephony:
        return self._carrier_ref.require()

    # -- reading --------------------------------------------------------------------------------
    def owned_call(self, call_sid: str, agent_id: int) -> Interaction:
        """The live call `agent_id` is connected to, or why not (404, 403, 409)."""
        call = interactions.find(self.session, call_sid)
        if call is None:
            raise CallNotFound("unknown_call", "no such call")
        snapshot = self.acd.call_snapshot(call_sid)
        if snapshot is None or snapshot.agent_id != str(agent_id):
            raise NotYourCall("not_your_call", "this call is not yours")
        if snapshot.state != CONNECTED or call.is_ended:
            raise CallControlError("call_not_live", "the call is no longer in progress")
        return call

    def state(self, call: Interaction) -> ControlState:
        consult = None
        if call.consult_call_sid:
            consult = {
                "call_sid": call.consult_call_sid,
                "agent_id": call.consult_agent_id,
                "target": self._consult_target(call),
            }
        guests = [a.detail.get("number", "") for a in self._actions(call, "conference") if not a.detail.get("removed")]
        return ControlState(
            call.call_sid,
            call.held_since is not None,
            call.held_since,
            call.hold_s or 0,
            bool(call.muted),
            consult,
            guests,
        )

    # -- hold and mute --------------------------------------------------------------------------
    def hold(self, call_sid: str, agent_id: int) -> ControlState:
        """The caller hears hold music and stops hearing the agent; the hold time starts."""
        call = self.owned_call(call_sid, agent_id)
        if call.held_since is not None:
            raise CallControlError("already_on_hold", "the caller is already on hold")
        self._hold_caller(call, True)
        call.held_since = clock.now()
        return self._done(call, agent_id, "hold")

    def resume(self, call_sid: str, agent_id: int) -> ControlState:
        call = self.owned_call(call_sid, agent_id)
        if call.held_since is None:
            raise CallControlError("not_on_hold", "the caller is not on hold")
        if call.consult_call_sid:
            raise CallControlError("consult_in_progress", "complete or cancel the consult first")
        self._hold_caller(call, False)
        close_hold(call)
        return self._done(call, agent_id, "resume")

    def mute(self, call_sid: str, agent_id: int, muted: bool = True) -> ControlState:
        """Mute or unmute the agent's own microphone in the conference."""
        call = self.owned_call(call_sid, agent_id)
        if bool(call.muted) == muted:
            raise CallControlError("unchanged", "already muted" if muted else "not muted")
        self._carrier(
            lambda t: t.update_participant(conference_name(call.call_sid), agent_label(agent_id), muted=muted)
        )
        call.muted = muted
        return self._done(call, agent_id, "mute" if muted else "unmute")

    # -- warm transfer --------------------------------------------------------------------------
    def start_consult(
        self, call_sid: str, agent_id: int, *, to_agent: int | None = None, to_number: str | None = None
    ) -> ControlState:
        """Hold the caller and bring the target into the conference to talk first."""
        call = self.owned_call(call_sid, agent_id)
        if call.consult_call_sid:
            raise CallControlError("consult_in_progress", "a consult is already in progress")
        target_user, number = self._target(agent_id, to_agent, to_number)
        if target_user is not None:
            outcome = self.acd.consult(target_user.id, call.call_sid)
            if not outcome.ok:
                raise CallControlError("agent_unavailable", "that agent is not available")
        try:
            if call.held_since is None:
                self._hold_caller(call, True)
                call.held_since = clock.now()
            if target_user is not None:
                leg = self._add_agent_leg(call, target_user)
            else:
                leg = self.telephony.add_participant(
                    conference_name(call.call_sid), number or "", self._from(call), label=CONSULT_LABEL
                )
        except (TelephonyError, CarrierFailed) as exc:
            if target_user is not None:
                self.acd.set_state(target_user.id, AVAILABLE)  # release the consult hold
            if isinstance(exc, CarrierFailed):
                raise
            raise CarrierFailed("carrier_failed", f"the carrier refused: {exc}") from exc
        call.consult_call_sid = leg.call_sid
        call.consult_agent_id = target_user.id if target_user is not None else None
        detail = {"to_agent": target_user.id} if target_user is not None else {"number": number}
        state = self._done(call, agent_id, "consult", {**detail, "leg": leg.call_sid})
        if target_user is not None:
            self._announce(call, target_user.id, "consult")
        return state

    def complete_consult(self, call_sid: str, agent_id: int) -> ControlState:
        """Hand the caller to the consulted party; this agent leaves for wrap-up."""
        call = self.owned_call(call_sid, agent_id)
        if not call.consult_call_sid:
            raise CallControlError("no_consult", "no consult in progress")
        target = call.consult_agent_id
        if target is not None:
            outcome = self.acd.transfer(call.call_sid, agent_id, target)
            if not outcome.ok:
                raise CallControlError(outcome.reason or "transfer_refused", "the transfer was refused")
        else:
            self.acd.complete(call.call_sid, agent_id)
        self._hold_caller(call, False, tolerate=True)
        close_hold(call)
        self._drop_agent_leg(call, agent_id)
        detail = {"to_agent": target} if target is not None else {"leg": call.consult_call_sid}
        call.consult_call_sid, call.consult_agent_id, call.muted = None, None, False
        state = self._done(call, agent_id, "consult_complete", detail)
        if target is not None:
            self._announce(call, target, "transfer")
        return state

    def cancel_consult(self, call_sid: str, agent_id: int) -> ControlState:
        """Drop the consulted party and take the caller back off hold."""
        call = self.owned_call(call_sid, agent_id)
        if not call.consult_call_sid:
            raise CallControlError("no_consult", "no consult in progress")
        target = call.consult_agent_id
        label = agent_label(target) if target is not None else CONSULT_LABEL
        try:
            self.telephony.remove_participant(conference_name(call.call_sid), label)
        except TelephonyError:
            pass  # the consulted party already hung up
        if target is not None:
            self.acd.set_state(target, AVAILABLE)
        self._hold_caller(call, False, tolerate=True)
        close_hold(call)
        detail = {"to_agent": target, "leg": call.consult_call_sid}
        call.consult_call_sid, call.consult_agent_id = None, None
        state = self._done(call, agent_id, "consult_cancel", detail)
        if target is not None:
            self._announce(call, target, "consult_cancel")
        return state

    # -- cold transfer --------------------------------------------------------------------------
    def transfer(
        self,
        call_sid: str,
        agent_id: int,
        *,
        to_agent: int | None = None,
        to_queue: str | None = None,
        to_number: str | None = None,
    ) -> ControlState:
        """Hand the call over at once: to an available agent, back into a queue, or to a number."""
        call = self.owned_call(call_sid, agent_id)
        if call.consult_call_sid:
            raise CallControlError("consult_in_progress", "complete or cancel the consult first")
        if sum(x is not None for x in (to_agent, to_queue, to_number)) != 1:
            raise BadTarget("bad_target", "name exactly one of agent, queue or number")
        if to_queue is not None:
            return self._to_queue(call, agent_id, to_queue)
        target_user, number = self._target(agent_id, to_agent, to_number)
        if target_user is not None:
            outcome = self.acd.transfer(call.call_sid, agent_id, target_user.id)
            if not outcome.ok:
                code = outcome.reason or "transfer_refused"
                raise CallControlError(
                    code,
                    "that agent is not available"
                    if code == "agent_unavailable"
                    else f"the transfer was refused: {code}",
                )
            self._unhold_for_handover(call)
            self._carrier(lambda t: self._add_agent_leg(call, target_user))
            self._drop_agent_leg(call, agent_id)
            call.muted = False
            state = self._done(call, agent_id, "transfer", {"to_agent": target_user.id})
            self._announce(call, target_user.id, "transfer")
            return state
        self._unhold_for_handover(call)
        leg = self._carrier(
            lambda t: t.add_participant(
                conference_name(call.call_sid), number or "", self._from(call), label=TRANSFER_LABEL
            )
        )
        self.acd.complete(call.call_sid, agent_id)
        self._drop_agent_leg(call, agent_id)
        call.muted = False
        return self._done(call, agent_id, "transfer", {"number": number, "leg": leg.call_sid})

    def _to_queue(self, call: Interaction, agent_id: int, queue_name: str) -> ControlState:
        queue = self.session.scalar(select(Queue).where(Queue.name == queue_name)) if len(queue_name) <= 64 else None
        if queue is None:
            raise BadTarget("unknown_queue", "no such queue")
        self._unhold_for_handover(call)
        # The router first, so the agent-leg callback that follows finds the call no longer theirs.
        self.acd.complete(call.call_sid, agent_id)
        self._carrier(
            lambda t: t.update_call_twiml(
                call.call_sid,
                [
                    Say("Please hold while we transfer your call."),
                    Enqueue(queue.name, wait_url=self.urls.wait),
                ],
            )
        )
        outcome = self.acd.enqueue(call, queue, priority=call.priority or 0)
        if not outcome.ok:
            raise CallControlError(outcome.reason or "queue_refused", f"the queue refused the call: {outcome.reason}")
        call.muted = False
        return self._done(call, agent_id, "transfer", {"queue": queue.name})

    # -- conference and hang up -----------------------------------------------------------------
    def add_to_conference(self, call_sid: str, agent_id: int, number: str) -> ControlState:
        """Dial a number into the call: everyone hears everyone."""
        call = self.owned_call(call_sid, agent_id)
        _, e164 = self._target(agent_id, None, number)
        if len(self.state(call).guests) >= MAX_CONFERENCE_GUESTS:
            raise CallControlError("too_many_guests", f"at most {MAX_CONFERENCE_GUESTS} numbers can be added")
        seq = len(self._actions(call, "conference")) + 1
        leg = self._carrier(
            lambda t: t.add_participant(
                conference_name(call.call_sid), e164 or "", self._from(call), label=f"guest-{seq}"
            )
        )
        return self._done(call, agent_id, "conference", {"number": e164, "leg": leg.call_sid})

    def hang_up(self, call_sid: str, agent_id: int) -> ControlState:
        """End the call for everyone; the agent goes to wrap-up."""
        call = self.owned_call(call_sid, agent_id)
        if call.consult_call_sid:
            self.cancel_consult(call_sid, agent_id)
        close_hold(call)
        self.acd.complete(call.call_sid, agent_id)
        try:
            self.telephony.hangup(call.call_sid)
        except TelephonyError:
            pass  # the caller hung up in the same instant: their status callback closes the call
        return self._done(call, agent_id, "hangup")

    # -- events ---------------------------------------------------------------------------------
    def publish(self) -> None:
        """Announce what was done; call after the transaction commits."""
        if self.redis is not None:
            for event in self.pending:
                events.publish(self.redis, event)
        self.pending.clear()

    # -- helpers --------------------------------------------------------------------------------
    def _done(
        self, call: Interaction, agent_id: int, action: str, detail: dict[str, Any] | None = None
    ) -> ControlState:
        self.session.add(
            CallAction(interaction_id=call.id, agent_id=agent_id, action=action, detail=detail or {}, at=clock.now())
        )
        self.session.flush()
        state = self.state(call)
        self.pending.append(
            {
                "type": "call.updated",
                "call_sid": call.call_sid,
                "agent_id": str(agent_id),
                "action": action,
                "controls": state.as_dict(),
            }
        )
        return state

    def _announce(self, call: Interaction, agent_id: int, action: str) -> None:
        self.pending.append(
            {"type": "call.updated", "call_sid": call.call_sid, "agent_id": str(agent_id), "action": action}
        )

    def _actions(self, call: Interaction, action: str) -> list[CallAction]:
        return list(
            self.session.scalars(
                select(CallAction)
                .where(CallAction.interaction_id == call.id, CallAction.action == action)
                .order_by(CallAction.id)
            )
        )

    def _consult_target(self, call: Interaction) -> str:
        if call.consult_agent_id is not None:
            user = self.session.get(User, call.consult_agent_id)
            return user.display_name if user is not None else f"agent {call.consult_agent_id}"
        last = self._actions(call, "consult")
        return str(last[-1].detail.get("number", "")) if last else ""

    def _carrier(self, fn: Callable[[Telephony], Any]) -> Any:
        try:
            return fn(self.telephony)
        except TelephonyError as exc:
            raise CarrierFailed("carrier_failed", f"the carrier refused: {exc}") from exc

    def _hold_caller(self, call: Interaction, hold: bool, *, tolerate: bool = False) -> None:
        try:
            self.telephony.update_participant(
                conference_name(call.call_sid),
                call.call_sid,
                hold=hold,
                hold_url=self.urls.hold_music if hold else None,
            )
        except TelephonyError as exc:
            if not tolerate:
                raise CarrierFailed("carrier_failed", f"the carrier refused: {exc}") from exc

    def _unhold_for_handover(self, call: Interaction) -> None:
        if call.held_since is not None:
            self._hold_caller(call, False)
            close_hold(call)

    def _add_agent_leg(self, call: Interaction, user: User) -> Any:
        return self.telephony.add_participant(
            conference_name(call.call_sid),
            user.contact_uri or f"client:{user.username}",
            self._from(call),
            status_callback=f"{self.urls.agent_status}?call={call.call_sid}&agent={user.id}",
            label=agent_label(user.id),
        )

    def _drop_agent_leg(self, call: Interaction, agent_id: int) -> None:
        try:
            self.telephony.remove_participant(conference_name(call.call_sid), agent_label(agent_id))
        except TelephonyError:
            pass  # the agent's leg already left

    def _from(self, call: Interaction) -> str:
        own = call.to_number if call.direction == "inbound" else call.from_number
        return own or self.center_number

    def _target(self, agent_id: int, to_agent: int | None, to_number: str | None) -> tuple[User | None, str | None]:
        if to_agent is not None:
            if to_agent == agent_id:
                raise BadTarget("same_agent", "you cannot transfer a call to yourself")
            user = self.session.get(User, to_agent)
            if user is None or not user.active or user.role != Role.AGENT.value:
                raise BadTarget("unknown_agent", "no such agent")
            return user, None
        if to_number is None:
            raise BadTarget("bad_target", "name an agent or a number")
        e164 = phones.try_normalize(to_number, self.default_region) if len(to_number) <= 32 else None
        if e164 is None:
            raise BadTarget("bad_number", "not a valid phone number")
        return None, e164


__all__ = [
    "ACDError",
    "BadTarget",
    "CallControlError",
    "CallControls",
    "CallNotFound",
    "CarrierFailed",
    "ControlState",
    "ControlUrls",
    "NotYourCall",
    "close_hold",
]
