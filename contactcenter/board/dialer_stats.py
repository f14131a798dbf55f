"""The dialer's live figures for the board, per running or paused campaign.

* dialed / answered / connected / abandoned — attempts placed, answered by a live person,
  connected to an agent, and abandoned (no agent within 2 s), today in the campaign's zone;
* abandon rate today — abandoned ÷ live answered, today;
* abandon rate window — the regulatory period's rate as the regulator computes it from our
  records (`dialer.ledger_records.abandonment_report`, with UK AMD false positives when they count);
* leads left — leads still to be dialed (status ready);
* dial ratio — calls in flight (ringing, or answered and waiting for an agent) ÷ the campaign's
  active agents (available, reserved, on a call or in wrap-up): the figure the pacer's
  `max_dial_ratio` ceiling bounds. None while no agent is active.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.acd.interfaces import AgentSnapshot
from contactcenter.dialer.campaigns import agent_ids
from contactcenter.dialer.ledger_records import abandonment_report, in_flight_calls
from contactcenter.dialer.models import Campaign, CampaignStatus, DialAttempt, Lead, LeadStatus
from contactcenter.tickets.intervals import ReportError, zone

ACTIVE_STATES = ("available", "reserved", "on_call", "wrap_up")
SHOWN_STATUSES = (CampaignStatus.RUNNING.value, CampaignStatus.PAUSED.value)


def _day_bounds(tz_name: str, now: datetime) -> tuple[datetime, datetime]:
    try:
        tz = zone(tz_name or "UTC")
    except ReportError:
        tz = zone("UTC")
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time.min, tz).astimezone(clock.UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tz).astimezone(clock.UTC)
    return start, end


def _count_between(column: Any, start: datetime, end: datetime, *extra: Any) -> Any:
    return func.count().filter(and_(column >= start, column < end, *extra))


def campaign_stats(
    session: Session, agents: Iterable[AgentSnapshot], now: datetime | None = None
) -> list[dict[str, Any]]:
    now = now or clock.now()
    states = {a.agent_id: a.state for a in agents}
    out = []
    for campaign in session.scalars(
        select(Campaign).where(Campaign.status.in_(SHOWN_STATUSES)).order_by(Campaign.name)
    ):
        start, end = _day_bounds(campaign.time_zone, now)
        dialed, answered, connected, abandoned = session.execute(
            select(
                _count_between(DialAttempt.placed_at, start, end),
                _count_between(DialAttempt.answered_at, start, end),
                _count_between(DialAttempt.connected_at, start, end),
                _count_between(DialAttempt.ended_at, start, end, DialAttempt.abandoned.is_(True)),
            ).where(DialAttempt.campaign_id == campaign.id)
        ).one()
        leads_left = (
            session.scalar(
                select(func.count())
                .select_from(Lead)
                .where(Lead.campaign_id == campaign.id, Lead.status == LeadStatus.READY.value)
            )
            or 0
        )
        in_flight = len(in_flight_calls(session, campaign, now))
        active = sum(1 for aid in agent_ids(session, campaign) if states.get(str(aid)) in ACTIVE_STATES)
        window = abandonment_report(session, campaign, now)
        out.append(
            {
                "campaign_id": campaign.id,
                "name": campaign.name,
                "status": campaign.status,
                "mode": campaign.dial_mode,
                "dialed": int(dialed or 0),
                "answered": int(answered or 0),
                "connected": int(connected or 0),
                "abandoned": int(abandoned or 0),
                "abandon_rate_today": round(abandoned / answered, 4) if answered else None,
                "abandon_rate_window": window["abandon_rate"],
                "abandon_cap": campaign.abandon_cap,
                "rule_set": window["rule_set"],
                "leads_left": int(leads_left),
                "in_flight": in_flight,
                "active_agents": active,
                "dial_ratio": round(in_flight / active, 2) if active else None,
                "max_dial_ratio": campaign.max_dial_ratio,
            }
        )
    return out
