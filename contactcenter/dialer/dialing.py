"""One campaign's dialing step: take the pacer's decision, claim leads, place the calls.

The lead source and the carrier are ports (`LeadSource`, `Dialer`), so the worker, a web
request's preview dial and the simulation all run the same step.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from contactcenter import clock
from contactcenter.dialer.pacer import Pacer
from contactcenter.dialer.pacing_vocabulary import (
    AVAILABLE,
    PREDICTIVE,
    AgentPool,
    AgentView,
    AnsweredCall,
    Decision,
    OnAnswered,
    agent_state,
)
from contactcenter.telephony.interfaces import CarrierRef

log = logging.getLogger("contactcenter.dialer.pacer")


@dataclass(frozen=True)
class LeadClaim:
    """A lead the gate let through, with the attempt record written for it."""

    attempt_id: int
    lead_id: int
    phone: str
    caller_id: str


class LeadSource(Protocol):
    """Hands out leads that may be dialed now (DNC, window, attempts checked; refusals recorded)."""

    def claim(self, campaign_id: int, count: int, now: float, agent_id: str | None = None) -> list[LeadClaim]: ...

    def dialed(self, claim: LeadClaim, call_id: str, now: float) -> None: ...

    def failed(self, claim: LeadClaim, error: str, now: float) -> None: ...


class Dialer(Protocol):
    """The part of the telephony port the dialer uses (`Telephony` satisfies it)."""

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None = None,
        machine_detection: str | None = None,
        timeout_s: int = 30,
    ) -> Any: ...

    def hangup(self, call_sid: str) -> None: ...


@dataclass(frozen=True)
class CallUrls:
    """Where the carrier sends an outbound call's answer and status webhooks."""

    base_url: str = "http://localhost:5000"

    # The campaign rides along so that, with the store unreachable, the webhook can still play
    # that campaign's safe-harbor message (kept in Redis) to a person nobody can be connected to.
    # `amd=off` marks a call of an AMD campaign placed without detection (the pacer had no room
    # for its false-positive charge): its answer carries no verdict and is taken for a person.
    def voice(self, claim: LeadClaim, campaign_id: int, *, unscreened: bool = False) -> str:
        return f"{self.base_url}/hooks/dialer/answer?attempt={claim.attempt_id}&campaign={campaign_id}" + (
            "&amd=off" if unscreened else ""
        )

    def status(self, claim: LeadClaim, campaign_id: int, *, unscreened: bool = False) -> str:
        return f"{self.base_url}/hooks/dialer/status?attempt={claim.attempt_id}&campaign={campaign_id}" + (
            "&amd=off" if unscreened else ""
        )


@dataclass
class StepReport:
    decision: Decision
    placed: list[str] = field(default_factory=list)
    failed: int = 0


