"""Campaigns, the dial gate, call outcomes, retries and dispositions.

The gate (`gate`, used by `claim_leads`) is the only way to a dial: a lead passes only when it has
attempts left, is on no do-not-call list (checked now, not at import), is in an allowed region,
is not inside the UK 72-hour guard after an abandoned call, and every time zone of its number is
inside the calling window for the whole ring time. Every refusal is written as a `DialDecision`
with its reason, in the transaction that updates the lead (deferred to the next opening, or
skipped for good).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from contactcenter import clock
from contactcenter.db import transaction
from contactcenter.dialer import dnc
from contactcenter.dialer.compliance import (
    LedgerCounts,
    RuleSet,
    check_safe_harbor,
    period_bounds,
    period_index,
    rule_set,
    safe_harbor_text,
)
from contactcenter.dialer.models import (
    DEFAULT_RETRY_DELAYS,
    AmdAction,
    Campaign,
    CampaignAgent,
    CampaignStatus,
    DialAttempt,
    DialDecision,
    DialMode,
    Lead,
    LeadOrder,
    LeadStatus,
)
from contactcenter.dialer.pacer import (
    AMD_WHEN_DRAINING,
    AgentPool,
    CallUrls,
    CampaignDialer,
    Dialer,
    LeadClaim,
    OnAnswered,
    Pacer,
    PacingConfig,
)
from contactcenter.dialer.windows import CallingWindows, WindowCheck, in_regions
from contactcenter.errors import DomainError, Kind
from contactcenter.phones import InvalidPhoneNumber, normalize
from contactcenter.telephony.interfaces import Hangup, Instruction, Say


class CampaignError(DomainError, ValueError):
    """A campaign setting or a lifecycle step that cannot be accepted; the message says why."""


# ------------------------------------------------------------------------------- campaigns

PACING_KEYS = {
    "target_share": (0.05, 1.0),
    "exposure_confidence": (0.5, 1.0),
    "expected_answer_rate": (0.01, 0.99),
    "expected_talk_s": (1.0, 7200.0),
    "expected_wrap_s": (0.0, 3600.0),
}
# Pacing settings that take one of a few words rather than a number.
PACING_CHOICES = {"amd_when_draining": AMD_WHEN_DRAINING}
RETRY_KEYS = tuple(DEFAULT_RETRY_DELAYS)
_REGION = re.compile(r"^([A-Z]{2}|\+\d{1,3})$")
_SETTABLE = {
    "description", "dial_mode", "rule_set", "queue_id", "script", "dispositions", "abandon_cap",
    "ring_timeout_s", "caller_id", "company_name", "callback_number", "safe_harbor_message",
    "calling_window", "allowed_regions", "time_zone", "amd_enabled", "amd_action", "amd_message",
    "amd_false_positive_share", "max_attempts", "retry_delays", "lead_order", "max_dial_ratio",
    "pacing", "default_region", "name",
}


def rules_of(campaign: Campaign) -> RuleSet:
    return rule_set(campaign.rule_set)


def windows_of(campaign: Campaign) -> CallingWindows:
    return CallingWindows.from_config(campaign.calling_window, rules_of(campaign))


def _check_phone(value: Any, what: str, region: str) -> str:
    try:
        return normalize(str(value or ""), region)
    except InvalidPhoneNumber as exc:
        raise CampaignError(f"{what}: {exc}") from None


def _validate(campaign: Campaign) -> None:
    """Raise CampaignError on the first setting that cannot be used."""
    if not campaign.name or not campaign.name.strip() or len(campaign.name) > 120:
        raise CampaignError("a campaign needs a name of 1-120 characters")
    if campaign.dial_mode not in {m.value for m in DialMode}:
        raise CampaignError(f"dial mode must be one of {', '.join(m.value for m in DialMode)}")
    try:
        rules = rules_of(campaign)
    except ValueError as exc:
        raise CampaignError(str(exc)) from None
    if not (0 <= float(campaign.abandon_cap) <= rules.abandon_cap):
        raise CampaignError(f"abandonment cap must be between 0 and {rules.abandon_cap:.0%} ({rules.name} rules)")
    if not (rules.min_ring_s <= int(campaign.ring_timeout_s) <= 120):
        raise CampaignError(f"ring timeout must be {rules.min_ring_s}-120 s (calls ring at least {rules.min_ring_s} s)")
    region = campaign.default_region or rules.default_region
    campaign.caller_id = _check_phone(campaign.caller_id, "caller ID", region)
    campaign.callback_number = _check_phone(campaign.callback_number, "call-back number", region)
    if not (campaign.company_name or "").strip():
        raise CampaignError("the company name is required (the safe-harbor message names it)")
    if campaign.safe_harbor_message:
        problems = check_safe_harbor(campaign.safe_harbor_message, campaign.company_name, campaign.callback_number)
        if problems:
            raise CampaignError("; ".join(problems))
    try:
        windows_of(campaign)
    except ValueError as exc:
        raise CampaignError(str(exc)) from None
    regions = campaign.allowed_regions or []
    if not isinstance(regions, list) or not all(isinstance(r, str) and _REGION.match(r) for r in regions):
        raise CampaignError("allowed regions are ISO region codes ('US') or calling codes ('+44')")
    try:
        ZoneInfo(campaign.time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CampaignError(f"unknown time zone {campaign.time_zone!r}") from None
    if campaign.amd_action not in {a.value for a in AmdAction}:
        raise CampaignError("AMD action must be 'hangup' or 'message'")
    if not 0 <= float(campaign.amd_false_positive_share) <= 1:
        raise CampaignError("AMD false-positive share must be between 0 and 1")
    if int(campaign.max_attempts) < 1:
        raise CampaignError("max attempts must be at least 1")
    delays = campaign.retry_delays or {}
    if not isinstance(delays, Mapping) or set(delays) - set(RETRY_KEYS):
        raise CampaignError(f"retry delays are seconds per outcome: {', '.join(RETRY_KEYS)}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in delays.values()):
        raise CampaignError("retry delays must be non-negative numbers of seconds")
    if campaign.lead_order not in {o.value for o in LeadOrder}:
        raise CampaignError(f"lead order must be one of {', '.join(o.value for o in LeadOrder)}")
    if not 1 <= float(campaign.max_dial_ratio) <= 10:
        raise CampaignError("max dial ratio must be between 1 and 10 lines per agent")
    pacing = campaign.pacing or {}
    if not isinstance(pacing, Mapping):
        raise CampaignError("pacing must be a mapping")
    for key, value in pacing.items():
        if key in PACING_CHOICES:
            if not isinstance(value, str) or value not in PACING_CHOICES[key]:
                raise CampaignError(f"pacing {key} must be one of {', '.join(PACING_CHOICES[key])}")
            continue
        if key not in PACING_KEYS:
            known = ", ".join((*PACING_KEYS, *PACING_CHOICES))
            raise CampaignError(f"unknown pacing setting {key!r} (known: {known})")
        lo, hi = PACING_KEYS[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not lo <= value <= hi:
            raise CampaignError(f"pacing {key} must be between {lo:g} and {hi:g}")
    dispositions = campaign.dispositions or []
    codes = set()
    for item in dispositions:
        if not isinstance(item, Mapping) or not isinstance(item.get("code"), str) or not item["code"].strip():
            raise CampaignError("each disposition needs a code")
        if len(item["code"]) > 64 or item["code"] in codes:
            raise CampaignError(f"disposition code {item['code']!r} is too long or repeated")
        codes.add(item["code"])
    if not any(item.get("dnc") for item in dispositions):
        raise CampaignError("the dispositions must include a do-not-call one (\"dnc\": true)")


def create_campaign(session: Session, *, name: str, caller_id: str, company_name: str, callback_number: str, **options: Any) -> Campaign:
    unknown = set(options) - _SETTABLE
    if unknown:
        raise CampaignError(f"unknown campaign setting(s): {', '.join(sorted(unknown))}")
    rule = options.get("rule_set", "US")
    if rule in ("US", "UK"):
        rules = rule_set(rule)
        options.setdefault("default_region", rules.default_region)
        options.setdefault("time_zone", "Europe/London" if rule == "UK" else "America/New_York")
    campaign = Campaign(name=name, caller_id=caller_id, company_name=company_name, callback_number=callback_number, **options)
    # Column defaults apply at flush; validation needs them now.
    for column in Campaign.__table__.columns:
        if getattr(campaign, column.key) is None and column.default is not None and column.key in _SETTABLE:
            default = column.default.arg
            setattr(campaign, column.key, default(None) if callable(default) else default)
    _validate(campaign)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign: Campaign, **changes: Any) -> Campaign:
    unknown = set(changes) - _SETTABLE
    if unknown:
        raise CampaignError(f"unknown campaign setting(s): {', '.join(sorted(unknown))}")
    if campaign.status == CampaignStatus.STOPPED.value:
        raise CampaignError("a stopped campaign cannot be changed")
    before = {key: getattr(campaign, key) for key in changes}
    for key, value in changes.items():
        setattr(campaign, key, value)
    try:
        _validate(campaign)
    except CampaignError:
        for key, value in before.items():
            setattr(campaign, key, value)
        raise
    session.flush()
    return campaign


def set_agents(session: Session, campaign: Campaign, user_ids: Iterable[int]) -> None:
    wanted = set(user_ids)
    campaign.agents[:] = [a for a in campaign.agents if a.user_id in wanted]
    have = {a.user_id for a in campaign.agents}
    for user_id in sorted(wanted - have):
        campaign.agents.append(CampaignAgent(user_id=user_id))
    session.flush()


def agent_ids(session: Session, campaign: Campaign) -> list[int]:
    """The campaign's agents: listed ones plus the members of its queue."""
    from contactcenter.acd.models import QueueMembership

    ids = {a.user_id for a in campaign.agents}
    if campaign.queue_id is not None:
        ids |= set(session.scalars(select(QueueMembership.user_id).where(QueueMembership.queue_id == campaign.queue_id)))
    return sorted(ids)


