"""Who may see what in the CRM store.

* Supervisors and admins see every ticket, comment, interaction and customer.
* Agents see the tickets of the queues they belong to and the tickets assigned to them, with
  those tickets' comments (public and internal), trail and SLA clocks; the interactions they
  handled, of their queues, or linked to a ticket they can see; and every customer (screen pops
  need them). Anything else does not exist as far as they can tell.
* Admin resources (users, SLA policies and calendars, reports, other people's API tokens) are
  for supervisors and admins; writing policies and calendars, and managing others' tokens, is
  for admins.

The filters are SQL conditions, so lists, search and counts apply them in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from contactcenter.accounts.models import Role, User
from contactcenter.acd.models import QueueMembership
from contactcenter.contacts.models import Interaction
from contactcenter.tickets.models import Ticket, TicketInteraction


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: str
    read_only: bool = False

    @classmethod
    def of(cls, user: User, *, read_only: bool = False) -> Viewer:
        return cls(user.id, user.role, read_only)

    @property
    def sees_all(self) -> bool:
        return self.role in (Role.SUPERVISOR.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value


def _my_queues_query(viewer: Viewer) -> Any:
    return select(QueueMembership.queue_id).where(QueueMembership.user_id == viewer.user_id)


def _my_queues(viewer: Viewer) -> Any:
    return _my_queues_query(viewer).scalar_subquery()


def queue_ids(session: Session, viewer: Viewer) -> list[int]:
    """The viewer's queues as a list: a literal list in a ticket query lets the planner match it
    to an index, where a subquery is a filter applied row by row."""
    return sorted(session.scalars(_my_queues_query(viewer)))


def ticket_filter(viewer: Viewer, queue_ids: list[int] | None = None) -> ColumnElement[bool]:
    """The tickets the viewer may see. `queue_ids`, when given, are the viewer's queues read
    beforehand (see `queue_ids`); else they are a subquery."""
    if viewer.sees_all:
        return true()
    if queue_ids is None:
        return or_(Ticket.assignee_id == viewer.user_id, Ticket.queue_id.in_(_my_queues(viewer)))
    if not queue_ids:
        return Ticket.assignee_id == viewer.user_id
    return or_(Ticket.assignee_id == viewer.user_id, Ticket.queue_id.in_(queue_ids))


def can_see_ticket(session: Session, viewer: Viewer, ticket: Ticket) -> bool:
    if viewer.sees_all or ticket.assignee_id == viewer.user_id:
        return True
    if ticket.queue_id is None:
        return False
    return (
        session.scalar(
            select(QueueMembership.id).where(
                QueueMembership.user_id == viewer.user_id, QueueMembership.queue_id == ticket.queue_id
            )
        )
        is not None
    )


def may_file_in(session: Session, viewer: Viewer, queue_id: int | None, assignee_id: int | None) -> bool:
    """Agents create tickets they will be able to see: in their queues or assigned to them."""
    if viewer.sees_all or assignee_id == viewer.user_id:
        return True
    if queue_id is None:
        return False
    return (
        session.scalar(
            select(QueueMembership.id).where(
                QueueMembership.user_id == viewer.user_id, QueueMembership.queue_id == queue_id
            )
        )
        is not None
    )


def interaction_filter(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.sees_all:
        return true()
    linked = (
        select(TicketInteraction.interaction_id)
        .join(Ticket, Ticket.id == TicketInteraction.ticket_id)
        .where(ticket_filter(viewer))
    )
    return or_(
        Interaction.agent_id == viewer.user_id,
        Interaction.queue_id.in_(_my_queues(viewer)),
        Interaction.id.in_(linked),
    )


def nothing() -> ColumnElement[bool]:
    return false()
