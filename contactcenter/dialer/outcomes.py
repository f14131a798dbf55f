"""What happens to a dial attempt after it is placed: status callbacks, answers, abandonment,
retries and the agent's disposition.

Each step returns the events the pacer must hear, so the records stay the one truth the pacer's
ledger is rebuilt from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer import dnc
from contactcenter.dialer.campaigns import CampaignError, agent_ids
from contactcenter.dialer.models import (
    DEFAULT_RETRY_DELAYS,
    Campaign,
    DialAttempt,
    DialDecision,
    Lead,
    LeadStatus,
)

LIVE_VERDICTS = ("human", "unknown")


@dataclass(frozen=True)
class PacerEvent:
    """What the pacer must hear about an attempt (publish with `pacer.publish_event`)."""

    kind: str  # live_answer, not_live, connected, abandoned
    campaign_id: int
    call_id: str
    at: float
    outcome: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, "campaign_id": self.campaign_id, "call_id": self.call_id, "at": self.at}
        if self.outcome:
            data["outcome"] = self.outcome
        return data


def attempt_by_sid(session: Session, call_sid: str) -> DialAttempt | None:
    return session.scalars(select(DialAttempt).where(DialAttempt.call_sid == call_sid)).first()


def mark_placed(session: Session, attempt_id: int, call_sid: str, at: datetime | None = None) -> DialAttempt:
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None:
        raise LookupError(f"no dial attempt {attempt_id}")
    attempt.call_sid = call_sid
    attempt.placed_at = at or clock.now()
    session.flush()
    return attempt


def mark_place_failed(session: Session, attempt_id: int, error: str, at: datetime | None = None) -> DialAttempt:
    at = at or clock.now()
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None:
        raise LookupError(f"no dial attempt {attempt_id}")
    attempt.error = error[:255]
    attempt.status = "failed"
    _finish(session, attempt, "failed", at)
    return attempt


def _lead_and_campaign(session: Session, attempt: DialAttempt) -> tuple[Lead | None, Campaign]:
    campaign = session.get(Campaign, attempt.campaign_id)
    assert campaign is not None
    lead = session.get(Lead, attempt.lead_id) if attempt.lead_id is not None else None
    return lead, campaign


def _finish(session: Session, attempt: DialAttempt, outcome: str, at: datetime) -> None:
    """Close the attempt and schedule the lead's next try (or exhaust it, recording why)."""
    if attempt.ended_at is None:
        attempt.ended_at = at
    if attempt.outcome is None or attempt.outcome == "answered":
        attempt.outcome = outcome
    lead, campaign = _lead_and_campaign(session, attempt)
    if lead is None or lead.status != LeadStatus.DIALING.value:
        session.flush()
        return
    lead.last_outcome = attempt.outcome
    if attempt.outcome == "connected":
        # Reached: the agent's disposition decides what happens next.
        lead.status = LeadStatus.DONE.value
        session.flush()
        return
    if lead.attempts >= campaign.max_attempts:
        session.add(
            DialDecision(
                campaign_id=campaign.id,
                lead_id=lead.id,
                phone=lead.phone,
                decided_at=at,
                action="skip",
                reason="max_attempts",
                detail={"attempts": lead.attempts, "last_outcome": attempt.outcome},
            )
        )
        lead.status = LeadStatus.EXHAUSTED.value
    else:
        delays = {**DEFAULT_RETRY_DELAYS, **(campaign.retry_delays or {})}
        delay = float(delays.get(attempt.outcome or "", delays["no-answer"]))
        lead.status = LeadStatus.READY.value
        lead.next_attempt_at = at + timedelta(seconds=delay)
    session.flush()


def record_status(
    session: Session,
    call_sid: str,
    status: str,
    at: datetime | None = None,
    *,
    answered_by: str | None = None,
    screened: bool = True,
) -> tuple[DialAttempt | None, list[PacerEvent]]:
    """Apply a carrier status callback (or the AMD verdict) to the attempt; idempotent.

    Returns the attempt and the events the pacer must hear. A live answer ("human", or "unknown"
    which is treated as a person) starts the connect window; a machine verdict ends the attempt
    as "machine" (the caller hangs up or leaves the message). `screened` False: the call went
    out without AMD although the campaign uses it (the pacer had no room for its false-positive
    charge), so an answer without a verdict is taken for a person, as without AMD at all.
    """
    at = at or clock.now()
    attempt = attempt_by_sid(session, call_sid)
    if attempt is None:
        return None, []
    events: list[PacerEvent] = []
    ts = at.timestamp()
    if attempt.ended_at is not None:
        return attempt, events  # a late or repeated callback changes nothing
    attempt.status = status[:16]
    if answered_by is None and status == "in-progress" and attempt.answered_at is None:
        campaign = session.get(Campaign, attempt.campaign_id)
        if campaign is not None and (not campaign.amd_enabled or not screened):
            answered_by = "human"  # without AMD every answer is taken for a person
    if answered_by and attempt.answered_by is None and attempt.answered_at is None:
        attempt.answered_by = answered_by[:32]
        if answered_by.lower() in LIVE_VERDICTS:
            attempt.answered_at = at
            attempt.outcome = "answered"
            events.append(PacerEvent("live_answer", attempt.campaign_id, call_sid, ts))
        else:
            attempt.outcome = "machine"
            events.append(PacerEvent("not_live", attempt.campaign_id, call_sid, ts, "machine"))
            _finish(session, attempt, "machine", at)
            return attempt, events
    if status in ("completed", "busy", "no-answer", "failed", "canceled"):
        if attempt.answered_at is not None:
            if attempt.connected_at is None and not attempt.abandoned:
                # The person hung up inside the connect window, before any agent came: no agent
                # was connected, so it counts as abandoned (the conservative reading).
                attempt.abandoned = True
                attempt.outcome = "hangup"
                lead, _ = _lead_and_campaign(session, attempt)
                if lead is not None:
                    lead.last_abandoned_at = at
                _finish(session, attempt, "hangup", at)
                events.append(PacerEvent("abandoned", attempt.campaign_id, call_sid, ts, "hangup"))
            else:
                _finish(session, attempt, attempt.outcome or "connected", at)
        else:
            outcome = "no-answer" if status == "completed" else status
            _finish(session, attempt, outcome, at)
            events.append(PacerEvent("not_live", attempt.campaign_id, call_sid, ts, outcome))
    session.flush()
    return attempt, events


