"""Preview mode: a lead is held for one agent, who reads it and then dials or skips it.

Kept apart from the worker's claims because every step here runs inside an agent's web request
and must refuse loudly (`DialRefused`) where the worker would just move on to the next lead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer import dnc
from contactcenter.dialer.campaigns import (
    agent_ids,
    machine_detection,
    pacing_config,
    period_origin,
    windows_of,
)
from contactcenter.dialer.dial_gate import (
    GateResult,
    _claim_one,
    _order,
    _owned_by,
    _record_refusal,
    claim_leads,
    gate,
)
from contactcenter.dialer.dialing import CallUrls, CampaignDialer, Dialer, LeadClaim
from contactcenter.dialer.models import Campaign, CampaignStatus, DialDecision, DialMode, Lead, LeadStatus
from contactcenter.dialer.outcomes import mark_place_failed, mark_placed
from contactcenter.dialer.pacer import Pacer
from contactcenter.errors import DomainError, Kind

# A lead held for an agent who walked away goes back to the others after this long untouched.
PREVIEW_HOLD_S = 30 * 60


def _release_stale_holds(session: Session, campaign: Campaign, at: datetime) -> None:
    """Holds nobody acted on for `PREVIEW_HOLD_S` (the lead's `updated_at` is the hold time)."""
    stale = session.scalars(
        select(Lead)
        .where(
            Lead.campaign_id == campaign.id,
            Lead.held_by_id.is_not(None),
            Lead.status == LeadStatus.READY.value,
            Lead.updated_at < at - timedelta(seconds=PREVIEW_HOLD_S),
        )
        .with_for_update(skip_locked=True)
    )
    for lead in stale:
        lead.held_by_id = None


def preview_next(session: Session, campaign: Campaign, agent_id: int, at: datetime | None = None) -> Lead | None:
    """Preview mode: the next lead this agent may call, held for them while they read it."""
    at = at or clock.now()
    held = session.scalars(
        select(Lead).where(
            Lead.campaign_id == campaign.id, Lead.held_by_id == agent_id, Lead.status == LeadStatus.READY.value
        )
    ).first()
    if held is not None:
        return held
    _release_stale_holds(session, campaign, at)
    windows = windows_of(campaign)
    for _ in range(10):
        leads = list(
            session.scalars(
                select(Lead)
                .where(
                    Lead.campaign_id == campaign.id,
                    Lead.status == LeadStatus.READY.value,
                    Lead.held_by_id.is_(None),
                    (Lead.next_attempt_at.is_(None)) | (Lead.next_attempt_at <= at),
                    _owned_by(agent_id),
                )
                .order_by(*_order(campaign))
                .limit(20)
                .with_for_update(skip_locked=True)
            )
        )
        if not leads:
            return None
        hits = dnc.check_many(session, [lead.phone for lead in leads], campaign.id, at)
        for lead in leads:
            result = gate(session, campaign, lead, at, windows=windows, dnc_hits=hits, agent_guaranteed=True)
            if result.allowed:
                lead.held_by_id = agent_id
                session.flush()
                return lead
            _record_refusal(session, campaign, lead, result, at)
        session.flush()
    return None


class DialRefused(DomainError):
    """The gate (or the lead's state) refuses an agent's dial; `reason` (also its `code`) says why."""

    kind: Kind = "conflict"

    def __init__(self, reason: str, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message, code=reason)
        self.reason = reason
        self.retry_at = retry_at


REFUSAL_TEXT = {
    "max_attempts": "the lead has no attempts left",
    "dnc_internal": "the number is on the company do-not-call list",
    "dnc_campaign": "the number is on this campaign's do-not-call list",
    "region_not_allowed": "the number is outside the campaign's calling regions",
    "redial_guard": "an abandoned call to this number is too recent",
    "outside_window": "it is outside the calling window in the lead's local time",
    "no_calling_window": "the lead's region has no calling window",
    "no_time_zone": "the lead's time zone is unknown",
}


def _held_lead(session: Session, campaign: Campaign, agent_id: int, lead_id: int) -> Lead:
    if campaign.status != CampaignStatus.RUNNING.value:
        raise DialRefused("not_running", f"the campaign is {campaign.status}")
    if campaign.dial_mode != DialMode.PREVIEW.value:
        raise DialRefused("not_preview", "the campaign does not dial in preview mode")
    lead = session.scalars(
        select(Lead).where(Lead.id == lead_id, Lead.campaign_id == campaign.id).with_for_update()
    ).first()
    if lead is None or lead.held_by_id != agent_id or lead.status != LeadStatus.READY.value:
        raise DialRefused("not_held", "this lead is no longer held for you; load the next one")
    return lead


def claim_held_lead(
    session: Session, campaign: Campaign, agent_id: int, lead_id: int, at: datetime | None = None
) -> LeadClaim:
    """Preview: the agent dials the lead they are reading, and only that one.

    The gate runs again now (a number may have been listed, or the window closed, since the lead
    was shown); a refusal is recorded like any other and raised as `DialRefused` with its reason.
    """
    at = at or clock.now()
    lead = _held_lead(session, campaign, agent_id, lead_id)
    hits = dnc.check_many(session, [lead.phone], campaign.id, at)
    result = gate(session, campaign, lead, at, windows=windows_of(campaign), dnc_hits=hits, agent_guaranteed=True)
    if not result.allowed:
        _record_refusal(session, campaign, lead, result, at)
        session.flush()
        reason = result.reason or "refused"
        raise DialRefused(reason, REFUSAL_TEXT.get(reason, reason), result.retry_at)
    claim = _claim_one(session, campaign, lead, at, windows_of(campaign), hits, True, agent_id)
    assert claim is not None  # the gate just let it through
    return claim


PREVIEW_SKIP_S = 3600


def skip_held_lead(
    session: Session, campaign: Campaign, agent_id: int, lead_id: int, at: datetime | None = None
) -> DialDecision:
    """Preview: the agent passes on the lead; it is released and comes back after an hour.

    Recorded as a deferral (reason `agent_skipped`) so the lead's history shows who passed.
    """
    at = at or clock.now()
    lead = _held_lead(session, campaign, agent_id, lead_id)
    decision = _record_refusal(
        session,
        campaign,
        lead,
        GateResult(
            False,
            "defer",
            "agent_skipped",
            at + timedelta(seconds=PREVIEW_SKIP_S),
            {"agent_id": agent_id},
        ),
        at,
    )
    session.flush()
    return decision


def preview_campaigns(session: Session, agent_id: int) -> list[Campaign]:
    """The running preview campaigns this agent works on (listed, or a member of the queue)."""
    running = session.scalars(
        select(Campaign)
        .where(
            Campaign.status == CampaignStatus.RUNNING.value,
            Campaign.dial_mode == DialMode.PREVIEW.value,
        )
        .order_by(Campaign.id)
    )
    return [c for c in running if agent_id in agent_ids(session, c)]


def lead_card(campaign: Campaign, lead: Lead, at: datetime | None = None) -> dict[str, Any]:
    """What the agent reads before dialing: who, which number, their local time, the history."""
    at = at or clock.now()
    local = []
    for zone in lead.time_zones or []:
        try:
            local.append({"zone": zone, "time": at.astimezone(ZoneInfo(zone)).strftime("%a %H:%M")})
        except (ZoneInfoNotFoundError, ValueError):
            local.append({"zone": zone, "time": ""})
    attributes = dict(lead.attributes or {})
    return {
        "campaign_id": campaign.id,
        "campaign": campaign.name,
        "lead_id": lead.id,
        "name": lead.name,
        "phone": lead.phone,
        "region": lead.region,
        "local_times": local,
        "attempts": lead.attempts,
        "max_attempts": campaign.max_attempts,
        "last_outcome": lead.last_outcome,
        "last_disposition": lead.disposition,
        "last_attempt_at": lead.last_attempt_at.isoformat() if lead.last_attempt_at else None,
        "callback_at": lead.callback_at.isoformat() if lead.callback_at else None,
        "own_callback": lead.callback_agent_id is not None,
        "notes": str(attributes.pop("notes", "") or ""),
        "attributes": {str(k): str(v) for k, v in attributes.items()},
    }


class SessionLeadSource:
    """A `LeadSource` inside the caller's transaction (a web request's preview dial)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, campaign_id: int, count: int, now: float, agent_id: str | None = None) -> list[LeadClaim]:
        campaign = self.session.get(Campaign, campaign_id)
        if campaign is None:
            return []
        agent = int(agent_id) if agent_id is not None and str(agent_id).isdigit() else None
        return claim_leads(self.session, campaign, count, datetime.fromtimestamp(now, clock.UTC), agent_id=agent)

    def dialed(self, claim: LeadClaim, call_id: str, now: float) -> None:
        mark_placed(self.session, claim.attempt_id, call_id, datetime.fromtimestamp(now, clock.UTC))

    def failed(self, claim: LeadClaim, error: str, now: float) -> None:
        mark_place_failed(self.session, claim.attempt_id, error, datetime.fromtimestamp(now, clock.UTC))


def preview_dialer(session: Session, campaign: Campaign, telephony: Dialer, urls: CallUrls) -> CampaignDialer:
    """The campaign's dialer for one agent-initiated call from a web request.

    Preview calls never depend on the pacer's estimates (an agent is on the line), so a fresh
    pacer is enough; the worker's pacer learns of the call from its webhooks' events.
    """
    pacer = Pacer(pacing_config(campaign), campaign_id=campaign.id, period_origin=period_origin(campaign))

    class _NoPool:
        def agents(self, campaign_id: int) -> list[Any]:
            return []

    return CampaignDialer(
        pacer,
        SessionLeadSource(session),
        telephony,
        _NoPool(),
        ring_timeout_s=campaign.ring_timeout_s,
        machine_detection=machine_detection(campaign),
        urls=urls,
    )
