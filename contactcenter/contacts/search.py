"""Finding customers from one search box: name, company, e-mail or phone number, typed any way.

People paste what they have: "grace", "GRACE@navy.example", "(415) 555-0100", "555 01". The
query is matched against the name, company and e-mail as a case-insensitive substring and, when it holds
digits, against the numbers' E.164 form, so spaces, dashes and brackets do not matter and the last
few digits are enough. Everything is a bound SQL expression (`contains(..., autoescape=True)`), so
a `%` or `_` someone types matches itself rather than acting as a wildcard, on SQLite as on
PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from contactcenter import phones
from contactcenter.contacts.models import Customer, CustomerPhone
from contactcenter.errors import DomainError, Kind

PAGE_SIZE = 25
MAX_QUERY = 200
MAX_PAGE = 100_000
# Fewer digits than this would match most numbers on file: "1" is in every US number.
MIN_PHONE_DIGITS = 3


class SearchError(DomainError, ValueError):
    """A search that cannot be run as typed; the message says how to fix it."""

    kind: Kind = "unprocessable"
    code = "validation_failed"


@dataclass(frozen=True)
class SearchPage:
    """One page of matches, with what the page links need to go back and forth."""

    customers: list[Customer]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


def clean_query(raw: str | None) -> str:
    """The query as it will be matched: trimmed, inner runs of spaces made one; refused when it
    is too long to be a real search or holds a character no column can store."""
    text = raw or ""
    if len(text) > MAX_QUERY:
        raise SearchError(f"a search holds at most {MAX_QUERY} characters; this one has {len(text):,}")
    if "\x00" in text:
        raise SearchError("the search contains a character that cannot be searched for (NUL)")
    return " ".join(text.split())


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def _phone_condition(query: str, default_region: str) -> ColumnElement[bool]:
    """Numbers matching the query: the whole number in any format, or a run of its digits."""
    wanted: list[ColumnElement[bool]] = []
    e164 = phones.try_normalize(query, default_region)
    if e164 is not None:
        wanted.append(CustomerPhone.e164 == e164)
    digits = _digits(query)
    if len(digits) >= MIN_PHONE_DIGITS:
        wanted.append(CustomerPhone.e164.contains(digits, autoescape=True))
        national = digits.lstrip("0")  # "020 7946 0958": the trunk 0 is not in the E.164 form
        if national != digits and len(national) >= MIN_PHONE_DIGITS:
            wanted.append(CustomerPhone.e164.contains(national, autoescape=True))
    if not wanted:
        return false()
    return Customer.id.in_(select(CustomerPhone.customer_id).where(or_(*wanted)))


def condition(query: str, default_region: str = "US") -> ColumnElement[bool]:
    """The SQL condition for customers matching a cleaned query (see `clean_query`)."""
    needle = query.lower()
    return or_(
        func.lower(Customer.name).contains(needle, autoescape=True),
        func.lower(Customer.company).contains(needle, autoescape=True),
        func.lower(Customer.email).contains(needle, autoescape=True),
        _phone_condition(query, default_region),
    )


def search(
    session: Session,
    raw_query: str | None,
    *,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    default_region: str = "US",
) -> SearchPage:
    """Customers matching the query, by name, a page at a time; an empty query lists everyone."""
    if not 1 <= page <= MAX_PAGE:
        raise SearchError(f"page must be a whole number from 1 to {MAX_PAGE:,}")
    query = clean_query(raw_query)
    where = condition(query, default_region) if query else None
    count = select(func.count(Customer.id))
    rows = select(Customer).order_by(Customer.name, Customer.id)
    if where is not None:
        count, rows = count.where(where), rows.where(where)
    total = session.scalar(count) or 0
    found = list(session.scalars(rows.limit(page_size).offset((page - 1) * page_size)))
    return SearchPage(found, total, page, page_size)
