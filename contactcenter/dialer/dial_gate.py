"""The dial gate and the lead claims that go through it.

The gate (`gate`, used by `claim_leads`) is the only way to a dial: a lead passes only when it has
attempts left, is on no do-not-call list (checked now, not at import), is in an allowed region,
is not inside the UK 72-hour guard after an abandoned call, and every time zone of its number is
inside the calling window for the whole ring time. Every refusal is written as a `DialDecision`
with its reason, in the transaction that updates the lead (deferred to the next opening, or
skipped for good).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, case, cast, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer import dnc, value_order
from contactcenter.dialer.campaigns import rules_of, windows_of
from contactcenter.dialer.dialing import LeadClaim
from contactcenter.dialer.models import (
    Campaign,
    CampaignStatus,
    DialAttempt,
    DialDecision,
    DialMode,
    Lead,
    LeadOrder,
    LeadStatus,
)
from contactcenter.dialer.windows import CallingWindows, WindowCheck, in_regions


@dataclass(frozen=True)
class GateResult:
    allowed: bool
    action: str = "dial"  # dial, skip, defer
    reason: str | None = None
    retry_at: datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    local_time: str = ""


def _region_allowed(campaign: Campaign, lead: Lead) -> bool:
    allowed = campaign.allowed_regions or list(rules_of(campaign).default_regions)
    return in_regions(lead.phone, lead.country, allowed)


def gate(
    session: Session,
    campaign: Campaign,
    lead: Lead,
    at: datetime,
    *,
    windows: CallingWindows | None = None,
    dnc_hits: Mapping[str, dnc.DncHit] | None = None,
    agent_guaranteed: bool = False,
) -> GateResult:
    """May `lead` be dialed at `at`? The reasons, in the order checked, are documented above."""
    if lead.attempts >= campaign.max_attempts:
        return GateResult(
            False, "skip", "max_attempts", detail={"attempts": lead.attempts, "max": campaign.max_attempts}
        )
    hit = dnc_hits.get(lead.phone) if dnc_hits is not None else dnc.check(session, lead.phone, campaign.id, at)
    if hit is not None:
        return GateResult(False, "skip", hit.decision_reason, detail={"entry": hit.entry_id, "source": hit.source})
    if not _region_allowed(campaign, lead):
        return GateResult(False, "skip", "region_not_allowed", detail={"country": lead.country, "region": lead.region})
    guard = rules_of(campaign).redial_after_abandon_s
    if guard and lead.last_abandoned_at is not None and not agent_guaranteed:
        until = lead.last_abandoned_at + timedelta(seconds=guard)
        if at < until:
            return GateResult(
                False, "defer", "redial_guard", until, {"abandoned_at": lead.last_abandoned_at.isoformat()}
            )
    windows = windows or windows_of(campaign)
    check: WindowCheck = windows.check(at, tuple(lead.time_zones or ()), lead.region, ring_s=campaign.ring_timeout_s)
    if not check.allowed:
        detail = {"local_times": list(check.local_times), "region": lead.region}
        if check.reason == "outside_window":
            return GateResult(False, "defer", "outside_window", check.next_open, detail, check.local_time_text)
        return GateResult(False, "skip", check.reason, None, detail, check.local_time_text)
    return GateResult(True, local_time=check.local_time_text)


def _record_refusal(session: Session, campaign: Campaign, lead: Lead, result: GateResult, at: datetime) -> DialDecision:
    decision = DialDecision(
        campaign_id=campaign.id,
        lead_id=lead.id,
        phone=lead.phone,
        decided_at=at,
        action=result.action,
        reason=result.reason or "unknown",
        detail=dict(result.detail),
        retry_at=result.retry_at,
    )
    session.add(decision)
    lead.held_by_id = None
    if result.action == "defer":
        lead.next_attempt_at = result.retry_at
    elif result.reason in ("dnc_internal", "dnc_campaign"):
        lead.status = LeadStatus.DNC.value
    elif result.reason == "max_attempts":
        lead.status = LeadStatus.EXHAUSTED.value
    else:
        lead.status = LeadStatus.INVALID.value
    return decision


def _order(campaign: Campaign) -> list[Any]:
    """Due callbacks first (the earliest promised first), then the campaign's lead order.

    A callback is a promise made to a person, so it re-enters ahead of leads never reached;
    the claim queries only return due leads, so every lead with `callback_at` here is due.
    """
    callbacks_first = [case((Lead.callback_at.is_(None), 1), else_=0), Lead.callback_at]
    if campaign.lead_order == LeadOrder.LIFO.value:
        return [*callbacks_first, Lead.id.desc()]
    if campaign.lead_order == LeadOrder.PRIORITY.value:
        return [*callbacks_first, Lead.priority.desc(), Lead.id]
    if campaign.lead_order == LeadOrder.FEWEST_ATTEMPTS.value:
        return [*callbacks_first, Lead.attempts, Lead.id]
    return [*callbacks_first, Lead.id]


def _owned_by(agent_id: int | None) -> Any:
    """Leads a claimer may take: anyone's, plus (for an agent) that agent's own callbacks."""
    if agent_id is None:
        return Lead.callback_agent_id.is_(None)
    return (Lead.callback_agent_id.is_(None)) | (Lead.callback_agent_id == agent_id)


def claim_leads(
    session: Session,
    campaign: Campaign,
    count: int,
    at: datetime | None = None,
    *,
    agent_id: int | None = None,
    scan_limit: int | None = None,
) -> list[LeadClaim]:
    """Up to `count` leads that pass the gate now, each marked dialing with its attempt record.

    Leads refused on the way are updated and their `DialDecision` written. On PostgreSQL the
    rows are locked with SKIP LOCKED, so two claimers never take the same lead.
    """
    at = at or clock.now()
    if count <= 0 or campaign.status != CampaignStatus.RUNNING.value:
        return []
    windows = windows_of(campaign)
    guaranteed = campaign.dial_mode != DialMode.PREDICTIVE.value
    scan_limit = scan_limit if scan_limit is not None else max(200, 20 * count)
    claims: list[LeadClaim] = []
    seen_last: list[int] | None = None
    if agent_id is not None:
        # Preview: the lead this agent has been reading goes first.
        held = list(
            session.scalars(
                select(Lead)
                .where(
                    Lead.campaign_id == campaign.id, Lead.held_by_id == agent_id, Lead.status == LeadStatus.READY.value
                )
                .with_for_update(skip_locked=True)
            )
        )
        if held:
            seen_last = [lead.id for lead in held]
            hits = dnc.check_many(session, [lead.phone for lead in held], campaign.id, at)
            for lead in held[:count]:
                claim = _claim_one(session, campaign, lead, at, windows, hits, guaranteed, agent_id)
                if claim is not None:
                    claims.append(claim)
    if campaign.order_by_value:
        batches = _value_batches(session, campaign, at, agent_id, seen_last or [], scan_limit, count)
    else:
        batches = _ordered_batches(session, campaign, at, agent_id, seen_last, scan_limit, count, lambda: len(claims))
    for leads in batches:
        hits = dnc.check_many(session, [lead.phone for lead in leads], campaign.id, at)
        for lead in leads:
            if len(claims) >= count:
                break
            claim = _claim_one(session, campaign, lead, at, windows, hits, guaranteed, agent_id)
            if claim is not None:
                claims.append(claim)
        if len(claims) >= count:
            break
    session.flush()
    return claims


def _due(campaign: Campaign, at: datetime, agent_id: int | None, seen: Sequence[int] | None) -> list[Any]:
    """The conditions of a lead a claimer may take now."""
    conditions = [
        Lead.campaign_id == campaign.id,
        Lead.status == LeadStatus.READY.value,
        (Lead.next_attempt_at.is_(None)) | (Lead.next_attempt_at <= at),
        Lead.held_by_id.is_(None) if agent_id is None else (Lead.held_by_id.is_(None)) | (Lead.held_by_id == agent_id),
        _owned_by(agent_id),
    ]
    if seen:
        conditions.append(Lead.id.not_in(seen))
    return conditions


def _ordered_batches(
    session: Session,
    campaign: Campaign,
    at: datetime,
    agent_id: int | None,
    seen: list[int] | None,
    scan_limit: int,
    count: int,
    claimed: Callable[[], int],
) -> Iterator[list[Lead]]:
    """Due leads in the campaign's lead order, a locked batch at a time, `scan_limit` in all."""
    scanned, seen_last = 0, list(seen) if seen else None
    while claimed() < count and scanned < scan_limit:
        batch_size = min(max(2 * (count - claimed()), 20), scan_limit - scanned)
        query = (
            select(Lead)
            .where(*_due(campaign, at, agent_id, seen_last))
            .order_by(*_order(campaign))
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        leads = list(session.scalars(query))
        if not leads:
            return
        scanned += len(leads)
        seen_last = list(seen_last or []) + [lead.id for lead in leads]
        yield leads


def _value_batches(
    session: Session,
    campaign: Campaign,
    at: datetime,
    agent_id: int | None,
    seen: list[int],
    scan_limit: int,
    count: int,
) -> Iterator[list[Lead]]:
    """Due leads best value first (see `value_order`): every due lead is ranked on a few
    columns, then the best `scan_limit` are locked and loaded a batch at a time."""
    # The zones are read as their stored JSON text and decoded once per distinct list.
    rows = session.execute(
        select(Lead.id, Lead.phone, Lead.customer_id, cast(Lead.time_zones, Text), Lead.callback_at).where(
            *_due(campaign, at, agent_id, seen)
        )
    )
    zones: dict[str | None, list[Any]] = {}
    candidates = []
    for lead_id, phone, customer_id, zone_text, callback_at in rows:
        if zone_text not in zones:
            zones[zone_text] = list(json.loads(zone_text)) if zone_text else []
        candidates.append(value_order.Candidate(lead_id, phone, customer_id, zones[zone_text], callback_at))
    ranked = [c.id for c, _ in value_order.rank(session, campaign, candidates, at)][:scan_limit]
    batch_size = max(2 * count, 20)
    for start in range(0, len(ranked), batch_size):
        ids = ranked[start : start + batch_size]
        position = {lead_id: i for i, lead_id in enumerate(ids)}
        query = (
            select(Lead).where(Lead.id.in_(ids), *_due(campaign, at, agent_id, None)).with_for_update(skip_locked=True)
        )
        leads = sorted(session.scalars(query), key=lambda lead: position[lead.id])
        if leads:
            yield leads


def _claim_one(
    session: Session,
    campaign: Campaign,
    lead: Lead,
    at: datetime,
    windows: CallingWindows,
    hits: Mapping[str, dnc.DncHit],
    guaranteed: bool,
    agent_id: int | None,
) -> LeadClaim | None:
    result = gate(session, campaign, lead, at, windows=windows, dnc_hits=hits, agent_guaranteed=guaranteed)
    if not result.allowed:
        _record_refusal(session, campaign, lead, result, at)
        return None
    lead.status = LeadStatus.DIALING.value
    lead.attempts += 1
    lead.last_attempt_at = at
    lead.held_by_id = None
    attempt = DialAttempt(
        campaign_id=campaign.id,
        lead_id=lead.id,
        phone=lead.phone,
        caller_id=campaign.caller_id,
        mode=campaign.dial_mode,
        attempt_number=lead.attempts,
        claimed_at=at,
        ring_timeout_s=campaign.ring_timeout_s,
        local_time=result.local_time,
        agent_id=agent_id,
    )
    session.add(attempt)
    session.flush()
    return LeadClaim(attempt.id, lead.id, lead.phone, campaign.caller_id)


def claim_owned_callbacks(
    session: Session,
    campaign: Campaign,
    agent_ids: Iterable[int],
    count: int,
    at: datetime | None = None,
) -> list[tuple[int, LeadClaim]]:
    """Due callbacks owned by the given (free) agents: at most one per agent, `count` in all.

    The pacer of a progressive or predictive campaign calls this with the agents who are free
    now, so an agent's own callback is only ever dialed while that agent can take it (and the
    call is then connected to them alone). Earliest promise first; refusals are recorded as in
    `claim_leads`.
    """
    at = at or clock.now()
    owners = sorted(set(agent_ids))
    if count <= 0 or not owners or campaign.status != CampaignStatus.RUNNING.value:
        return []
    leads = list(
        session.scalars(
            select(Lead)
            .where(
                Lead.campaign_id == campaign.id,
                Lead.status == LeadStatus.READY.value,
                Lead.callback_agent_id.in_(owners),
                Lead.held_by_id.is_(None),
                (Lead.next_attempt_at.is_(None)) | (Lead.next_attempt_at <= at),
            )
            .order_by(Lead.callback_at, Lead.id)
            .limit(max(20, 4 * count))
            .with_for_update(skip_locked=True)
        )
    )
    if not leads:
        return []
    windows = windows_of(campaign)
    guaranteed = campaign.dial_mode != DialMode.PREDICTIVE.value
    hits = dnc.check_many(session, [lead.phone for lead in leads], campaign.id, at)
    claimed: list[tuple[int, LeadClaim]] = []
    served: set[int] = set()
    for lead in leads:
        owner = lead.callback_agent_id
        if len(claimed) >= count:
            break
        if owner is None or owner in served:
            continue
        # As in progressive dialing: the owner is free now, but only predictive calls count as
        # without a guaranteed agent for the UK redial guard.
        claim = _claim_one(session, campaign, lead, at, windows, hits, guaranteed, owner)
        if claim is not None:
            served.add(owner)
            claimed.append((owner, claim))
    session.flush()
    return claimed
