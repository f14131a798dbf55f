"""Ticket operations; each one appends to the ticket's audit trail in the same transaction.

Lifecycle (GLOSSARY: new → open ↔ pending / on hold → solved → closed, reopen from solved;
merged is terminal)::

    new      → open
    open     → pending, on_hold, solved
    pending  → open, on_hold, solved
    on_hold  → open, pending, solved
    solved   → open (reopen), closed
    closed, merged: final

"merged" is reached only through `merge_tickets`. Asking for the status a ticket already has
changes nothing; any other move raises `InvalidTransition` naming the moves allowed.

Every change appends a `TicketEvent` (who, when, what before → after) and then recomputes the
ticket's SLA clocks from that trail (`sla.recompute`). Event kinds written here: created,
updated (one per field), status, comment, linked_call, linked_ticket, unlinked_ticket,
merged_into, merged_from; the SLA escalation adds sla_warning and sla_breached.

A customer's public comment is the customer writing back: on a pending, on-hold or solved
ticket it first moves the ticket to open (recorded as its own status event, so the SLA trail
reads "reopened, then the customer wrote"). Public agent comments and answered calls linked to
the ticket are the agent's responses to the customer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, inspect as sa_inspect, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets import sla
from contactcenter.tickets.models import (
    CHANNELS,
    CommentAuthor,
    SlaState,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketInteraction,
    TicketLink,
    TicketMerge,
    TicketPriority,
    TicketSla,
    TicketStatus,
)


class TicketError(DomainError, ValueError):
    """The ticket change is not allowed; the message says why."""

    kind: Kind = "unprocessable"
    code = "validation_failed"


class InvalidTransition(TicketError):
    """The ticket cannot move from its status to the one asked for."""

    kind: Kind = "conflict"
    code = "invalid_transition"

    def __init__(self, current: str, wanted: str) -> None:
        allowed = sorted(TRANSITIONS.get(current, ()))
        if allowed:
            hint = f"allowed from {current}: {', '.join(allowed)}"
        else:
            hint = f"{current} tickets cannot change status"
        super().__init__(f"cannot change status from {current} to {wanted} ({hint})")
        self.current = current
        self.wanted = wanted
        self.allowed = tuple(allowed)


PRIORITIES = tuple(p.value for p in TicketPriority)
STATUSES = tuple(s.value for s in TicketStatus)
LINK_KINDS = ("related", "duplicate", "caused_by", "causes")
MAX_TAGS = 20
MAX_TAG = 40
MAX_TEXT = 20_000

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open"}),
    "open": frozenset({"pending", "on_hold", "solved"}),
    "pending": frozenset({"open", "on_hold", "solved"}),
    "on_hold": frozenset({"open", "pending", "solved"}),
    "solved": frozenset({"open", "closed"}),
    "closed": frozenset(),
    "merged": frozenset(),
}
FINAL = frozenset({"closed", "merged"})
# Fields `update_ticket` changes (status goes through `change_status`).
EDITABLE = ("subject", "description", "priority", "channel", "queue_id", "assignee_id", "customer_id", "tags")


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
    values = _validated(
        session,
        {
            "subject": subject,
            "description": description,
            "priority": priority,
            "channel": channel,
            "queue_id": queue_id,
            "assignee_id": assignee_id,
            "customer_id": customer_id,
            "tags": list(tags),
        },
    )
    ticket = Ticket(status=TicketStatus.NEW.value, **values)
    session.add(ticket)
    session.flush()
    _event(session, ticket, actor_id, "created", None, {}, _snapshot(ticket))
    for interaction in interactions:
        _link_call(session, ticket, interaction, actor_id)
    sla.recompute(session, ticket)
    return ticket


def get_ticket(session: Session, ticket_id: int, *, for_update: bool = False) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=for_update or None)
    if ticket is None:
        raise TicketNotFound(f"ticket {ticket_id} does not exist")
    return ticket


class TicketNotFound(DomainError, LookupError):
    """No ticket (or other record the operation names) with that id."""

    kind: Kind = "not_found"
    code = "not_found"


def update_ticket(
    session: Session, ticket: Ticket, changes: Mapping[str, Any], *, actor_id: int | None = None
) -> list[TicketEvent]:
    """Apply field changes (and a status, if given); one audit event per field that changed."""
    unknown = set(changes) - set(EDITABLE) - {"status"}
    if unknown:
        raise TicketError(f"unknown ticket field(s): {', '.join(sorted(unknown))}")
    if "status" in changes:
        _check_transition(ticket, changes["status"])  # refuse before changing anything
    _refuse_final(ticket, "changed")
    values = _validated(session, {k: v for k, v in changes.items() if k != "status"})
    events: list[TicketEvent] = []
    for field in EDITABLE:
        if field not in values:
            continue
        before, after = getattr(ticket, field), values[field]
        if before == after:
            continue
        setattr(ticket, field, after)
        events.append(_event(session, ticket, actor_id, "updated", field, {field: before}, {field: after}))
    if "status" in changes:
        event = _set_status(session, ticket, changes["status"], actor_id)
        if event is not None:
            events.append(event)
    if events:
        sla.recompute(session, ticket)
    return events


def change_status(session: Session, ticket: Ticket, status: str, *, actor_id: int | None = None) -> TicketEvent | None:
    """Move the ticket along its lifecycle; None when it already has that status."""
    event = _set_status(session, ticket, status, actor_id)
    if event is not None:
        sla.recompute(session, ticket)
    return event


def add_comment(
    session: Session,
    ticket: Ticket,
    body: str,
    *,
    public: bool = False,
    author_id: int | None = None,
    author_kind: str = CommentAuthor.AGENT.value,
    actor_id: int | None = None,
) -> TicketComment:
    """A comment; `actor_id` (default: the author) is who the trail says added it, e.g. the
    integration user relaying a customer's e-mail."""
    actor_id = author_id if actor_id is None else actor_id
    body = body.strip() if isinstance(body, str) else ""
    if not body or len(body) > MAX_TEXT:
        raise TicketError(f"a comment needs a body of 1 to {MAX_TEXT} characters")
    kinds = tuple(k.value for k in CommentAuthor)
    if author_kind not in kinds:
        raise TicketError(f"comment author must be one of {', '.join(kinds)}")
    if author_kind == CommentAuthor.CUSTOMER.value and not public:
        raise TicketError("a customer's comment is always public")
    _refuse_final(ticket, "commented on")
    reopened = False
    if author_kind == CommentAuthor.CUSTOMER.value and ticket.status in ("pending", "on_hold", "solved"):
        reopened = _set_status(session, ticket, TicketStatus.OPEN.value, actor_id) is not None
    comment = TicketComment(ticket_id=ticket.id, author_id=author_id, author_kind=author_kind, public=public, body=body)
    session.add(comment)
    session.flush()
    _event(
        session,
        ticket,
        actor_id,
        "comment",
        "comments",
        {},
        {"comment_id": comment.id, "public": public, "author": author_kind},
    )
    ticket.updated_at = comment.created_at
    if reopened or _comment_moves_clocks(session, ticket, public, author_kind):
        sla.recompute(session, ticket)
    return comment


