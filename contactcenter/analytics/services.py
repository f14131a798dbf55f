"""Recompute the per-customer figures, read them, evaluate the models, and store histories.

`recompute` reads every order once, fits the lifetime-value models, and replaces each model's
rows in `customer_model_scores` in the caller's transaction, so readers see either the old
figures or the new, never a mix. `customer_figures` is what the screen pop and the customer page
show: one indexed query on the stored rows, no computing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.analytics import clv, rfm, segments
from contactcenter.analytics.models import (
    CustomerModelScore,
    ModelRun,
    Order,
    OrderLine,
    Product,
    ProductCategory,
)
from contactcenter.analytics.summary import Summaries, summarise
from contactcenter.analytics.synthetic import SyntheticHistory
from contactcenter.contacts.customers import notify_segment_changed
from contactcenter.contacts.models import Customer

RFM_VERSION = "rfm-1"
CLV_VERSION = "bgnbd-gg-1"
HORIZON_WEEKS = 52.0  # "the next 12 months"
# Value tiers by 12-month CLV rank: the top 10 % are "top", the next 20 % "high", then 30 % "medium".
VALUE_TIERS: tuple[tuple[float, str], ...] = ((0.9, "top"), (0.7, "high"), (0.4, "medium"), (0.0, "low"))
SegmentSetter = Callable[[Session, dict[int, str]], int]


@dataclass
class RecomputeReport:
    customers: int = 0
    rfm_scored: int = 0
    clv_scored: int = 0
    clv_error: str | None = None
    churn_scored: int = 0  # churn risk and next-best offers: risk_and_offers, run with the others
    churn_error: str | None = None
    offers_scored: int = 0
    offers_error: str | None = None
    segments_changed: int = 0
    bgnbd: dict[str, float] = field(default_factory=dict)
    gamma_gamma: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    phases_s: dict[str, float] = field(default_factory=dict)  # read, fit, write

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


OrderRow = tuple[int, datetime, Decimal]  # customer id, ordered at, total


def order_rows(session: Session, until: datetime | None = None) -> list[OrderRow]:
    """Every order before `until`, by customer then time: what each model reads. A caller that runs
    several models at once reads them once and passes them on (`orders=`)."""
    query = select(Order.customer_id, Order.ordered_at, Order.total).order_by(Order.customer_id, Order.ordered_at)
    if until is not None:
        query = query.where(Order.ordered_at < until)
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def _tiers(values: np.ndarray[Any, Any]) -> list[str]:
    n = len(values)
    order = values.argsort(kind="stable")
    fraction = np.empty(n)
    fraction[order] = (np.arange(n) + 0.5) / max(n, 1)
    return [next(label for cut, label in VALUE_TIERS if f >= cut) for f in fraction.tolist()]


def recompute(
    session: Session,
    *,
    as_of: datetime | None = None,
    rules: tuple[rfm.SegmentRule, ...] = rfm.DEFAULT_RULES,
    set_segment: SegmentSetter | None = None,
    orders: list[OrderRow] | None = None,
) -> RecomputeReport:
    """RFM for every customer with orders; lifetime value where the data supports a fit.

    With `set_segment` (the company lets RFM set the service tier), it is given {customer id:
    tier} and returns how many customers changed."""
    started = time.perf_counter()
    now = as_of or clock.now()
    summaries = summarise(orders if orders is not None else order_rows(session, until=now), now)
    report = RecomputeReport(customers=len(summaries))
    read_done = time.perf_counter()
    scores = rfm.score(summaries.recency_days, summaries.purchases, summaries.spend, rules)
    rows: list[dict[str, Any]] = [
        {
            "customer_id": cid,
            "model": "rfm",
            "model_version": RFM_VERSION,
            "score": float(s.recency * 100 + s.frequency * 10 + s.monetary),
            "label": s.segment,
            "figures": {
                "r": s.recency,
                "f": s.frequency,
                "m": s.monetary,
                "tier": s.tier,
                "recency_days": round(float(summaries.recency_days[i]), 1),
                "purchases": int(summaries.purchases[i]),
                "spend": round(float(summaries.spend[i]), 2),
            },
            "computed_at": now,
        }
        for i, (cid, s) in enumerate(zip(summaries.customer_ids, scores, strict=True))
    ]
    report.rfm_scored = len(rows)
    try:
        clv_rows, params = _clv_rows(summaries, now)
        rows.extend(clv_rows)
        report.clv_scored = len(clv_rows)
        report.bgnbd, report.gamma_gamma = params
    except clv.FitError as exc:
        report.clv_error = exc.message
    fit_done = time.perf_counter()
    models = ["rfm"] + (["clv"] if report.clv_error is None else [])
    session.execute(delete(CustomerModelScore).where(CustomerModelScore.model.in_(models)))
    for start in range(0, len(rows), 5000):
        session.execute(insert(CustomerModelScore), rows[start : start + 5000])
    segments.record_snapshot(session, dict(zip(summaries.customer_ids, (s.segment for s in scores), strict=True)), now)
    if set_segment is not None:
        report.segments_changed = set_segment(
            session, {cid: s.tier for cid, s in zip(summaries.customer_ids, scores, strict=True)}
        )
    finished = time.perf_counter()
    report.seconds = round(finished - started, 3)
    report.phases_s = {
        "read": round(read_done - started, 3),
        "fit": round(fit_done - read_done, 3),
        "write": round(finished - fit_done, 3),
    }
    session.add(ModelRun(model="rfm", model_version=RFM_VERSION, customers=report.rfm_scored, seconds=report.seconds))
    if report.clv_error is None:
        session.add(
            ModelRun(
                model="clv",
                model_version=CLV_VERSION,
                params={"bgnbd": report.bgnbd, "gamma_gamma": report.gamma_gamma},
                customers=report.clv_scored,
                seconds=report.seconds,
            )
        )
    return report


MAX_BACKFILL_MONTHS = 60


def month_ends(months: int, *, today: date | None = None) -> list[date]:
    """The last day of each of the `months` months before the current one, oldest first."""
    if not 1 <= months <= MAX_BACKFILL_MONTHS:
        raise segments.SegmentReportError(f"months is 1 to {MAX_BACKFILL_MONTHS}", field="months")
    first_of_month = (today or clock.now().date()).replace(day=1)
    ends: list[date] = []
    for _ in range(months):
        first_of_month -= timedelta(days=1)  # the last day of the month before
        ends.append(first_of_month)
        first_of_month = first_of_month.replace(day=1)
    return sorted(ends)


def backfill_segments(
    session: Session,
    days: list[date],
    *,
    rules: tuple[rfm.SegmentRule, ...] = rfm.DEFAULT_RULES,
    orders: list[OrderRow] | None = None,
) -> dict[str, int]:
    """Segment snapshots for past days, from the orders placed before each day ended.

    Snapshots start with the first recompute, so a company that imports years of orders would
    otherwise see no migration until months have passed: each day's RFM is computed as the
    recompute would have computed it then (quintiles among the customers who had bought by then)
    and stored as that day's snapshot, replacing one already taken that day. The current scores
    are left alone. Returns {day: customers} for the days written."""
    rows = orders if orders is not None else order_rows(session)
    written: dict[str, int] = {}
    for day in sorted(set(days)):
        at = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        summaries = summarise(rows, at)
        if not len(summaries):
            continue
        scores = rfm.score(summaries.recency_days, summaries.purchases, summaries.spend, rules)
        labels = dict(zip(summaries.customer_ids, (s.segment for s in scores), strict=True))
        segments.record_snapshot(session, labels, at - timedelta(microseconds=1))
        written[day.isoformat()] = len(labels)
    return written


def _clv_rows(s: Summaries, now: datetime) -> tuple[list[dict[str, Any]], tuple[dict[str, float], dict[str, float]]]:
    purchases = clv.fit_bgnbd(s.x, s.t_x, s.T)
    spend = clv.fit_gamma_gamma(s.x, s.zbar)
    alive = clv.probability_alive(purchases, s.x, s.t_x, s.T)
    expected = clv.expected_purchases(purchases, HORIZON_WEEKS, s.x, s.t_x, s.T)
    value = clv.expected_order_value(spend, s.x, s.zbar)
    lifetime = expected * value
    tiers = _tiers(lifetime)
    rows = [
        {
            "customer_id": cid,
            "model": "clv",
            "model_version": CLV_VERSION,
            "score": round(float(lifetime[i]), 2),
            "label": tiers[i],
            "figures": {
                "p_alive": round(float(alive[i]), 4),
                "expected_purchases_12m": round(float(expected[i]), 3),
                "expected_order_value": round(float(value[i]), 2),
            },
            "computed_at": now,
        }
        for i, cid in enumerate(s.customer_ids)
    ]
    return rows, (purchases.as_dict(), spend.as_dict())


@dataclass(frozen=True)
class CustomerFigures:
    """What an agent sees: value tier, 12-month CLV, P(alive), RFM segment (None: not computed)."""

    segment: str | None = None
    rfm: str | None = None  # "R4 F3 M5"
    value_tier: str | None = None
    clv_12m: float | None = None
    p_alive: float | None = None
    expected_purchases_12m: float | None = None
    churn_risk: float | None = None  # calibrated probability of no purchase in the next 26 weeks
    churn_band: str | None = None  # high | medium | low
    churn_reasons: tuple[str, ...] = ()
    offer_candidates: tuple[dict[str, Any], ...] = ()  # stored best first; the pop keeps those still offerable
    computed_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["computed_at"] = self.computed_at.isoformat() if self.computed_at else None
        data["churn_reasons"] = list(self.churn_reasons)
        data.pop("offer_candidates")
        return data


def customer_figures(session: Session, customer_id: int) -> CustomerFigures | None:
    """The stored figures of one customer: one query on the (customer_id, model) index."""
    rows = session.execute(
        select(
            CustomerModelScore.model,
            CustomerModelScore.label,
            CustomerModelScore.score,
            CustomerModelScore.figures,
            CustomerModelScore.computed_at,
        ).where(CustomerModelScore.customer_id == customer_id)
    ).all()
    if not rows:
        return None
    values: dict[str, Any] = {}
    for model, label, value, figures, computed_at in rows:
        if model == "rfm":
            values["segment"] = label
            values["rfm"] = f"R{figures.get('r')} F{figures.get('f')} M{figures.get('m')}"
        elif model == "clv":
            values["value_tier"] = label
            values["clv_12m"] = value
            values["p_alive"] = figures.get("p_alive")
            values["expected_purchases_12m"] = figures.get("expected_purchases_12m")
        elif model == "churn":
            values["churn_risk"] = value
            values["churn_band"] = label
            values["churn_reasons"] = tuple(str(r.get("text")) for r in figures.get("reasons", []))
        elif model == "next_offer":
            values["offer_candidates"] = tuple(figures.get("offers", []))
        values["computed_at"] = max(filter(None, [values.get("computed_at"), computed_at]))
    return CustomerFigures(**values)


@dataclass
class Evaluation:
    holdout_weeks: float
    split_at: datetime
    customers: int
    actual_total: float
    predicted_total: float
    mae_model: float
    mae_naive: float
    bgnbd: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["split_at"] = self.split_at.isoformat()
        return data


def evaluate_holdout(
    rows: list[tuple[int, datetime, Decimal]] | list[tuple[int, datetime, float]], end: datetime, holdout_weeks: float
) -> Evaluation:
    """Fit on the orders before `end − holdout`, predict each customer's purchases in the holdout,
    and compare with what they did: mean absolute error of the model and of the naive baseline
    (the customer's calibration purchase rate carried forward)."""
    split = end - timedelta(weeks=holdout_weeks)
    calibration = summarise(rows, split)
    full = summarise(rows, end)
    purchases = clv.fit_bgnbd(calibration.x, calibration.t_x, calibration.T)
    predicted = clv.expected_purchases(purchases, holdout_weeks, calibration.x, calibration.t_x, calibration.T)
    after = dict(zip(full.customer_ids, full.purchases.tolist(), strict=True))
    actual = np.array(
        [after[cid] - 1 - x for cid, x in zip(calibration.customer_ids, calibration.x.tolist(), strict=True)]
    )
    naive = calibration.x / np.maximum(calibration.T, 1e-9) * holdout_weeks
    return Evaluation(
        holdout_weeks,
        split,
        len(calibration),
        float(actual.sum()),
        float(predicted.sum()),
        float(np.mean(np.abs(predicted - actual))),
        float(np.mean(np.abs(naive - actual))),
        purchases.as_dict(),
    )


def evaluate(session: Session, *, holdout_weeks: float = 26.0, end: datetime | None = None) -> Evaluation:
    return evaluate_holdout(order_rows(session), end or clock.now(), holdout_weeks)


def store_history(
    session: Session, history: SyntheticHistory, customer_ids: list[int], *, currency: str, prefix: str = "SYN"
) -> int:
    """Store a synthetic history for the given customers (one per synthetic customer, in order);
    orders get ids `<prefix>-<customer>-<n>`. Returns the orders written."""
    categories: dict[str, int] = dict(session.execute(select(ProductCategory.name, ProductCategory.id)).all())
    products: dict[str, int] = dict(session.execute(select(Product.sku, Product.id)).all())
    for person in history.customers:
        for order in person.orders:
            for line in order.lines:
                if line.category not in categories:
                    category = ProductCategory(name=line.category)
                    session.add(category)
                    session.flush()
                    categories[line.category] = category.id
                if line.sku not in products:
                    product = Product(sku=line.sku, name=line.product, category_id=categories[line.category])
                    session.add(product)
                    session.flush()
                    products[line.sku] = product.id
    now = clock.now()
    order_values: list[dict[str, Any]] = []
    pending_lines: list[list[dict[str, Any]]] = []
    for person, customer_id in zip(history.customers, customer_ids, strict=False):
        for n, order in enumerate(person.orders, 1):
            order_values.append(
                {
                    "external_id": f"{prefix}-{customer_id}-{n}",
                    "customer_id": customer_id,
                    "ordered_at": order.ordered_at,
                    "currency": currency,
                    "channel": order.channel,
                    "total": Decimal(f"{order.total:.2f}"),
                    "created_at": now,
                }
            )
            pending_lines.append(
                [
                    {
                        "product_id": products[line.sku],
                        "category_id": categories[line.category],
                        "quantity": line.quantity,
                        "amount": Decimal(f"{line.amount:.2f}"),
                    }
                    for line in order.lines
                ]
            )
    if not order_values:
        return 0
    ids = list(session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), order_values))
    line_values = [dict(line, order_id=oid) for oid, lines in zip(ids, pending_lines, strict=True) for line in lines]
    for start in range(0, len(line_values), 5000):
        session.execute(insert(OrderLine), line_values[start : start + 5000])
    return len(order_values)


def set_service_tiers(session: Session, tiers: dict[int, str]) -> int:
    """Give customers the service tier their RFM segment maps to (the company turned this on);
    the segment listeners hear of each change, as for a hand edit. Returns how many changed."""
    changed = 0
    ids = sorted(tiers)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for customer in session.scalars(select(Customer).where(Customer.id.in_(chunk))):
            tier = tiers[customer.id]
            if customer.segment != tier:
                customer.segment = tier
                notify_segment_changed(session, customer)
                changed += 1
    return changed
