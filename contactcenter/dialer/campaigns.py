"""Campaign settings, their validation and the campaign's lifecycle.

A campaign is checked as a whole on every change (`_validate`), so a setting that breaks the
rules of its rule set, a safe-harbor message without the company's name, or a dispositions list
without a do-not-call code is refused before it can reach a dial. The helpers at the end turn the
stored settings into what the pacer and the call flow need.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer.compliance import RuleSet, check_safe_harbor, rule_set, safe_harbor_text
from contactcenter.dialer.models import (
    DEFAULT_RETRY_DELAYS,
    AmdAction,
    Campaign,
    CampaignAgent,
    CampaignStatus,
    DialMode,
    Lead,
    LeadOrder,
)
from contactcenter.dialer.pacing_vocabulary import AMD_WHEN_DRAINING, PacingConfig
from contactcenter.dialer.windows import CallingWindows
from contactcenter.errors import DomainError
from contactcenter.phones import InvalidPhoneNumber, normalize
from contactcenter.telephony.interfaces import Hangup, Instruction, Say


class CampaignError(DomainError, ValueError):
    """A campaign setting or a lifecycle step that cannot be accepted; the message says why.

    `field` names the setting at fault (None: the campaign as a whole), so a form can show the
    message next to the field rather than at the top of the page.
    """

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
    "description",
    "dial_mode",
    "rule_set",
    "queue_id",
    "script",
    "dispositions",
    "abandon_cap",
    "ring_timeout_s",
    "caller_id",
    "company_name",
    "callback_number",
    "safe_harbor_message",
    "calling_window",
    "allowed_regions",
    "time_zone",
    "amd_enabled",
    "amd_action",
    "amd_message",
    "amd_false_positive_share",
    "max_attempts",
    "retry_delays",
    "lead_order",
    "max_dial_ratio",
    "order_by_value",
    "default_lead_value",
    "pacing",
    "default_region",
    "name",
}
MAX_LEAD_VALUE = 1e9
# Every setting a campaign is created with: what the pages, the API and the CLI may send.
SETTINGS = frozenset(_SETTABLE | {"caller_id", "company_name", "callback_number"})


def rules_of(campaign: Campaign) -> RuleSet:
    return rule_set(campaign.rule_set)


def windows_of(campaign: Campaign) -> CallingWindows:
    return CallingWindows.from_config(campaign.calling_window, rules_of(campaign))


def _check_phone(value: Any, what: str, region: str, field: str) -> str:
    try:
        return normalize(str(value or ""), region)
    except InvalidPhoneNumber as exc:
        raise CampaignError(f"{what}: {exc}", field=field) from None


def _validate(campaign: Campaign) -> None:
    """Raise CampaignError on the first setting that cannot be used."""
    if not campaign.name or not campaign.name.strip() or len(campaign.name) > 120:
        raise CampaignError("a campaign needs a name of 1-120 characters", field="name")
    if campaign.dial_mode not in {m.value for m in DialMode}:
        raise CampaignError(f"dial mode must be one of {', '.join(m.value for m in DialMode)}", field="dial_mode")
    try:
        rules = rules_of(campaign)
    except ValueError as exc:
        raise CampaignError(str(exc), field="rule_set") from None
    if not (0 <= float(campaign.abandon_cap) <= rules.abandon_cap):
        raise CampaignError(
            f"abandonment cap must be between 0 and {rules.abandon_cap:.0%} ({rules.name} rules)", field="abandon_cap"
        )
    if not (rules.min_ring_s <= int(campaign.ring_timeout_s) <= 120):
        raise CampaignError(
            f"ring timeout must be {rules.min_ring_s}-120 s (calls ring at least {rules.min_ring_s} s)",
            field="ring_timeout_s",
        )
    region = campaign.default_region or rules.default_region
    campaign.caller_id = _check_phone(campaign.caller_id, "caller ID", region, "caller_id")
    campaign.callback_number = _check_phone(campaign.callback_number, "call-back number", region, "callback_number")
    if not (campaign.company_name or "").strip():
        raise CampaignError("the company name is required (the safe-harbor message names it)", field="company_name")
    if campaign.safe_harbor_message:
        problems = check_safe_harbor(campaign.safe_harbor_message, campaign.company_name, campaign.callback_number)
        if problems:
            raise CampaignError("; ".join(problems), field="safe_harbor_message")
    try:
        windows_of(campaign)
    except ValueError as exc:
        raise CampaignError(str(exc), field="calling_window") from None
    regions = campaign.allowed_regions or []
    if not isinstance(regions, list) or not all(isinstance(r, str) and _REGION.match(r) for r in regions):
        raise CampaignError(
            "allowed regions are ISO region codes ('US') or calling codes ('+44')", field="allowed_regions"
        )
    try:
        ZoneInfo(campaign.time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CampaignError(f"unknown time zone {campaign.time_zone!r}", field="time_zone") from None
    if campaign.amd_action not in {a.value for a in AmdAction}:
        raise CampaignError("AMD action must be 'hangup' or 'message'", field="amd_action")
    if not 0 <= float(campaign.amd_false_positive_share) <= 1:
        raise CampaignError("AMD false-positive share must be between 0 and 1", field="amd_false_positive_share")
    if int(campaign.max_attempts) < 1:
        raise CampaignError("max attempts must be at least 1", field="max_attempts")
    delays = campaign.retry_delays or {}
    if not isinstance(delays, Mapping) or set(delays) - set(RETRY_KEYS):
        raise CampaignError(f"retry delays are seconds per outcome: {', '.join(RETRY_KEYS)}", field="retry_delays")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in delays.values()):
        raise CampaignError("retry delays must be non-negative numbers of seconds", field="retry_delays")
    if campaign.lead_order not in {o.value for o in LeadOrder}:
        raise CampaignError(f"lead order must be one of {', '.join(o.value for o in LeadOrder)}", field="lead_order")
    if not 1 <= float(campaign.max_dial_ratio) <= 10:
        raise CampaignError("max dial ratio must be between 1 and 10 lines per agent", field="max_dial_ratio")
    if not isinstance(campaign.order_by_value, bool):
        raise CampaignError("order by value is on or off", field="order_by_value")
    value = campaign.default_lead_value
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_LEAD_VALUE
    ):
        raise CampaignError(f"default lead value must be between 0 and {MAX_LEAD_VALUE:g}", field="default_lead_value")
    pacing = campaign.pacing or {}
    if not isinstance(pacing, Mapping):
        raise CampaignError("pacing must be a mapping", field="pacing")
    for key, value in pacing.items():
        if key in PACING_CHOICES:
            if not isinstance(value, str) or value not in PACING_CHOICES[key]:
                raise CampaignError(f"pacing {key} must be one of {', '.join(PACING_CHOICES[key])}", field="pacing")
            continue
        if key not in PACING_KEYS:
            known = ", ".join((*PACING_KEYS, *PACING_CHOICES))
            raise CampaignError(f"unknown pacing setting {key!r} (known: {known})", field="pacing")
        lo, hi = PACING_KEYS[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not lo <= value <= hi:
            raise CampaignError(f"pacing {key} must be between {lo:g} and {hi:g}", field="pacing")
    dispositions = campaign.dispositions or []
    codes = set()
    for item in dispositions:
        if not isinstance(item, Mapping) or not isinstance(item.get("code"), str) or not item["code"].strip():
            raise CampaignError("each disposition needs a code", field="dispositions")
        if len(item["code"]) > 64 or item["code"] in codes:
            raise CampaignError(f"disposition code {item['code']!r} is too long or repeated", field="dispositions")
        codes.add(item["code"])
    if not any(item.get("dnc") for item in dispositions):
        raise CampaignError('the dispositions must include a do-not-call one ("dnc": true)', field="dispositions")


def create_campaign(
    session: Session, *, name: str, caller_id: str, company_name: str, callback_number: str, **options: Any
) -> Campaign:
    unknown = set(options) - _SETTABLE
    if unknown:
        raise CampaignError(f"unknown campaign setting(s): {', '.join(sorted(unknown))}")
    rule = options.get("rule_set", "US")
    if rule in ("US", "UK"):
        rules = rule_set(rule)
        options.setdefault("default_region", rules.default_region)
        options.setdefault("time_zone", "Europe/London" if rule == "UK" else "America/New_York")
    campaign = Campaign(
        name=name, caller_id=caller_id, company_name=company_name, callback_number=callback_number, **options
    )
    # Column defaults apply at flush; validation needs them now.
    for column in Campaign.__table__.columns:
        if getattr(campaign, column.key) is None and column.default is not None and column.key in _SETTABLE:
            default = column.default.arg
            setattr(campaign, column.key, default(None) if callable(default) else default)
    _validate(campaign)
    _check_name_free(session, campaign.name, None)
    session.add(campaign)
    session.flush()
    return campaign


def _check_name_free(session: Session, name: str, campaign_id: int | None) -> None:
    """Names are unique (the CLI and the pages find campaigns by name): say so before the insert fails."""
    with session.no_autoflush:
        other = session.scalars(select(Campaign.id).where(Campaign.name == name)).first()
    if other is not None and other != campaign_id:
        raise CampaignError(f"a campaign named {name!r} already exists", field="name")


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
        if "name" in changes:
            _check_name_free(session, campaign.name, campaign.id)
    except CampaignError:
        for key, value in before.items():
            setattr(campaign, key, value)
        raise
    session.flush()
    return campaign


_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_RETRY_MINUTES = 60 * 24 * 30


def parse_dispositions(text: str) -> list[dict[str, Any]]:
    """Dispositions written one per line, as people type them on the form and the command line.

    `code | Label | flags`: `final` (the default), `dnc` (the number goes on the internal
    do-not-call list), `dnc campaign` (on the campaign's list), or `retry 60` (not final: the
    lead is called again after 60 minutes).
    """
    items: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        code, label = parts[0], (parts[1] if len(parts) > 1 and parts[1] else parts[0])
        if not _CODE.match(code):
            raise CampaignError(f"line {number}: a code is 1-64 letters, digits, '_', '.' or '-'", field="dispositions")
        item: dict[str, Any] = {"code": code, "label": label[:120], "final": True}
        for flag in (p.lower() for p in parts[2:] if p):
            if flag == "final":
                item["final"] = True
            elif flag == "dnc":
                item["dnc"] = True
            elif flag == "dnc campaign":
                item["dnc"] = "campaign"
            elif flag.startswith("retry"):
                minutes = flag.removeprefix("retry").strip()
                if not minutes.isdigit() or not 1 <= int(minutes) <= MAX_RETRY_MINUTES:
                    raise CampaignError(
                        f"line {number}: 'retry N' takes minutes from 1 to {MAX_RETRY_MINUTES}", field="dispositions"
                    )
                item["final"] = False
                item["retry_after_s"] = int(minutes) * 60
            else:
                raise CampaignError(
                    f"line {number}: unknown flag {flag!r} (final, dnc, dnc campaign or retry N)", field="dispositions"
                )
        items.append(item)
    return items


def dispositions_text(items: Iterable[Mapping[str, Any]]) -> str:
    """The lines `parse_dispositions` reads, for a form to show the stored dispositions."""
    lines = []
    for item in items or []:
        flags = []
        if item.get("dnc"):
            flags.append("dnc" if item["dnc"] in (True, "internal") else "dnc campaign")
        if not item.get("final", True):
            flags.append(f"retry {int(float(item.get('retry_after_s', 3600)) // 60)}")
        elif not item.get("dnc"):
            flags.append("final")
        lines.append(" | ".join([str(item.get("code", "")), str(item.get("label", "")), *flags]))
    return "\n".join(lines)


def settings_of(campaign: Campaign) -> dict[str, Any]:
    """Every setting a person chooses (what `create_campaign` takes), as plain data."""
    out: dict[str, Any] = {key: copy.deepcopy(getattr(campaign, key)) for key in sorted(_SETTABLE)}
    out["caller_id"] = campaign.caller_id
    out["company_name"] = campaign.company_name
    out["callback_number"] = campaign.callback_number
    return out


def clone_campaign(session: Session, campaign: Campaign, name: str) -> Campaign:
    """A new draft with the settings and listed agents of `campaign` (any status), but no leads.

    A stopped campaign cannot run again; cloning is how its settings are used for a new run.
    """
    settings = settings_of(campaign)
    settings["name"] = name
    clone = create_campaign(session, **settings)
    set_agents(session, clone, [a.user_id for a in campaign.agents])
    return clone


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
        ids |= set(
            session.scalars(select(QueueMembership.user_id).where(QueueMembership.queue_id == campaign.queue_id))
        )
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
    # The campaign's stored tuning (JSON): keyword arguments of PacingConfig, numbers as floats.
    tuning: dict[str, Any] = {k: (v if k in PACING_CHOICES else float(v)) for k, v in (campaign.pacing or {}).items()}
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
        **tuning,
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
