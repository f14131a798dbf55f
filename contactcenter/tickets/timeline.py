"""One timeline of everything that happened on a ticket, oldest first (newest last).

The ticket's story is spread over three tables: the calls linked to it (`Interaction`), its
comments (`TicketComment`) and its audit trail (`TicketEvent`). People read it as one list, so
this module merges them by time. Trail events that only repeat another entry are left out: a
"comment" event is the comment itself, a "linked_call" event is the call (shown when the call
happened, not when it was attached).

Names (people, queues) are resolved here so the page shows "Alice" rather than "user 7"; a
record deleted since shows its id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.contacts.models import Interaction
from contactcenter.tickets.models import Ticket, TicketComment, TicketEvent, TicketInteraction

KINDS = ("created", "call", "comment", "change", "merge", "link", "sla")
# Comments the trail does not record (the system's merge notes) follow the trail at their instant.
UNRECORDED = 10**15
# Trail events an entry of their own already shows.
REPEATED = frozenset({"comment", "linked_call"})
FIELD_LABELS = {
    "status": "Status",
    "priority": "Priority",
    "assignee_id": "Assignee",
    "queue_id": "Queue",
    "tags": "Tags",
    "subject": "Subject",
    "description": "Description",
    "channel": "Channel",
    "customer_id": "Customer",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # one of KINDS
    title: str
    actor: str | None = None
    # comment: body, public, author; call: the call's facts; change: field, before, after.
    details: dict[str, Any] = field(default_factory=dict)
    # Same-instant entries keep the order they were written in: calls first, then the trail's
    # order (a comment takes the place of its "comment" event).
    sequence: int = 0

    @property
    def order(self) -> tuple[datetime, int, int]:
        return (self.at, 0 if self.kind == "call" else 1, self.sequence)


def build(session: Session, ticket: Ticket) -> list[Entry]:
    """The ticket's calls, comments and trail as one list, oldest first."""
    calls = list(
        session.scalars(
            select(Interaction)
            .join(TicketInteraction, TicketInteraction.interaction_id == Interaction.id)
            .where(TicketInteraction.ticket_id == ticket.id)
        )
    )
    comments = list(session.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id)))
    trail = list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)))
    recorded = {e.after.get("comment_id"): e.id for e in trail if e.kind == "comment" and e.after}
    events = [e for e in trail if e.kind not in REPEATED]
    names = _Names(session, calls, comments, events)
    entries = [_call(c, names) for c in calls]
    entries += [_comment(c, names, recorded.get(c.id, UNRECORDED + c.id)) for c in comments]
    entries += [entry for e in events if (entry := _event(e, names)) is not None]
    return sorted(entries, key=lambda e: e.order)


class _Names:
    """Display names of the people and queues the entries mention, looked up once."""

    def __init__(
        self, session: Session, calls: list[Interaction], comments: list[TicketComment], events: list[TicketEvent]
    ) -> None:
        user_ids: set[int] = {c.agent_id for c in calls if c.agent_id}
        user_ids |= {c.author_id for c in comments if c.author_id}
        user_ids |= {e.actor_id for e in events if e.actor_id}
        queue_ids: set[int] = {c.queue_id for c in calls if c.queue_id}
        for e in events:
            for values in (e.before, e.after):
                if isinstance(values.get("assignee_id"), int):
                    user_ids.add(values["assignee_id"])
                if isinstance(values.get("queue_id"), int):
                    queue_ids.add(values["queue_id"])
        self.users = {u.id: u.display_name or u.username for u in _fetch(session, User, user_ids)}
        self.queues = {q.id: q.display_name or q.name for q in _fetch(session, Queue, queue_ids)}

    def user(self, ident: int | None) -> str | None:
        return None if ident is None else self.users.get(ident, f"user {ident}")

    def queue(self, ident: int | None) -> str | None:
        return None if ident is None else self.queues.get(ident, f"queue {ident}")


def _fetch(session: Session, model: Any, ids: Iterable[int]) -> list[Any]:
    ids = list(ids)
    return list(session.scalars(select(model).where(model.id.in_(ids)))) if ids else []


