"""Outbound calls meet the ACD: the agent pool the pacer reads, and what an answered call does.

* `AcdAgentPool` is the pacer's `AgentPool`: the campaign's agents (its queue's members plus the
  agents listed on it) as the router sees them now: available, talking since, wrapping up since
  (an agent whose wrap-up has run out counts as available), reserved, away.
* `OutboundCalls` answers the carrier's webhooks of a campaign call (`/hooks/dialer/...`):
  every leg is an outbound `Interaction` linked to its `DialAttempt`; a machine gets the
  campaign's machine instructions; a person is queued in the campaign's ACD queue ahead of
  inbound callers (the screen pop carries the campaign, the lead and the script) and waits in a
  one-second hold loop; a call placed for one agent (preview, or that agent's own callback) is
  queued at callback priority and offered to that agent alone (`pin_to_agent`). An agent who
  accepts the offer (`AcdService.accept`) moves the caller
  into the call's conference and joins it; if no agent is connected within the connect window
  (2 s), the safe-harbor message plays, the call ends and is recorded as abandoned.
* `OutboundConnector.sweep` runs with every pacer pass: it records connections made on the
  agent desktop (`mark_connected`) and ends any answered call whose hold loop went quiet past
  the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from contactcenter import clock
from contactcenter.acd.models import Queue
from contactcenter.acd.services import AcdService, conference_name
from contactcenter.contacts import interactions
from contactcenter.contacts.models import Interaction
from contactcenter.db import transaction
from contactcenter.dialer import campaigns, outcomes
from contactcenter.dialer.dialing import StepReport
from contactcenter.dialer.models import Campaign, DialAttempt, Lead
from contactcenter.dialer.pacer_worker import PacerWorker, publish_event
from contactcenter.dialer.pacing_vocabulary import AgentView, AnsweredCall
from contactcenter.errors import DomainError, Kind
from contactcenter.telephony.interfaces import (
    CallEvent,
    CarrierRef,
    Conference,
    Hangup,
    Instruction,
    Pause,
    Redirect,
    TelephonyError,
)

log = logging.getLogger("contactcenter.dialer.connect")

# Answered campaign calls go ahead of inbound callers (the ACD caps priorities at 899).
OUTBOUND_PRIORITY = 800
# A lead calling back at the time they asked for goes ahead of the other campaign calls.
CALLBACK_PRIORITY = 850
HOLD_STEP_S = 1


# ------------------------------------------------------------------------------- the agent pool


class AcdAgentPool:
    """The pacer's view of a campaign's agents, read from the ACD's live state on every decision.

    The member list (queue members plus listed agents) comes from the store and is cached for
    `refresh_s`; the states are read from Redis each time.
    """

    def __init__(self, acd: Any, session_factory: sessionmaker[Session], *, refresh_s: float = 5.0) -> None:
        self.acd = acd
        self.session_factory = session_factory
        self.refresh_s = refresh_s
        self._members: dict[int, tuple[float, frozenset[str]]] = {}

    def members(self, campaign_id: int) -> frozenset[str]:
        now = clock.timestamp()
        cached = self._members.get(campaign_id)
        if cached is not None and now - cached[0] < self.refresh_s:
            return cached[1]
        with transaction(self.session_factory) as session:
            campaign = session.get(Campaign, campaign_id)
            ids = frozenset(str(i) for i in campaigns.agent_ids(session, campaign)) if campaign else frozenset()
        self._members[campaign_id] = (now, ids)
        return ids

    def agents(self, campaign_id: int) -> Sequence[AgentView]:
        members = self.members(campaign_id)
        if not members:
            return []
        now = clock.timestamp()
        views = []
        for snap in self.acd.agents(now=now):
            if snap.agent_id not in members or snap.state == "offline":
                continue
            state, since = snap.state, snap.since
            if state == "wrap_up" and snap.wrap_until is not None and snap.wrap_until <= now:
                state, since = "available", snap.wrap_until  # the ticker has not caught up yet
            views.append(AgentView(snap.agent_id, state, since))
        return views


# ------------------------------------------------------------------------------- webhooks


@dataclass(frozen=True)
class DialerHookUrls:
    """Absolute URLs of the dialer's webhooks (the attempt id is appended)."""

    answer: str
    status: str
    hold: str

    @classmethod
    def under(cls, base_url: str) -> DialerHookUrls:
        base = base_url.rstrip("/")
        return cls(f"{base}/hooks/dialer/answer", f"{base}/hooks/dialer/status", f"{base}/hooks/dialer/hold")

    def hold_for(self, attempt_id: int, campaign_id: int) -> str:
        return f"{self.hold}?attempt={attempt_id}&campaign={campaign_id}"


