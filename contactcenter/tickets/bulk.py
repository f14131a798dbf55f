"""Bulk actions on the tickets picked in a view: assign, status, priority, add a tag, merge into one.

Access is the REST API's, ticket by ticket: every picked ticket must be one the person may see
(otherwise nothing is done, as if it did not exist), and an agent may not move a ticket out of
their reach by assigning it. Each ticket changes through `services`, so its trail records the
change exactly as a single edit would, under the person's name.

A ticket the change does not suit (a status its lifecycle does not allow, a closed ticket) is
skipped with the reason, and the others change: each ticket is its own savepoint, so a refused
one leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.errors import DomainError, Kind
from contactcenter.tickets import access, services
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import Ticket

ACTIONS = ("assign", "status", "priority", "tag", "merge")
MAX_TICKETS = 100
MAX_ID = 2**31 - 1


class BulkError(DomainError, ValueError):
    """The bulk action cannot run at all; nothing was changed."""

    kind: Kind = "unprocessable"
    code = "bulk_refused"


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    # ticket id → why it was skipped
    skipped: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{len(self.changed)} ticket{'s' if len(self.changed) != 1 else ''} changed"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        if self.skipped:
            reasons = "; ".join(f"#{tid}: {why}" for tid, why in sorted(self.skipped.items()))
            parts.append(f"{len(self.skipped)} skipped ({reasons})")
        return ", ".join(parts) + "."

    def attempt(self, session: Session, ticket_id: int, change: Callable[[], object]) -> None:
        """Make one ticket's change in a savepoint of its own: a refusal is recorded with its
        reason and leaves nothing of that ticket half-written, the others go on."""
        try:
            with session.begin_nested():
                change()
        except services.TicketError as exc:
            self.skipped[ticket_id] = str(exc)
        else:
            self.changed.append(ticket_id)


def _tickets(session: Session, viewer: Viewer, ticket_ids: Sequence[int]) -> list[Ticket]:
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise BulkError("pick at least one ticket (the boxes at the start of the rows)")
    if len(ids) > MAX_TICKETS:
        raise BulkError(f"at most {MAX_TICKETS} tickets at once")
    if any(isinstance(i, bool) or not isinstance(i, int) or not 0 < i <= MAX_ID for i in ids):
        raise BulkError("the picked tickets are not ticket numbers")
    found = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)).with_for_update())}
    missing = [i for i in ids if i not in found or not access.can_see_ticket(session, viewer, found[i])]
    if missing:
        raise BulkError(f"there is no ticket #{missing[0]} you can see")
    return [found[i] for i in ids]


def assignee_of(viewer: Viewer, value: str) -> int | None:
    """ "" or "none" unassigns, "me" is the viewer, otherwise a user id."""
    value = value.strip()
    if value in ("", "none"):
        return None
    if value == "me":
        return viewer.user_id
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise BulkError("choose whom to assign the tickets to from the list")
    return int(value)


def apply(session: Session, viewer: Viewer, ticket_ids: Sequence[int], action: str, value: str) -> BulkResult:
    """Run one action on the picked tickets; `value` is the form's text for it."""
    if action not in ACTIONS:
        raise BulkError(f"the action must be one of {', '.join(ACTIONS)}")
    if not isinstance(value, str):
        raise BulkError("the action needs a value")
    tickets = _tickets(session, viewer, ticket_ids)
    if action == "merge":
        return _merge(session, viewer, tickets, value)
    field_name, new_value = _change(viewer, action, value)
    result = BulkResult()
    for ticket in tickets:
        if field_name == "tags":
            tags = sorted({*(ticket.tags or []), str(new_value)})
            change: dict[str, object] = {} if tags == sorted(ticket.tags or []) else {"tags": tags}
        else:
            current = ticket.status if field_name == "status" else getattr(ticket, field_name)
            change = {} if current == new_value else {field_name: new_value}
        if not change:
            result.unchanged.append(ticket.id)
            continue
        if field_name == "assignee_id" and not access.may_file_in(session, viewer, ticket.queue_id, new_value):  # type: ignore[arg-type]
            result.skipped[ticket.id] = "agents assign only within their own queues (or to themselves)"
            continue
        result.attempt(
            session, ticket.id, partial(services.update_ticket, session, ticket, change, actor_id=viewer.user_id)
        )
    return result


def _change(viewer: Viewer, action: str, value: str) -> tuple[str, object]:
    value = value.strip()
    if action == "assign":
        return "assignee_id", assignee_of(viewer, value)
    if action == "status":
        if value not in services.STATUSES or value == "merged":
            raise BulkError("choose a status from the list (merging is its own action)")
        return "status", value
    if action == "priority":
        if value not in services.PRIORITIES:
            raise BulkError(f"priority must be one of {', '.join(services.PRIORITIES)}")
        return "priority", value
    tag = value.lower()
    if not tag or len(tag) > services.MAX_TAG or any(ord(ch) < 32 for ch in tag):
        raise BulkError(f"a tag is 1 to {services.MAX_TAG} characters")
    return "tags", tag


def _merge(session: Session, viewer: Viewer, tickets: list[Ticket], value: str) -> BulkResult:
    raw = value.strip().lstrip("#")
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise BulkError("choose which ticket the others are merged into")
    target = next((t for t in tickets if t.id == int(raw)), None)
    if target is None:
        raise BulkError("the ticket to merge into must be one of the picked tickets")
    if len(tickets) < 2:
        raise BulkError("pick at least two tickets to merge")
    if target.status in services.FINAL:
        raise BulkError(f"ticket #{target.id} is {target.status} and cannot be merged into")
    result = BulkResult()
    for ticket in tickets:
        if ticket.id != target.id:
            result.attempt(
                session, ticket.id, partial(services.merge_tickets, session, ticket, target, actor_id=viewer.user_id)
            )
    return result
