"""Contact history for a synthetic purchase history, with a known churn signal in it.

Every customer calls now and then (a Poisson process at `base_rate` calls a week over the whole
history). A customer who leaves (drops out after their last purchase, as BG/NBD draws it) has
trouble with that last order first: starting within `lead_weeks` after it, they call
1 + Poisson(`burst_calls`) times, each call a repeat of the one before within a week, and each
call is a complaint, ends abandoned in the queue, or gets a low satisfaction answer with the
probabilities below; then they never buy again. Background calls carry the same kinds far less
often. So contact history tells leavers
from stayers beyond what recency alone does, by an amount set here, and a seed gives the same
history again. Drawn from a stream of its own: the purchases are those of `synthetic.generate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from contactcenter.analytics.synthetic import SyntheticHistory
from contactcenter.contacts.models import Interaction


@dataclass(frozen=True)
class TroubleParams:
    base_rate: float = 0.03  # calls a week, everyone
    burst_calls: float = 3.0  # extra calls before leaving (Poisson mean)
    lead_weeks: float = 4.0
    p_complaint: float = 0.5
    p_abandon: float = 0.3
    p_low_csat: float = 0.4
    background_complaint: float = 0.05
    background_abandon: float = 0.08
    background_low_csat: float = 0.05


@dataclass(frozen=True)
class SyntheticContact:
    customer_index: int
    weeks: float  # since the history's start
    kinds: tuple[str, ...]  # "call" plus any of complaint, abandon, low_csat


def contacts(
    history: SyntheticHistory, params: TroubleParams = TroubleParams(), seed: int = 1
) -> list[SyntheticContact]:
    rng = np.random.default_rng([seed, 104729])
    span = (history.end - history.start) / timedelta(weeks=1)
    out: list[SyntheticContact] = []

    def call(index: int, at: float, complaint: float, abandon: float, low: float) -> None:
        kinds = ["call"]
        for kind, p in (("complaint", complaint), ("abandon", abandon), ("low_csat", low)):
            if rng.random() < p:
                kinds.append(kind)
        out.append(SyntheticContact(index, at, tuple(kinds)))

    for person in history.customers:
        first = (person.orders[0].ordered_at - history.start) / timedelta(weeks=1) if person.orders else 0.0
        for at in np.sort(rng.uniform(first, span, rng.poisson(params.base_rate * (span - first)))):
            call(
                person.index,
                float(at),
                params.background_complaint,
                params.background_abandon,
                params.background_low_csat,
            )
        if person.alive_at_end or not person.orders:
            continue
        last = (person.orders[-1].ordered_at - history.start) / timedelta(weeks=1)
        n = 1 + int(rng.poisson(params.burst_calls))
        at = last + float(rng.uniform(0.0, params.lead_weeks))
        for _ in range(n):
            if at >= span:
                break
            call(person.index, at, params.p_complaint, params.p_abandon, params.p_low_csat)
            at += float(rng.uniform(0.1, 1.0))  # the next call within a week: a repeat call
    out.sort(key=lambda c: (c.weeks, c.customer_index))
    return out


def store_calls(
    session: Session, history: SyntheticHistory, calls: list[SyntheticContact], customer_ids: list[int], *, prefix: str
) -> int:
    """Store the contacts as finished inbound calls of the given customers (one per synthetic
    customer, in order), up to the history's end: a complaint is the call's disposition, an
    abandon its outcome, a low satisfaction answer a CSAT of 1. Returns the calls written."""
    rows: list[dict[str, Any]] = []
    for n, contact in enumerate(calls):
        at = history.start + timedelta(weeks=contact.weeks)
        if at >= history.end or contact.customer_index >= len(customer_ids):
            continue
        rows.append(
            {
                "call_sid": f"CA{prefix}{n:0{32 - len(prefix)}d}",
                "direction": "inbound",
                "from_number": "+14155550100",
                "to_number": "+18005550199",
                "customer_id": customer_ids[contact.customer_index],
                "status": "completed",
                "arrived_at": at,
                "outcome": "abandoned" if "abandon" in contact.kinds else "completed",
                "disposition": "complaint" if "complaint" in contact.kinds else None,
                "csat": 1 if "low_csat" in contact.kinds else None,
                "created_at": at,
                "updated_at": at,
            }
        )
    for start in range(0, len(rows), 5000):
        session.execute(insert(Interaction), rows[start : start + 5000])
    return len(rows)
