"""Whether a customer may be texted: the do-not-contact list the dialer shares."""

from __future__ import annotations

from sqlalchemy.orm import Session

from contactcenter.dialer import dnc

DNC_SOURCE = "sms"  # entries a STOP made, and so the only ones a START may lift


def opted_out(session: Session, customer_number: str) -> bool:
    """Whether the customer asked by text (or otherwise) not to be contacted."""
    return dnc.check(session, customer_number, None) is not None