def start_campaign(session: Session, campaign: Campaign) -> Campaign:
    if campaign.status == CampaignStatus.STOPPED.value:
        raise CampaignError("a stopped campaign cannot start again; copy it into a new one")
    _validate(campaign)
    now = clock.now()
    if campaign.started_at is None:
        campaign.started_at = now
    campaign.status = CampaignStatus.RUNNING.value
    campaign.paused_at = None
    session.flush()
    return campaign


def pause_campaign(session: Session, campaign: Campaign) -> Campaign:
    if campaign.status != CampaignStatus.RUNNING.value:
        raise CampaignError(f"only a running campaign can pause (this one is {campaign.status})")
    campaign.status = CampaignStatus.PAUSED.value
    campaign.paused_at = clock.now()
    session.flush()
    return campaign


def stop_campaign(session: Session, campaign: Campaign) -> Campaign:
    """Stop for good: no new calls; calls in flight end normally and are still recorded."""
    if campaign.status == CampaignStatus.STOPPED.value:
        return campaign
    campaign.status = CampaignStatus.STOPPED.value
    campaign.stopped_at = clock.now()
    for lead in session.scalars(select(Lead).where(Lead.campaign_id == campaign.id, Lead.held_by_id.is_not(None))):
        lead.held_by_id = None
    session.flush()
    return campaign


