"""The ACD against the store and the carrier.

`RealtimeACD` decides (atomically, in Redis); this service makes the decisions real: it writes
every agent state change and every call milestone to the SQL store in the caller's transaction,
moves the caller and the agent into the call's conference through the telephony port when an
offer is accepted, turns a "press 1 for a callback" into a callback that keeps the caller's place,
and rebuilds Redis from the store after a restart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from contactcenter import clock, phones
from contactcenter.accounts.models import Role, User
from contactcenter.acd.interfaces import (
    CHAT_PREFIX,
    VOICE,
    ACDError,
    AgentProfile,
    AgentRecord,
    AgentSnapshot,
    CallPosition,
    CallRecord,
    CallSnapshot,
    EscalationStep,
    Outcome,
    QueueConfig,
    TickReport,
    check_capacity,
)
from contactcenter.acd.models import AgentStateChange, CallbackRequest, Queue, QueueMembership
from contactcenter.acd.realtime import RealtimeACD
from contactcenter.contacts import interactions
from contactcenter.contacts.models import Interaction
from contactcenter.telephony.interfaces import CarrierRef, Telephony, TelephonyError
from contactcenter.telephony.softphone import client_address

CALLBACK_PREFIX = "cb-"
CALLBACK_TASK = re.compile(rf"^{CALLBACK_PREFIX}[0-9]{{1,12}}$")
log = logging.getLogger("contactcenter.acd")


def conference_name(call_sid: str) -> str:
    """Every call lives in a conference named for it (the Flex model)."""
    return f"call-{call_sid}"


def agent_label(agent_id: int | str) -> str:
    """The conference participant label of an agent's leg, so call controls can find it."""
    return f"agent-{agent_id}"


def callback_key(request_id: int) -> str:
    return f"{CALLBACK_PREFIX}{request_id}"


def chat_key(chat_id: int) -> str:
    return f"{CHAT_PREFIX}{chat_id}"


def chat_id_of(task_id: str | None) -> int | None:
    """The chat a router task id names (None: a call or a callback)."""
    if not task_id or not task_id.startswith(CHAT_PREFIX) or not task_id[len(CHAT_PREFIX) :].isdigit():
        return None
    return int(task_id[len(CHAT_PREFIX) :])


