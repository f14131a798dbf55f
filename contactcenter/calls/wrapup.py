"""Wrap-up (after-call work): disposition, notes, a ticket, a callback; then back to work.

The codes an agent may pick come from the call's campaign (the dialer's dispositions, whose
retry, callback and do-not-call rules `dialer.outcomes.record_disposition` applies) or else from
the call's queue (`Queue.dispositions`, or `DEFAULT_DISPOSITIONS`). Submitting ends the agent's
wrap-up at once. When nobody submits, the router's wrap-up timer returns the agent to
available, unless the queue says `wrap_up_auto_available = False`: then `keep_not_ready`, run by
the heartbeat just before the timer would fire, puts the agent on a not-ready break instead.

Which call an agent wraps up is read from the agent-state trail (the last call they were put on),
so an agent can wrap up only calls they actually took, and each agent once per call.

Drafts and the end of the timer. What the agent types (disposition, notes) is saved as a draft
on the server as they type (`save_draft`). When the timer ends, the agent goes back to available
(or not ready) exactly as before, but the draft stays with the call and the wrap-up stays owed:
the desktop keeps showing it, filled in, and the agent submits it when they can, even after
their next call. It is not recorded as the call's wrap-up on its own: a half-typed note or a
disposition picked on the way to another is not what the agent meant to file, a ticket or a
callback needs their decision, and contact-centre reports treat an unconfirmed disposition as
missing rather than as true. Nothing typed is lost either way. A late submit counts as wrap-up
time only up to the timer's end (the agent was back at work after it).

Extension. An agent who needs more time may extend the timer once per call, while it runs, by
the call's queue wrap-up length again (`extension_seconds`); the draft row records the
extension, and claiming it is one conditional UPDATE, so two clicks or two tabs cannot extend twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter import clock, phones
from contactcenter.accounts.models import Role
from contactcenter.acd.interfaces import CONNECTED, WRAP_UP
from contactcenter.acd.models import AgentStateChange, CallbackRequest, Queue
from contactcenter.acd.services import AcdService, callback_key
from contactcenter.calls.controls import close_hold
from contactcenter.calls.models import CallAction, WrapUpDraft
from contactcenter.contacts import interactions
from contactcenter.contacts.models import Interaction
from contactcenter.dialer.models import Campaign, DialAttempt
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets import services as tickets
from contactcenter.tickets.access import Viewer, can_see_ticket

DEFAULT_DISPOSITIONS: tuple[dict[str, str], ...] = (
    {"code": "resolved", "label": "Resolved"},
    {"code": "follow_up", "label": "Needs follow-up"},
    {"code": "callback", "label": "Callback scheduled"},
    {"code": "escalated", "label": "Escalated"},
    {"code": "other", "label": "Other"},
)
MAX_NOTES = 10_000
MAX_CALLBACK_AHEAD = timedelta(days=90)
CALLBACK_GRACE = timedelta(minutes=5)  # "now" as typed on a desktop is a little in the past
# The heartbeat runs about once a second: a not-ready agent is taken out this far ahead of the
# timer, so the router can never make them available in between.
NOT_READY_LOOKAHEAD_S = 1.5
NOT_READY_REASON = "other"
# An extension gives the queue's wrap-up length again, within these bounds (a queue with no
# wrap-up time, or a call with no queue, still gets a useful extension; none gets an hour).
DEFAULT_EXTENSION_S = 30
MAX_EXTENSION_S = 600


class WrapUpError(DomainError):
    """The wrap-up cannot be taken as sent; `code` says why, `kind` whether it is the request
    (invalid), the call's state (conflict) or the call itself (not_found, forbidden)."""

    def __init__(self, code: str, message: str, kind: Kind = "invalid") -> None:
        super().__init__(message, code=code, kind=kind)


@dataclass(frozen=True)
class TicketChoice:
    """Open a new ticket (`subject`) or add the call to an existing one (`ticket_id`)."""

    ticket_id: int | None = None
    subject: str | None = None
    priority: str = "normal"


