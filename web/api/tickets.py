"""/api/tickets: list and filter, create, read, change (status moves included), comments,
audit trail, links, merges and calls. Agents only ever see tickets in their scope."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from contactcenter.app.tasks import tickets as tasks
from contactcenter.contacts.models import Interaction
from contactcenter.tickets import access, services, sla
from contactcenter.tickets.models import (
    CHANNELS,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketInteraction,
    TicketPriority,
    TicketSla,
    TicketStatus,
)
from web import database
from web.api import render
from web.api.core import (
    MAX_ID,
    Query,
    body_id,
    created,
    current_redis,
    cursor_id,
    cursor_instant_id,
    encode_cursor,
    fail,
    json_body,
    not_found,
    page,
    principal,
    require_write,
    viewer,
)

log = logging.getLogger("contactcenter.api")
STATUSES = tuple(s.value for s in TicketStatus)
PRIORITIES = tuple(p.value for p in TicketPriority)
SORTS = ("-id", "id", "-updated_at", "updated_at")
TICKET_FILTERS = (
    "status",
    "priority",
    "channel",
    "queue_id",
    "assignee_id",
    "customer_id",
    "tag",
    "created_after",
    "created_before",
    "updated_after",
    "updated_before",
    "sla_due_before",
    "sort",
)


def visible_ticket(session: Session, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket if this caller may see it; 404 otherwise (whether or not it exists)."""
    ticket = session.get(Ticket, ticket_id, with_for_update=for_update or None) if 0 < ticket_id <= MAX_ID else None
    if ticket is None or not access.can_see_ticket(session, viewer(), ticket):
        not_found("ticket", ticket_id)
    return ticket


def schedule_checks(session: Session, ticket_ids: list[int]) -> None:
    """After a committed change: queue the SLA checks (the sweep covers any Redis hiccup)."""
    try:
        tasks.schedule_sla_checks(session, ticket_ids, current_redis())
    except Exception:  # noqa: BLE001 - the SQL store already holds the truth
        log.warning("could not queue SLA checks for tickets %s", ticket_ids, exc_info=True)