def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _dt(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def escalation_steps(raw: Iterable[Mapping[str, Any]] | None) -> list[EscalationStep]:
    """Escalation steps from a queue's stored JSON; a malformed step is refused with ACDError."""
    steps = []
    for item in raw or []:
        if not isinstance(item, Mapping) or "after_seconds" not in item:
            raise ACDError("an escalation step is an object with after_seconds")
        steps.append(
            EscalationStep(
                after_seconds=float(item["after_seconds"]),
                relax_to=item.get("relax_to"),
                relax=dict(item.get("relax") or {}),
                drop=tuple(item.get("drop") or ()),
                widen_to=tuple(item.get("widen_to") or ()),
            )
        )
    return steps


def queue_config(queue: Queue) -> QueueConfig:
    return QueueConfig.from_model(queue, escalation_steps(queue.escalation))


@dataclass(frozen=True)
class ConnectUrls:
    """Webhooks the carrier calls while connecting a caller and an agent."""

    connect: str  # the caller's TwiML once an agent accepted: join the conference
    agent_status: str  # status callback of the agent's leg
    callback_answer: str  # TwiML for the customer we call back


class AcdService:
    def __init__(
        self,
        session: Session,
        acd: RealtimeACD,
        telephony: Telephony | Callable[[], Telephony] | None = None,
        urls: ConnectUrls | None = None,
        *,
        center_number: str = "",
    ) -> None:
        self.session = session
        self.acd = acd
        self._carrier_ref = CarrierRef(telephony)
        self.urls = urls
        self.center_number = center_number

    # -- configuration -------------------------------------------------------------------------
    def sync_configuration(self) -> None:
        """Queues and agent profiles from the store into the router (idempotent)."""
        for queue in self.session.scalars(select(Queue).options(selectinload(Queue.required_skills))):
            self.acd.register_queue(queue_config(queue))
        agents = self.session.scalars(
            select(User)
            .where(User.role == Role.AGENT.value, User.active.is_(True))
            .options(selectinload(User.memberships).selectinload(QueueMembership.queue))
        )
        for user in agents:
            self.acd.upsert_agent(AgentProfile.from_user(user))

    def update_profile(self, profile: AgentProfile) -> Outcome:
        """Change one agent's skills and queues in the router, as `sync_configuration` does."""
        return self.acd.upsert_agent(profile)

    # -- calls ---------------------------------------------------------------------------------
    def enqueue(
        self,
        call: Interaction,
        queue: Queue,
        *,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Outcome:
        outcome = self.acd.enqueue(
            call.call_sid,
            queue.name,
            priority=min(priority, 899),
            skills_override=dict(skills) if skills else None,
            enqueued_at=_ts(call.queued_at),
            attributes=dict(attributes or {}),
        )
        self.apply(outcome.events)
        return outcome

    def position(self, call_sid: str) -> CallPosition | None:
        return self.acd.position(call_sid)

    def call_snapshot(self, call_sid: str) -> CallSnapshot | None:
        """The router's live view of a call (None once it is no longer known there)."""
        return self.acd.call_snapshot(call_sid)

    def remove(self, call_sid: str, reason: str = "abandoned") -> Outcome:
        """Take a call out of the router (waiting, offered or connected), as `RealtimeACD.remove`."""
        outcome = self.acd.remove(call_sid, reason)
        self.apply(outcome.events)
        return outcome

    def consult(self, agent_id: int, call_sid: str) -> Outcome:
        """Hold an available agent for a warm-transfer consult on the call."""
        outcome = self.acd.consult(str(agent_id), call_sid)
        self.apply(outcome.events)
        return outcome

    def transfer(self, call_sid: str, from_agent: int, to_agent: int | str) -> Outcome:
        """Hand a connected call to another agent in one step (the first goes to wrap-up)."""
        outcome = self.acd.transfer(call_sid, str(from_agent), str(to_agent))
        self.apply(outcome.events)
        return outcome

    def call_ended(self, call: Interaction) -> Outcome:
        """The caller's leg ended: abandon it if waiting, rescind an offer, or start wrap-up."""
        outcome = self.acd.remove(call.call_sid, "abandoned" if call.answered_at is None else "completed")
        self.apply(outcome.events)
        joined = self.acd.redis.delete(self._joining_key(call.call_sid))
        if call.answered_at is not None and call.agent_id is not None and not joined:
            self._release_agent_leg(call.call_sid, call.agent_id)
        return outcome

    def _joining_key(self, call_sid: str) -> str:
        return self.acd.key("joining:", call_sid)

    def caller_joining(self, call_sid: str) -> None:
        """The caller was sent the conference: from here its end-on-exit ends the agent's leg too.

        Kept in Redis until the call ends; lost, it only costs `_release_agent_leg` a request.
        """
        self.acd.redis.set(self._joining_key(call_sid), "1", ex=6 * 3600)

    def _release_agent_leg(self, call_sid: str, agent_id: int) -> None:
        """The caller is gone without ever joining the conference: their agent must not stay alone.

        A caller who hangs up while moving from the queue into the conference never joins it, so
        its end-on-exit never fires and the agent's leg would sit in an empty conference.
        """
        telephony = self._carrier()
        if telephony is None:
            return
        try:
            telephony.remove_participant(conference_name(call_sid), agent_label(agent_id))
        except TelephonyError:
            pass

    def agent_leg_answered(self, call_sid: str, leg_sid: str) -> bool:
        """The agent's audio leg answered; True when it was ended because the caller is gone.

        The caller may hang up while the agent's phone rings: the conference the agent joins then
        starts anew with nobody to talk to.
        """
        call = self.interaction(call_sid)
        if call is None or not call.is_ended:  # None: a callback whose customer has not answered yet
            return False
        telephony = self._carrier()
        if telephony is None:
            return False
        try:
            telephony.hangup(leg_sid)
        except TelephonyError:
            return False
        log.info("agent leg ended: the caller had already hung up", extra={"call_sid": call_sid})
        return True

    def request_callback(
        self,
        call: Interaction,
        default_region: str = "US",
        *,
        queue: Queue | None = None,
        priority: int | None = None,
        intent: str | None = None,
    ) -> CallbackRequest | None:
        """Virtual hold: the caller hangs up but keeps their place; we call back in turn.

        For a caller waiting in the router the request takes over their place; with `queue`
        (an overflow, or the IVR's callback node) it joins that queue at the time the caller
        first joined a line, or arrived if they never did. `priority` and `intent` override the
        call's own (the IVR node sets them).

        One request per call, however often it is asked for: a repeat (a carrier retry, a
        caller walking the IVR twice, another process racing on the same call) returns the
        request already stored, and puts it back in the router only if it is pending there
        no longer. The row and the router entry are written together, so a callback is never
        stored without being offered to agents.
        """
        phone = phones.try_normalize(call.from_number, default_region)
        if phone is None:
            return None
        snapshot = self.acd.call_snapshot(call.call_sid)
        waiting = snapshot is not None and snapshot.state == "waiting"
        overflow = queue is not None
        queue = queue or (self.session.get(Queue, call.queue_id) if call.queue_id else None)
        if queue is None or (not overflow and not waiting):
            return None
        existing = self._callback_of(call)
        if existing is not None:
            self._keep_in_router(existing, queue)
            return existing
        if priority is None:
            priority = snapshot.priority if snapshot is not None and waiting else (call.priority or 0)
        request = CallbackRequest(
            interaction_id=call.id,
            customer_id=call.customer_id,
            phone=phone,
            queue_id=queue.id,
            priority=max(0, min(priority, 899)),
            place_at=call.queued_at or call.arrived_at,
            intent=intent if intent is not None else call.intent,
        )
        try:
            with self.session.begin_nested():
                self.session.add(request)
                self.session.flush()
        except IntegrityError:
            # Another delivery of the same call stored its request between our read and write.
            if request in self.session:
                self.session.expunge(request)
            winner = self._callback_of(call)
            if winner is None:
                raise
            return winner
        if waiting:
            self.apply(self.acd.remove(call.call_sid, "callback").events)
        self._enqueue_callback(request, queue)
        return request

    def _callback_of(self, call: Interaction) -> CallbackRequest | None:
        return self.session.scalar(select(CallbackRequest).where(CallbackRequest.interaction_id == call.id))

    def _enqueue_callback(self, request: CallbackRequest, queue: Queue) -> Outcome:
        outcome = self.acd.enqueue(
            callback_key(request.id),
            queue.name,
            priority=request.priority,
            enqueued_at=_ts(request.place_at),
            attributes={"callback": request.id, "phone": request.phone},
        )
        self.apply(outcome.events)
        return outcome

    def enqueue_chat(self, chat_id: int, queue: Queue, queued_at: datetime, *, priority: int = 0) -> Outcome:
        """A web chat waits for an agent like a call: same skills, priorities and offers."""
        outcome = self.acd.enqueue(
            chat_key(chat_id),
            queue.name,
            priority=max(0, min(priority, 899)),
            enqueued_at=_ts(queued_at),
            attributes={"chat": chat_id},
        )
        self.apply(outcome.events)
        return outcome

    def _keep_in_router(self, request: CallbackRequest, queue: Queue) -> None:
        """A pending request the router lost (stored, then the enqueue failed): offer it again."""
        if request.status != "pending" or self.acd.call_snapshot(callback_key(request.id)) is not None:
            return
        target = self.session.get(Queue, request.queue_id) or queue
        self._enqueue_callback(request, target)

    def overdue(self, now: datetime | None = None) -> list[Interaction]:
        """Callers who have waited longer than their queue's max_wait_s and are still waiting."""
        now = now or clock.now()
        candidates = self.session.execute(
            select(Interaction, Queue.max_wait_s)
            .join(Queue, Interaction.queue_id == Queue.id)
            .where(
                Queue.max_wait_s.is_not(None),
                Interaction.queued_at.is_not(None),
                Interaction.answered_at.is_(None),
                Interaction.ended_at.is_(None),
                Interaction.direction == "inbound",
            )
        )
        due = []
        for call, max_wait in candidates:
            # The query keeps only queued calls in queues with a max wait.
            assert call.queued_at is not None and max_wait is not None
            if (now - call.queued_at).total_seconds() < max_wait:
                continue
            snapshot = self.acd.call_snapshot(call.call_sid)
            if snapshot is not None and snapshot.state == "waiting":
                due.append(call)
        return due

    def overflow_overdue(self, overflow_url: str) -> list[str]:
        """Take overdue callers out of the line and send them to their queue's overflow."""
        moved = []
        for call in self.overdue():
            self.apply(self.acd.remove(call.call_sid, "overflow").events)
            if self.telephony is not None:
                try:
                    self.telephony.redirect(call.call_sid, f"{overflow_url}?call={call.call_sid}&reason=max-wait")
                except TelephonyError:
                    continue
            moved.append(call.call_sid)
        return moved

    # -- agents --------------------------------------------------------------------------------
    def set_state(self, agent_id: int, state: str, reason: str | None = None, *, force: bool = False) -> Outcome:
        outcome = self.acd.set_state(str(agent_id), state, reason, force=force)
        self.apply(outcome.events)
        return outcome

    def accept(self, offer_id: str, agent_id: int) -> Outcome:
        """The agent answers the offer: connect caller and agent in the call's conference."""
        outcome = self.acd.accept(offer_id, str(agent_id))
        self.apply(outcome.events)
        if not outcome.ok:
            return outcome
        call_sid = next((e["call_sid"] for e in outcome.events if e.get("type") == "call.updated"), None)
        if call_sid is not None:
            self._connect(call_sid, agent_id)
        return outcome

    def reject(self, offer_id: str, agent_id: int) -> Outcome:
        outcome = self.acd.reject(offer_id, str(agent_id))
        self.apply(outcome.events)
        return outcome

    def complete(self, call_sid: str, agent_id: int, wrap_up_s: float | None = None) -> Outcome:
        outcome = self.acd.complete(call_sid, str(agent_id), wrap_up_s)
        self.apply(outcome.events)
        return outcome

    def agent_leg_ended(self, call_sid: str, agent_id: int, task: str | None = None) -> Outcome:
        """The agent's audio leg ended, so their conversation is over. On a callback the router's
        task is the request (`cb-<id>`) while the leg joined the call we placed to the customer:
        the task is completed (else the agent stays "on call" with nobody on the line) and the
        request, once the customer was connected, is done."""
        outcome = self.complete(task or call_sid, agent_id)
        if outcome.ok and task is not None and task.startswith(CALLBACK_PREFIX):
            request = self.session.get(CallbackRequest, int(task[len(CALLBACK_PREFIX) :]))
            if request is not None and request.status == "connected":
                request.status, request.done_at = "done", clock.now()
        return outcome

    def end_wrap_up(self, agent_id: int, *, force: bool = False) -> Outcome:
        outcome = self.acd.end_wrap_up(str(agent_id), force=force)
        self.apply(outcome.events)
        return outcome

    def extend_wrap_up(self, agent_id: int, seconds: float) -> Outcome:
        outcome = self.acd.extend_wrap_up(str(agent_id), seconds)
        self.apply(outcome.events)
        return outcome

    def wrap_ups_ending_by(self, until: float) -> list[str]:
        """Agents whose wrap-up ends at or before `until` (Unix seconds)."""
        return self.acd.wrap_ups_ending_by(until)

    def agent_snapshot(self, agent_id: int | str) -> AgentSnapshot | None:
        """The router's live view of an agent (None: unknown to the router)."""
        return self.acd.agent_snapshot(str(agent_id))

    def tick(self) -> TickReport:
        report = self.acd.tick()
        self.apply(report.events)
        return report

    # -- connecting ----------------------------------------------------------------------------
    @property
    def telephony(self) -> Telephony | None:
        """The carrier, built on first use (enqueueing and announcements never need it)."""
        return self._carrier_ref.get()

    def _carrier(self) -> Telephony | None:
        """The carrier for clean-up work, or None where none is configured (tests, simulations)."""
        try:
            return self.telephony
        except RuntimeError:
            return None

    def _connect(self, call_sid: str, agent_id: int) -> None:
        if call_sid.startswith(CHAT_PREFIX):
            return  # a chat needs no audio leg: the desktop opens the conversation
        try:
            telephony = self.telephony
        except RuntimeError:
            log.error("no carrier configured: call %s accepted but not connected", call_sid)
            return
        if telephony is None or self.urls is None:
            return
        agent = self.session.get(User, agent_id)
        if agent is None:
            return
        # A browser is told which task it rings for, so the page that accepted it answers at once.
        to = client_address(agent.contact_uri or f"client:{agent.username}", task=call_sid)
        if call_sid.startswith(CALLBACK_PREFIX):
            self._call_back(int(call_sid[len(CALLBACK_PREFIX) :]), agent, to)
            return
        call = self.interaction(call_sid)
        try:
            # The caller leaves the queue's hold music for the conference...
            telephony.redirect(call_sid, f"{self.urls.connect}?call={call_sid}")
            # ...and the agent's audio leg is added to it.
            telephony.add_participant(
                conference_name(call_sid),
                to,
                call.to_number if call else self.center_number,
                status_callback=f"{self.urls.agent_status}?call={call_sid}&agent={agent_id}",
                label=agent_label(agent_id),
            )
        except TelephonyError:
            # The caller hung up in the meantime: the status callback finishes the call.
            return

    def _call_back(self, request_id: int, agent: User, agent_to: str) -> None:
        request = self.session.get(CallbackRequest, request_id)
        if request is None or self.telephony is None or self.urls is None:
            return
        request.status, request.attempts = "dialing", request.attempts + 1
        # We call back from the number the customer called, so they know who is ringing.
        asked = self.session.get(Interaction, request.interaction_id) if request.interaction_id else None
        caller_id = (asked.to_number if asked is not None and asked.to_number else "") or self.center_number
        placed = self.telephony.place_call(
            request.phone,
            caller_id,
            f"{self.urls.callback_answer}?request={request_id}",
            status_callback=None,
        )
        self.telephony.add_participant(
            conference_name(placed.call_sid),
            agent_to,
            caller_id,
            # The leg belongs to the call we placed; the router's task is the request: both go along.
            status_callback=(
                f"{self.urls.agent_status}?call={placed.call_sid}&agent={agent.id}&task={callback_key(request_id)}"
            ),
            label=agent_label(agent.id),
        )

    # -- the store -----------------------------------------------------------------------------
    def interaction(self, call_sid: str) -> Interaction | None:
        return self.session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))

    def apply(self, events: Iterable[dict[str, Any]]) -> None:
        """Write what the router did into the store, in the current transaction."""
        for event in events:
            kind = event.get("type")
            if kind == "agent.state":
                self._agent_state(event)
            elif kind == "call.updated":
                self._call_updated(event)
        self.session.flush()

    def _agent_state(self, event: dict[str, Any]) -> None:
        try:
            agent_id = int(event["agent_id"])
        except (KeyError, ValueError):
            return
        since = _dt(event.get("since")) or clock.now()
        until = _dt(event.get("wrap_until")) if event.get("wrap_until") else None
        self.session.add(
            AgentStateChange(
                agent_id=agent_id,
                state=str(event.get("state")),
                previous=event.get("previous"),
                reason=event.get("reason") or None,
                call_sid=event.get("call_sid"),
                at=since,
                until=until,
            )
        )

    def _call_updated(self, event: dict[str, Any]) -> None:
        sid = str(event.get("call_sid", ""))
        state = event.get("state")
        if sid.startswith(CHAT_PREFIX):
            return  # the chat package records its own milestones
        if sid.startswith(CALLBACK_PREFIX):
            request = self.session.get(CallbackRequest, int(sid[len(CALLBACK_PREFIX) :]))
            if request is not None and state == "connected":
                request.status = "connected"
            return
        call = interactions.find_for_update(self.session, sid) if state == "connected" else self.interaction(sid)
        if call is None:
            return
        now = clock.now()
        if state == "offered" and call.offered_at is None:
            call.offered_at = now
        elif state == "connected":
            if call.ended_at is not None:  # the caller hung up first: the call stays abandoned
                log.info("accept after the caller left", extra={"call_sid": sid})
                return
            call.answered_at = call.answered_at or now
            agent = event.get("agent_id")
            if agent is not None and str(agent).isdigit():
                call.agent_id = int(agent)

    # -- rebuild -------------------------------------------------------------------------------
    def rebuild(self, other_tasks: Iterable[CallRecord] = ()) -> Outcome:
        """After a Redis restart: waiting calls (in their order) and agent states from the store.

        `other_tasks`: what packages above the router keep in it besides calls and callbacks (web
        chats waiting or with an agent), read from their own tables by the caller."""
        queues = {q.id: q for q in self.session.scalars(select(Queue).options(selectinload(Queue.required_skills)))}
        known = {q.name for q in queues.values()}
        calls: list[CallRecord] = [task for task in other_tasks if task.queue in known]
        open_calls = self.session.scalars(
            select(Interaction).where(Interaction.queued_at.is_not(None), Interaction.ended_at.is_(None))
        )
        for call in open_calls:
            queue = queues.get(call.queue_id) if call.queue_id else None
            if queue is None or (call.answered_at is not None and call.agent_id is None):
                continue
            calls.append(
                CallRecord(
                    call_sid=call.call_sid,
                    queue=queue.name,
                    enqueued_at=_ts(call.queued_at) or 0.0,
                    priority=min(call.priority or 0, 899),
                    agent_id=str(call.agent_id) if call.answered_at is not None else None,
                    connected_at=_ts(call.answered_at),
                )
            )
        for request in self.session.scalars(select(CallbackRequest).where(CallbackRequest.status == "pending")):
            queue = queues.get(request.queue_id)
            if queue is not None:
                calls.append(
                    CallRecord(
                        call_sid=callback_key(request.id),
                        queue=queue.name,
                        enqueued_at=_ts(request.place_at) or 0.0,
                        priority=request.priority,
                        attributes={"callback": request.id, "phone": request.phone},
                    )
                )
        connected = {c.agent_id for c in calls if c.agent_id and c.channel == VOICE}
        agents = []
        users = self.session.scalars(
            select(User)
            .where(User.role == Role.AGENT.value, User.active.is_(True))
            .options(selectinload(User.memberships).selectinload(QueueMembership.queue))
        )
        for user in users:
            last = self.session.scalar(
                select(AgentStateChange)
                .where(AgentStateChange.agent_id == user.id)
                .order_by(AgentStateChange.at.desc(), AgentStateChange.id.desc())
                .limit(1)
            )
            state = last.state if last is not None else "offline"
            if state == "on_call" and str(user.id) not in connected:
                state = "available"  # the call ended while Redis was away
            if state == "reserved":
                state = "available"
            if str(user.id) in connected:
                state = "on_call"
            agents.append(
                AgentRecord(
                    profile=AgentProfile.from_user(user),
                    state=state,
                    reason=last.reason if last is not None and state == "break" else None,
                    since=_ts(last.at) if last is not None else None,
                    wrap_until=_ts(last.until) if last is not None and state == "wrap_up" else None,
                )
            )
        configs = [queue_config(q) for q in queues.values()]
        return self.acd.rebuild(calls, agents, configs)


