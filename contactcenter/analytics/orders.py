"""Orders in: a CSV file (one row per order line) or one order from the API.

A file imports whole or not at all. Every row is read and checked first — the customer exists,
the date reads, the amount is a non-negative number, the currency is one the company trades in,
the rows of one order agree on its customer, date, currency and channel — and any problem
rejects the file: the report lists every problem by line, and nothing is stored. A file without
problems is stored in the caller's one transaction. Orders whose id is already stored are passed
over (counted as "already stored"), so importing the same file twice changes nothing the second
time, and a corrected file can be sent again in full.

Columns (found by name; case, spaces and punctuation ignored): `order_id`, `customer_id` or
`customer_email`, `ordered_at` (or `date`: 2026-03-01 or an ISO 8601 time; without a zone, UTC),
`amount` (the line's total), `currency`, and optionally `channel`, `sku`, `product`, `category`,
`quantity`. A SKU not on file is added as a product with the row's product name and category.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.analytics.models import Order, OrderImport, OrderLine, Product, ProductCategory
from contactcenter.contacts.models import Customer
from contactcenter.errors import DomainError

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
MAX_FIELD_CHARS = 500
MAX_REPORT_ROWS = 1000
MAX_AMOUNT = Decimal("1000000000")
CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

REASONS = {
    "missing_order_id": "no order id",
    "order_id_too_long": "the order id is longer than 64 characters",
    "unknown_customer": "no customer with this id or e-mail address",
    "bad_date": "not a date (2026-03-01 or an ISO 8601 time)",
    "future_date": "the date is in the future",
    "bad_amount": "the amount is not a number",
    "negative_amount": "the amount is negative",
    "amount_too_large": "the amount is larger than 1,000,000,000",
    "unknown_currency": "a currency the company does not trade in",
    "bad_quantity": "the quantity is not a whole number from 1 to 100,000",
    "bad_channel": "the channel must be a short lower-case word (web, store, phone, ...)",
    "duplicate_order_id": "the order id is repeated with a different customer, date, currency or channel",
    "field_too_long": f"a value is longer than {MAX_FIELD_CHARS} characters",
    "too_many_fields": "more values than the header has columns",
}


class OrderImportError(DomainError, ValueError):
    """The file cannot be read at all (not CSV text, no header, a required column missing, too big)."""

    kind = "unprocessable"
    code = "order_import_failed"


class OrderError(DomainError, ValueError):
    """An order from the API that cannot be stored; `problems` say why, field by field."""

    kind = "unprocessable"
    code = "validation_failed"

    def __init__(self, message: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass
class _Line:
    sku: str
    product: str
    category: str
    quantity: int
    amount: Decimal


@dataclass
class _Order:
    line: int
    external_id: str
    customer_key: str  # "id:12" or "email:a@b.c"
    ordered_at: datetime
    currency: str
    channel: str
    lines: list[_Line] = field(default_factory=list)


@dataclass
class ImportReport:
    status: str  # done | rejected
    rows_total: int = 0
    orders_created: int = 0
    orders_already_stored: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    problems_total: int = 0
    import_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def clean(text: str) -> str:
    return _CONTROL.sub("", text).strip()


def parse_time(text: str, now: datetime) -> datetime | None:
    """A date or ISO 8601 time, as UTC; None when it does not read or lies in the future."""
    value = text.strip()
    try:
        if len(value) == 10:
            when = datetime.combine(date.fromisoformat(value), time(12, 0), tzinfo=UTC)
        else:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except ValueError:
        return None
    if when.year < 1970:
        return None
    return when


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class _Problems:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.total = 0

    def add(self, line: int, reason: str, order_id: str = "", value: str = "") -> None:
        self.total += 1
        if len(self.rows) < MAX_REPORT_ROWS:
            self.rows.append(
                {
                    "line": line,
                    "reason": reason,
                    "detail": REASONS[reason],
                    "order_id": order_id[:64],
                    "value": value[:80],
                }
            )


def _check_fields(
    problems: _Problems,
    line: int,
    get: Any,
    *,
    currencies: Sequence[str],
    now: datetime,
) -> _Order | None:
    """One order line's fields; None (with the problems noted) when any is unusable."""
    before = problems.total
    order_id = clean(get("order_id"))
    if not order_id:
        problems.add(line, "missing_order_id")
    elif len(order_id) > 64:
        problems.add(line, "order_id_too_long", order_id)
    customer_id, email = clean(get("customer_id")), clean(get("customer_email")).lower()
    if customer_id.isdigit() and len(customer_id) < 12:
        key = f"id:{int(customer_id)}"
    elif email and "@" in email and len(email) <= 254:
        key = f"email:{email}"
    else:
        key = ""
        problems.add(line, "unknown_customer", order_id, customer_id or email)
    raw_date = clean(get("ordered_at"))
    when = parse_time(raw_date, now)
    if when is None:
        problems.add(line, "bad_date", order_id, raw_date)
    elif when > now:
        problems.add(line, "future_date", order_id, raw_date)
    raw_amount = clean(get("amount"))
    amount = _amount(raw_amount)
    if amount is None:
        problems.add(line, "bad_amount", order_id, raw_amount)
    elif amount < 0:
        problems.add(line, "negative_amount", order_id, raw_amount)
    elif amount >= MAX_AMOUNT:
        problems.add(line, "amount_too_large", order_id, raw_amount)
    currency = clean(get("currency")).upper()
    if currency not in currencies:
        problems.add(line, "unknown_currency", order_id, currency)
    raw_quantity = clean(get("quantity")) or "1"
    if not (raw_quantity.isdigit() and 1 <= int(raw_quantity) <= 100_000):
        problems.add(line, "bad_quantity", order_id, raw_quantity)
    channel = clean(get("channel")).lower() or "web"
    if not CHANNEL.match(channel):
        problems.add(line, "bad_channel", order_id, channel)
    if problems.total > before or when is None or amount is None:
        return None
    sku = clean(get("sku"))[:64]
    order = _Order(line, order_id, key, when, currency, channel)
    order.lines.append(
        _Line(sku, clean(get("product"))[:200] or sku, clean(get("category"))[:120], int(raw_quantity), amount)
    )
    return order