def period_origin(campaign: Campaign) -> float:
    """Where the campaign's regulatory periods start counting (Unix seconds).

    US: the first start (a campaign, then each 30 days). UK: local midnight of the first start
    day, so the 24-hour periods turn over at night, not in the middle of a calling day.
    """
    started = campaign.started_at or clock.now()
    if campaign.rule_set == "UK":
        local = started.astimezone(ZoneInfo(campaign.time_zone))
        midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        return midnight.timestamp()
    return started.timestamp()


def pacing_config(campaign: Campaign) -> PacingConfig:
    rules = rules_of(campaign)
    tuning = dict(campaign.pacing or {})
    return PacingConfig(
        mode=campaign.dial_mode,
        abandon_cap=float(campaign.abandon_cap),
        period_s=rules.period_s,
        connect_within_s=rules.connect_within_s,
        ring_timeout_s=float(campaign.ring_timeout_s),
        min_ring_s=float(rules.min_ring_s),
        max_dial_ratio=float(campaign.max_dial_ratio),
        count_amd_false_positives=rules.count_amd_false_positives and bool(campaign.amd_enabled),
        amd_false_positive_share=float(campaign.amd_false_positive_share),
        **{k: (v if k in PACING_CHOICES else float(v)) for k, v in tuning.items()},
    )