class CampaignDialer:
    """Decide, claim leads, place calls: one campaign's pacing step (worker and simulation alike)."""

    def __init__(
        self,
        pacer: Pacer,
        leads: LeadSource,
        telephony: Dialer | Callable[[], Dialer],
        pool: AgentPool,
        *,
        ring_timeout_s: int,
        machine_detection: str | None = "Enable",
        urls: CallUrls | None = None,
        on_answered: OnAnswered | None = None,
    ) -> None:
        self.pacer = pacer
        self.leads = leads
        # Looked up at each use when given as a callable: a pacer lives as long as its process.
        self._carrier = CarrierRef(telephony, each_use=True)  # type: ignore[arg-type]
        self.pool = pool
        self.ring_timeout_s = int(ring_timeout_s)
        self.machine_detection = machine_detection
        self.urls = urls or CallUrls()
        self.on_answered = on_answered
        # call id -> (lead id, phone, agent id, dialed at), for the answered-call hand-over.
        self._dialed: dict[str, tuple[int, str, str | None, float]] = {}
        self._pruned_at = 0.0
        self._screen_left = 0

    @property
    def telephony(self) -> Dialer:
        return self._carrier.require()

    @property
    def campaign_id(self) -> int:
        return self.pacer.campaign_id

    def step(self, now: float | None = None) -> StepReport:
        now = clock.timestamp() if now is None else now
        agents = self.pool.agents(self.campaign_id)
        decision = self.pacer.decide(now, agents)
        report = StepReport(decision)
        for ringing_id in decision.cancel:
            try:
                self.telephony.hangup(ringing_id)
            except Exception:  # the call may have ended meanwhile; its status callback will say
                log.warning("could not hang up call %s", ringing_id, exc_info=True)
        if decision.launch <= 0:
            return report
        # The first `screened_launch` calls may use AMD; the rest go out without it.
        self._screen_left = decision.screened_launch
        launch = decision.launch - self._dial_owned_callbacks(agents, decision, now, report)
        if launch <= 0:
            return report
        for claim in self.leads.claim(self.campaign_id, launch, now):
            call_id = self._place(claim, now, screened=self._take_screening())
            if call_id is None:
                report.failed += 1
            else:
                report.placed.append(call_id)
        return report

    def _take_screening(self) -> bool:
        if self._screen_left > 0:
            self._screen_left -= 1
            return True
        return False

    def _dial_owned_callbacks(
        self, agents: Sequence[AgentView], decision: Decision, now: float, report: StepReport
    ) -> int:
        """Agents' own callbacks go first, each only while its agent is free (the documented rule).

        A free agent with no call already placed for them may have a due callback of their own:
        it is dialed for them (the answered call is connected to them alone) and counts against
        this step's launch. Predictive: such a call may be abandoned even with other agents free
        (another call may take its agent first), so it is placed only while the period's ledger
        has room for it as an exposed call (the pacer counts it so from then on). Returns how
        many calls were attempted.
        """
        claim_owned = getattr(self.leads, "claim_owned", None)
        if claim_owned is None:
            return 0
        launch = decision.launch
        if self.pacer.config.mode == PREDICTIVE:
            launch = min(launch, int(math.floor(decision.allowed_exposure - decision.exposure + 1e-9)))
            if launch <= 0:
                return 0
        waited_on = {call.agent_id for call in self.pacer.calls.values() if call.agent_id}
        free = [a.agent_id for a in agents if agent_state(a.state) == AVAILABLE and a.agent_id not in waited_on]
        if not free:
            return 0
        attempted = 0
        for agent_id, claim in claim_owned(self.campaign_id, free, launch, now):
            attempted += 1
            call_id = self._place(claim, now, agent_id, screened=self._take_screening())
            if call_id is None:
                report.failed += 1
            else:
                report.placed.append(call_id)
        return attempted

    def live_answer(self, call_id: str, now: float | None = None) -> AnsweredCall | None:
        """A live person answered `call_id`: tell the pacer, and hand the call to `on_answered`."""
        now = clock.timestamp() if now is None else now
        if not self.pacer.on_live_answer(call_id, now):
            return None
        lead_id, phone, agent_id, _ = self._dialed.pop(call_id, (None, None, None, now))
        answered = AnsweredCall(
            self.campaign_id, call_id, now, now + self.pacer.config.connect_within_s, lead_id, phone, agent_id
        )
        if self.on_answered is not None:
            self.on_answered(answered)
        return answered

    def call_ended(self, call_id: str, outcome: str, now: float | None = None) -> None:
        """The call ended without a live person (machine, busy, no-answer, failed, canceled)."""
        now = clock.timestamp() if now is None else now
        self._dialed.pop(call_id, None)
        self.pacer.on_not_live(call_id, now, outcome)

    def dial_for_agent(self, agent_id: str, now: float | None = None) -> str | None:
        """Preview (and agent-initiated) dialing: one call for this agent, if a lead may be called."""
        now = clock.timestamp() if now is None else now
        claims = self.leads.claim(self.campaign_id, 1, now, agent_id=agent_id)
        if not claims:
            return None
        return self._place(claims[0], now, agent_id)

    def dial_claim(self, claim: LeadClaim, agent_id: str, now: float | None = None) -> str | None:
        """Place a call for a lead already claimed for `agent_id` (preview: the lead they read)."""
        return self._place(claim, clock.timestamp() if now is None else now, agent_id)

    def _place(self, claim: LeadClaim, now: float, agent_id: str | None = None, *, screened: bool = True) -> str | None:
        """Place one call; `screened` False sends it without answering-machine detection."""
        screened = screened and self.machine_detection is not None
        amd = self.machine_detection if screened else None
        unscreened = self.machine_detection is not None and not screened
        try:
            placed = self.telephony.place_call(
                to=claim.phone,
                from_=claim.caller_id,
                url=self.urls.voice(claim, self.campaign_id, unscreened=unscreened),
                status_callback=self.urls.status(claim, self.campaign_id, unscreened=unscreened),
                machine_detection=amd,
                timeout_s=self.ring_timeout_s,
            )
        except Exception as exc:  # the carrier refused: the attempt is recorded as failed
            log.warning("place_call failed for attempt %s: %s", claim.attempt_id, exc)
            self.leads.failed(claim, str(exc)[:200], now)
            return None
        call_id = getattr(placed, "call_sid", None) or str(placed)
        self.leads.dialed(claim, call_id, now)
        self.pacer.on_dialed(call_id, now, agent_id, screened=screened)
        self._dialed[call_id] = (claim.lead_id, claim.phone, agent_id, now)
        if now - self._pruned_at > 60.0:  # outcomes that never came: forget them after an hour
            self._pruned_at = now
            for stale in [cid for cid, info in self._dialed.items() if now - info[3] > 3600.0]:
                del self._dialed[stale]
        return call_id
