"""Churn features as of a cutoff, from purchases and contact history, and the label after it.

Everything is computed from what happened strictly before the cutoff, and the label (no purchase
in the window that follows) strictly after it, so a model trained at one cutoff and scored at a
later one never sees its own answer. Contact history arrives as plain `ContactEvent`s: this
package reads calls itself, and the tickets domain (above it) is read by the caller and passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.contacts.models import Interaction

# call: any call; abandon: hung up waiting; complaint: a call or ticket about a complaint;
# low_csat: a satisfaction answer of 1 or 2 out of 5; sla_breach: a ticket kept waiting past its target.
CONTACT_KINDS = ("call", "abandon", "complaint", "low_csat", "sla_breach")
LOW_CSAT = 2
RECENT_DAYS = 90
# Churn is scored for customers who are still customers: a purchase in the year before the cutoff.
# Those gone longer are lost already, and counting them would let recency alone look excellent.
ACTIVE_DAYS = 365
REPEAT_WITHIN_DAYS = 7
FEATURES: tuple[str, ...] = (
    "recency_days",
    "purchases",
    "avg_order_value",
    "tenure_days",
    "calls_90d",
    "repeat_calls_90d",
    "abandons_90d",
    "complaints_90d",
    "low_csat_90d",
    "sla_breaches_90d",
)
OrderRow = tuple[int, datetime, Decimal] | tuple[int, datetime, float]


@dataclass(frozen=True)
class ContactEvent:
    customer_id: int
    at: datetime
    kind: str


@dataclass
class FeatureTable:
    cutoff: datetime
    customer_ids: list[int]
    values: np.ndarray[Any, Any]  # customers × FEATURES

    def column(self, name: str) -> np.ndarray[Any, Any]:
        return self.values[:, FEATURES.index(name)]


def build(orders: Sequence[OrderRow], events: Iterable[ContactEvent], cutoff: datetime) -> FeatureTable:
    """One row per active customer: a purchase in the ACTIVE_DAYS before the cutoff."""
    bought: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for cid, at, total in orders:
        if at < cutoff:
            bought[cid].append((at, float(total)))
    active_from = cutoff - timedelta(days=ACTIVE_DAYS)
    bought = defaultdict(list, {cid: h for cid, h in bought.items() if max(at for at, _ in h) >= active_from})
    recent_from = cutoff - timedelta(days=RECENT_DAYS)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CONTACT_KINDS, 0))
    calls: dict[int, list[datetime]] = defaultdict(list)
    for event in events:
        if event.customer_id in bought and recent_from <= event.at < cutoff:
            counts[event.customer_id][event.kind] = counts[event.customer_id].get(event.kind, 0) + 1
            if event.kind == "call":
                calls[event.customer_id].append(event.at)
    ids = sorted(bought)
    values = np.zeros((len(ids), len(FEATURES)))
    repeat_gap = timedelta(days=REPEAT_WITHIN_DAYS)
    for i, cid in enumerate(ids):
        history = bought[cid]
        first = min(at for at, _ in history)
        last = max(at for at, _ in history)
        c = counts.get(cid) or dict.fromkeys(CONTACT_KINDS, 0)
        times = sorted(calls.get(cid, []))
        repeats = sum(1 for a, b in zip(times, times[1:], strict=False) if b - a <= repeat_gap)
        values[i] = (
            (cutoff - last).total_seconds() / 86400,
            len(history),
            sum(v for _, v in history) / len(history),
            (cutoff - first).total_seconds() / 86400,
            c["call"],
            repeats,
            c["abandon"],
            c["complaint"],
            c["low_csat"],
            c["sla_breach"],
        )
    return FeatureTable(cutoff, ids, values)


def churned(
    orders: Sequence[OrderRow], customer_ids: list[int], cutoff: datetime, window: timedelta
) -> np.ndarray[Any, Any]:
    """1 where the customer bought nothing in [cutoff, cutoff + window)."""
    until = cutoff + window
    bought_again = {cid for cid, at, _ in orders if cutoff <= at < until}
    return np.array([0 if cid in bought_again else 1 for cid in customer_ids], dtype=int)


def call_events(session: Session, since: datetime, until: datetime) -> list[ContactEvent]:
    """Inbound contacts of known customers in [since, until) as contact events: every call, plus an abandon,
    a complaint (its disposition or intent says so) or a low satisfaction answer where it was one."""
    rows = session.execute(
        select(
            Interaction.customer_id,
            Interaction.arrived_at,
            Interaction.outcome,
            Interaction.csat,
            Interaction.disposition,
            Interaction.intent,
        ).where(
            Interaction.customer_id.is_not(None),
            Interaction.arrived_at >= since,
            Interaction.arrived_at < until,
            # The customer reaching out: the company's own calls to them (campaigns, callbacks) are not trouble.
            Interaction.direction == "inbound",
        )
    )
    events: list[ContactEvent] = []
    for customer_id, at, outcome, csat, disposition, intent in rows:
        if customer_id is None:
            continue
        cid = int(customer_id)
        events.append(ContactEvent(cid, at, "call"))
        if outcome == "abandoned":
            events.append(ContactEvent(cid, at, "abandon"))
        if "complain" in f"{disposition or ''} {intent or ''}".lower():
            events.append(ContactEvent(cid, at, "complaint"))
        if csat is not None and csat <= LOW_CSAT:
            events.append(ContactEvent(cid, at, "low_csat"))
    return events
