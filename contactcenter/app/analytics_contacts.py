"""Ticket history as churn contact events: complaints and SLA breaches.

The analytics domain sits below tickets, so it cannot read them; churn features take contact
events from its caller, and this module is where the composition root reads them. A complaint is
a ticket tagged `complaint` (or whose subject says so); a breach is an SLA clock that ran past its
deadline, dated at the deadline.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter.analytics.features import ContactEvent
from contactcenter.tickets.models import Ticket, TicketSla


def ticket_events(session: Session, since: datetime, until: datetime) -> list[ContactEvent]:
    events: list[ContactEvent] = []
    tickets = session.execute(
        select(Ticket.customer_id, Ticket.created_at, Ticket.tags, Ticket.subject).where(
            Ticket.customer_id.is_not(None), Ticket.created_at >= since, Ticket.created_at < until
        )
    )
    for cid, at, tags, subject in tickets:
        tagged = any(str(t).lower().startswith("complain") for t in tags or [])
        if tagged or "complain" in (subject or "").lower():
            events.append(ContactEvent(int(cid), at, "complaint"))
    breaches = session.execute(
        select(Ticket.customer_id, TicketSla.deadline_at)
        .join(Ticket, Ticket.id == TicketSla.ticket_id)
        .where(
            Ticket.customer_id.is_not(None),
            TicketSla.deadline_at >= since,
            TicketSla.deadline_at < until,
            or_(TicketSla.stopped_at.is_(None), TicketSla.stopped_at > TicketSla.deadline_at),
        )
    )
    for cid, deadline in breaches:
        if cid is not None and deadline is not None:
            events.append(ContactEvent(cid, deadline, "sla_breach"))
    return events
