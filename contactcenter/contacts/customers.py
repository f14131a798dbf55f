"""Customer records and lookup by caller number."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from contactcenter import phones
from contactcenter.contacts.models import Customer, CustomerPhone
from contactcenter.errors import DomainError, Kind

SEGMENTS = ("standard", "silver", "gold", "vip")
MAX_NAME = 200
MAX_EMAIL = 254
MAX_COMPANY = 200
MAX_TIME_ZONE = 64


class CustomerError(DomainError, ValueError):
    """A customer record cannot be saved as given."""

    kind: Kind = "unprocessable"
    code = "validation_failed"


def check_email(email: object) -> str | None:
    """The address to store (None for none); refused when it cannot be an address."""
    if email is None:
        return None
    if not isinstance(email, str) or len(email) > MAX_EMAIL or "@" not in email:
        raise CustomerError("e-mail address is not valid")
    return email


def check_company(company: object) -> str | None:
    """The company to store: trimmed, None when blank."""
    if company is None:
        return None
    if not isinstance(company, str):
        raise CustomerError("company must be text")
    company = " ".join(company.split())
    if len(company) > MAX_COMPANY:
        raise CustomerError(f"a company name has at most {MAX_COMPANY} characters")
    return company or None


def check_time_zone(time_zone: object) -> str | None:
    """An IANA time zone name ("Europe/Paris"), None when blank; refused when unknown, since the
    dialer's calling windows and the agents' local times are computed from it."""
    if time_zone is None:
        return None
    if not isinstance(time_zone, str):
        raise CustomerError("time zone must be text")
    time_zone = time_zone.strip()
    if not time_zone:
        return None
    if len(time_zone) > MAX_TIME_ZONE:
        raise CustomerError(f"a time zone name has at most {MAX_TIME_ZONE} characters")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CustomerError(f"{time_zone!r} is not a time zone name such as Europe/Paris") from None
    return time_zone


SegmentListener = Callable[[Session, Customer], None]
_segment_listeners: list[SegmentListener] = []


def on_segment_changed(listener: SegmentListener) -> None:
    """Call `listener(session, customer)` in the same transaction whenever a customer's segment
    changes. SLA policies may select on the segment; the ticket store sits above contacts, so it
    is told (the composition root connects the two) instead of being called from here."""
    if listener not in _segment_listeners:
        _segment_listeners.append(listener)


def notify_segment_changed(session: Session, customer: Customer) -> None:
    """Tell the listeners that this customer's tickets may now fall under another segment's
    policies (a segment edit, or tickets moved to them from a customer of another segment)."""
    for listener in _segment_listeners:
        listener(session, customer)


def find_by_phone(session: Session, raw_number: str | None, default_region: str = "US") -> Customer | None:
    """The customer owning this number, whatever format it arrives in ("(415) 555-0100", "+1415…").

    Runs on every inbound call before the caller hears anything, so it is one round trip: the
    number is normalized here (no function of the column to defeat its unique index), and the
    customer comes back with all their numbers joined in, rather than with a second SELECT for
    the phones that the relationship's default loading would issue.
    """
    e164 = phones.try_normalize(raw_number, default_region)
    if e164 is None:
        return None
    owner = select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164).scalar_subquery()
    return (
        session.scalars(select(Customer).where(Customer.id == owner).options(joinedload(Customer.phones)))
        .unique()
        .one_or_none()
    )


def create_customer(
    session: Session,
    name: str,
    phone_numbers: Iterable[str] = (),
    *,
    email: str | None = None,
    segment: str = "standard",
    attributes: dict[str, Any] | None = None,
    default_region: str = "US",
    company: str | None = None,
    time_zone: str | None = None,
) -> Customer:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise CustomerError("a customer needs a name of 1 to 200 characters")
    if segment not in SEGMENTS:
        raise CustomerError(f"segment must be one of {', '.join(SEGMENTS)}")
    customer = Customer(
        name=name,
        email=check_email(email),
        segment=segment,
        attributes=dict(attributes or {}),
        company=check_company(company),
        time_zone=check_time_zone(time_zone),
    )
    seen: set[str] = set()
    for raw in phone_numbers:
        try:
            e164 = phones.normalize(raw, default_region)
        except phones.InvalidPhoneNumber as exc:
            raise CustomerError(f"phone number {raw!r}: {exc}") from exc
        if e164 in seen:
            continue
        if session.scalar(select(CustomerPhone.id).where(CustomerPhone.e164 == e164)) is not None:
            raise CustomerError(f"phone number {e164} already belongs to another customer")
        seen.add(e164)
        customer.phones.append(CustomerPhone(e164=e164))
    session.add(customer)
    session.flush()
    return customer


CUSTOMER_FIELDS = ("name", "email", "segment", "attributes", "phones", "company", "time_zone")


def update_customer(
    session: Session, customer: Customer, changes: dict[str, Any], default_region: str = "US"
) -> Customer:
    """Change a customer's fields; `phones` replaces the whole list of numbers.

    A segment change recomputes the SLA clocks of the customer's tickets still in progress,
    since policies may select on it.
    """
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise CustomerError(f"unknown customer field(s): {', '.join(sorted(unknown))}")
    if "name" in changes:
        name = changes["name"].strip() if isinstance(changes["name"], str) else ""
        if not name or len(name) > 200:
            raise CustomerError("a customer needs a name of 1 to 200 characters")
        customer.name = name
    if "email" in changes:
        customer.email = check_email(changes["email"])
    if "company" in changes:
        customer.company = check_company(changes["company"])
    if "time_zone" in changes:
        customer.time_zone = check_time_zone(changes["time_zone"])
    segment_changed = False
    if "segment" in changes:
        if changes["segment"] not in SEGMENTS:
            raise CustomerError(f"segment must be one of {', '.join(SEGMENTS)}")
        segment_changed = customer.segment != changes["segment"]
        customer.segment = changes["segment"]
    if "attributes" in changes:
        if not isinstance(changes["attributes"], dict):
            raise CustomerError("attributes must be an object")
        customer.attributes = dict(changes["attributes"])
    if "phones" in changes:
        raw_numbers = changes["phones"]
        if isinstance(raw_numbers, str) or not isinstance(raw_numbers, Iterable):
            raise CustomerError("phones must be a list of numbers")
        wanted: list[str] = []
        for raw in raw_numbers:
            try:
                e164 = phones.normalize(raw, default_region)
            except (phones.InvalidPhoneNumber, TypeError, AttributeError) as exc:
                raise CustomerError(f"phone number {raw!r}: not a valid number") from exc
            owner = session.scalar(select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164))
            if owner is not None and owner != customer.id:
                raise CustomerError(f"phone number {e164} already belongs to another customer")
            if e164 not in wanted:
                wanted.append(e164)
        for phone in list(customer.phones):
            if phone.e164 not in wanted:
                customer.phones.remove(phone)
        session.flush()
        have = {p.e164 for p in customer.phones}
        for e164 in wanted:
            if e164 not in have:
                customer.phones.append(CustomerPhone(e164=e164))
    session.flush()
    if segment_changed:
        notify_segment_changed(session, customer)
    return customer