def _comment_moves_clocks(session: Session, ticket: Ticket, public: bool, author_kind: str) -> bool:
    """Whether a comment can change an SLA clock, so the clocks are replayed only when it can (a
    replay reads the ticket's whole trail: a customer texting five lines before anyone answers
    would replay it five times for nothing). The replay (`sla.derive`) reads public comments only:
    an agent's stops the first response and a running reply clock; a customer's starts a reply
    clock once the first response stopped and no reply clock runs — so while the stored first
    response still counts (running or paused), or no policy sets any reply target, a customer's
    comment moves nothing."""
    if not public or author_kind == CommentAuthor.SYSTEM.value:
        return False
    if author_kind != CommentAuthor.CUSTOMER.value:
        return True
    first = session.scalar(
        select(TicketSla.state).where(
            TicketSla.ticket_id == ticket.id,
            TicketSla.metric == sla.SlaMetric.FIRST_RESPONSE.value,
            TicketSla.cycle == 0,
        )
    )
    if first is not None:
        return first == SlaState.STOPPED.value
    # No first-response clock is stored (no policy gives the ticket one): the comment can only
    # start a reply clock, and only where some policy sets a next-reply target.
    reply = sla.SlaMetric.NEXT_REPLY.value
    return any(reply in (policy.targets or {}) for policy in sla.active_policies(session))


def link_interaction(
    session: Session, ticket: Ticket, interaction: Interaction, *, actor_id: int | None = None
) -> bool:
    """Attach a call to the ticket; False when it was already attached. An answered call counts
    as the agent's response to the customer."""
    _refuse_final(ticket, "linked to calls")
    linked = _link_call(session, ticket, interaction, actor_id)
    if linked:
        sla.recompute(session, ticket)
    return linked


