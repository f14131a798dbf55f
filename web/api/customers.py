"""/api/customers: every user may read customers (screen pops need them); writers may add
and change them. Lookup by any phone format and full-text search by name or e-mail."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy import func, select

from contactcenter.contacts import customers
from contactcenter.contacts.models import Customer
from contactcenter.tickets import search
from web import database
from web.api import render
from web.api.core import (
    MAX_ID,
    Query,
    created,
    cursor_id,
    encode_cursor,
    fail,
    json_body,
    not_found,
    page,
    principal,
    require_write,
)
from web.audit import audit

FIELDS = ("name", "email", "segment", "attributes", "phones")


def _region() -> str:
    return database.runtime().settings.default_region


def load_customer(customer_id: int) -> Customer:
    customer = database.session().get(Customer, customer_id) if 0 < customer_id <= MAX_ID else None
    if customer is None:
        not_found("customer", customer_id)
    return customer


def list_customers() -> Response:
    session = database.session()
    q = Query(("phone", "email", "segment", "q"))
    limit = q.limit()
    after = q.cursor("customers", cursor_id)
    phone = q.text("phone", 64)
    if phone is not None:
        found = customers.find_by_phone(session, phone, _region())
        return page([found] if found else [], render.customer, None)
    text = q.text("q", 200)
    if text is not None:
        result = search.search_customers(session, text, after=after, limit=limit, default_region=_region())
        cursor = None if result.next_after is None else encode_cursor("customers", [result.next_after])
        return page(result.items, render.customer, cursor)
    stmt = select(Customer)
    email = q.text("email", 254)
    if email is not None:
        stmt = stmt.where(func.lower(Customer.email) == email.strip().lower())
    segments = q.choices("segment", customers.SEGMENTS)
    if segments:
        stmt = stmt.where(Customer.segment.in_(segments))
    if after is not None:
        stmt = stmt.where(Customer.id < after)
    rows = list(session.scalars(stmt.order_by(Customer.id.desc()).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return page(rows, render.customer, encode_cursor("customers", [rows[-1].id]) if more else None)


def create_customer() -> tuple[Response, int]:
    require_write()
    session = database.session()
    data = json_body(FIELDS, required=("name",))
    phones = data.get("phones", [])
    if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
        fail(422, "validation_failed", "phones must be a list of phone numbers")
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        fail(422, "validation_failed", "attributes must be an object")
    if not isinstance(data["name"], str) or not isinstance(data.get("segment", "standard"), str):
        fail(422, "validation_failed", "name and segment must be text")
    email = data.get("email")
    if email is not None and not isinstance(email, str):
        fail(422, "validation_failed", "email must be text")
    customer = customers.create_customer(
        session,
        data["name"],
        phones,
        email=email,
        segment=data.get("segment", "standard"),
        attributes=attributes,
        default_region=_region(),
    )
    session.commit()
    return created(render.customer(customer))


def get_customer(customer_id: int) -> Response:
    """One customer record; the read is written to the audit log (who looked at whom)."""
    customer = load_customer(customer_id)
    token = principal().token
    audit(
        "customer.view",
        object_type="customer",
        object_id=customer.id,
        actor=principal().user,
        details={"via": "api", "token_id": token.id if token is not None else None},
    )
    database.session().commit()
    return jsonify(render.customer(customer))


def update_customer(customer_id: int) -> Response:
    require_write()
    customer = load_customer(customer_id)
    data = json_body(FIELDS)
    customers.update_customer(database.session(), customer, data, _region())
    database.session().commit()
    return jsonify(render.customer(customer))


ROUTES = [
    ("/customers", list_customers, ["GET"]),
    ("/customers", create_customer, ["POST"]),
    ("/customers/<int:customer_id>", get_customer, ["GET"]),
    ("/customers/<int:customer_id>", update_customer, ["PATCH"]),
]
