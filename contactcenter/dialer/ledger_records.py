"""The period's abandonment ledger and the calls in flight, computed from the attempt records.

These are what a regulator would recount and what a new pacer leader starts from, so they are
read from SQL rather than from any pacer's memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.dialer.campaigns import period_origin, rules_of
from contactcenter.dialer.compliance import LedgerCounts, period_bounds, period_index
from contactcenter.dialer.models import Campaign, DialAttempt


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
    abandoned = (
        session.scalar(
            base.where(DialAttempt.abandoned.is_(True), DialAttempt.ended_at >= start, DialAttempt.ended_at < end)
        )
        or 0
    )
    machines = (
        session.scalar(
            base.where(DialAttempt.outcome == "machine", DialAttempt.ended_at >= start, DialAttempt.ended_at < end)
        )
        or 0
    )
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


def in_flight_calls(
    session: Session, campaign: Campaign, at: datetime | None = None
) -> list[tuple[str, float, float | None]]:
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
    calls = []
    for sid, placed, answered in rows:
        assert sid is not None and placed is not None  # the query keeps only placed calls
        calls.append((sid, placed.timestamp(), answered.timestamp() if answered else None))
    return calls
