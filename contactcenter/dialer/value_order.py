"""Value ordering: due leads taken by expected value × the chance someone answers now.

Expected value is the customer's predicted 12-month value (the `clv` figures of the analytics
recompute) where the lead is a scored customer, by its customer link or its number; otherwise the
campaign's `default_lead_value`. The chance of an answer comes from the campaign's own finished
attempts, by the called party's local hour of day: answered / attempts at that hour, shrunk
towards the campaign-wide rate by a Beta prior, so a few lucky calls at 7 pm do not outrank a
well-measured hour, and an empty history leaves every hour equal (the order is by value alone).

This only orders the candidates: every lead still goes through the dial gate, so the compliance
rules (calling hours in the lead's time zone, do-not-contact, attempt limits) are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.analytics.models import CustomerModelScore, ModelRun
from contactcenter.contacts.models import CustomerPhone
from contactcenter.dialer.models import Campaign, DialAttempt, Lead

# Outcomes where a person picked up (a machine is not an answer).
ANSWERED = frozenset({"connected", "abandoned", "hangup", "answered"})
# Before any attempt: the campaign-wide rate assumed, and how many attempts that guess is worth.
PRIOR_RATE = 0.3
PRIOR_ATTEMPTS = 4.0
# How many attempts the campaign-wide rate is worth when it smooths one hour's rate.
HOUR_PRIOR_ATTEMPTS = 20.0


@dataclass(frozen=True)
class ContactModel:
    """P(answer) by local hour (0-23) for one campaign."""

    overall: float
    by_hour: tuple[float, ...] = field(default_factory=tuple)
    attempts: int = 0

    def probability(self, hour: int) -> float:
        return self.by_hour[hour] if self.by_hour else self.overall


def _zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def local_hour(at: datetime, time_zones: Sequence[Any] | None, fallback: ZoneInfo) -> int:
    """The lead's local hour at `at` (its number's first zone; the campaign's when it has none)."""
    zone = _zone(str(time_zones[0]) if time_zones else None, fallback)
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return moment.astimezone(zone).hour


def fit_contact_model(outcomes: Iterable[tuple[int, bool]], *, prior_rate: float = PRIOR_RATE) -> ContactModel:
    """From (local hour, answered) pairs: the smoothed rate per hour."""
    attempts, answered = [0] * 24, [0] * 24
    for hour, picked_up in outcomes:
        attempts[hour] += 1
        answered[hour] += int(picked_up)
    total, hits = sum(attempts), sum(answered)
    overall = (hits + PRIOR_ATTEMPTS * prior_rate) / (total + PRIOR_ATTEMPTS)
    by_hour = tuple(
        (answered[h] + HOUR_PRIOR_ATTEMPTS * overall) / (attempts[h] + HOUR_PRIOR_ATTEMPTS) for h in range(24)
    )
    return ContactModel(overall, by_hour, total)


_cache: dict[tuple[int, Any, int, Any], ContactModel] = {}


def contact_model(session: Session, campaign: Campaign) -> ContactModel:
    """The campaign's contact model, refitted only when another attempt has finished."""
    count, last = session.execute(
        select(func.count(DialAttempt.id), func.max(DialAttempt.id)).where(
            DialAttempt.campaign_id == campaign.id, DialAttempt.outcome.is_not(None)
        )
    ).one()
    key = (campaign.id, campaign.created_at, int(count or 0), last)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    fallback = _zone(campaign.time_zone, ZoneInfo("UTC"))
    rows = session.execute(
        select(func.coalesce(DialAttempt.placed_at, DialAttempt.claimed_at), DialAttempt.outcome, Lead.time_zones)
        .join(Lead, Lead.id == DialAttempt.lead_id, isouter=True)
        .where(DialAttempt.campaign_id == campaign.id, DialAttempt.outcome.is_not(None))
    )
    model = fit_contact_model(
        ((local_hour(claimed, zones, fallback), outcome in ANSWERED) for claimed, outcome, zones in rows)
    )
    for stale in [k for k in _cache if k[0] == campaign.id]:
        del _cache[stale]
    _cache[key] = model
    return model


@dataclass(frozen=True)
class Candidate:
    """What ranking needs of a due lead (read without loading or locking the row)."""

    id: int
    phone: str
    customer_id: int | None
    time_zones: Sequence[Any]
    callback_at: datetime | None = None


def expected_values(session: Session, candidates: Sequence[Candidate], default: float) -> dict[int, float]:
    """Lead id → predicted 12-month value (by customer link, then by number), else `default`."""
    by_customer: dict[int, float] = {}
    customer_ids = sorted({c.customer_id for c in candidates if c.customer_id is not None})
    phones = sorted({c.phone for c in candidates if c.customer_id is None})
    owner: dict[str, int] = {}
    for start in range(0, len(phones), 1000):
        numbers = phones[start : start + 1000]
        owner.update(
            {
                e164: cid
                for e164, cid in session.execute(
                    select(CustomerPhone.e164, CustomerPhone.customer_id).where(CustomerPhone.e164.in_(numbers))
                )
            }
        )
    wanted = sorted(set(customer_ids) | set(owner.values()))
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        rows = session.execute(
            select(CustomerModelScore.customer_id, CustomerModelScore.score).where(
                CustomerModelScore.model == "clv", CustomerModelScore.customer_id.in_(chunk)
            )
        )
        by_customer.update({cid: float(score) for cid, score in rows if score is not None})
    values: dict[int, float] = {}
    for c in candidates:
        cid = c.customer_id if c.customer_id is not None else owner.get(c.phone)
        values[c.id] = by_customer.get(cid, default) if cid is not None else default
    return values


_values: dict[tuple[int, Any, Any, float], dict[int, float]] = {}


def cached_values(session: Session, campaign: Campaign, candidates: Sequence[Candidate]) -> dict[int, float]:
    """`expected_values`, remembered per lead until the next lifetime-value recompute (a claim
    ranks every due lead, and the values only change when the models run again)."""
    run = session.scalar(select(func.max(ModelRun.id)).where(ModelRun.model == "clv"))
    default = float(campaign.default_lead_value or 0.0)
    key = (campaign.id, campaign.created_at, run, default)
    known = _values.get(key)
    if known is None:
        for stale in [k for k in _values if k[0] == campaign.id]:
            del _values[stale]
        known = _values[key] = {}
    missing = [c for c in candidates if c.id not in known]
    if missing:
        known.update(expected_values(session, missing, default))
    return known


def rank(
    session: Session, campaign: Campaign, candidates: Sequence[Candidate], at: datetime
) -> list[tuple[Candidate, float]]:
    """Candidates best first, each with its score: due callbacks first (the earliest promised
    first, as in every order), then expected value × P(answer at the lead's local hour now)."""
    model = contact_model(session, campaign)
    values = cached_values(session, campaign, candidates)
    fallback = _zone(campaign.time_zone, ZoneInfo("UTC"))
    chance: dict[Any, float] = {}

    def probability(zones: Sequence[Any]) -> float:
        key = zones[0] if zones else None
        if key not in chance:
            chance[key] = model.probability(local_hour(at, zones, fallback))
        return chance[key]

    scored = [(c, values[c.id] * probability(c.time_zones)) for c in candidates]
    far = datetime.max.replace(tzinfo=UTC)

    def key(item: tuple[Candidate, float]) -> tuple[int, datetime, float, int]:
        c, score = item
        callback = c.callback_at if c.callback_at is None or c.callback_at.tzinfo else c.callback_at.replace(tzinfo=UTC)
        return (0 if callback is not None else 1, callback or far, -score, c.id)

    return sorted(scored, key=key)