class UnknownAttempt(DomainError, LookupError):
    """A webhook names an attempt we never made, or another call than the attempt's."""

    kind: Kind = "not_found"
    code = "unknown_attempt"


class OutboundCalls:
    """The domain side of `/hooks/dialer/*`; the caller publishes `events` after committing."""

    def __init__(self, session: Session, acd: AcdService, urls: DialerHookUrls, *, default_region: str = "US") -> None:
        self.session = session
        self.acd = acd
        self.urls = urls
        self.default_region = default_region
        self.events: list[outcomes.PacerEvent] = []

    # -- helpers -----------------------------------------------------------------------------
    def _attempt(self, attempt_id: int, call_sid: str) -> DialAttempt:
        attempt = self.session.get(DialAttempt, attempt_id)
        if attempt is None:
            raise UnknownAttempt(str(attempt_id))
        if attempt.call_sid is None:
            # The carrier may call back before the dialer has written the call id.
            attempt.call_sid = call_sid
            attempt.placed_at = attempt.placed_at or clock.now()
            self.session.flush()
        elif attempt.call_sid != call_sid:
            raise UnknownAttempt(str(attempt_id))
        return attempt

    def _interaction(self, attempt: DialAttempt, event: CallEvent) -> Interaction:
        """The leg's interaction: opened by its first webhook, every later event logged once."""
        call = interactions.find(self.session, event.call_sid)
        if call is None:
            call = interactions.open_call(self.session, event, self.default_region).interaction
            if event.is_terminal:
                interactions.end_call(call, event.timestamp or clock.now(), event.call_status, event.duration_s)
        elif event.kind == "status":
            call = interactions.record_event(self.session, event).interaction
        if attempt.interaction_id is None:
            attempt.interaction_id = call.id
        return call

    def _campaign(self, attempt: DialAttempt) -> Campaign:
        campaign = self.session.get(Campaign, attempt.campaign_id)
        assert campaign is not None
        return campaign

    def _connect_window_s(self, campaign: Campaign) -> float:
        return float(campaigns.rules_of(campaign).connect_within_s)

    def sync_connection(self, attempt: DialAttempt) -> bool:
        """Record a connection the agent made on the desktop (the ACD or the store knows it)."""
        if attempt.connected_at is not None:
            return True
        if attempt.abandoned or attempt.call_sid is None:
            return False
        agent_id, at = _connected_agent(self.session, self.acd, attempt)
        if agent_id is None:
            return False
        _, events = outcomes.mark_connected(self.session, attempt.call_sid, agent_id, at)
        self.events += events
        return True

    def _abandon(self, attempt: DialAttempt, campaign: Campaign, call: Interaction | None) -> list[Instruction]:
        assert attempt.call_sid is not None
        _, events = outcomes.mark_abandoned(self.session, attempt.call_sid)
        self.events += events
        self.acd.remove(attempt.call_sid, "abandoned")
        if call is not None:
            call.outcome = "abandoned"
        log.info(
            "campaign call abandoned: no agent within the connect window",
            extra={"call_sid": attempt.call_sid, "campaign_id": campaign.id},
        )
        return campaigns.safe_harbor_instructions(campaign)

    # -- webhooks ----------------------------------------------------------------------------
    def answer(self, event: CallEvent, attempt_id: int, *, screened: bool = True) -> list[Instruction]:
        """The called party answered (after machine detection, when it is on; `screened` False:
        the call went out without it, see `outcomes.record_status`)."""
        attempt = self._attempt(attempt_id, event.call_sid)
        call = self._interaction(attempt, event)
        campaign = self._campaign(attempt)
        if attempt.answered_at is None and attempt.ended_at is None:
            _, events = outcomes.record_status(
                self.session, event.call_sid, "in-progress", answered_by=event.answered_by, screened=screened
            )
            self.events += events
        if attempt.outcome == "machine":
            call.outcome = "machine"
            return campaigns.machine_instructions(campaign)
        if attempt.answered_at is None or attempt.abandoned or attempt.ended_at is not None:
            return [Hangup()]
        if self.sync_connection(attempt):
            return self._conference(attempt)
        queue = self.session.get(Queue, campaign.queue_id) if campaign.queue_id is not None else None
        if queue is None:
            return self._abandon(attempt, campaign, call)  # nobody could ever take it
        if call.queued_at is None:
            lead = self.session.get(Lead, attempt.lead_id) if attempt.lead_id is not None else None
            callback = lead is not None and lead.callback_at is not None
            pop = _screen_pop(campaign, attempt, lead)
            interactions.mark_queued(call, queue.id)
            # A callback, or a call placed for one agent (preview, their own callback), goes
            # ahead of the campaign's other answered calls; the latter only to that agent.
            owner = attempt.agent_id
            call.priority = CALLBACK_PRIORITY if callback or owner is not None else OUTBOUND_PRIORITY
            call.intent = f"campaign: {campaign.name}"[:120]
            call.ivr_variables = pop
            self.session.flush()
            skills = pin_to_agent(self.session, self.acd, owner, queue) if owner is not None else None
            self.acd.enqueue(call, queue, priority=call.priority, skills=skills, attributes={"dialer": pop})
        return [Pause(HOLD_STEP_S), Redirect(self.urls.hold_for(attempt.id, attempt.campaign_id))]

    def hold(self, event: CallEvent, attempt_id: int) -> list[Instruction]:
        """The answered person waits, one second at a time, for an agent; then the safe harbor."""
        attempt = self._attempt(attempt_id, event.call_sid)
        call = interactions.find(self.session, event.call_sid)
        campaign = self._campaign(attempt)
        if attempt.abandoned or (call is not None and call.is_ended):
            return [Hangup()]
        if self.sync_connection(attempt):
            return self._conference(attempt)
        if attempt.answered_at is None:
            return [Hangup()]
        deadline = attempt.answered_at + timedelta(seconds=self._connect_window_s(campaign))
        if clock.now() >= deadline - timedelta(milliseconds=50):
            return self._abandon(attempt, campaign, call)
        return [Pause(HOLD_STEP_S), Redirect(self.urls.hold_for(attempt.id, attempt.campaign_id))]

    def status(self, event: CallEvent, attempt_id: int, *, screened: bool = True) -> DialAttempt:
        """A status callback: the interaction, the attempt (retries follow), the ACD."""
        attempt = self._attempt(attempt_id, event.call_sid)
        call = self._interaction(attempt, event)
        if event.is_terminal:
            self.sync_connection(attempt)  # a connected call must not end up counted as abandoned
        _, events = outcomes.record_status(
            self.session, event.call_sid, event.call_status, answered_by=event.answered_by, screened=screened
        )
        self.events += events
        if event.is_terminal and call.queued_at is not None:
            self.acd.call_ended(call)
        return attempt

    def abandoned_while_store_away(
        self, event: CallEvent, attempt_id: int, *, answered: bool, screened: bool = True
    ) -> DialAttempt:
        """Replayed from the outbox: an answer (or a wait for an agent) the webhook met with the
        store unreachable. The person heard the safe-harbor message and the call ended, so a live
        answer counts as abandoned, at the time it happened, unless an agent had already connected."""
        attempt = self._attempt(attempt_id, event.call_sid)
        at = event.timestamp or clock.now()
        call = self._interaction(attempt, event)
        if answered and attempt.answered_at is None and attempt.ended_at is None:
            _, events = outcomes.record_status(
                self.session, event.call_sid, "in-progress", at, answered_by=event.answered_by, screened=screened
            )
            self.events += events
        if attempt.answered_at is None or attempt.outcome == "machine" or self.sync_connection(attempt):
            return attempt
        _, events = outcomes.mark_abandoned(self.session, event.call_sid, at)
        if events:
            self.events += events
            self.acd.remove(event.call_sid, "abandoned")
            call.outcome = "abandoned"
        return attempt

    def _conference(self, attempt: DialAttempt) -> list[Instruction]:
        assert attempt.call_sid is not None
        self.acd.caller_joining(attempt.call_sid)
        return [Conference(name=conference_name(attempt.call_sid), start_on_enter=True, end_on_exit=True)]


