"""What happened to one lead: every call placed to it and every time the gate refused to dial it.

The dial gate writes a `DialDecision` for every refusal (do-not-call hit, outside the calling
window, region not allowed, UK redial guard, attempts used up); this module reads them back, with
a sentence per reason, so a supervisor can see on the lead itself why it was not called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.dialer.models import DialAttempt, DialDecision, DncEntry, Lead

REFUSAL_REASONS = {
    "dnc_internal": "on the internal do-not-call list (or a national register imported into it)",
    "dnc_campaign": "on this campaign's do-not-call list",
    "outside_window": "outside the calling window in the called party's local time",
    "no_calling_window": "the number's time zones share no calling window",
    "no_time_zone": "no time zone is known for the number",
    "max_attempts": "every allowed attempt has been made",
    "redial_guard": "within 72 hours of an abandoned call (UK rules)",
    "region_not_allowed": "outside the campaign's calling regions",
}


@dataclass(frozen=True)
class Refusal:
    decided_at: datetime
    action: str  # skip (for good) or defer (until retry_at)
    reason: str
    meaning: str
    retry_at: datetime | None
    detail: dict[str, Any]
    # For a do-not-call refusal: the list entry's source (manual, import, national, ...) and reason.
    dnc_source: str | None = None
    dnc_reason: str | None = None


def refusals(session: Session, lead: Lead, limit: int = 100) -> list[Refusal]:
    """The gate's refusals for `lead`, newest first."""
    rows = list(
        session.scalars(
            select(DialDecision)
            .where(DialDecision.lead_id == lead.id)
            .order_by(DialDecision.decided_at.desc(), DialDecision.id.desc())
            .limit(limit)
        )
    )
    entry_ids = [int(r.detail["entry"]) for r in rows if isinstance((r.detail or {}).get("entry"), int)]
    entries = (
        {e.id: e for e in session.scalars(select(DncEntry).where(DncEntry.id.in_(entry_ids)))} if entry_ids else {}
    )
    out = []
    for row in rows:
        entry = entries.get((row.detail or {}).get("entry", -1))
        out.append(
            Refusal(
                row.decided_at,
                row.action,
                row.reason,
                REFUSAL_REASONS.get(row.reason, row.reason),
                row.retry_at,
                dict(row.detail or {}),
                entry.source if entry else (row.detail or {}).get("source"),
                entry.reason if entry else None,
            )
        )
    return out


def attempts(session: Session, lead: Lead, limit: int = 100) -> list[DialAttempt]:
    """The calls placed to `lead`, newest first."""
    return list(
        session.scalars(
            select(DialAttempt)
            .where(DialAttempt.lead_id == lead.id)
            .order_by(DialAttempt.claimed_at.desc(), DialAttempt.id.desc())
            .limit(limit)
        )
    )


def refusal_counts(session: Session, campaign_id: int) -> dict[int, int]:
    """Refusals per lead of a campaign (for the lead list)."""
    rows = session.execute(
        select(DialDecision.lead_id, func.count())
        .where(DialDecision.campaign_id == campaign_id, DialDecision.lead_id.is_not(None))
        .group_by(DialDecision.lead_id)
    )
    return {int(lead_id): int(n) for lead_id, n in rows if lead_id is not None}


def campaign_totals(session: Session, campaign_id: int) -> dict[str, int]:
    """Every call of a campaign since it began: dialed, answered, connected, abandoned, refused."""
    dialed, answered, connected, abandoned = session.execute(
        select(
            func.count(DialAttempt.placed_at),
            func.count(DialAttempt.answered_at),
            func.count(DialAttempt.connected_at),
            func.count().filter(DialAttempt.abandoned.is_(True)),
        ).where(DialAttempt.campaign_id == campaign_id)
    ).one()
    refused = session.scalar(
        select(func.count()).select_from(DialDecision).where(DialDecision.campaign_id == campaign_id)
    )
    return {
        "dialed": int(dialed or 0),
        "answered": int(answered or 0),
        "connected": int(connected or 0),
        "abandoned": int(abandoned or 0),
        "refused": int(refused or 0),
    }
