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


def gen_attempt(  # type: ignore[no-untyped-def]
    session: Session,
    campaign: Campaign,
    placed_at,
    *,
    answered: bool = False,
    connected: bool = False,
    abandoned: bool = False,
    machine: bool = False,
):
    """One finished dial attempt placed at `placed_at`: answered 10 s later by a person (or a
    machine), connected to an agent a second after, or abandoned; it ends a minute after placing."""
    from datetime import timedelta
    from uuid import uuid4

    from contactcenter.dialer.models import DialAttempt

    outcome = "machine" if machine else "abandoned" if abandoned else "connected" if connected else "no-answer"
    attempt = DialAttempt(
        campaign_id=campaign.id,
        phone="+12125550147",
        caller_id="+12025550100",
        mode="predictive",
        call_sid="CA" + uuid4().hex,
        placed_at=placed_at,
        answered_at=placed_at + timedelta(seconds=10) if answered and not machine else None,
        connected_at=placed_at + timedelta(seconds=11) if connected else None,
        ended_at=placed_at + timedelta(seconds=60),
        abandoned=abandoned,
        answered_by="machine_start" if machine else ("human" if answered else None),
        outcome=outcome,
        status="completed",
    )
    session.add(attempt)
    session.flush()
    return attempt