# -- administration (the admin pages) ---------------------------------------------------------------


def set_capacity(user: User, capacity: Mapping[str, int], voice_exclusive: bool) -> None:
    """Change how many tasks of each channel the router may give the agent at once (channels not
    named keep theirs) and whether voice and other tasks mix; ACDError says why not. The router
    learns it at the next `sync_configuration`."""
    merged = check_capacity({**user.channel_capacity(), **capacity})
    user.capacity_voice = merged["voice"]
    user.capacity_chat = merged["chat"]
    user.capacity_email = merged["email"]
    user.capacity_sms = merged["sms"]
    user.voice_exclusive = bool(voice_exclusive)


OVERFLOW_ACTIONS = ("none", "queue", "voicemail", "callback")
QUEUE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def save_queue(session: Session, queue: Queue | None, **values: Any) -> Queue:
    """Create (`queue` None) or change a queue from validated admin input; ACDError says why not.

    `values`: name, display_name, strategy, priority, wrap_up_s, sl_threshold_s, sl_target,
    max_wait_s, max_length, overflow_action, overflow_queue_id, hours (calendar data or None),
    required_skills (name → minimum level); optional: dispositions ([{code, label}]),
    wrap_up_auto_available, alert_wait_s, sl_formula, time_zone (the board's day and alerts),
    survey_after_call (text the caller a satisfaction question after an agent answered).
    The router picks the change up with
    `AcdService.sync_configuration`.
    """
    from contactcenter.accounts.services import get_or_create_skill
    from contactcenter.acd.interfaces import STRATEGIES
    from contactcenter.acd.models import QueueSkill
    from contactcenter.calendars import BusinessCalendar

    name = str(values.get("name", queue.name if queue else "")).strip().lower()
    if not 1 <= len(name) <= 64 or not set(name) <= QUEUE_NAME_CHARS or not name[0].isalnum():
        raise ACDError("name: 1–64 characters of a-z, 0-9, '.', '_' or '-'")
    if queue is not None and name != queue.name:
        raise ACDError("a queue keeps its name (calls, escalations and reports refer to it)")
    clash = session.scalar(select(Queue.id).where(Queue.name == name))
    if clash is not None and (queue is None or clash != queue.id):
        raise ACDError(f"a queue named {name!r} exists")
    display = str(values.get("display_name") or name).strip()
    if not 1 <= len(display) <= 120:
        raise ACDError("display name: 1–120 characters")
    strategy = values.get("strategy") or "longest-idle"
    if strategy not in STRATEGIES:
        raise ACDError(f"strategy must be one of {', '.join(STRATEGIES)}")

    def whole(key: str, lo: int, hi: int) -> int:
        raw = values.get(key)
        if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
            raise ACDError(f"{key.replace('_', ' ')} must be a whole number {lo}–{hi}")
        return raw

    def optional_whole(key: str, lo: int, hi: int) -> int | None:
        return None if values.get(key) is None else whole(key, lo, hi)

    priority = whole("priority", 0, 899)
    wrap_up_s = whole("wrap_up_s", 0, 3600)
    sl_threshold_s = whole("sl_threshold_s", 1, 3600)
    max_wait_s = optional_whole("max_wait_s", 1, 86400)
    max_length = optional_whole("max_length", 1, 100000)
    sl_target = values.get("sl_target")
    if not isinstance(sl_target, (int, float)) or isinstance(sl_target, bool) or not 0 < sl_target <= 1:
        raise ACDError("service-level target must be a share above 0 and at most 1")
    overflow = values.get("overflow_action") or "none"
    if overflow not in OVERFLOW_ACTIONS:
        raise ACDError(f"overflow must be one of {', '.join(OVERFLOW_ACTIONS)}")
    overflow_queue_id = values.get("overflow_queue_id")
    if overflow == "queue":
        target = session.get(Queue, overflow_queue_id) if isinstance(overflow_queue_id, int) else None
        if target is None or (queue is not None and target.id == queue.id):
            raise ACDError("overflow to a queue needs another existing queue")
    else:
        overflow_queue_id = None
    hours = values.get("hours")
    if hours is not None:
        try:
            BusinessCalendar.from_dict(hours)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ACDError(f"opening hours: {exc}") from None
    extras = _queue_extras(queue, values)
    skills = dict(values.get("required_skills") or {})
    for skill, level in skills.items():
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise ACDError(f"minimum level for {skill!r} must be 1 to 10")
    if queue is None:
        queue = Queue(name=name, display_name=display)
        session.add(queue)
    queue.name, queue.display_name, queue.strategy = name, display, strategy
    queue.priority, queue.wrap_up_s, queue.sl_threshold_s = priority, wrap_up_s, sl_threshold_s
    queue.sl_target, queue.max_wait_s, queue.max_length = float(sl_target), max_wait_s, max_length
    queue.overflow_action, queue.overflow_queue_id, queue.hours = overflow, overflow_queue_id, hours
    for key, value in extras.items():
        setattr(queue, key, value)
    keep = []
    for item in queue.required_skills:
        if item.skill.name in skills:
            item.min_level = skills.pop(item.skill.name)
            keep.append(item)
    queue.required_skills[:] = keep
    for skill, level in sorted(skills.items()):
        queue.required_skills.append(QueueSkill(skill=get_or_create_skill(session, skill), min_level=level))
    session.flush()
    return queue


