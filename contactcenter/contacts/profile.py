"""What the customer page shows of a customer from the contacts store alone: the record, its
numbers and the calls with them, newest first.

Who may see which calls is decided above this package (agents see only some), so the caller
passes that rule in as a SQL condition on `Interaction` instead of this module importing it.
Tickets, campaigns and do-not-call status live in packages above contacts and are added by
`contactcenter.calls.customer_view`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from contactcenter.contacts.customers import SEGMENTS
from contactcenter.contacts.models import Customer, CustomerPhone, Interaction

# A long-standing customer may have thousands of calls; the page shows the latest ones.
CALL_LIMIT = 100


@dataclass(frozen=True)
class Profile:
    customer: Customer
    phones: list[CustomerPhone]
    calls: list[Interaction]
    segments: tuple[str, ...] = SEGMENTS


def calls_of(
    session: Session, customer_id: int, visible: ColumnElement[bool] | None = None, limit: int = CALL_LIMIT
) -> list[Interaction]:
    """The customer's calls the viewer may see (`visible`), newest first."""
    query = select(Interaction).where(Interaction.customer_id == customer_id)
    if visible is not None:
        query = query.where(visible)
    return list(session.scalars(query.order_by(Interaction.arrived_at.desc(), Interaction.id.desc()).limit(limit)))


def load(session: Session, customer_id: int, visible_calls: ColumnElement[bool] | None = None) -> Profile | None:
    """The customer's profile, or None when there is no such customer."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    phones = sorted(customer.phones, key=lambda p: p.id)
    return Profile(customer, phones, calls_of(session, customer_id, visible_calls))