COLUMN_NAMES = {
    "order_id": ("order_id", "order", "order_number", "external_id", "id"),
    "customer_id": ("customer_id", "customer"),
    "customer_email": ("customer_email", "email", "e_mail"),
    "ordered_at": ("ordered_at", "date", "order_date", "created_at", "purchased_at"),
    "amount": ("amount", "line_amount", "total", "value", "price"),
    "currency": ("currency", "currency_code"),
    "channel": ("channel", "sales_channel"),
    "sku": ("sku", "product_code", "product_id"),
    "product": ("product", "product_name", "item"),
    "category": ("category", "product_category"),
    "quantity": ("quantity", "qty"),
}


def read(data: bytes, *, currencies: Sequence[str], now: datetime) -> tuple[list[_Order], _Problems, int]:
    """Check every row of a file; returns the orders (lines grouped), the problems and the row count."""
    if len(data) > MAX_BYTES:
        raise OrderImportError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OrderImportError("the file is not UTF-8 text (save it as CSV, UTF-8)") from exc
    if "\x00" in text:
        raise OrderImportError("the file is not text (it holds NUL bytes)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise OrderImportError("the file is empty: the first line must name the columns")
        keys = [_key(cell) for cell in header]
        columns: dict[str, int] = {}
        for name, options in COLUMN_NAMES.items():
            found = next((keys.index(option) for option in options if option in keys), None)
            if found is not None:
                columns[name] = found
        missing = [n for n in ("order_id", "ordered_at", "amount", "currency") if n not in columns]
        if "customer_id" not in columns and "customer_email" not in columns:
            missing.append("customer_id or customer_email")
        if missing:
            raise OrderImportError(f"the file has no {', '.join(missing)} column")
        problems = _Problems()
        orders: dict[str, _Order] = {}
        rows = 0
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise OrderImportError(f"the file has more than {MAX_ROWS:,} rows; split it")
            if len(row) > len(header):
                problems.add(line, "too_many_fields")
                continue
            if any(len(cell) > MAX_FIELD_CHARS for cell in row):
                problems.add(line, "field_too_long")
                continue

            def get(name: str, row: list[str] = row) -> str:
                index = columns.get(name)
                return row[index] if index is not None and index < len(row) else ""

            order = _check_fields(problems, line, get, currencies=currencies, now=now)
            if order is None:
                continue
            seen = orders.get(order.external_id)
            if seen is None:
                orders[order.external_id] = order
            elif (seen.customer_key, seen.ordered_at, seen.currency, seen.channel) != (
                order.customer_key,
                order.ordered_at,
                order.currency,
                order.channel,
            ):
                problems.add(line, "duplicate_order_id", order.external_id)
            else:
                seen.lines.extend(order.lines)
    except csv.Error as exc:
        raise OrderImportError(f"the file is not readable CSV (line {reader.line_num}: {exc})") from exc
    return list(orders.values()), problems, rows


def _resolve_customers(session: Session, orders: Sequence[_Order], problems: _Problems) -> dict[str, int]:
    ids = {int(o.customer_key[3:]) for o in orders if o.customer_key.startswith("id:")}
    emails = {o.customer_key[6:] for o in orders if o.customer_key.startswith("email:")}
    known: dict[str, int] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 1000):
        for cid in session.scalars(select(Customer.id).where(Customer.id.in_(id_list[start : start + 1000]))):
            known[f"id:{cid}"] = cid
    email_list = sorted(emails)
    for start in range(0, len(email_list), 1000):
        chunk = email_list[start : start + 1000]
        for cid, email in session.execute(
            select(Customer.id, func.lower(Customer.email)).where(func.lower(Customer.email).in_(chunk))
        ):
            known.setdefault(f"email:{email}", cid)
    for order in orders:
        if order.customer_key not in known:
            problems.add(order.line, "unknown_customer", order.external_id, order.customer_key.split(":", 1)[1])
    return known