def machine_detection(campaign: Campaign) -> str | None:
    """Twilio's machineDetection for the campaign's calls (None: AMD off)."""
    if not campaign.amd_enabled:
        return None
    return "DetectMessageEnd" if campaign.amd_action == AmdAction.MESSAGE.value else "Enable"


def safe_harbor_instructions(campaign: Campaign) -> list[Instruction]:
    """What an abandoned call hears: the company's name and call-back number, then the end."""
    return [Say(campaign_safe_harbor_text(campaign)), Hangup()]


def campaign_safe_harbor_text(campaign: Campaign) -> str:
    return safe_harbor_text(campaign.company_name, campaign.callback_number, campaign.safe_harbor_message)


def machine_instructions(campaign: Campaign) -> list[Instruction]:
    """What an answering machine gets: a message after the beep, or nothing."""
    if campaign.amd_action == AmdAction.MESSAGE.value and campaign.amd_message:
        return [Say(campaign.amd_message), Hangup()]
    return [Hangup()]


# ------------------------------------------------------------------------------- the gate


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
        return GateResult(False, "skip", "max_attempts", detail={"attempts": lead.attempts, "max": campaign.max_attempts})
    hit = dnc_hits.get(lead.phone) if dnc_hits is not None else dnc.check(session, lead.phone, campaign.id, at)
    if hit is not None:
        return GateResult(False, "skip", hit.decision_reason, detail={"entry": hit.entry_id, "source": hit.source})
    if not _region_allowed(campaign, lead):
        return GateResult(False, "skip", "region_not_allowed", detail={"country": lead.country, "region": lead.region})
    guard = rules_of(campaign).redial_after_abandon_s
    if guard and lead.last_abandoned_at is not None and not agent_guaranteed:
        until = lead.last_abandoned_at + timedelta(seconds=guard)
        if at < until:
            return GateResult(False, "defer", "redial_guard", until, {"abandoned_at": lead.last_abandoned_at.isoformat()})
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
    scanned, seen_last = 0, None
    if agent_id is not None:
        # Preview: the lead this agent has been reading goes first.
        held = list(session.scalars(
            select(Lead).where(Lead.campaign_id == campaign.id, Lead.held_by_id == agent_id,
                               Lead.status == LeadStatus.READY.value).with_for_update(skip_locked=True)
        ))
        if held:
            seen_last = [lead.id for lead in held]
            hits = dnc.check_many(session, [lead.phone for lead in held], campaign.id, at)
            for lead in held[:count]:
                claim = _claim_one(session, campaign, lead, at, windows, hits, guaranteed, agent_id)
                if claim is not None:
                    claims.append(claim)
    while len(claims) < count and scanned < scan_limit:
        batch_size = min(max(2 * (count - len(claims)), 20), scan_limit - scanned)
        query = select(Lead).where(
            Lead.campaign_id == campaign.id,
            Lead.status == LeadStatus.READY.value,
            (Lead.next_attempt_at.is_(None)) | (Lead.next_attempt_at <= at),
        )
        if agent_id is None:
            query = query.where(Lead.held_by_id.is_(None))
        else:
            query = query.where((Lead.held_by_id.is_(None)) | (Lead.held_by_id == agent_id))
        query = query.where(_owned_by(agent_id))
        if seen_last is not None:
            query = query.where(Lead.id.not_in(seen_last))
        query = query.order_by(*_order(campaign)).limit(batch_size).with_for_update(skip_locked=True)
        leads = list(session.scalars(query))
        if not leads:
            break
        scanned += len(leads)
        seen_last = list(seen_last or []) + [lead.id for lead in leads]
        hits = dnc.check_many(session, [lead.phone for lead in leads], campaign.id, at)
        for lead in leads:
            if len(claims) >= count:
                break
            claim = _claim_one(session, campaign, lead, at, windows, hits, guaranteed, agent_id)
            if claim is not None:
                claims.append(claim)
    session.flush()
    return claims


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


