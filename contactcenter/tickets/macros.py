"""Macros: an admin writes down the usual answer to a common case once, agents apply it in one step.

A macro sets some of the ticket's fields (status, priority, assignee, queue, tags added) and
carries text for the composer, marked public reply or internal note. Applying it changes the
fields through `services.update_ticket`, so the ticket's trail records each change as if it
had been made by hand, under the name of whoever applied it; the text is put in the composer for
that person to read, adapt and send, never sent on its own.

An agent applies a macro only where the result stays in their reach (the rule for moving a
ticket by hand), and a status the ticket cannot move to is refused with the lifecycle's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.errors import DomainError, Kind
from contactcenter.tickets import access, services
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import Ticket, TicketEvent, TicketMacro

MAX_NAME = 80
MAX_COMMENT = services.MAX_TEXT
# Statuses a macro may set ("merged" only comes from merging).
STATUSES = tuple(s for s in services.STATUSES if s != "merged")
MAX_ID = 2**31 - 1


class MacroError(DomainError, ValueError):
    """A macro cannot be applied or removed; the message says why."""

    kind: Kind = "unprocessable"
    code = "macro_refused"


class MacroInvalid(MacroError):
    """The macro's fields do not validate; `problems` maps each field to its message."""

    code = "validation_failed"

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class MacroFields:
    """A macro as typed into the admin form (all text); `validate` turns it into column values."""

    name: str = ""
    status: str = ""
    priority: str = ""
    assignee: str = ""
    queue_id: str = ""
    add_tags: str = ""
    comment: str = ""
    comment_public: bool = False

    @classmethod
    def of(cls, macro: TicketMacro) -> MacroFields:
        return cls(
            name=macro.name,
            status=macro.status or "",
            priority=macro.priority or "",
            assignee=macro.assignee or "",
            queue_id=str(macro.queue_id) if macro.queue_id else "",
            add_tags=", ".join(macro.add_tags or []),
            comment=macro.comment,
            comment_public=macro.comment_public,
        )


def _no_nul(problems: dict[str, str], name: str, value: str) -> None:
    if "\x00" in value:
        problems[name] = "contains a character that cannot be stored (NUL)"


def validate(session: Session, fields: MacroFields, *, macro_id: int | None = None) -> dict[str, Any]:
    """Column values for the macro, or `MacroInvalid` with every problem by field."""
    problems: dict[str, str] = {}
    for name in ("name", "status", "priority", "assignee", "queue_id", "add_tags", "comment"):
        _no_nul(problems, name, getattr(fields, name))
    name = " ".join(fields.name.split())
    if not name:
        problems.setdefault("name", "give the macro a name")
    elif len(name) > MAX_NAME:
        problems.setdefault("name", f"at most {MAX_NAME} characters; this one has {len(name):,}")
    elif "name" not in problems:  # a NUL cannot even be sent to PostgreSQL in a query
        same = session.scalar(select(TicketMacro.id).where(func.lower(TicketMacro.name) == name.lower()))
        if same is not None and same != macro_id:
            problems["name"] = "another macro has this name"
    status = fields.status.strip() or None
    if status is not None and status not in STATUSES:
        problems.setdefault("status", f"choose one of {', '.join(STATUSES)} or leave it as it is")
    priority = fields.priority.strip() or None
    if priority is not None and priority not in services.PRIORITIES:
        problems.setdefault("priority", f"choose one of {', '.join(services.PRIORITIES)} or leave it as it is")
    assignee = fields.assignee.strip() or None
    if assignee is not None and assignee not in ("me", "none"):
        user = _user(session, assignee)
        if user is None or not user.active:
            problems.setdefault("assignee", "choose a person from the list")
    queue_id: int | None = None
    raw_queue = fields.queue_id.strip()
    if raw_queue:
        if raw_queue.isascii() and raw_queue.isdigit() and 0 < int(raw_queue) <= MAX_ID:
            queue_id = int(raw_queue)
        if queue_id is None or session.get(Queue, queue_id) is None:
            problems.setdefault("queue_id", "choose a queue from the list")
    tags: list[str] = []
    raw_tags = [t.strip() for t in fields.add_tags.split(",") if t.strip()]
    try:
        tags = services._tags(raw_tags) if raw_tags else []
    except services.TicketError as exc:
        problems.setdefault("add_tags", str(exc))
    comment = fields.comment.strip()
    if len(comment) > MAX_COMMENT:
        problems.setdefault("comment", f"at most {MAX_COMMENT:,} characters; this one has {len(comment):,}")
    if not problems and not (status or priority or assignee or queue_id or tags or comment):
        problems["name"] = "a macro sets at least one field or has text for the composer"
    if problems:
        raise MacroInvalid(problems)
    return {
        "name": name,
        "status": status,
        "priority": priority,
        "assignee": assignee,
        "queue_id": queue_id,
        "add_tags": tags,
        "comment": comment,
        "comment_public": bool(fields.comment_public) and bool(comment),
    }