@dataclass(frozen=True)
class WrapUp:
    disposition: str
    notes: str = ""
    ticket: TicketChoice | None = None
    callback_at: datetime | None = None
    callback_phone: str | None = None
    # A campaign callback the wrapping agent keeps for themselves (dialed for them alone);
    # otherwise any of the campaign's agents may take it.
    callback_mine: bool = False


@dataclass(frozen=True)
class WrapUpResult:
    call_sid: str
    disposition: str
    ticket_id: int | None
    callback_id: int | None
    wrap_s: int
    agent_state: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "call_sid": self.call_sid,
            "disposition": self.disposition,
            "ticket_id": self.ticket_id,
            "callback_id": self.callback_id,
            "wrap_s": self.wrap_s,
            "agent_state": self.agent_state,
        }


class WrapUpService:
    def __init__(
        self,
        session: Session,
        acd: AcdService,
        *,
        default_region: str = "US",
        schedule_callback: Callable[[int, datetime], None],
    ) -> None:
        self.session = session
        self.acd = acd
        self.default_region = default_region
        self.schedule_callback = schedule_callback  # releases the callback at its time (an RQ job)

    # -- reading --------------------------------------------------------------------------------
    def last_taken(self, agent_id: int) -> AgentStateChange | None:
        """The agent's most recent "put on a call" record (accept or transfer)."""
        return self.session.scalar(
            select(AgentStateChange)
            .where(
                AgentStateChange.agent_id == agent_id,
                AgentStateChange.state == "on_call",
                AgentStateChange.call_sid.is_not(None),
            )
            .order_by(AgentStateChange.at.desc(), AgentStateChange.id.desc())
            .limit(1)
        )

    def dispositions(self, call: Interaction) -> list[dict[str, str]]:
        campaign = self._campaign(call)
        if campaign is not None:
            return [
                {"code": str(d.get("code")), "label": str(d.get("label", d.get("code")))}
                for d in campaign.dispositions or []
                if d.get("code")
            ]
        queue = self.session.get(Queue, call.queue_id) if call.queue_id else None
        codes = (queue.dispositions if queue is not None else None) or DEFAULT_DISPOSITIONS
        return [
            {"code": str(d.get("code")), "label": str(d.get("label", d.get("code")))} for d in codes if d.get("code")
        ]

    def pending(self, agent_id: int) -> dict[str, Any] | None:
        """The wrap-up the agent still owes, for the desktop (None: nothing to wrap up).

        The last call they took, unless wrapped up or still live; otherwise the latest call
        they left a draft for and never submitted (the timer ended, then another call came).
        """
        call = self._owed_call(agent_id)
        if call is None:
            return None
        agent = self.acd.agent_snapshot(agent_id)
        in_wrap_up = agent is not None and agent.state == WRAP_UP and self._is_last_taken(call, agent_id)
        queue = self.session.get(Queue, call.queue_id) if call.queue_id else None
        draft = self._draft(call, agent_id)
        return {
            "call_sid": call.call_sid,
            "deadline": agent.wrap_until if in_wrap_up and agent is not None else None,
            "in_wrap_up": in_wrap_up,
            "auto_available": queue.wrap_up_auto_available if queue is not None else True,
            "dispositions": self.dispositions(call),
            "campaign": self._campaign(call) is not None,
            "customer": call.customer.name if call.customer is not None else None,
            "from": call.from_number,
            "draft": self._draft_dict(draft),
            "extended": draft is not None and draft.extended_at is not None,
            "can_extend": in_wrap_up and (draft is None or draft.extended_at is None),
            "extension_s": self.extension_seconds(call),
        }

    def extension_seconds(self, call: Interaction) -> int:
        """How much longer one extension keeps the agent in wrap-up: the queue's wrap-up length."""
        queue = self.session.get(Queue, call.queue_id) if call.queue_id else None
        seconds = queue.wrap_up_s if queue is not None and queue.wrap_up_s else DEFAULT_EXTENSION_S
        return max(1, min(int(seconds), MAX_EXTENSION_S))

    # -- drafts and the extension ---------------------------------------------------------------
    def save_draft(self, call_sid: str, agent_id: int, disposition: str | None, notes: str) -> dict[str, Any]:
        """Keep what the agent has typed so far; any later save replaces it.

        The disposition may still be unchosen (None) but, if given, must be one of the call's
        codes; the notes are kept exactly as typed (no trimming while the agent is typing).
        """
        call = self._owed_by(call_sid, agent_id, allow_live=True)
        notes = _checked_notes(notes)
        if disposition is not None and disposition not in {d["code"] for d in self.dispositions(call)}:
            raise WrapUpError("bad_disposition", "pick one of the call's dispositions")
        draft = self._draft_row(call, agent_id)
        draft.disposition, draft.notes, draft.saved_at = disposition, notes, clock.now()
        self.session.flush()
        return self._draft_dict(draft) or {}

    def extend(self, call_sid: str, agent_id: int) -> dict[str, Any]:
        """Give the agent more wrap-up time for this call: once, while the timer still runs."""
        call = self._owed_by(call_sid, agent_id)
        agent = self.acd.agent_snapshot(agent_id)
        if agent is None or agent.state != WRAP_UP or not self._is_last_taken(call, agent_id):
            raise WrapUpError("wrap_up_over", "the wrap-up time is over: submit the wrap-up when ready", "conflict")
        seconds = self.extension_seconds(call)
        draft = self._draft_row(call, agent_id)
        # An UPDATE's result is a CursorResult, which has the rowcount; Session.execute is typed for any statement.
        claimed = cast(
            CursorResult[Any],
            self.session.execute(
                update(WrapUpDraft)
                .where(WrapUpDraft.id == draft.id, WrapUpDraft.extended_at.is_(None))
                .values(extended_at=clock.now(), extended_s=seconds)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if claimed != 1:
            raise WrapUpError("already_extended", "the wrap-up can be extended only once", "conflict")
        self.session.expire(draft)
        outcome = self.acd.extend_wrap_up(agent_id, seconds)
        if not outcome.ok:
            raise WrapUpError("wrap_up_over", "the wrap-up time is over: submit the wrap-up when ready", "conflict")
        snapshot = self.acd.agent_snapshot(agent_id)
        deadline = snapshot.wrap_until if snapshot is not None else None
        self._record_deadline(agent_id, deadline)
        self.session.add(
            CallAction(
                interaction_id=call.id,
                agent_id=agent_id,
                action="wrap_up_extend",
                at=clock.now(),
                detail={"seconds": seconds},
            )
        )
        self.session.flush()
        return {"call_sid": call.call_sid, "seconds": seconds, "deadline": deadline}

    # -- submitting -----------------------------------------------------------------------------
    def submit(self, call_sid: str, agent_id: int, wrap: WrapUp) -> WrapUpResult:
        call = self._owed_by(call_sid, agent_id)
        notes = _checked_notes(wrap.notes).strip()
        codes = {d["code"] for d in self.dispositions(call)}
        if wrap.disposition not in codes:
            raise WrapUpError("bad_disposition", "pick one of: " + ", ".join(sorted(codes)))
        now = clock.now()
        callback_id = None
        attempt = self._attempt(call)
        if wrap.callback_at is not None:
            self._check_callback_time(wrap.callback_at, now)
        if attempt is not None:
            from contactcenter.dialer import outcomes
            from contactcenter.dialer.campaigns import CampaignError

            try:
                outcomes.record_disposition(
                    self.session,
                    attempt.id,
                    wrap.disposition,
                    agent_id=agent_id,
                    callback_at=wrap.callback_at,
                    callback_agent_id=agent_id if wrap.callback_mine and wrap.callback_at else None,
                )
            except CampaignError as exc:
                raise WrapUpError("bad_disposition", str(exc)) from exc
        elif wrap.callback_at is not None:
            callback_id = self._callback(call, wrap.callback_at, wrap.callback_phone).id
        ticket_id = self._ticket(call, agent_id, wrap.ticket, notes) if wrap.ticket is not None else None
        # The totals: hold closed at the end of the call, talk, and the agent's wrap-up time.
        close_hold(call, call.ended_at or now)
        wrap_start = self._wrap_started(call, agent_id)
        agent = self.acd.agent_snapshot(agent_id)
        # An earlier call's late wrap-up neither counts nor ends the wrap-up of the agent's last call.
        wrapping_now = agent is not None and agent.state == WRAP_UP and self._is_last_taken(call, agent_id)
        wrap_end = now if wrapping_now else self._wrap_ended(agent_id, wrap_start) or now
        if call.answered_at is not None:
            end = call.ended_at or wrap_start or now
            call.talk_s = max(0, int(round((end - call.answered_at).total_seconds())) - (call.hold_s or 0))
        mine = max(0, int(round((wrap_end - wrap_start).total_seconds())))
        call.disposition = wrap.disposition
        if call.wrapped_up_at is not None:
            # A transferred call: each agent's wrap-up time counts, and each agent's notes are kept.
            call.wrap_s = (call.wrap_s or 0) + mine
            if notes:
                call.notes = f"{call.notes}\n\n{notes}" if call.notes else notes
        else:
            call.wrap_started_at, call.wrap_s = wrap_start, mine
            call.notes = notes or call.notes
        call.wrapped_up_at = now
        self.session.execute(
            delete(WrapUpDraft).where(WrapUpDraft.interaction_id == call.id, WrapUpDraft.agent_id == agent_id)
        )
        self.session.add(
            CallAction(
                interaction_id=call.id,
                agent_id=agent_id,
                action="wrap_up",
                at=now,
                detail={
                    "disposition": wrap.disposition,
                    "ticket_id": ticket_id,
                    "callback_id": callback_id,
                    "wrap_s": mine,
                },
            )
        )
        state = agent.state if agent is not None else None
        if wrapping_now:
            outcome = self.acd.end_wrap_up(agent_id, force=True)
            if outcome.ok:
                state = "available"
        self.session.flush()
        return WrapUpResult(call.call_sid, wrap.disposition, ticket_id, callback_id, mine, state)

    # -- the not-ready setting ------------------------------------------------------------------
    def keep_not_ready(self, now: float | None = None, lookahead_s: float = NOT_READY_LOOKAHEAD_S) -> list[int]:
        """Agents whose wrap-up timer is about to end after a call of a queue that does not return
        them to available: put them on a not-ready break before the router can free them."""
        now = clock.timestamp() if now is None else now
        held = []
        for aid in self.acd.wrap_ups_ending_by(now + lookahead_s):
            if not aid.isdigit():
                continue
            taken = self.last_taken(int(aid))
            call = interactions.find(self.session, taken.call_sid) if taken and taken.call_sid else None
            queue = self.session.get(Queue, call.queue_id) if call is not None and call.queue_id else None
            if queue is None or queue.wrap_up_auto_available:
                continue
            if self.acd.set_state(int(aid), "break", NOT_READY_REASON, force=True).ok:
                held.append(int(aid))
        return held

    # -- helpers --------------------------------------------------------------------------------
    def _owed_by(self, call_sid: str, agent_id: int, *, allow_live: bool = False) -> Interaction:
        """The call, if it is this agent's to wrap up now; else the WrapUpError saying why not."""
        call = interactions.find(self.session, call_sid)
        if call is None:
            raise WrapUpError("unknown_call", "no such call", "not_found")
        if not self._took(call, agent_id):
            raise WrapUpError("not_your_call", "this call is not yours", "forbidden")
        if self._wrapped(call, agent_id):
            raise WrapUpError("already_wrapped_up", "this call is already wrapped up", "conflict")
        if not allow_live and self._live_with(call, agent_id):
            raise WrapUpError(
                "call_in_progress", "the call is still in progress: hang up or transfer first", "conflict"
            )
        return call

    def _owed_call(self, agent_id: int) -> Interaction | None:
        taken = self.last_taken(agent_id)
        call = interactions.find(self.session, taken.call_sid) if taken is not None and taken.call_sid else None
        if call is not None and not self._wrapped(call, agent_id):
            return None if self._live_with(call, agent_id) else call
        # The last call is wrapped up (or there is none): a draft left on an earlier call is still owed.
        for draft in self.session.scalars(
            select(WrapUpDraft)
            .where(WrapUpDraft.agent_id == agent_id)
            .order_by(WrapUpDraft.saved_at.desc(), WrapUpDraft.id.desc())
            .limit(5)
        ):
            older = self.session.get(Interaction, draft.interaction_id)
            if older is not None and not self._wrapped(older, agent_id):
                return older
        return None

    def _is_last_taken(self, call: Interaction, agent_id: int) -> bool:
        taken = self.last_taken(agent_id)
        return taken is not None and taken.call_sid == call.call_sid

    def _draft(self, call: Interaction, agent_id: int) -> WrapUpDraft | None:
        return self.session.scalar(
            select(WrapUpDraft).where(WrapUpDraft.interaction_id == call.id, WrapUpDraft.agent_id == agent_id)
        )

    def _draft_row(self, call: Interaction, agent_id: int) -> WrapUpDraft:
        """The agent's draft for the call, created if need be (two tabs may race: one insert wins)."""
        draft = self._draft(call, agent_id)
        if draft is not None:
            return draft
        try:
            with self.session.begin_nested():
                draft = WrapUpDraft(interaction_id=call.id, agent_id=agent_id, notes="", saved_at=clock.now())
                self.session.add(draft)
        except IntegrityError:
            draft = self._draft(call, agent_id)
            if draft is None:
                raise
        return draft

    @staticmethod
    def _draft_dict(draft: WrapUpDraft | None) -> dict[str, Any] | None:
        if draft is None:
            return None
        return {
            "disposition": draft.disposition,
            "notes": draft.notes,
            "saved_at": draft.saved_at.isoformat() if draft.saved_at else None,
        }

    def _record_deadline(self, agent_id: int, deadline: float | None) -> None:
        """The agent's wrap-up row in the trail carries the new end, so a rebuild of the ACD keeps it."""
        if deadline is None:
            return
        row = self.session.scalar(
            select(AgentStateChange)
            .where(AgentStateChange.agent_id == agent_id, AgentStateChange.state == WRAP_UP)
            .order_by(AgentStateChange.at.desc(), AgentStateChange.id.desc())
            .limit(1)
        )
        if row is not None:
            row.until = datetime.fromtimestamp(deadline, tz=UTC)

    def _took(self, call: Interaction, agent_id: int) -> bool:
        return (
            self.session.scalar(
                select(AgentStateChange.id)
                .where(
                    AgentStateChange.agent_id == agent_id,
                    AgentStateChange.state == "on_call",
                    AgentStateChange.call_sid == call.call_sid,
                )
                .limit(1)
            )
            is not None
        )

    def _wrapped(self, call: Interaction, agent_id: int) -> bool:
        return (
            self.session.scalar(
                select(CallAction.id)
                .where(
                    CallAction.interaction_id == call.id,
                    CallAction.agent_id == agent_id,
                    CallAction.action == "wrap_up",
                )
                .limit(1)
            )
            is not None
        )

    def _live_with(self, call: Interaction, agent_id: int) -> bool:
        snapshot = self.acd.call_snapshot(call.call_sid)
        return (
            snapshot is not None
            and snapshot.state == CONNECTED
            and snapshot.agent_id == str(agent_id)
            and not call.is_ended
        )

    def _wrap_started(self, call: Interaction, agent_id: int) -> datetime:
        taken = self.session.scalar(
            select(AgentStateChange)
            .where(
                AgentStateChange.agent_id == agent_id,
                AgentStateChange.state == "on_call",
                AgentStateChange.call_sid == call.call_sid,
            )
            .order_by(AgentStateChange.at.desc(), AgentStateChange.id.desc())
            .limit(1)
        )
        if taken is not None:
            left = self.session.scalar(
                select(AgentStateChange)
                .where(AgentStateChange.agent_id == agent_id, AgentStateChange.id > taken.id)
                .order_by(AgentStateChange.id)
                .limit(1)
            )
            if left is not None:
                return left.at
        return call.ended_at or clock.now()

    def _wrap_ended(self, agent_id: int, start: datetime) -> datetime | None:
        row = self.session.scalar(
            select(AgentStateChange)
            .where(
                AgentStateChange.agent_id == agent_id, AgentStateChange.state != "wrap_up", AgentStateChange.at > start
            )
            .order_by(AgentStateChange.at, AgentStateChange.id)
            .limit(1)
        )
        return row.at if row is not None else None

    def _attempt(self, call: Interaction) -> DialAttempt | None:
        return self.session.scalar(select(DialAttempt).where(DialAttempt.call_sid == call.call_sid).limit(1))

    def _campaign(self, call: Interaction) -> Campaign | None:
        attempt = self._attempt(call)
        return self.session.get(Campaign, attempt.campaign_id) if attempt is not None else None

    def _check_callback_time(self, at: datetime, now: datetime) -> None:
        if at.tzinfo is None:
            raise WrapUpError("bad_callback", "the callback time needs a time zone")
        if at < now - CALLBACK_GRACE or at > now + MAX_CALLBACK_AHEAD:
            raise WrapUpError("bad_callback", "the callback time must be between now and 90 days ahead")

    def _callback(self, call: Interaction, at: datetime, phone: str | None) -> CallbackRequest:
        number = phones.try_normalize(phone or call.from_number, self.default_region)
        if number is None:
            raise WrapUpError("bad_callback", "no valid number to call back")
        if call.queue_id is None:
            raise WrapUpError("bad_callback", "the call has no queue to call back from")
        taken = self.session.scalar(select(CallbackRequest.id).where(CallbackRequest.interaction_id == call.id))
        request = CallbackRequest(
            interaction_id=None if taken is not None else call.id,
            customer_id=call.customer_id,
            phone=number,
            queue_id=call.queue_id,
            priority=min(call.priority or 0, 899),
            place_at=at,
            intent=call.intent,
        )
        self.session.add(request)
        self.session.flush()
        self.schedule_callback(request.id, at)
        return request

    def _ticket(self, call: Interaction, agent_id: int, choice: TicketChoice, notes: str) -> int:
        try:
            if choice.ticket_id is not None:
                try:
                    ticket = tickets.get_ticket(self.session, choice.ticket_id)
                except tickets.TicketNotFound as exc:
                    raise WrapUpError("unknown_ticket", "no such ticket", "not_found") from exc
                viewer = Viewer(agent_id, Role.AGENT.value)
                same_customer = call.customer_id is not None and ticket.customer_id == call.customer_id
                if not (same_customer or can_see_ticket(self.session, viewer, ticket)):
                    raise WrapUpError("unknown_ticket", "no such ticket", "not_found")
                tickets.link_interaction(self.session, ticket, call, actor_id=agent_id)
                if notes:
                    tickets.add_comment(self.session, ticket, notes, author_id=agent_id)
                return ticket.id
            ticket = tickets.open_ticket(
                self.session,
                choice.subject or "",
                description=notes,
                customer_id=call.customer_id,
                priority=choice.priority,
                queue_id=call.queue_id,
                assignee_id=agent_id,
                channel="phone",
                actor_id=agent_id,
                interactions=[call],
            )
            return ticket.id
        except tickets.TicketError as exc:
            kind: Kind = "conflict" if choice.ticket_id is not None else "invalid"
            raise WrapUpError("bad_ticket", str(exc), kind) from exc


def _checked_notes(notes: str) -> str:
    """Notes as given, refused when too long or holding characters the store cannot keep."""
    if len(notes) > MAX_NOTES:
        raise WrapUpError("notes_too_long", f"notes are at most {MAX_NOTES} characters")
    if "\x00" in notes:
        raise WrapUpError("bad_notes", "notes cannot contain NUL characters")
    return notes


def release_callback(session: Session, acd: AcdService, request_id: int) -> str:
    """A scheduled callback is due: it joins its queue (in the order of its time) for an agent."""
    request = session.get(CallbackRequest, request_id)
    if request is None or request.status != "pending":
        return "nothing-to-do"
    queue = session.get(Queue, request.queue_id)
    if queue is None:
        request.status = "failed"
        return "no-queue"
    outcome = acd.acd.enqueue(
        callback_key(request.id),
        queue.name,
        priority=request.priority,
        enqueued_at=request.place_at.timestamp(),
        attributes={"callback": request.id, "phone": request.phone},
    )
    acd.apply(outcome.events)
    return "queued" if outcome.ok else f"refused: {outcome.reason}"