def _call(call: Interaction, names: _Names) -> Entry:
    direction = "Inbound" if call.direction == "inbound" else "Outbound"
    return Entry(
        at=call.arrived_at,
        kind="call",
        title=f"{direction} call",
        actor=names.user(call.agent_id),
        details={
            "interaction_id": call.id,
            "direction": call.direction,
            "from": call.from_number,
            "to": call.to_number,
            "ivr_path": ivr_path_text(call.ivr_path),
            "queue": names.queue(call.queue_id),
            "disposition": call.disposition,
            "notes": call.notes,
            "duration_s": call.duration_s,
            "outcome": call.outcome,
        },
        sequence=call.id,
    )


def ivr_path_text(path: Any) -> str | None:
    """`[{"node": "menu", "input": "2"}, {"node": "agent"}]` → "menu (2) → agent"."""
    if not isinstance(path, list) or not path:
        return None
    steps = []
    for step in path:
        if isinstance(step, dict):
            node = str(step.get("node", "?"))
            steps.append(f"{node} ({step['input']})" if "input" in step else node)
        else:
            steps.append(str(step))
    return " → ".join(steps)


def _comment(comment: TicketComment, names: _Names, sequence: int) -> Entry:
    if comment.author_kind == "customer":
        title, actor = "Customer wrote", None
    elif comment.author_kind == "system":
        title, actor = "System note", None
    else:
        title, actor = ("Public reply" if comment.public else "Internal note"), names.user(comment.author_id)
    return Entry(
        at=comment.created_at,
        kind="comment",
        title=title,
        actor=actor,
        details={
            "body": comment.body,
            "public": comment.public,
            "author": comment.author_kind,
            "comment_id": comment.id,
        },
        sequence=sequence,
    )


def _event(event: TicketEvent, names: _Names) -> Entry | None:
    actor = names.user(event.actor_id)
    after, before = event.after or {}, event.before or {}
    common: dict[str, Any] = {"at": event.at, "actor": actor, "sequence": event.id}
    if event.kind == "created":
        return Entry(kind="created", title="Ticket created", details={"subject": after.get("subject")}, **common)
    if event.kind in ("updated", "status") and event.field in FIELD_LABELS:
        name = event.field
        return Entry(
            kind="change",
            title=f"{FIELD_LABELS[name]} changed",
            details={
                "field": name,
                "before": _shown(name, before.get(name), names),
                "after": _shown(name, after.get(name), names),
            },
            **common,
        )
    if event.kind == "merged_into":
        return Entry(
            kind="merge",
            title=f"Merged into ticket #{after.get('ticket_id')}",
            details={"ticket_id": after.get("ticket_id")},
            **common,
        )
    if event.kind == "merged_from":
        return Entry(
            kind="merge",
            title=f"Ticket #{after.get('ticket_id')} merged into this one",
            details={"ticket_id": after.get("ticket_id")},
            **common,
        )
    if event.kind == "linked_ticket":
        return Entry(
            kind="link",
            title=f"Linked to ticket #{after.get('ticket_id')} ({after.get('kind')})",
            details={"ticket_id": after.get("ticket_id")},
            **common,
        )
    if event.kind == "unlinked_ticket":
        return Entry(
            kind="link",
            title=f"Unlinked from ticket #{before.get('ticket_id')}",
            details={"ticket_id": before.get("ticket_id")},
            **common,
        )
    if event.kind in ("sla_warning", "sla_breached"):
        what = "SLA warning" if event.kind == "sla_warning" else "SLA breached"
        metric = after.get("metric")
        return Entry(
            kind="sla",
            title=f"{what}: {str(metric).replace('_', ' ')}" if metric else what,
            details=dict(after),
            **common,
        )
    return Entry(
        kind="change",
        title=event.kind.replace("_", " ").capitalize(),
        details={"field": event.field, "before": None, "after": None},
        **common,
    )


def _shown(name: str, value: Any, names: _Names) -> str:
    if value is None or value == []:
        return "—"
    if name == "assignee_id" and isinstance(value, int):
        return names.user(value) or "—"
    if name == "queue_id" and isinstance(value, int):
        return names.queue(value) or "—"
    if name == "tags" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value).replace("_", " ") if name == "status" else str(value)
