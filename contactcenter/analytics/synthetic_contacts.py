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

import numpy as np

from contactcenter.analytics.synthetic import SyntheticHistory


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
