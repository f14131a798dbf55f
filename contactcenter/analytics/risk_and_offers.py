"""Recompute and evaluate churn risk and next-best offers against the store.

`recompute` fits churn on the window that has just closed (features at now − window, labels from
the window up to now) and scores everyone active now; it fits the item model on every purchase
and keeps each customer's best few offers. Both replace their rows in `customer_model_scores` in
the caller's transaction and add a `model_runs` row, like RFM and lifetime value. Contact events
from tickets belong to a domain above this one: the caller passes them in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.analytics import churn, features, offers
from contactcenter.analytics.features import ContactEvent
from contactcenter.analytics.models import CustomerModelScore, ModelRun, Order, OrderLine, Product
from contactcenter.analytics.services import OrderRow, order_rows


@dataclass
class RiskOffersReport:
    churn_scored: int = 0
    churn_error: str | None = None
    offers_scored: int = 0
    offers_error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def purchase_rows(session: Session) -> list[offers.PurchaseRow]:
    rows = session.execute(
        select(Order.customer_id, Order.ordered_at, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.product_id.is_not(None))
    )
    return [(cid, at, pid) for cid, at, pid in rows if pid is not None]


def offerable_products(session: Session) -> set[int]:
    return set(session.scalars(select(Product.id).where(Product.in_stock.is_(True), Product.offer_eligible.is_(True))))


def contact_events(session: Session, since: datetime, until: datetime, extra: list[ContactEvent]) -> list[ContactEvent]:
    return features.call_events(session, since, until) + [e for e in extra if since <= e.at < until]


def recompute(
    session: Session,
    *,
    as_of: datetime | None = None,
    ticket_events: list[ContactEvent] | None = None,
    window_weeks: float = churn.WINDOW_WEEKS,
    orders: list[OrderRow] | None = None,
) -> RiskOffersReport:
    started = time.perf_counter()
    now = as_of or clock.now()
    report = RiskOffersReport()
    orders = orders if orders is not None else order_rows(session, until=now)
    window = timedelta(weeks=window_weeks)
    events = contact_events(session, now - window - timedelta(days=features.RECENT_DAYS), now, ticket_events or [])
    rows: list[dict[str, Any]] = []
    runs: list[ModelRun] = []
    try:
        train = features.build(orders, events, now - window)
        labels = features.churned(orders, train.customer_ids, now - window, window)
        model = churn.fit(train, labels)
        current = features.build(orders, events, now)
        probs = model.predict(current)
        reasons = model.reasons(current)
        for cid, p, why in zip(current.customer_ids, probs.tolist(), reasons, strict=True):
            rows.append(_row(cid, "churn", churn.CHURN_VERSION, round(p, 4), churn.band(p), {"reasons": why}, now))
        report.churn_scored = len(current.customer_ids)
        runs.append(
            ModelRun(
                model="churn",
                model_version=churn.CHURN_VERSION,
                params={"coefficients": model.coefficients(), "trained_on": len(labels), "window_weeks": window_weeks},
                customers=report.churn_scored,
            )
        )
    except churn.ChurnError as exc:
        report.churn_error = exc.message
    try:
        purchases = purchase_rows(session)
        owned = offers.owned_before(purchases, now)
        allowed = offerable_products(session)
        item_model = offers.fit(owned, sorted(allowed))
        for cid, items in owned.items():
            picks = offers.recommend(item_model, items, allowed, offers.OFFERS_KEPT)
            if picks:
                figures = {"offers": [{"product_id": p, "score": s} for p, s in picks]}
                rows.append(_row(cid, "next_offer", offers.OFFERS_VERSION, picks[0][1], None, figures, now))
                report.offers_scored += 1
        runs.append(
            ModelRun(
                model="next_offer",
                model_version=offers.OFFERS_VERSION,
                params={"products": len(item_model.products), "offerable": len(allowed)},
                customers=report.offers_scored,
            )
        )
    except offers.OffersError as exc:
        report.offers_error = exc.message
    done = [run.model for run in runs]
    if done:
        session.execute(delete(CustomerModelScore).where(CustomerModelScore.model.in_(done)))
    for start in range(0, len(rows), 5000):
        session.execute(insert(CustomerModelScore), rows[start : start + 5000])
    report.seconds = round(time.perf_counter() - started, 3)
    for run in runs:
        run.seconds = report.seconds
        session.add(run)
    return report


def _row(
    cid: int, model: str, version: str, score: float, label: str | None, figures: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "model": model,
        "model_version": version,
        "score": score,
        "label": label,
        "figures": figures,
        "computed_at": now,
    }


@dataclass
class RiskOffersEvaluation:
    churn: churn.ChurnEvaluation | None = None
    churn_error: str | None = None
    offers: offers.OfferEvaluation | None = None
    offers_error: str | None = None
    acceptance: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "churn": self.churn.as_dict() if self.churn else None,
            "churn_error": self.churn_error,
            "offers": self.offers.as_dict() if self.offers else None,
            "offers_error": self.offers_error,
            "acceptance": self.acceptance,
        }


def evaluate(
    session: Session,
    *,
    end: datetime | None = None,
    ticket_events: list[ContactEvent] | None = None,
    window_weeks: float = churn.WINDOW_WEEKS,
) -> RiskOffersEvaluation:
    from contactcenter.analytics.offer_responses import acceptance

    end = end or clock.now()
    result = RiskOffersEvaluation(acceptance=acceptance(session).as_dict())
    orders = order_rows(session, until=end)
    since = end - timedelta(weeks=2 * window_weeks, days=features.RECENT_DAYS)
    try:
        result.churn = churn.evaluate(
            orders, contact_events(session, since, end, ticket_events or []), end, window_weeks
        )
    except churn.ChurnError as exc:
        result.churn_error = exc.message
    try:
        result.offers = offers.evaluate([r for r in purchase_rows(session) if r[1] < end], end, window_weeks)
    except offers.OffersError as exc:
        result.offers_error = exc.message
    return result