def mark_connected(
    session: Session, call_sid: str, agent_id: int | None, at: datetime | None = None
) -> tuple[DialAttempt | None, list[PacerEvent]]:
    at = at or clock.now()
    attempt = attempt_by_sid(session, call_sid)
    if attempt is None or attempt.connected_at is not None or attempt.abandoned:
        return attempt, []
    attempt.connected_at = at
    attempt.agent_id = agent_id
    attempt.outcome = "connected"
    lead, _ = _lead_and_campaign(session, attempt)
    if lead is not None and lead.status == LeadStatus.DIALING.value:
        lead.status = LeadStatus.DONE.value
        lead.last_outcome = "connected"
        # The person is reached: any callback they asked for has been made.
        lead.callback_at = None
        lead.callback_agent_id = None
    session.flush()
    return attempt, [PacerEvent("connected", attempt.campaign_id, call_sid, at.timestamp())]


def mark_abandoned(
    session: Session, call_sid: str, at: datetime | None = None
) -> tuple[DialAttempt | None, list[PacerEvent]]:
    """No agent within the connect window: the safe-harbor message plays and the call ends."""
    at = at or clock.now()
    attempt = attempt_by_sid(session, call_sid)
    if attempt is None or attempt.connected_at is not None or attempt.abandoned:
        return attempt, []
    attempt.abandoned = True
    attempt.safe_harbor_played = True
    attempt.outcome = "abandoned"
    lead, _ = _lead_and_campaign(session, attempt)
    if lead is not None:
        lead.last_abandoned_at = at
    _finish(session, attempt, "abandoned", at)
    return attempt, [PacerEvent("abandoned", attempt.campaign_id, call_sid, at.timestamp())]


def record_disposition(
    session: Session,
    attempt_id: int,
    code: str,
    *,
    agent_id: int | None = None,
    callback_at: datetime | None = None,
    callback_agent_id: int | None = None,
) -> DialAttempt:
    """The agent's wrap-up code. A do-not-call disposition lists the number (internal list).

    A non-final code (a callback) schedules the lead at `callback_at` (else after the code's
    `retry_after_s`) ahead of other due leads; with `callback_agent_id` (one of the campaign's
    agents, usually the one wrapping up) the callback is that agent's own and is dialed for them
    alone. A final or do-not-call code cancels any pending callback.
    """
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None:
        raise LookupError(f"no dial attempt {attempt_id}")
    lead, campaign = _lead_and_campaign(session, attempt)
    known = {d["code"]: d for d in campaign.dispositions or []}
    if code not in known:
        raise CampaignError(f"unknown disposition {code!r} for campaign {campaign.name!r}")
    spec = known[code]
    if callback_agent_id is not None and callback_agent_id not in agent_ids(session, campaign):
        raise CampaignError("a callback can only be owned by one of the campaign's agents")
    attempt.disposition = code
    if lead is None:
        session.flush()
        return attempt
    lead.disposition = code
    lead.callback_at = None
    lead.callback_agent_id = None
    if spec.get("dnc"):
        scope = None if spec.get("dnc") in (True, "internal") else campaign.id
        dnc.add(
            session,
            lead.phone,
            campaign_id=scope,
            source="disposition",
            reason=f"disposition {code} in campaign {campaign.id}",
            added_by_id=agent_id,
        )
        lead.status = LeadStatus.DNC.value
    elif spec.get("final", True):
        lead.status = LeadStatus.DONE.value
    else:
        lead.status = LeadStatus.READY.value
        lead.next_attempt_at = callback_at or (clock.now() + timedelta(seconds=float(spec.get("retry_after_s", 3600))))
        lead.callback_at = lead.next_attempt_at
        lead.callback_agent_id = callback_agent_id
        lead.held_by_id = None
        if lead.attempts >= campaign.max_attempts:
            # A callback the customer asked for is one more attempt, never silently dropped.
            lead.attempts = campaign.max_attempts - 1
    session.flush()
    return attempt