def _catalogue(session: Session, orders: Sequence[_Order]) -> tuple[dict[str, int], dict[str, int]]:
    categories: dict[str, int] = dict(session.execute(select(ProductCategory.name, ProductCategory.id)).all())
    products: dict[str, int] = dict(session.execute(select(Product.sku, Product.id)).all())
    for order in orders:
        for line in order.lines:
            if line.category and line.category not in categories:
                category = ProductCategory(name=line.category)
                session.add(category)
                session.flush()
                categories[line.category] = category.id
            if line.sku and line.sku not in products:
                product = Product(
                    sku=line.sku, name=line.product or line.sku, category_id=categories.get(line.category)
                )
                session.add(product)
                session.flush()
                products[line.sku] = product.id
    return categories, products


def _store(session: Session, orders: Sequence[_Order], customers: dict[str, int], import_id: int | None) -> int:
    categories, products = _catalogue(session, orders)
    created = 0
    for order in orders:
        stored = Order(
            external_id=order.external_id,
            customer_id=customers[order.customer_key],
            ordered_at=order.ordered_at,
            currency=order.currency,
            channel=order.channel,
            total=sum((line.amount for line in order.lines), Decimal("0")),
            import_id=import_id,
        )
        stored.lines = [
            OrderLine(
                product_id=products.get(line.sku) if line.sku else None,
                category_id=categories.get(line.category) if line.category else None,
                quantity=line.quantity,
                amount=line.amount,
            )
            for line in order.lines
        ]
        session.add(stored)
        created += 1
        if created % 2000 == 0:
            session.flush()
    session.flush()
    return created


