"""A purchase history drawn from the models themselves, so the true parameters are known.

Each customer makes a first purchase somewhere in the acquisition window, then buys as the BG/NBD
model says: at rate λ ~ Gamma(r, α) (per week) while alive, dropping out after each repeat purchase
with probability p ~ Beta(a, b). Each order's value follows Gamma-Gamma: z ~ Gamma(p, ν) with the
customer's ν ~ Gamma(q, γ). So the history has repeat buyers, one-time buyers and churners in the
proportions the parameters imply, and fitting the models to it must give the parameters back.

`seasonality` (0 to 1) modulates the purchase rate over the year by 1 + s·sin(2π·week/52), with
December's peak; it averages out over whole years (set it to 0 for an exact BG/NBD history).
Orders are split into one to three lines over a small catalogue, and given a sales channel.

`category_affinity` (0 to 1) gives each customer a favourite category (uniform over the
catalogue's categories); each line is then from that category with this probability, else from
the whole catalogue. It draws from its own seeded stream, so the orders' times and values are the
same as without it: only which products they hold changes. This is the signal the next-best-offer
evaluation must find.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from contactcenter.analytics.clv import BgNbdParams, GammaGammaParams

CATALOGUE: tuple[tuple[str, str, str], ...] = (
    # (sku, product, category)
    ("BK-101", "Field guide to birds", "Books"),
    ("BK-102", "Cookbook: weeknight dinners", "Books"),
    ("BK-103", "Atlas of the world", "Books"),
    ("MU-201", "Jazz standards (CD)", "Music"),
    ("MU-202", "Symphonies box set", "Music"),
    ("MU-203", "Vinyl: live recordings", "Music"),
    ("HO-301", "Ceramic teapot", "Home"),
    ("HO-302", "Linen tablecloth", "Home"),
    ("HO-303", "Reading lamp", "Home"),
    ("EL-401", "Wireless headphones", "Electronics"),
    ("EL-402", "Portable speaker", "Electronics"),
    ("GA-501", "Board game: trade routes", "Games"),
    ("GA-502", "Jigsaw puzzle 1000 pieces", "Games"),
)
CHANNELS: tuple[tuple[str, float], ...] = (("web", 0.6), ("store", 0.25), ("phone", 0.1), ("app", 0.05))
DEFAULT_BGNBD = BgNbdParams(r=0.75, alpha=6.0, a=0.9, b=4.0)
DEFAULT_SPEND = GammaGammaParams(p=6.0, q=4.0, gamma=15.0)


@dataclass(frozen=True)
class SyntheticLine:
    sku: str
    product: str
    category: str
    quantity: int
    amount: float


@dataclass(frozen=True)
class SyntheticOrder:
    ordered_at: datetime
    channel: str
    total: float
    lines: tuple[SyntheticLine, ...]


@dataclass
class SyntheticCustomer:
    index: int
    rate: float  # λ, purchases per week while alive
    dropout: float  # p, chance of leaving after each repeat purchase
    spend_rate: float  # ν: the customer's mean order value is p / ν
    alive_at_end: bool = True
    favourite: str | None = None  # the category it mostly buys from, with category_affinity
    orders: list[SyntheticOrder] = field(default_factory=list)


@dataclass
class SyntheticHistory:
    start: datetime
    end: datetime
    purchases: BgNbdParams
    spend: GammaGammaParams
    customers: list[SyntheticCustomer]

    @property
    def order_count(self) -> int:
        return sum(len(c.orders) for c in self.customers)


def _season(week: float, amplitude: float) -> float:
    # Peak in mid-December: week 50 of the year.
    return 1.0 + amplitude * math.sin(2 * math.pi * (week - 37.0) / 52.0)


def generate(
    customers: int,
    *,
    end: datetime,
    weeks: float = 104.0,
    acquisition_weeks: float | None = None,
    purchases: BgNbdParams = DEFAULT_BGNBD,
    spend: GammaGammaParams = DEFAULT_SPEND,
    seasonality: float = 0.0,
    lines: bool = True,
    category_affinity: float = 0.0,
    seed: int = 1,
) -> SyntheticHistory:
    """`customers` histories over the `weeks` before `end`; first purchases fall in the first
    `acquisition_weeks` (default: the first half). Same seed, same history."""
    if not 0 <= seasonality < 1:
        raise ValueError("seasonality must be in [0, 1)")
    if not 0 <= category_affinity <= 1:
        raise ValueError("category_affinity must be in [0, 1]")
    taste = _Taste(category_affinity, seed) if category_affinity else None
    rng = np.random.default_rng(seed)
    start = end - timedelta(weeks=weeks)
    window = acquisition_weeks if acquisition_weeks is not None else weeks / 2
    rates = rng.gamma(purchases.r, 1.0 / purchases.alpha, customers)
    dropouts = rng.beta(purchases.a, purchases.b, customers)
    spend_rates = rng.gamma(spend.q, 1.0 / spend.gamma, customers)
    firsts = rng.uniform(0.0, window, customers)
    channel_names = [name for name, _ in CHANNELS]
    channel_weights = np.array([w for _, w in CHANNELS])
    start_week_of_year = start.timetuple().tm_yday / 7.0
    peak = 1.0 + seasonality
    history = SyntheticHistory(start, end, purchases, spend, [])
    for i in range(customers):
        person = SyntheticCustomer(i, float(rates[i]), float(dropouts[i]), float(spend_rates[i]))
        times = [float(firsts[i])]
        t = float(firsts[i])
        while True:
            # Thinning: candidates at the peak rate, kept in proportion to the season's rate.
            t += rng.exponential(1.0 / (person.rate * peak)) if person.rate > 0 else weeks
            if t >= weeks:
                break
            if seasonality and rng.uniform() * peak > _season(start_week_of_year + t, seasonality):
                continue
            times.append(t)
            if rng.uniform() < person.dropout:
                person.alive_at_end = False
                break
        values = rng.gamma(spend.p, 1.0 / person.spend_rate, len(times))
        channels = rng.choice(len(channel_names), size=len(times), p=channel_weights)
        counts = rng.integers(1, 4, size=len(times))
        for when, value, channel_index, count in zip(times, values, channels, counts, strict=True):
            channel = channel_names[int(channel_index)]
            order_lines: tuple[SyntheticLine, ...] = ()
            total = round(float(value), 2)
            if lines:
                # Shares of the order's value: uniform on the simplex (sorted uniform cut points).
                cuts = np.sort(rng.random(int(count) - 1))
                shares = np.diff(np.concatenate(([0.0], cuts, [1.0])))
                picks = rng.permutation(len(CATALOGUE))[: int(count)]
                if taste is not None:
                    picks = taste.picks(i, int(count))
                amounts = [round(float(value * s), 2) for s in shares]
                order_lines = tuple(
                    SyntheticLine(CATALOGUE[k][0], CATALOGUE[k][1], CATALOGUE[k][2], 1, amt)
                    for k, amt in zip(picks, amounts, strict=True)
                )
                total = round(sum(amounts), 2)
            person.orders.append(SyntheticOrder(start + timedelta(weeks=when), channel, total, order_lines))
        if taste is not None and i in taste.favourite:
            person.favourite = taste.categories[taste.favourite[i]]
        history.customers.append(person)
    return history


class _Taste:
    """Each customer's favourite category and the lines it steers, from a stream of its own."""

    def __init__(self, affinity: float, seed: int) -> None:
        self.affinity = affinity
        self.rng = np.random.default_rng([seed, 7919])
        categories = sorted({c for _, _, c in CATALOGUE})
        self.categories = categories
        self.by_category = [[k for k, item in enumerate(CATALOGUE) if item[2] == c] for c in categories]
        self.favourite: dict[int, int] = {}

    def picks(self, customer: int, count: int) -> np.ndarray[Any, Any]:
        if customer not in self.favourite:
            self.favourite[customer] = int(self.rng.integers(len(self.by_category)))
        own = self.by_category[self.favourite[customer]]
        chosen: list[int] = []
        while len(chosen) < count:
            pool = own if self.rng.random() < self.affinity else range(len(CATALOGUE))
            free = [k for k in pool if k not in chosen] or [k for k in range(len(CATALOGUE)) if k not in chosen]
            chosen.append(int(self.rng.choice(free)))
        return np.array(chosen)