def _link_call(session: Session, ticket: Ticket, interaction: Interaction, actor_id: int | None) -> bool:
    exists = session.scalar(
        select(TicketInteraction.id).where(
            TicketInteraction.ticket_id == ticket.id, TicketInteraction.interaction_id == interaction.id
        )
    )
    if exists is not None:
        return False
    session.add(TicketInteraction(ticket_id=ticket.id, interaction_id=interaction.id))
    _event(
        session,
        ticket,
        actor_id,
        "linked_call",
        "interactions",
        {},
        {
            "call_sid": interaction.call_sid,
            "interaction_id": interaction.id,
            "direction": interaction.direction,
            "answered": interaction.answered_at is not None,
        },
    )
    return True


def link_tickets(
    session: Session, ticket: Ticket, other: Ticket, *, kind: str = "related", actor_id: int | None = None
) -> TicketLink:
    if ticket.id == other.id:
        raise TicketError("a ticket cannot be linked to itself")
    if kind not in LINK_KINDS:
        raise TicketError(f"link kind must be one of {', '.join(LINK_KINDS)}")
    low, high = sorted((ticket.id, other.id))
    link = session.scalar(select(TicketLink).where(TicketLink.ticket_id == low, TicketLink.linked_id == high))
    if link is not None:
        if link.kind != kind:
            raise TicketError(f"tickets {low} and {high} are already linked as {link.kind}")
        return link
    link = TicketLink(ticket_id=low, linked_id=high, kind=kind, created_by_id=actor_id)
    session.add(link)
    session.flush()
    for one, two in ((ticket, other), (other, ticket)):
        _event(session, one, actor_id, "linked_ticket", "links", {}, {"ticket_id": two.id, "kind": kind})
    return link


def unlink_tickets(session: Session, ticket: Ticket, other: Ticket, *, actor_id: int | None = None) -> bool:
    low, high = sorted((ticket.id, other.id))
    link = session.scalar(select(TicketLink).where(TicketLink.ticket_id == low, TicketLink.linked_id == high))
    if link is None:
        return False
    kind = link.kind
    session.delete(link)
    session.flush()
    for one, two in ((ticket, other), (other, ticket)):
        _event(session, one, actor_id, "unlinked_ticket", "links", {"ticket_id": two.id, "kind": kind}, {})
    return True


def linked_tickets(session: Session, ticket_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(TicketLink.ticket_id, TicketLink.linked_id, TicketLink.kind)
        .where((TicketLink.ticket_id == ticket_id) | (TicketLink.linked_id == ticket_id))
        .order_by(TicketLink.id)
    )
    return [(b if a == ticket_id else a, kind) for a, b, kind in rows]


@dataclass(frozen=True)
class MergeResult:
    source: Ticket
    target: Ticket
    moved_calls: int


def merge_tickets(session: Session, source: Ticket, target: Ticket, *, actor_id: int | None = None) -> MergeResult:
    """Fold `source` into `target`: the source becomes merged (final, clocks stopped), its calls
    are linked to the target, and both trails and an internal note on each say so."""
    if source.id == target.id:
        raise TicketError("a ticket cannot be merged into itself")
    for ticket, role in ((source, "merged"), (target, "merged into")):
        if ticket.status in FINAL:
            raise TicketError(f"ticket {ticket.id} is {ticket.status} and cannot be {role}")
    session.add(TicketMerge(source_id=source.id, target_id=target.id, actor_id=actor_id))
    before = source.status
    source.status = TicketStatus.MERGED.value
    _event(session, source, actor_id, "status", "status", {"status": before}, {"status": source.status})
    _event(session, source, actor_id, "merged_into", "merge", {}, {"ticket_id": target.id})
    _event(session, target, actor_id, "merged_from", "merge", {}, {"ticket_id": source.id})
    moved = 0
    calls = session.scalars(
        select(Interaction)
        .join(TicketInteraction, TicketInteraction.interaction_id == Interaction.id)
        .where(TicketInteraction.ticket_id == source.id)
        .order_by(Interaction.id)
    ).all()
    for call in calls:
        moved += _link_call(session, target, call, actor_id)
    for ticket, text in (
        (source, f"Merged into ticket #{target.id}."),
        (target, f"Ticket #{source.id} ({source.subject}) was merged into this ticket."),
    ):
        session.add(
            TicketComment(ticket_id=ticket.id, author_id=actor_id, author_kind="system", public=False, body=text)
        )
    session.flush()
    session.expire(source, ["merge"])
    sla.recompute(session, source)
    sla.recompute(session, target)
    return MergeResult(source, target, moved)


def has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    """SQL condition: the ticket carries this tag (an element of its JSON list)."""
    tag = tag.strip().lower()
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(Ticket.tags, JSONB).contains([tag])
    elements = func.json_each(Ticket.tags).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(elements.c.value == tag))


