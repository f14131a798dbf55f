"""Customers to CSV: everyone, or the customers matching a search, with their numbers.

The columns are the ones `csv_import` reads, so an exported file can be edited and imported back
(rows match their customers by number or e-mail address and update them).

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (CSV injection: a
customer named `=HYPERLINK(...)` would become a link in the supervisor's spreadsheet). Every such
cell is written with a leading `'`, which spreadsheets show as text; E.164 numbers start with `+`
so they carry it too, and the importer takes it off again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from contactcenter.contacts.models import Customer, CustomerPhone

COLUMNS = ("id", "name", "email", "phones", "segment", "company", "time_zone", "created_at")
BATCH = 1000
GUARDED = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in GUARDED else text


def _line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def rows(session: Session, where: ColumnElement[bool] | None = None) -> Iterator[str]:
    """The CSV text, a line at a time (header first), customers in id order, read in batches of
    plain rows (no ORM objects), so a large export never holds every customer in memory."""
    yield _line(list(COLUMNS))
    last_id = 0
    while True:
        query = (
            select(
                Customer.id,
                Customer.name,
                Customer.email,
                Customer.segment,
                Customer.company,
                Customer.time_zone,
                Customer.created_at,
            )
            .where(Customer.id > last_id)
            .order_by(Customer.id)
            .limit(BATCH)
        )
        if where is not None:
            query = query.where(where)
        batch = session.execute(query).all()
        if not batch:
            return
        numbers: dict[int, list[str]] = {}
        for customer_id, e164 in session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.e164)
            .where(CustomerPhone.customer_id.in_([c.id for c in batch]))
            .order_by(CustomerPhone.id)
        ):
            numbers.setdefault(customer_id, []).append(e164)
        for c in batch:
            values = [
                str(c.id),
                c.name,
                c.email or "",
                "; ".join(numbers.get(c.id, [])),
                c.segment,
                c.company or "",
                c.time_zone or "",
                c.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if c.created_at else "",
            ]
            yield _line([safe_cell(v) for v in values])
        last_id = batch[-1].id
