"""Customer records and lookup by caller number."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from contactcenter import phones
from contactcenter.contacts.models import Customer, CustomerPhone
from contactcenter.errors import DomainError, Kind

SEGMENTS = ("standard", "silver", "gold", "vip")


class CustomerError(DomainError, ValueError):
    """A customer record cannot be saved as given."""

    kind: Kind = "unprocessable"
    code = "validation_failed"


SegmentListener = Callable[[Session, Customer], None]
_segment_listeners: list[SegmentListener] = []


def on_segment_changed(listener: SegmentListener) -> None:
    """Call `listener(session, customer)` in the same transaction whenever a customer's segment
    changes. SLA policies may select on the segment; the ticket store sits above contacts, so it
    is told (the composition root connects the two) instead of being called from here."""
    if listener not in _segment_listeners:
        _segment_listeners.append(listener)


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
) -> Customer:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise CustomerError("a customer needs a name of 1 to 200 characters")
    if segment not in SEGMENTS:
        raise CustomerError(f"segment must be one of {', '.join(SEGMENTS)}")
    if email is not None and (len(email) > 254 or "@" not in email):
        raise CustomerError("e-mail address is not valid")
    customer = Customer(name=name, email=email, segment=segment, attributes=dict(attributes or {}))
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


CUSTOMER_FIELDS = ("name", "email", "segment", "attributes", "phones")


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
        email = changes["email"]
        if email is not None and (not isinstance(email, str) or len(email) > 254 or "@" not in email):
            raise CustomerError("e-mail address is not valid")
        customer.email = email
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
        for listener in _segment_listeners:
            listener(session, customer)
    return customer
