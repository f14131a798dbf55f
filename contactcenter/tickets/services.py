"""Ticket operations; each one appends to the ticket's audit trail in the same transaction."""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy.orm import Session

from contactcenter.tickets.models import (
    Interaction,
    Ticket,
    TicketEvent,
    TicketInteraction,
    TicketPriority,
    TicketStatus,
)


class TicketError(ValueError):
    """The ticket change is not allowed; the message says why."""


PRIORITIES = tuple(p.value for p in TicketPriority)


def open_ticket(
    session: Session,
    subject: str,
    *,
    description: str = "",
    customer_id: int | None = None,
    priority: str = TicketPriority.NORMAL.value,
    queue_id: int | None = None,
    assignee_id: int | None = None,
    channel: str = "phone",
    tags: Iterable[str] = (),
    actor_id: int | None = None,
    interactions: Iterable[Interaction] = (),
) -> Ticket:
    subject = (subject or "").strip()
    if not subject or len(subject) > 255:
        raise TicketError("a ticket needs a subject of 1 to 255 characters")
    if priority not in PRIORITIES:
        raise TicketError(f"priority must be one of {', '.join(PRIORITIES)}")
    ticket = Ticket(
        subject=subject,
        description=description,
        customer_id=customer_id,
        priority=priority,
        queue_id=queue_id,
        assignee_id=assignee_id,
        channel=channel,
        tags=sorted(set(tags)),
        status=TicketStatus.NEW.value,
    )
    session.add(ticket)
    session.flush()
    _event(session, ticket, actor_id, "created", None, {}, _snapshot(ticket))
    for interaction in interactions:
        link_interaction(session, ticket, interaction, actor_id=actor_id)
    return ticket


def link_interaction(session: Session, ticket: Ticket, interaction: Interaction, *, actor_id: int | None = None) -> None:
    session.add(TicketInteraction(ticket_id=ticket.id, interaction_id=interaction.id))
    _event(session, ticket, actor_id, "linked_call", "interactions", {}, {"call_sid": interaction.call_sid})


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    return {
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "queue_id": ticket.queue_id,
        "assignee_id": ticket.assignee_id,
        "customer_id": ticket.customer_id,
    }


def _event(
    session: Session,
    ticket: Ticket,
    actor_id: int | None,
    kind: str,
    field: str | None,
    before: dict[str, Any],
    after: dict[str, Any],
) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, actor_id=actor_id, kind=kind, field=field, before=before, after=after)
    session.add(event)
    session.flush()
    return event
