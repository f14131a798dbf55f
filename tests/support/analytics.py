"""Shops for the analytics tests: customers with order histories drawn from known parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.analytics import services, synthetic
from contactcenter.analytics.orders import ImportReport, import_orders
from contactcenter.contacts.models import Customer


def gen_shop(session: Session, customers: int = 120, *, seed: int = 3, end: datetime | None = None) -> list[int]:
    """`customers` shoppers with two years of orders up to `end` (default now); returns their ids."""
    now = end or clock.now()
    rows = [
        {"name": f"Shopper {i}", "email": f"shopper{i}@shop.example", "segment": "standard", "attributes": {}}
        for i in range(customers)
    ]
    session.execute(insert(Customer), rows)
    ids = list(session.scalars(select(Customer.id).where(Customer.email.like("%@shop.example")).order_by(Customer.id)))
    history = synthetic.generate(len(ids), end=now, weeks=104, seed=seed)
    services.store_history(session, history, ids, currency="USD", prefix=f"T{seed}")
    return ids


def import_csv(session: Session, text: str, *, currencies: tuple[str, ...] = ("USD",)) -> ImportReport:
    return import_orders(session, text.encode(), filename="orders.csv", currencies=currencies, now=clock.now())


def synthetic_churn_data(
    customers: int = 1500, *, seed: int = 5, end: datetime | None = None, trouble: Any = None
) -> tuple[list[tuple[int, datetime, float]], list[Any], datetime]:
    """Three years of purchases and calls in memory (customer ids are the synthetic indexes):
    leavers have the documented run of trouble calls after their last order."""
    from contactcenter.analytics import synthetic_contacts
    from contactcenter.analytics.features import ContactEvent

    when = end or datetime(2026, 6, 1, tzinfo=UTC)
    history = synthetic.generate(customers, end=when, weeks=156, acquisition_weeks=78, seed=seed)
    params = trouble or synthetic_contacts.TroubleParams()
    calls = synthetic_contacts.contacts(history, params, seed=seed)
    orders = [(p.index, o.ordered_at, o.total) for p in history.customers for o in p.orders]
    events = [
        ContactEvent(c.customer_index, history.start + timedelta(weeks=c.weeks), k) for c in calls for k in c.kinds
    ]
    return orders, events, when


def synthetic_purchases(
    customers: int = 2000, *, seed: int = 3, affinity: float = 0.8, end: datetime | None = None
) -> tuple[list[tuple[int, datetime, int]], datetime]:
    """(customer, when, product) rows of a synthetic history; products are catalogue positions."""
    when = end or datetime(2026, 6, 1, tzinfo=UTC)
    history = synthetic.generate(
        customers, end=when, weeks=156, acquisition_weeks=78, seed=seed, category_affinity=affinity
    )
    position = {sku: k for k, (sku, _, _) in enumerate(synthetic.CATALOGUE)}
    rows = [
        (p.index, o.ordered_at, position[line.sku]) for p in history.customers for o in p.orders for line in o.lines
    ]
    return rows, when


def gen_shop_with_calls(
    session: Session, customers: int = 300, *, seed: int = 5, end: datetime | None = None, affinity: float = 0.8
) -> list[int]:
    """A shop whose customers favour a category and whose leavers called in trouble after their
    last order (complaint: the call's disposition; abandon: its outcome; low CSAT: a 1)."""
    from contactcenter.analytics import synthetic_contacts

    now = end or clock.now()
    rows = [
        {"name": f"Buyer {i}", "email": f"buyer{i}@calls.example", "segment": "standard", "attributes": {}}
        for i in range(customers)
    ]
    session.execute(insert(Customer), rows)
    ids = list(session.scalars(select(Customer.id).where(Customer.email.like("%@calls.example")).order_by(Customer.id)))
    history = synthetic.generate(
        len(ids), end=now, weeks=156, acquisition_weeks=78, seed=seed, category_affinity=affinity
    )
    services.store_history(session, history, ids, currency="USD", prefix=f"C{seed}")
    calls = synthetic_contacts.contacts(history, seed=seed)
    synthetic_contacts.store_calls(session, history, calls, ids, prefix=f"S{seed}")
    return ids