def _user(session: Session, raw: str) -> User | None:
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        return None
    return session.get(User, int(raw))


def save(session: Session, fields: MacroFields, macro: TicketMacro | None = None) -> TicketMacro:
    """Create a macro, or change `macro`, from the form's fields."""
    values = validate(session, fields, macro_id=None if macro is None else macro.id)
    if macro is None:
        macro = TicketMacro()
        session.add(macro)
    for key, value in values.items():
        setattr(macro, key, value)
    session.flush()
    return macro


def listed(session: Session) -> list[TicketMacro]:
    return list(session.scalars(select(TicketMacro).order_by(func.lower(TicketMacro.name), TicketMacro.id)))


def get(session: Session, macro_id: int) -> TicketMacro | None:
    return session.get(TicketMacro, macro_id) if 0 < macro_id <= MAX_ID else None


def delete(session: Session, macro_id: int) -> str:
    macro = get(session, macro_id)
    if macro is None:
        raise MacroError("there is no such macro")
    name = macro.name
    session.delete(macro)
    session.flush()
    return name


def describe(macro: TicketMacro, user_names: Mapping[int, str], queue_names: Mapping[int, str]) -> list[str]:
    """What the macro does, in words, for the lists and the picker."""
    parts: list[str] = []
    if macro.status:
        parts.append(f"status → {macro.status.replace('_', ' ')}")
    if macro.priority:
        parts.append(f"priority → {macro.priority}")
    if macro.assignee == "me":
        parts.append("assign to whoever applies it")
    elif macro.assignee == "none":
        parts.append("unassign")
    elif macro.assignee:
        parts.append(f"assign to {user_names.get(int(macro.assignee), 'user ' + macro.assignee)}")
    if macro.queue_id:
        parts.append(f"queue → {queue_names.get(macro.queue_id, 'queue ' + str(macro.queue_id))}")
    if macro.add_tags:
        parts.append("add tags " + ", ".join(macro.add_tags))
    if macro.comment:
        parts.append("public reply text" if macro.comment_public else "internal note text")
    return parts


@dataclass(frozen=True)
class Applied:
    """What applying a macro did: the trail entries written, and the text for the composer."""

    events: list[TicketEvent] = field(default_factory=list)
    comment: str = ""
    public: bool = False


def changes_for(macro: TicketMacro, ticket: Ticket, viewer: Viewer) -> dict[str, Any]:
    """The field changes the macro makes on this ticket (empty when it already matches)."""
    changes: dict[str, Any] = {}
    if macro.status and macro.status != ticket.status:
        changes["status"] = macro.status
    if macro.priority and macro.priority != ticket.priority:
        changes["priority"] = macro.priority
    if macro.assignee:
        assignee: int | None
        if macro.assignee == "me":
            assignee = viewer.user_id
        elif macro.assignee == "none":
            assignee = None
        else:
            assignee = int(macro.assignee)
        if assignee != ticket.assignee_id:
            changes["assignee_id"] = assignee
    if macro.queue_id and macro.queue_id != ticket.queue_id:
        changes["queue_id"] = macro.queue_id
    if macro.add_tags:
        tags = sorted({*(ticket.tags or []), *macro.add_tags})
        if tags != sorted(ticket.tags or []):
            changes["tags"] = tags
    return changes


def apply(session: Session, viewer: Viewer, ticket: Ticket, macro: TicketMacro) -> Applied:
    """Set the macro's fields on the ticket (audited per field) and hand back its composer text."""
    if not access.can_see_ticket(session, viewer, ticket):
        raise MacroError(f"there is no ticket #{ticket.id} you can see")
    changes = changes_for(macro, ticket, viewer)
    if ("queue_id" in changes or "assignee_id" in changes) and not access.may_file_in(
        session,
        viewer,
        changes.get("queue_id", ticket.queue_id),
        changes.get("assignee_id", ticket.assignee_id),
    ):
        raise MacroError(
            f"“{macro.name}” would move the ticket out of your reach (agents keep tickets in their own "
            "queues or assigned to themselves)"
        )
    events: list[TicketEvent] = []
    if changes:
        try:
            events = services.update_ticket(session, ticket, changes, actor_id=viewer.user_id)
        except services.TicketError as exc:
            raise MacroError(f"“{macro.name}” cannot be applied: {exc}") from None
    return Applied(events, macro.comment, macro.comment_public)