DISPOSITION_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _queue_extras(queue: Queue | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The wrap-up and board settings of a queue, checked; keys not given keep their value."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from contactcenter.acd.service_level import FORMULAS

    out: dict[str, Any] = {}
    if values.get("dispositions") is not None:
        codes = values["dispositions"]
        if not isinstance(codes, list) or len(codes) > 50:
            raise ACDError("dispositions: a list of at most 50 codes")
        seen: set[str] = set()
        for item in codes:
            code = item.get("code") if isinstance(item, dict) else None
            label = item.get("label", code) if isinstance(item, dict) else None
            if not isinstance(code, str) or not DISPOSITION_CODE.match(code):
                raise ACDError("disposition codes: 1–64 characters of a-z, 0-9, '_' or '-'")
            if not isinstance(label, str) or not 1 <= len(label.strip()) <= 120:
                raise ACDError(f"disposition {code!r}: a label of 1–120 characters")
            if code in seen:
                raise ACDError(f"disposition {code!r} is given twice")
            seen.add(code)
        out["dispositions"] = [{"code": d["code"], "label": str(d.get("label", d["code"])).strip()} for d in codes]
    if values.get("wrap_up_auto_available") is not None:
        out["wrap_up_auto_available"] = bool(values["wrap_up_auto_available"])
    if values.get("survey_after_call") is not None:
        out["survey_after_call"] = bool(values["survey_after_call"])
    if values.get("alert_wait_s") is not None:
        alert = values["alert_wait_s"]
        if isinstance(alert, bool) or not isinstance(alert, int) or not 1 <= alert <= 86400:
            raise ACDError("longest-wait alert must be a whole number 1–86400")
        out["alert_wait_s"] = alert
    if values.get("sl_formula") is not None:
        if values["sl_formula"] not in FORMULAS:
            raise ACDError(f"service-level formula must be one of {', '.join(FORMULAS)}")
        out["sl_formula"] = values["sl_formula"]
    if values.get("time_zone") is not None:
        zone = str(values["time_zone"]).strip()
        try:
            if not zone or len(zone) > 64:
                raise ValueError(zone)
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ACDError(f"unknown time zone {zone[:64]!r}") from None
        out["time_zone"] = zone
    return out
