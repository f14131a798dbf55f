"""From orders to the per-customer summary the models read.

Purchases on the same calendar day (UTC) count as one purchase — several orders placed together
are one buying occasion, as in the published CDNOW summaries — and their values add up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np

from contactcenter.analytics.clv import Array

WEEK_S = 7 * 24 * 3600.0


@dataclass
class Summaries:
    """Parallel arrays, one entry per customer with at least one order before `as_of`."""

    as_of: datetime
    customer_ids: list[int]
    x: Array  # repeat purchases (buying days after the first)
    t_x: Array  # weeks from the first purchase to the last
    T: Array  # weeks from the first purchase to as_of
    zbar: Array  # mean value of the repeat purchases (0 for one-time buyers)
    purchases: Array  # all buying days, the first included
    spend: Array  # everything spent
    recency_days: Array  # days from the last purchase to as_of

    def __len__(self) -> int:
        return len(self.customer_ids)


def summarise(rows: Iterable[tuple[int, datetime, Decimal | float]], as_of: datetime) -> Summaries:
    """`rows` are (customer id, ordered at, total) sorted by customer then time; orders at or after
    `as_of` are left out."""
    ids: list[int] = []
    xs: list[float] = []
    txs: list[float] = []
    Ts: list[float] = []
    zbars: list[float] = []
    counts: list[float] = []
    spends: list[float] = []
    recency: list[float] = []
    end = as_of.timestamp()
    current: int | None = None
    first = last = 0.0
    day = -1
    days = 0
    total = first_value = 0.0

    def close() -> None:
        ids.append(current)  # type: ignore[arg-type]
        x = days - 1
        xs.append(float(x))
        txs.append((last - first) / WEEK_S)
        Ts.append((end - first) / WEEK_S)
        zbars.append((total - first_value) / x if x > 0 else 0.0)
        counts.append(float(days))
        spends.append(total)
        recency.append((end - last) / 86400.0)

    for customer_id, ordered_at, value in rows:
        stamp = ordered_at.timestamp()
        if stamp >= end:
            continue
        amount = float(value)
        this_day = int(stamp // 86400)
        if customer_id != current:
            if current is not None:
                close()
            current, first, last, day, days, total, first_value = customer_id, stamp, stamp, this_day, 1, 0.0, amount
        elif this_day != day:
            day, days, last = this_day, days + 1, stamp
        elif days == 1:
            first_value += amount  # another order on the first buying day
        total += amount
    if current is not None:
        close()
    return Summaries(
        as_of,
        ids,
        np.array(xs),
        np.array(txs),
        np.array(Ts),
        np.array(zbars),
        np.array(counts),
        np.array(spends),
        np.array(recency),
    )
