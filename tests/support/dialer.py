"""Helpers shared by the dialer tests: campaigns and leads that read like the domain."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy.orm import Session

from contactcenter.dialer import campaigns
from contactcenter.dialer.leads_import import import_leads
from contactcenter.dialer.models import Campaign, Lead
from contactcenter.dialer.windows import region_of
from contactcenter.phones import time_zones

# One number per US time zone (Alaska numbers may also be in Adak, an hour behind Anchorage).
NUMBERS = {
    "America/New_York": "+12125550147",
    "America/Chicago": "+13125550147",
    "America/Los_Angeles": "+14155550147",
    "America/Phoenix": "+16025550147",
    "Pacific/Honolulu": "+18085550147",
    "America/Anchorage": "+19075550147",
}


def gen_campaign(session: Session, name: str = "Spring renewals", *, start: bool = True, **options: Any) -> Campaign:
    options.setdefault("dial_mode", "predictive")
    campaign = campaigns.create_campaign(
        session,
        name=name,
        caller_id=options.pop("caller_id", "+12025550100"),
        company_name=options.pop("company_name", "Acme Energy"),
        callback_number=options.pop("callback_number", "+18005550123"),
        **options,
    )
    if start:
        campaigns.start_campaign(session, campaign)
    return campaign


def gen_lead(session: Session, campaign: Campaign, phone: str, **kw: Any) -> Lead:
    country, region = region_of(phone)
    lead = Lead(
        campaign_id=campaign.id,
        phone=phone,
        name=kw.pop("name", "Ada Lovelace"),
        time_zones=kw.pop("time_zones", list(time_zones(phone))),
        region=kw.pop("region", region),
        country=kw.pop("country", country),
        **kw,
    )
    session.add(lead)
    session.flush()
    return lead


def import_text(session: Session, campaign: Campaign, text: str, **kw: Any):  # type: ignore[no-untyped-def]
    return import_leads(session, campaign, io.StringIO(text, newline=""), **kw)
