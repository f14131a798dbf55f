"""/api/interactions: the call log (read-only here; calls are written by the carrier hooks).
Agents see the calls they handled, those of their queues, and those linked to their tickets."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy import and_, or_, select

from contactcenter.contacts.models import Interaction
from contactcenter.tickets import access
from contactcenter.tickets.models import Ticket, TicketInteraction
from web import database
from web.api import render
from web.api.core import MAX_ID, Query, cursor_instant_id, encode_cursor, not_found, page, viewer

FILTERS = ("direction", "status", "outcome", "customer_id", "queue_id", "agent_id", "arrived_after", "arrived_before")
CALL_STATUSES = (
    "queued",
    "initiated",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
)
OUTCOMES = ("completed", "abandoned", "ended-in-ivr", "busy", "no-answer", "failed", "canceled")


def list_interactions() -> Response:
    session = database.session()
    q = Query(FILTERS)
    stmt = select(Interaction).where(access.interaction_filter(viewer()))
    direction = q.choice("direction", ("inbound", "outbound"))
    if direction:
        stmt = stmt.where(Interaction.direction == direction)
    statuses = q.choices("status", CALL_STATUSES)
    if statuses:
        stmt = stmt.where(Interaction.status.in_(statuses))
    outcomes = q.choices("outcome", OUTCOMES)
    if outcomes:
        stmt = stmt.where(Interaction.outcome.in_(outcomes))
    for key, column in (
        ("customer_id", Interaction.customer_id),
        ("queue_id", Interaction.queue_id),
        ("agent_id", Interaction.agent_id),
    ):
        value = q.ident(key)
        if value is not None:
            stmt = stmt.where(column == value)
    after_at = q.instant("arrived_after")
    if after_at is not None:
        stmt = stmt.where(Interaction.arrived_at >= after_at)
    before_at = q.instant("arrived_before")
    if before_at is not None:
        stmt = stmt.where(Interaction.arrived_at < before_at)
    limit = q.limit()
    cursor = q.cursor("interactions", cursor_instant_id)
    if cursor is not None:
        at, ident = cursor
        stmt = stmt.where(or_(Interaction.arrived_at < at, and_(Interaction.arrived_at == at, Interaction.id < ident)))
    rows = list(session.scalars(stmt.order_by(Interaction.arrived_at.desc(), Interaction.id.desc()).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = encode_cursor("interactions", [rows[-1].arrived_at, rows[-1].id]) if more else None
    return page(rows, render.interaction, next_cursor)


def get_interaction(interaction_id: int) -> Response:
    session = database.session()
    call = None
    if 0 < interaction_id <= MAX_ID:
        call = session.scalar(
            select(Interaction).where(Interaction.id == interaction_id, access.interaction_filter(viewer()))
        )
    if call is None:
        not_found("interaction", interaction_id)
    body = render.interaction(call)
    body["ticket_ids"] = list(
        session.scalars(
            select(TicketInteraction.ticket_id)
            .join(Ticket, Ticket.id == TicketInteraction.ticket_id)
            .where(TicketInteraction.interaction_id == call.id, access.ticket_filter(viewer()))
            .order_by(TicketInteraction.ticket_id)
        )
    )
    return jsonify(body)


ROUTES = [
    ("/interactions", list_interactions, ["GET"]),
    ("/interactions/<int:interaction_id>", get_interaction, ["GET"]),
]
