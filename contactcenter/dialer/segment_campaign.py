"""A retention campaign built from an RFM segment: its leads are the segment's customers.

The customers are those whose current RFM segment (the last recompute's `rfm` label) is the one
chosen and, when a minimum value tier is given, whose predicted-value tier is at least that. Each
becomes one lead on its first number that is a valid E.164 number with a known time zone and is on
no do-not-contact list (the company's or the new campaign's); every customer left out is counted
under its reason, so the person building the campaign sees who was skipped and why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, aliased

from contactcenter import clock
from contactcenter.analytics.models import CustomerModelScore
from contactcenter.contacts.models import Customer, CustomerPhone
from contactcenter.dialer import dnc
from contactcenter.dialer.campaigns import CampaignError, create_campaign
from contactcenter.dialer.models import Campaign, Lead
from contactcenter.dialer.windows import region_of
from contactcenter.phones import InvalidPhoneNumber, normalize, time_zones

# Value tiers of the lifetime-value model, lowest first (see analytics.services.VALUE_TIERS).
TIERS = ("low", "medium", "high", "top")
MAX_SEGMENT_CHARS = 64
SKIP_REASONS = {
    "no_phone": "no phone number on file",
    "invalid_phone": "no valid E.164 number",
    "no_time_zone": "no time zone known for the number",
    "dnc": "on a do-not-contact list",
}


class SegmentCampaignError(CampaignError):
    code = "bad_segment_campaign"


@dataclass
class SegmentCampaignReport:
    campaign: Campaign
    segment: str
    min_tier: str | None
    customers: int = 0
    leads: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign.id,
            "campaign": self.campaign.name,
            "segment": self.segment,
            "min_tier": self.min_tier,
            "customers": self.customers,
            "leads": self.leads,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_total": sum(self.skipped.values()),
        }

    def summary_lines(self) -> list[str]:
        lines = [
            f"campaign {self.campaign.name!r}: {self.leads} leads from {self.customers} customers in {self.segment}"
            + (f" (value tier {self.min_tier} or above)" if self.min_tier else "")
        ]
        lines += [f"  skipped {n}: {SKIP_REASONS[reason]}" for reason, n in sorted(self.skipped.items())]
        return lines


def known_segments(session: Session) -> list[str]:
    """The segments customers are in now (the last recompute's labels)."""
    rows = session.scalars(
        select(CustomerModelScore.label)
        .where(CustomerModelScore.model == "rfm", CustomerModelScore.label.is_not(None))
        .distinct()
    )
    return sorted(label for label in rows if label)


def check_choice(session: Session, segment: object, min_tier: object) -> tuple[str, str | None]:
    """The segment and tier asked for, or the reason they cannot be used."""
    if not isinstance(segment, str) or not segment.strip():
        raise SegmentCampaignError("choose a segment", field="segment")
    name = segment.strip()
    if len(name) > MAX_SEGMENT_CHARS:
        raise SegmentCampaignError(f"a segment name is at most {MAX_SEGMENT_CHARS} characters", field="segment")
    known = known_segments(session)
    if name not in known:
        listed = ", ".join(known) if known else "none yet: run the analytics recompute first"
        raise SegmentCampaignError(f"no customer is in segment {name[:64]!r} (segments: {listed})", field="segment")
    if min_tier in (None, ""):
        return name, None
    if not isinstance(min_tier, str) or min_tier.strip() not in TIERS:
        raise SegmentCampaignError(f"minimum value tier must be one of {', '.join(TIERS)}", field="min_tier")
    return name, min_tier.strip()


def _members(session: Session, segment: str, min_tier: str | None) -> list[tuple[int, str]]:
    """(customer id, name) of the segment's customers at or above the tier, by id."""
    rfm = aliased(CustomerModelScore)
    query = (
        select(Customer.id, Customer.name)
        .join(rfm, (rfm.customer_id == Customer.id) & (rfm.model == "rfm"))
        .where(rfm.label == segment)
        .order_by(Customer.id)
    )
    if min_tier is not None:
        value = aliased(CustomerModelScore)
        allowed = TIERS[TIERS.index(min_tier) :]
        query = query.join(value, (value.customer_id == Customer.id) & (value.model == "clv")).where(
            value.label.in_(allowed)
        )
    return [(cid, name) for cid, name in session.execute(query)]


def create_from_segment(
    session: Session,
    *,
    segment: object,
    min_tier: object = None,
    settings: dict[str, Any],
    now: datetime | None = None,
) -> SegmentCampaignReport:
    """A draft campaign with `settings` (as `create_campaign` takes them) and one lead per callable
    customer of the segment. Refused, with nothing stored, when no customer could be called."""
    at = now or clock.now()
    name, tier = check_choice(session, segment, min_tier)
    members = _members(session, name, tier)
    phones: dict[int, list[str]] = {}
    ids = [cid for cid, _ in members]
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for cid, e164 in session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.e164)
            .where(CustomerPhone.customer_id.in_(chunk))
            .order_by(CustomerPhone.customer_id, CustomerPhone.id)
        ):
            phones.setdefault(cid, []).append(e164)
    region = str(settings.get("default_region") or ("GB" if settings.get("rule_set") == "UK" else "US"))
    chosen: dict[int, tuple[str, list[str]]] = {}
    reasons: dict[int, str] = {}
    for cid, _ in members:
        numbers = phones.get(cid, [])
        if not numbers:
            reasons[cid] = "no_phone"
            continue
        reason = "invalid_phone"
        for raw in numbers:
            try:
                e164 = normalize(raw, region)
            except InvalidPhoneNumber:
                continue
            zones = list(time_zones(e164))
            if not zones:
                reason = "no_time_zone"
                continue
            chosen[cid] = (e164, zones)
            break
        else:
            reasons[cid] = reason
    # A new campaign has no list of its own yet: the company's list is the one that applies.
    hits = dnc.check_many(session, [e164 for e164, _ in chosen.values()], None, at)
    rows: list[dict[str, Any]] = []
    taken: set[str] = set()
    names = dict(members)
    for cid, (e164, zones) in chosen.items():
        if e164 in hits:
            reasons[cid] = "dnc"
            continue
        if e164 in taken:  # two records sharing a number: one call
            continue
        taken.add(e164)
        country, lead_region = region_of(e164)
        rows.append(
            {
                "phone": e164,
                "name": (names[cid] or "")[:200],
                "time_zones": zones,
                "time_zone_source": "number",
                "region": lead_region,
                "country": country,
                "attributes": {"segment": name, **({"min_tier": tier} if tier else {})},
                "customer_id": cid,
                "status": "ready",
                "priority": 0,
                "attempts": 0,
                "created_at": at,
                "updated_at": at,
            }
        )
    skipped = Counter(reasons.values())
    if not rows:
        why = "; ".join(f"{n} {SKIP_REASONS[r]}" for r, n in sorted(skipped.items()))
        raise SegmentCampaignError(
            f"none of the {len(members)} customers in {name} can be called" + (f" ({why})" if why else ""),
            field="segment",
        )
    settings = dict(settings)
    settings.setdefault("description", f"Retention: {name}" + (f", value tier {tier}+" if tier else ""))
    campaign = create_campaign(session, **settings)
    report = SegmentCampaignReport(campaign, name, tier, customers=len(members), skipped=skipped)
    for row in rows:
        row["campaign_id"] = campaign.id
    for start in range(0, len(rows), 5000):
        session.execute(insert(Lead), rows[start : start + 5000])
    report.leads = len(rows)
    session.flush()
    return report