def ticket_events(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


# -- internals --------------------------------------------------------------------------------


def _check_transition(ticket: Ticket, status: Any) -> bool:
    """True when the move is allowed, False when the ticket already has that status."""
    if not isinstance(status, str) or status not in STATUSES:
        raise TicketError(f"status must be one of {', '.join(STATUSES)}")
    current = ticket.status
    if status == current:
        return False
    if status == TicketStatus.MERGED.value and current not in FINAL:
        raise TicketError("a ticket becomes merged only by merging it into another ticket")
    if status not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current, status)
    return True


SolvedListener = Callable[[Session, Ticket], None]
_solved_listeners: list[SolvedListener] = []


def on_solved(listener: SolvedListener) -> None:
    """Call `listener(session, ticket)` whenever a ticket becomes solved, in the same transaction
    (a higher package reacts — e.g. the mail package sends a satisfaction survey)."""
    if listener not in _solved_listeners:
        _solved_listeners.append(listener)


def _set_status(session: Session, ticket: Ticket, status: Any, actor_id: int | None) -> TicketEvent | None:
    if not _check_transition(ticket, status):
        return None
    current = ticket.status
    ticket.status = status
    event = _event(session, ticket, actor_id, "status", "status", {"status": current}, {"status": status})
    if status == TicketStatus.SOLVED.value:
        for listener in _solved_listeners:
            listener(session, ticket)
    return event


def _refuse_final(ticket: Ticket, what: str) -> None:
    if ticket.status in FINAL:
        raise TicketError(f"ticket {ticket.id} is {ticket.status} and cannot be {what}")


def _validated(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "subject" in values:
        subject = values["subject"].strip() if isinstance(values["subject"], str) else ""
        if not subject or len(subject) > 255:
            raise TicketError("a ticket needs a subject of 1 to 255 characters")
        out["subject"] = subject
    if "description" in values:
        description = values["description"]
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > MAX_TEXT:
            raise TicketError(f"description must be text of at most {MAX_TEXT} characters")
        out["description"] = description
    if "priority" in values:
        if values["priority"] not in PRIORITIES:
            raise TicketError(f"priority must be one of {', '.join(PRIORITIES)}")
        out["priority"] = values["priority"]
    if "channel" in values:
        if values["channel"] not in CHANNELS:
            raise TicketError(f"channel must be one of {', '.join(CHANNELS)}")
        out["channel"] = values["channel"]
    for field, model, label in (
        ("queue_id", Queue, "queue"),
        ("assignee_id", User, "user"),
        ("customer_id", Customer, "customer"),
    ):
        if field not in values:
            continue
        ref = values[field]
        if ref is not None:
            if isinstance(ref, bool) or not isinstance(ref, int):
                raise TicketError(f"{field} must be a whole number or null")
            record = session.get(model, ref) if 0 < ref < 2**31 else None
            if record is None:
                raise TicketError(f"{label} {ref} does not exist")
            if isinstance(record, User) and not record.active:
                raise TicketError(f"user {ref} is not active")
        out[field] = ref
    if "tags" in values:
        out["tags"] = _tags(values["tags"])
    return out


def _tags(raw: Any) -> list[str]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise TicketError("tags must be a list of words")
    tags: set[str] = set()
    for tag in raw:
        if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > MAX_TAG:
            raise TicketError(f"each tag must be 1 to {MAX_TAG} characters")
        tags.add(tag.strip().lower())
    if len(tags) > MAX_TAGS:
        raise TicketError(f"at most {MAX_TAGS} tags")
    return sorted(tags)


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    return {
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "queue_id": ticket.queue_id,
        "assignee_id": ticket.assignee_id,
        "customer_id": ticket.customer_id,
        "tags": list(ticket.tags or []),
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
    if "events" not in sa_inspect(ticket).unloaded:
        session.expire(ticket, ["events"])  # keep `ticket.events` in step with the trail
    return event


def voicemail_ticket(
    session: Session,
    call: Interaction,
    recording_url: str,
    duration_s: int | None,
    *,
    queue_id: int | None,
    subject: str | None,
) -> Ticket:
    """A caller left a message: the recording goes on the call and a ticket asks for follow-up."""
    call.recording_url = recording_url
    seconds = f" ({duration_s} s)" if duration_s is not None else ""
    return open_ticket(
        session,
        subject or "Voicemail",
        description=f"Voicemail from {call.from_number}{seconds}: {recording_url}",
        customer_id=call.customer_id,
        queue_id=queue_id,
        channel="phone",
        tags=["voicemail"],
        interactions=[call],
    )