def personal_skill(agent_id: int) -> str:
    """The router skill only `agent_id` has while a call placed for them is answered."""
    return f"dialer.agent.{agent_id}"


def pin_to_agent(session: Session, acd: Any, agent_id: int, queue: Queue) -> dict[str, int] | None:
    """Make an answered call eligible for one agent only, through the router's own skill match.

    The router has no notion of "this agent only", but it matches a call's own required skills
    atomically: the agent's router profile gains a skill named for them (and the campaign's
    queue, so a listed agent who is not a queue member can take it), and the call requires just
    that skill. Nobody else has it, so nobody else is offered the call. The skill outlives the
    call harmlessly (no queue requires it); a listed agent who is not a queue member also serves
    that queue until the router is next configured from the store (which drops both).
    Returns the call's requirements, or None (the agent is gone: anyone may take it).
    """
    from contactcenter.accounts.models import User
    from contactcenter.acd.interfaces import AgentProfile

    user = session.get(User, agent_id)
    if user is None or not user.active:
        return None
    skill = personal_skill(agent_id)
    queues = tuple(dict.fromkeys([*(m.queue.name for m in user.memberships), queue.name]))
    acd.update_profile(AgentProfile(agent_id=str(user.id), skills={**user.skill_levels(), skill: 1}, queues=queues))
    return {skill: 1}


