"""Customer records and lookup by caller number."""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import phones
from contactcenter.tickets.models import Customer, CustomerPhone

SEGMENTS = ("standard", "silver", "gold", "vip")


class CustomerError(ValueError):
    """A customer record cannot be saved as given."""


def find_by_phone(session: Session, raw_number: str | None, default_region: str = "US") -> Customer | None:
    """The customer owning this number, whatever format it arrives in ("(415) 555-0100", "+1415…")."""
    e164 = phones.try_normalize(raw_number, default_region)
    if e164 is None:
        return None
    return session.scalars(
        select(Customer).join(CustomerPhone).where(CustomerPhone.e164 == e164)
    ).first()


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