def _already_stored(session: Session, orders: Sequence[_Order]) -> set[str]:
    ids = [o.external_id for o in orders]
    found: set[str] = set()
    for start in range(0, len(ids), 1000):
        found.update(session.scalars(select(Order.external_id).where(Order.external_id.in_(ids[start : start + 1000]))))
    return found


def import_orders(
    session: Session,
    data: bytes,
    *,
    filename: str,
    currencies: Sequence[str],
    now: datetime,
    created_by_id: int | None = None,
) -> ImportReport:
    """Check and store a file in the caller's transaction; the report is kept as an `OrderImport`.
    Raises OrderImportError for a file that cannot be read at all (nothing is recorded then)."""
    orders, problems, rows = read(data, currencies=currencies, now=now)
    customers = _resolve_customers(session, orders, problems)
    record = OrderImport(
        filename=clean(filename)[:255], status="rejected", rows_total=rows, created_by_id=created_by_id
    )
    session.add(record)
    session.flush()
    report = ImportReport(status="rejected", rows_total=rows, import_id=record.id)
    if problems.total == 0:
        stored = _already_stored(session, orders)
        report.orders_already_stored = len(stored)
        report.orders_created = _store(
            session, [o for o in orders if o.external_id not in stored], customers, record.id
        )
        report.status = "done"
    report.problems, report.problems_total = sorted(problems.rows, key=lambda p: p["line"]), problems.total
    record.status = report.status
    record.orders_created, record.orders_already_stored = report.orders_created, report.orders_already_stored
    record.problems, record.problems_total = report.problems, report.problems_total
    return report


def create_order(session: Session, body: object, *, currencies: Sequence[str], now: datetime) -> tuple[Order, bool]:
    """One order from the API: {"order_id", "customer_id" | "customer_email", "ordered_at",
    "currency", "channel"?, "lines": [{"amount", "sku"?, "product"?, "category"?, "quantity"?}]}.
    Returns (order, created); an order id already stored returns that order unchanged."""
    if not isinstance(body, dict):
        raise OrderError("the body must be a JSON object", [{"field": "body", "reason": "not_an_object"}])
    lines = body.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= 500:
        raise OrderError("an order needs 1 to 500 lines", [{"field": "lines", "reason": "bad_lines"}])
    problems = _Problems()
    order: _Order | None = None
    for index, line in enumerate(lines, 1):
        if not isinstance(line, dict):
            raise OrderError(
                f"line {index} must be an object", [{"field": f"lines[{index}]", "reason": "not_an_object"}]
            )
        merged = {**{k: v for k, v in body.items() if k != "lines"}, **line}

        def get(name: str, merged: dict[str, Any] = merged) -> str:
            value = merged.get(name)
            if value is None or isinstance(value, (dict, list, bool)):
                return ""
            return str(value)[: MAX_FIELD_CHARS + 1]

        checked = _check_fields(problems, index, get, currencies=currencies, now=now)
        if checked is not None:
            if order is None:
                order = checked
            else:
                order.lines.extend(checked.lines)
    if order is not None:
        customers = _resolve_customers(session, [order], problems)
    if problems.total or order is None:
        raise OrderError(
            "the order was not stored: " + "; ".join(sorted({p["detail"] for p in problems.rows})),
            [{"line": p["line"], "reason": p["reason"], "detail": p["detail"]} for p in problems.rows],
        )
    existing = session.scalars(select(Order).where(Order.external_id == order.external_id)).first()
    if existing is not None:
        return existing, False
    _store(session, [order], customers, None)
    return session.scalars(select(Order).where(Order.external_id == order.external_id)).one(), True


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "order_id": order.external_id,
        "customer_id": order.customer_id,
        "ordered_at": order.ordered_at.isoformat(),
        "currency": order.currency,
        "channel": order.channel,
        "total": str(order.total),
        "lines": [
            {
                "product_id": line.product_id,
                "category_id": line.category_id,
                "quantity": line.quantity,
                "amount": str(line.amount),
            }
            for line in order.lines
        ],
    }