# A lead held for an agent who walked away goes back to the others after this long untouched.
PREVIEW_HOLD_S = 30 * 60


def _release_stale_holds(session: Session, campaign: Campaign, at: datetime) -> None:
    """Holds nobody acted on for `PREVIEW_HOLD_S` (the lead's `updated_at` is the hold time)."""
    stale = session.scalars(select(Lead).where(
        Lead.campaign_id == campaign.id, Lead.held_by_id.is_not(None), Lead.status == LeadStatus.READY.value,
        Lead.updated_at < at - timedelta(seconds=PREVIEW_HOLD_S),
    ).with_for_update(skip_locked=True))
    for lead in stale:
        lead.held_by_id = None


def preview_next(session: Session, campaign: Campaign, agent_id: int, at: datetime | None = None) -> Lead | None:
    """Preview mode: the next lead this agent may call, held for them while they read it."""
    at = at or clock.now()
    held = session.scalars(
        select(Lead).where(Lead.campaign_id == campaign.id, Lead.held_by_id == agent_id, Lead.status == LeadStatus.READY.value)
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
    leads = list(session.scalars(
        select(Lead).where(
            Lead.campaign_id == campaign.id,
            Lead.status == LeadStatus.READY.value,
            Lead.callback_agent_id.in_(owners),
            Lead.held_by_id.is_(None),
            (Lead.next_attempt_at.is_(None)) | (Lead.next_attempt_at <= at),
        ).order_by(Lead.callback_at, Lead.id).limit(max(20, 4 * count)).with_for_update(skip_locked=True)
    ))
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


def claim_held_lead(session: Session, campaign: Campaign, agent_id: int, lead_id: int,
                    at: datetime | None = None) -> LeadClaim:
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


def skip_held_lead(session: Session, campaign: Campaign, agent_id: int, lead_id: int,
                   at: datetime | None = None) -> DialDecision:
    """Preview: the agent passes on the lead; it is released and comes back after an hour.

    Recorded as a deferral (reason `agent_skipped`) so the lead's history shows who passed.
    """
    at = at or clock.now()
    lead = _held_lead(session, campaign, agent_id, lead_id)
    decision = _record_refusal(session, campaign, lead, GateResult(
        False, "defer", "agent_skipped", at + timedelta(seconds=PREVIEW_SKIP_S), {"agent_id": agent_id},
    ), at)
    session.flush()
    return decision


def preview_campaigns(session: Session, agent_id: int) -> list[Campaign]:
    """The running preview campaigns this agent works on (listed, or a member of the queue)."""
    running = session.scalars(select(Campaign).where(
        Campaign.status == CampaignStatus.RUNNING.value, Campaign.dial_mode == DialMode.PREVIEW.value,
    ).order_by(Campaign.id))
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

    return CampaignDialer(pacer, SessionLeadSource(session), telephony, _NoPool(),
                          ring_timeout_s=campaign.ring_timeout_s, machine_detection=machine_detection(campaign),
                          urls=urls)


# ------------------------------------------------------------------------------- outcomes

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
        session.add(DialDecision(
            campaign_id=campaign.id, lead_id=lead.id, phone=lead.phone, decided_at=at, action="skip",
            reason="max_attempts", detail={"attempts": lead.attempts, "last_outcome": attempt.outcome},
        ))
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


def mark_connected(session: Session, call_sid: str, agent_id: int | None, at: datetime | None = None) -> tuple[DialAttempt | None, list[PacerEvent]]:
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


def mark_abandoned(session: Session, call_sid: str, at: datetime | None = None) -> tuple[DialAttempt | None, list[PacerEvent]]:
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
        dnc.add(session, lead.phone, campaign_id=scope, source="disposition",
                reason=f"disposition {code} in campaign {campaign.id}", added_by_id=agent_id)
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


# ------------------------------------------------------------------------------- ledgers


def ledger_counts(session: Session, campaign: Campaign, at: datetime | None = None) -> LedgerCounts:
    """The current period's live answers, abandonments and machine verdicts, from the records."""
    at = at or clock.now()
    origin = period_origin(campaign)
    period_s = rules_of(campaign).period_s
    start_ts, end_ts = period_bounds(origin, at.timestamp(), period_s)
    start = datetime.fromtimestamp(start_ts, at.tzinfo)
    end = datetime.fromtimestamp(end_ts, at.tzinfo)
    base = select(func.count()).select_from(DialAttempt).where(DialAttempt.campaign_id == campaign.id)
    live = session.scalar(base.where(DialAttempt.answered_at >= start, DialAttempt.answered_at < end)) or 0
    abandoned = session.scalar(
        base.where(DialAttempt.abandoned.is_(True), DialAttempt.ended_at >= start, DialAttempt.ended_at < end)
    ) or 0
    machines = session.scalar(
        base.where(DialAttempt.outcome == "machine", DialAttempt.ended_at >= start, DialAttempt.ended_at < end)
    ) or 0
    return LedgerCounts(period_index(origin, at.timestamp(), period_s), live, abandoned, machines)


def abandonment_report(session: Session, campaign: Campaign, at: datetime | None = None) -> dict[str, Any]:
    """The period's figures as a regulator would compute them from our records."""
    at = at or clock.now()
    counts = ledger_counts(session, campaign, at)
    rules = rules_of(campaign)
    fp = counts.machine_verdicts * campaign.amd_false_positive_share if rules.count_amd_false_positives else 0.0
    live = counts.live_answered + fp
    abandoned = counts.abandoned + fp
    return {
        "campaign_id": campaign.id,
        "rule_set": rules.name,
        "period": counts.period,
        "live_answered": counts.live_answered,
        "abandoned": counts.abandoned,
        "estimated_amd_false_positives": round(fp, 2),
        "abandon_rate": round(abandoned / live, 5) if live else 0.0,
        "cap": campaign.abandon_cap,
    }


def in_flight_calls(session: Session, campaign: Campaign, at: datetime | None = None) -> list[tuple[str, float, float | None]]:
    """(call sid, placed at, answered at) of calls still in flight, for a new leader's pacer."""
    at = at or clock.now()
    rows = session.execute(
        select(DialAttempt.call_sid, DialAttempt.placed_at, DialAttempt.answered_at).where(
            DialAttempt.campaign_id == campaign.id,
            DialAttempt.call_sid.is_not(None),
            DialAttempt.ended_at.is_(None),
            DialAttempt.connected_at.is_(None),
            DialAttempt.abandoned.is_(False),
            DialAttempt.placed_at >= at - timedelta(hours=1),
        )
    )
    return [(sid, placed.timestamp(), answered.timestamp() if answered else None) for sid, placed, answered in rows]


# ------------------------------------------------------------------------------- worker wiring


class SqlLeadSource:
    """The `LeadSource` of the worker: each claim is its own short transaction."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def claim(self, campaign_id: int, count: int, now: float, agent_id: str | None = None) -> list[LeadClaim]:
        at = datetime.fromtimestamp(now, clock.UTC)
        with transaction(self.session_factory) as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return []
            agent = int(agent_id) if agent_id is not None and str(agent_id).isdigit() else None
            return claim_leads(session, campaign, count, at, agent_id=agent)

    def claim_owned(self, campaign_id: int, agent_ids: Iterable[str], count: int, now: float) -> list[tuple[str, LeadClaim]]:
        """Due callbacks of these free agents, one each (`claim_owned_callbacks`)."""
        owners = [int(a) for a in agent_ids if str(a).isdigit()]
        if not owners:
            return []
        at = datetime.fromtimestamp(now, clock.UTC)
        with transaction(self.session_factory) as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return []
            return [(str(owner), claim) for owner, claim in claim_owned_callbacks(session, campaign, owners, count, at)]

    def dialed(self, claim: LeadClaim, call_id: str, now: float) -> None:
        with transaction(self.session_factory) as session:
            mark_placed(session, claim.attempt_id, call_id, datetime.fromtimestamp(now, clock.UTC))

    def failed(self, claim: LeadClaim, error: str, now: float) -> None:
        with transaction(self.session_factory) as session:
            mark_place_failed(session, claim.attempt_id, error, datetime.fromtimestamp(now, clock.UTC))


class CampaignDialers:
    """The dialers of the running campaigns, kept in step with the SQL store.

    A campaign's pacer survives while its settings stay the same; a new leader rebuilds each
    pacer from the records (period ledger, calls in flight) before its first decision.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        telephony: Dialer,
        pool: AgentPool,
        *,
        urls: CallUrls | None = None,
        on_answered: OnAnswered | None = None,
        reload_s: float = 5.0,
        reconcile_s: float = 60.0,
        on_reload: Callable[[list[Campaign]], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.on_reload = on_reload
        self.telephony = telephony
        self.pool = pool
        self.urls = urls or CallUrls()
        self.on_answered = on_answered
        self.reload_s = reload_s
        self.reconcile_s = reconcile_s
        self._reconciled_at = -math.inf
        self.leads = SqlLeadSource(session_factory)
        self._dialers: dict[int, tuple[Any, CampaignDialer]] = {}
        self._loaded_at = -math.inf
        self._lock = threading.Lock()

    def __call__(self) -> dict[int, CampaignDialer]:
        now = clock.timestamp()
        with self._lock:
            if now - self._loaded_at >= self.reload_s:
                self._reload()
                self._loaded_at = now
            return {cid: dialer for cid, (_, dialer) in self._dialers.items()}

    def _reload(self) -> None:
        now = clock.timestamp()
        reconcile = now - self._reconciled_at >= self.reconcile_s
        if reconcile:
            self._reconciled_at = now
        with transaction(self.session_factory) as session:
            running = list(session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING.value)))
            fresh: dict[int, tuple[Any, CampaignDialer]] = {}
            for campaign in running:
                config = pacing_config(campaign)
                key = (config, period_origin(campaign), machine_detection(campaign), campaign.ring_timeout_s)
                known = self._dialers.get(campaign.id)
                if known is not None and known[0] == key:
                    fresh[campaign.id] = known
                    if reconcile:
                        _reconcile(known[1].pacer, ledger_counts(session, campaign))
                    continue
                pacer = Pacer(config, campaign_id=campaign.id, period_origin=key[1])
                pacer.restore(ledger_counts(session, campaign), in_flight_calls(session, campaign))
                dialer = CampaignDialer(
                    pacer, self.leads, self.telephony, self.pool,
                    ring_timeout_s=campaign.ring_timeout_s, machine_detection=key[2], urls=self.urls,
                    on_answered=self.on_answered,
                )
                fresh[campaign.id] = (key, dialer)
            self._dialers = fresh
            if self.on_reload is not None:
                self.on_reload(running)


def _reconcile(pacer: Pacer, recorded: LedgerCounts) -> None:
    """Bring a long-lived pacer's ledger in line with the records, on the cautious side.

    Events may be lost (a full event list, a crash between write and publish) or not applied yet;
    the ledger then takes the smaller live count and the larger abandoned and machine counts of
    memory and records, so a disagreement can only make the pacer more careful.
    """
    current = pacer.ledger.counts
    if current.period != recorded.period:
        return
    pacer.ledger.restore(LedgerCounts(
        current.period,
        min(current.live_answered, recorded.live_answered),
        max(current.abandoned, recorded.abandoned),
        max(current.machine_verdicts, recorded.machine_verdicts),
    ))
