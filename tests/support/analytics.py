"""Shops for the analytics tests: customers with order histories drawn from known parameters."""

from __future__ import annotations

from datetime import datetime

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