def _screen_pop(campaign: Campaign, attempt: DialAttempt, lead: Lead | None) -> dict[str, Any]:
    pop: dict[str, Any] = {
        "campaign_id": campaign.id,
        "campaign": campaign.name,
        "attempt_id": attempt.id,
        "script": campaign.script or "",
        "dispositions": [
            {"code": d.get("code"), "label": d.get("label", d.get("code"))} for d in campaign.dispositions or []
        ],
    }
    if lead is not None:
        pop.update(lead_id=lead.id, lead_name=lead.name, phone=lead.phone, attributes=dict(lead.attributes or {}))
    return pop


def _connected_agent(session: Session, acd: Any, attempt: DialAttempt) -> tuple[int | None, datetime | None]:
    """The agent connected to the attempt's call, and since when (from the ACD, else the store)."""
    assert attempt.call_sid is not None
    snapshot = acd.call_snapshot(attempt.call_sid)
    if (
        snapshot is not None
        and snapshot.state == "connected"
        and snapshot.agent_id
        and str(snapshot.agent_id).isdigit()
    ):
        at = datetime.fromtimestamp(snapshot.connected_at, clock.UTC) if snapshot.connected_at else clock.now()
        return int(snapshot.agent_id), at
    call = session.get(Interaction, attempt.interaction_id) if attempt.interaction_id else None
    if call is not None and call.agent_id is not None and call.queued_at is not None:
        return call.agent_id, call.answered_at or clock.now()
    return None, None


# ------------------------------------------------------------------------------- the worker side


class OutboundConnector:
    """Runs with the pacer: records desktop connections and closes answered calls left waiting."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        acd: Any,
        telephony: Callable[[], Any] | Any,
        urls: DialerHookUrls,
        redis: Any,
        *,
        grace_s: float = 3.0,
    ) -> None:
        self.session_factory = session_factory
        self.acd = acd
        self._carrier_ref = CarrierRef(telephony, each_use=True)
        self.urls = urls
        self.redis = redis
        self.grace_s = grace_s

    @property
    def telephony(self) -> Any:
        return self._carrier_ref.get()

    def on_answered(self, call: AnsweredCall) -> None:
        """The pacer heard a live answer; the answer webhook has already queued the call."""
        log.debug("live answer on campaign %s: %s (connect by %.1f)", call.campaign_id, call.call_id, call.connect_by)

    def sweep(self, now: float | None = None) -> list[outcomes.PacerEvent]:
        now = clock.timestamp() if now is None else now
        events: list[outcomes.PacerEvent] = []
        stale: list[tuple[str, int, int]] = []
        since = datetime.fromtimestamp(now - 3600, clock.UTC)
        with transaction(self.session_factory) as session:
            waiting = session.scalars(
                select(DialAttempt).where(
                    DialAttempt.answered_at.is_not(None),
                    DialAttempt.answered_at >= since,
                    DialAttempt.connected_at.is_(None),
                    DialAttempt.abandoned.is_(False),
                    DialAttempt.ended_at.is_(None),
                    DialAttempt.call_sid.is_not(None),
                )
            )
            for attempt in list(waiting):
                # The query keeps only answered attempts with a call.
                assert attempt.call_sid is not None and attempt.answered_at is not None
                agent_id, at = _connected_agent(session, self.acd, attempt)
                if agent_id is not None:
                    events += outcomes.mark_connected(session, attempt.call_sid, agent_id, at)[1]
                    continue
                campaign = session.get(Campaign, attempt.campaign_id)
                window = float(campaigns.rules_of(campaign).connect_within_s) if campaign else 2.0
                if now > attempt.answered_at.timestamp() + window + self.grace_s:
                    stale.append((attempt.call_sid, attempt.id, attempt.campaign_id))
        for kind in events:
            publish_event(self.redis, **kind.as_dict())
        for call_sid, attempt_id, campaign_id in stale:
            # The hold loop went quiet (a lost webhook): send the call back to it, which ends it.
            try:
                self.telephony.redirect(call_sid, self.urls.hold_for(attempt_id, campaign_id))
            except TelephonyError:
                log.info("could not redirect waiting campaign call %s", call_sid)
        return events


class ConnectingPacerWorker(PacerWorker):
    """`PacerWorker` that also runs the connector's sweep on every pass it leads."""

    def __init__(self, redis: Any, campaigns: Any, connector: OutboundConnector, **kw: Any) -> None:
        super().__init__(redis, campaigns, **kw)
        self.connector = connector

    def step(self, events: Sequence[Mapping[str, Any]] = (), now: float | None = None) -> dict[int, StepReport]:
        reports = super().step(events, now)
        if self.lock.held:
            try:
                self.connector.sweep(now)
            except Exception:
                log.exception("connector sweep failed")
        return reports