def list_tickets() -> Response:
    session = database.session()
    q = Query(TICKET_FILTERS)
    sort = q.choice("sort", SORTS, "-id")
    stmt = select(Ticket).where(access.ticket_filter(viewer()))
    statuses = q.choices("status", STATUSES)
    if statuses:
        stmt = stmt.where(Ticket.status.in_(statuses))
    priorities = q.choices("priority", PRIORITIES)
    if priorities:
        stmt = stmt.where(Ticket.priority.in_(priorities))
    channels = q.choices("channel", CHANNELS)
    if channels:
        stmt = stmt.where(Ticket.channel.in_(channels))
    for key, column in (("queue_id", Ticket.queue_id), ("customer_id", Ticket.customer_id)):
        value = q.ident(key)
        if value is not None:
            stmt = stmt.where(column == value)
    assignee = q.ident("assignee_id", ("me", "none"))
    if assignee == "me":
        stmt = stmt.where(Ticket.assignee_id == principal().user.id)
    elif assignee == "none":
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    elif assignee is not None:
        stmt = stmt.where(Ticket.assignee_id == assignee)
    tag = q.text("tag", 40)
    if tag is not None:
        stmt = stmt.where(services.has_tag(session, tag))
    for key, at_column, op in (
        ("created_after", Ticket.created_at, "ge"),
        ("created_before", Ticket.created_at, "lt"),
        ("updated_after", Ticket.updated_at, "ge"),
        ("updated_before", Ticket.updated_at, "lt"),
    ):
        instant = q.instant(key)
        if instant is not None:
            stmt = stmt.where(at_column >= instant if op == "ge" else at_column < instant)
    due = q.instant("sla_due_before")
    if due is not None:
        stmt = stmt.where(
            Ticket.id.in_(select(TicketSla.ticket_id).where(TicketSla.deadline_at <= due, TicketSla.state != "stopped"))
        )
    limit = q.limit()
    assert sort is not None
    if sort.endswith("id"):
        after = q.cursor(f"tickets{sort}", cursor_id)
        if after is not None:
            stmt = stmt.where(Ticket.id < after if sort == "-id" else Ticket.id > after)
        stmt = stmt.order_by(Ticket.id.desc() if sort == "-id" else Ticket.id)
    else:
        after = q.cursor(f"tickets{sort}", cursor_instant_id)
        if after is not None:
            at, ident = after
            if sort == "-updated_at":
                stmt = stmt.where(or_(Ticket.updated_at < at, and_(Ticket.updated_at == at, Ticket.id < ident)))
            else:
                stmt = stmt.where(or_(Ticket.updated_at > at, and_(Ticket.updated_at == at, Ticket.id > ident)))
        stmt = stmt.order_by(
            *((Ticket.updated_at.desc(), Ticket.id.desc()) if sort == "-updated_at" else (Ticket.updated_at, Ticket.id))
        )
    rows = list(session.scalars(stmt.limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(f"tickets{sort}", [last.id] if sort.endswith("id") else [last.updated_at, last.id])
    clocks = sla.rows_for(session, [t.id for t in rows])
    return page(rows, lambda t: render.ticket(t, clocks=clocks[t.id]), next_cursor)


TICKET_FIELDS = ("subject", "description", "priority", "channel", "queue_id", "assignee_id", "customer_id", "tags")


def create_ticket() -> tuple[Response, int]:
    require_write()
    session = database.session()
    data = json_body((*TICKET_FIELDS, "interaction_ids"), required=("subject",))
    me = principal().user
    queue_id = body_id(data, "queue_id", nullable=True) if "queue_id" in data else None
    assignee_id = body_id(data, "assignee_id", nullable=True) if "assignee_id" in data else None
    if not viewer().sees_all and queue_id is None and assignee_id is None:
        assignee_id = me.id  # an agent's own ticket, so they can go on seeing it
    if not access.may_file_in(session, viewer(), queue_id, assignee_id):
        fail(403, "forbidden", "agents file tickets in their own queues or assigned to themselves")
    calls = _visible_interactions(session, data.get("interaction_ids", []))
    ticket = services.open_ticket(
        session,
        data["subject"],
        description=data.get("description", ""),
        customer_id=data.get("customer_id"),
        priority=data.get("priority", "normal"),
        queue_id=queue_id,
        assignee_id=assignee_id,
        channel=data.get("channel", "api"),
        tags=_list(data, "tags"),
        actor_id=me.id,
        interactions=calls,
    )
    session.commit()
    schedule_checks(session, [ticket.id])
    return created(render.ticket(ticket, clocks=sla.rows_for(session, [ticket.id])[ticket.id]))


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        fail(422, "validation_failed", f"{key} must be a list")
    return value


def _visible_interactions(session: Session, raw: Any) -> list[Interaction]:
    if not isinstance(raw, list) or len(raw) > 50:
        fail(422, "validation_failed", "interaction_ids must be a list of at most 50 ids")
    calls = []
    for ident in raw:
        if isinstance(ident, bool) or not isinstance(ident, int) or not 0 < ident <= MAX_ID:
            fail(422, "validation_failed", "interaction_ids must be a list of ids")
        call = session.scalar(select(Interaction).where(Interaction.id == ident, access.interaction_filter(viewer())))
        if call is None:
            fail(422, "validation_failed", f"interaction {ident} does not exist")
        calls.append(call)
    return calls


def get_ticket(ticket_id: int) -> Response:
    session = database.session()
    ticket = visible_ticket(session, ticket_id)
    body = render.ticket(ticket)
    body["sla"] = [view.to_dict() for view in sla.clocks(session, ticket)]
    body["merged_into_id"] = ticket.merged_into_id
    body["links"] = [{"ticket_id": other, "kind": kind} for other, kind in services.linked_tickets(session, ticket.id)]
    body["interaction_ids"] = list(
        session.scalars(
            select(TicketInteraction.interaction_id)
            .where(TicketInteraction.ticket_id == ticket.id)
            .order_by(TicketInteraction.id)
        )
    )
    return jsonify(body)


def update_ticket(ticket_id: int) -> Response:
    require_write()
    session = database.session()
    ticket = visible_ticket(session, ticket_id, for_update=True)
    data = json_body((*TICKET_FIELDS, "status"))
    for key in ("queue_id", "assignee_id", "customer_id"):
        if key in data:
            body_id(data, key, nullable=True)
    _check_move(session, ticket, data)
    services.update_ticket(session, ticket, data, actor_id=principal().user.id)
    session.commit()
    schedule_checks(session, [ticket.id])
    return get_ticket(ticket.id)


def _check_move(session: Session, ticket: Ticket, data: dict[str, Any]) -> None:
    """Refuse, before anything is written, a queue or assignee the caller may not file in.

    The ticket must stay within the caller's reach after the change (the rule for creating
    tickets); otherwise the change would be committed and the caller left with a 404.
    """
    if "queue_id" not in data and "assignee_id" not in data:
        return
    queue_id = data["queue_id"] if "queue_id" in data else ticket.queue_id
    assignee_id = data["assignee_id"] if "assignee_id" in data else ticket.assignee_id
    if not access.may_file_in(session, viewer(), queue_id, assignee_id):
        fail(
            403,
            "forbidden",
            "agents may move a ticket only to their own queues or assign it within them "
            "(or to themselves); this change would put it out of your reach",
        )


def list_comments(ticket_id: int) -> Response:
    session = database.session()
    visible_ticket(session, ticket_id)
    q = Query(("public",))
    stmt = select(TicketComment).where(TicketComment.ticket_id == ticket_id)
    public = q.choice("public", ("true", "false"))
    if public is not None:
        stmt = stmt.where(TicketComment.public.is_(public == "true"))
    after = q.cursor("comments", cursor_id)
    if after is not None:
        stmt = stmt.where(TicketComment.id > after)
    limit = q.limit()
    rows = list(session.scalars(stmt.order_by(TicketComment.id).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return page(rows, render.comment, encode_cursor("comments", [rows[-1].id]) if more else None)


def add_comment(ticket_id: int) -> tuple[Response, int]:
    require_write()
    session = database.session()
    ticket = visible_ticket(session, ticket_id, for_update=True)
    data = json_body(("body", "public", "author"), required=("body",))
    public = data.get("public", False)
    author = data.get("author", "agent")
    if not isinstance(public, bool):
        fail(422, "validation_failed", "public must be true or false")
    if author not in ("agent", "customer"):
        fail(422, "validation_failed", "author must be agent or customer")
    me = principal().user.id
    comment = services.add_comment(
        session,
        ticket,
        data["body"],
        public=public or author == "customer",
        author_id=me if author == "agent" else None,
        author_kind=author,
        actor_id=me,
    )
    session.commit()
    schedule_checks(session, [ticket.id])
    return created(render.comment(comment))


def list_events(ticket_id: int) -> Response:
    session = database.session()
    visible_ticket(session, ticket_id)
    q = Query(())
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    after = q.cursor("events", cursor_id)
    if after is not None:
        stmt = stmt.where(TicketEvent.id > after)
    limit = q.limit()
    rows = list(session.scalars(stmt.order_by(TicketEvent.id).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return page(rows, render.event, encode_cursor("events", [rows[-1].id]) if more else None)


def merge_ticket(ticket_id: int) -> Response:
    require_write()
    session = database.session()
    source = visible_ticket(session, ticket_id, for_update=True)
    data = json_body(("into",), required=("into",))
    target_id = body_id(data, "into")
    assert target_id is not None
    target = visible_ticket(session, target_id, for_update=True)
    result = services.merge_tickets(session, source, target, actor_id=principal().user.id)
    session.commit()
    schedule_checks(session, [target.id])
    return jsonify(
        {
            "source": render.ticket(result.source),
            "target": render.ticket(result.target),
            "moved_calls": result.moved_calls,
            "merged_into_id": target.id,
        }
    )


def link_ticket(ticket_id: int) -> tuple[Response, int]:
    require_write()
    session = database.session()
    ticket = visible_ticket(session, ticket_id)
    data = json_body(("ticket_id", "kind"), required=("ticket_id",))
    other_id = body_id(data, "ticket_id")
    assert other_id is not None
    other = visible_ticket(session, other_id)
    link = services.link_tickets(session, ticket, other, kind=data.get("kind", "related"), actor_id=principal().user.id)
    session.commit()
    return created({"ticket_id": ticket.id, "linked_id": other.id, "kind": link.kind})


def unlink_ticket(ticket_id: int, other_id: int) -> Response | tuple[str, int]:
    require_write()
    session = database.session()
    ticket = visible_ticket(session, ticket_id)
    other = visible_ticket(session, other_id)
    if not services.unlink_tickets(session, ticket, other, actor_id=principal().user.id):
        not_found("link to ticket", other_id)
    session.commit()
    return "", 204


def link_call(ticket_id: int) -> tuple[Response, int]:
    require_write()
    session = database.session()
    ticket = visible_ticket(session, ticket_id, for_update=True)
    data = json_body(("interaction_id",), required=("interaction_id",))
    [call] = _visible_interactions(session, [data["interaction_id"]])
    linked = services.link_interaction(session, ticket, call, actor_id=principal().user.id)
    session.commit()
    schedule_checks(session, [ticket.id])
    return jsonify({"ticket_id": ticket.id, "interaction_id": call.id, "linked": linked}), 201 if linked else 200


ROUTES = [
    ("/tickets", list_tickets, ["GET"]),
    ("/tickets", create_ticket, ["POST"]),
    ("/tickets/<int:ticket_id>", get_ticket, ["GET"]),
    ("/tickets/<int:ticket_id>", update_ticket, ["PATCH"]),
    ("/tickets/<int:ticket_id>/comments", list_comments, ["GET"]),
    ("/tickets/<int:ticket_id>/comments", add_comment, ["POST"]),
    ("/tickets/<int:ticket_id>/events", list_events, ["GET"]),
    ("/tickets/<int:ticket_id>/merge", merge_ticket, ["POST"]),
    ("/tickets/<int:ticket_id>/links", link_ticket, ["POST"]),
    ("/tickets/<int:ticket_id>/links/<int:other_id>", unlink_ticket, ["DELETE"]),
    ("/tickets/<int:ticket_id>/interactions", link_call, ["POST"]),
]
