"""/api/orders and /api/customers/<id>/analytics: a shop's orders in, a customer's figures out.

Every user may read (the desktop shows the figures); writers may add orders. An order posted
twice with the same `order_id` is stored once: the second answer is 200 with the stored order.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select

from contactcenter import clock
from contactcenter.analytics import orders as orders_mod, services
from contactcenter.analytics.models import Order
from contactcenter.contacts.models import Customer
from web import database
from web.api.core import Query, created, cursor_id, encode_cursor, json_body, not_found, page, require_write

FIELDS = ("order_id", "customer_id", "customer_email", "ordered_at", "currency", "channel", "lines")


def list_orders() -> Response:
    q = Query(("customer_id",))
    limit = q.limit()
    after = q.cursor("orders", cursor_id)
    stmt = select(Order)
    customer_id = q.ident("customer_id")
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    if after is not None:
        stmt = stmt.where(Order.id < after)
    rows = list(database.session().scalars(stmt.order_by(Order.id.desc()).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return page(rows, orders_mod.order_json, encode_cursor("orders", [rows[-1].id]) if more else None)


def add_order() -> tuple[Response, int]:
    require_write()
    data = json_body(FIELDS, required=("order_id", "ordered_at", "currency", "lines"))
    session = database.session()
    currencies = database.runtime().settings.analytics_currencies
    order, is_new = orders_mod.create_order(session, data, currencies=currencies, now=clock.now())
    body: dict[str, Any] = orders_mod.order_json(order)
    session.commit()
    return created(body) if is_new else (jsonify(body), 200)


def customer_analytics(customer_id: int) -> Response:
    session = database.session()
    if session.get(Customer, customer_id) is None:
        not_found("customer", customer_id)
    figures = services.customer_figures(session, customer_id)
    return jsonify(figures.as_dict() if figures is not None else None)


ROUTES = [
    ("/orders", list_orders, ["GET"]),
    ("/orders", add_order, ["POST"]),
    ("/customers/<int:customer_id>/analytics", customer_analytics, ["GET"]),
]
