"""The ticket workspace for staff: the views (/tickets) and the ticket page (/tickets/<id>).

What a person may see and do is exactly what the REST API allows (`contactcenter.tickets.access`):
a ticket out of their reach answers 404, as if it did not exist. Every change goes through
`contactcenter.tickets.services`, so the audit trail reads the same whether a person or an
integration made it.

Forms post with the CSRF token and redirect after success (Post/Redirect/Get). A value the
domain refuses re-renders the page with a 400, the message next to the form and what the person
typed still in it, so nothing they wrote is lost.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.app.tasks import tickets as tasks
from contactcenter.tickets import access, services, sla, timeline, views
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.services import TicketError
from contactcenter.tickets.views import FilterError
from web import database
from web.api.core import cursor_instant_id, encode_cursor

bp = Blueprint("ticket_pages", __name__)
log = logging.getLogger("contactcenter.web")
PAGE_SIZE = 50
MAX_ID = 2**31 - 1
MAX_FIELD = 4096
# How "this ticket" relates to the one whose number is given; merging folds this one into it.
RELATIONS = {
    "related": "is related to",
    "duplicate": "is a duplicate of",
    "caused_by": "is caused by",
    "causes": "causes",
    "merge": "is merged into it",
}


class FormError(ValueError):
    """A form value that cannot even be read (the domain checks the rest)."""


def _viewer() -> Viewer:
    return Viewer(current_user.id, current_user.role)


def _default_view() -> str:
    """Agents start from their own tickets; supervisors from what nobody has picked up yet."""
    return "unassigned" if _viewer().sees_all else "mine"


# -- views --------------------------------------------------------------------------------------


def _cursor_kind(key: str) -> str:
    return f"ticket-view-{key}"


def _decode_cursor(raw: str | None, key: str) -> tuple[datetime, int] | None:
    """The same cursor format as the REST listings, read without their JSON error answer."""
    if not raw:
        return None
    try:
        if len(raw) > 300:
            raise ValueError("too long")
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(data, list) or not data or data[0] != _cursor_kind(key):
            raise ValueError("cursor for another listing")
        return cursor_instant_id(data[1:])
    except (ValueError, TypeError, IndexError, binascii.Error, RecursionError, UnicodeDecodeError):
        raise FilterError("that page link is out of date; start again from the first page") from None


@bp.get("/tickets")
@login_required
def ticket_list() -> tuple[str, int]:
    session = database.session()
    viewer = _viewer()
    now = clock.now()
    key = request.args.get("view", "") or _default_view()
    error, status = None, 200
    filters = views.TicketFilters()
    result = views.ViewPage([], None)
    try:
        definition = views.view(key)
        filters = views.parse_filters(request.args)
        after = _decode_cursor(request.args.get("cursor"), key)
        result = views.page(session, viewer, key, filters, after=after, limit=PAGE_SIZE, now=now)
    except FilterError as exc:
        error, status = str(exc), 400
        if key not in views.VIEW_KEYS:
            key = _default_view()
        definition = views.view(key)
    counts = views.counts(session, viewer, filters, now=now)
    next_url = None
    if result.next_key is not None:
        args = {**filters.given, "view": key, "cursor": encode_cursor(_cursor_kind(key), list(result.next_key))}
        next_url = url_for("ticket_pages.ticket_list", **args)  # type: ignore[arg-type]  # query parameters
    clocks = sla.rows_for(session, [row.ticket.id for row in result.rows])
    breached = {tid for tid, rows in clocks.items() if any(r.breached(now) and r.state == "running" for r in rows)}
    # After a refusal the form shows what was typed (within reason), so it can be corrected.
    typed = {
        k: v.strip() for k in views.FILTER_KEYS if (v := request.args.get(k, "")).strip() and len(v) <= views.MAX_TEXT
    }
    return render_template(
        "tickets/list.html",
        views=views.VIEWS,
        current=definition,
        counts=counts,
        rows=result.rows,
        filters=filters.given,
        typed=typed if error else filters.given,
        error=error,
        next_url=next_url,
        first_page=not request.args.get("cursor"),
        breached=breached,
        now=now,
        **_choices(session),
    ), status


def _choices(session: Session) -> dict[str, Any]:
    queues = list(session.scalars(select(Queue).order_by(Queue.name)))
    users = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)))
    return {
        "queues": queues,
        "users": users,
        "queue_names": {q.id: q.display_name or q.name for q in queues},
        "user_names": {u.id: u.display_name or u.username for u in users},
        "statuses": views.STATUSES,
        "priorities": views.PRIORITIES,
        "channels": views.CHANNELS,
    }


# -- the ticket page ----------------------------------------------------------------------------


def _visible(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id) if 0 < ticket_id <= MAX_ID else None
    if ticket is None or not access.can_see_ticket(session, _viewer(), ticket):
        abort(404)
    return ticket


@dataclass
class FormState:
    """What a refused form re-renders with: the message per form and the values typed."""

    errors: dict[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket_page(ticket_id: int) -> tuple[str, int]:
    return _render_ticket(database.session(), _visible(database.session(), ticket_id))


def _render_ticket(
    session: Session, ticket: Ticket, state: FormState | None = None, status: int = 200
) -> tuple[str, int]:
    state = state or FormState()
    now = clock.now()
    customer_tickets = 0
    if ticket.customer_id is not None:
        customer_tickets = (
            session.scalar(
                select(func.count(Ticket.id)).where(
                    Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id, access.ticket_filter(_viewer())
                )
            )
            or 0
        )
    statuses = sorted({ticket.status, *services.TRANSITIONS.get(ticket.status, ())}, key=views.STATUSES.index)
    return render_template(
        "tickets/ticket.html",
        ticket=ticket,
        entries=timeline.build(session, ticket),
        clocks=sla.clocks(session, ticket, now),
        links=services.linked_tickets(session, ticket.id),
        customer_tickets=customer_tickets,
        status_choices=statuses,
        relations=RELATIONS,
        final=ticket.status in services.FINAL,
        errors=state.errors,
        values=state.values,
        max_comment=services.MAX_TEXT,
        **_choices(session),
    ), status


def _field(name: str) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD:
        raise FormError(f"{name.replace('_', ' ')}: at most {MAX_FIELD} characters")
    _storable(name, value)
    return value.strip()


def _storable(name: str, value: str) -> None:
    """PostgreSQL cannot store a NUL character in text; refuse it rather than fail on commit."""
    if "\x00" in value:
        raise FormError(f"{name.replace('_', ' ')} contains a character that cannot be stored (NUL)")


def _optional_id(name: str, label: str) -> int | None:
    raw = _field(name)
    if raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise FormError(f"{label} must be chosen from the list")
    return int(raw)


def _refused(session: Session, ticket_id: int, form: str, message: str) -> tuple[str, int]:
    """Nothing of a refused change is kept; the page comes back with the message and the input."""
    session.rollback()
    ticket = _visible(session, ticket_id)
    return _render_ticket(session, ticket, FormState({form: message}, request.form), 400)


def _done(session: Session, ticket_ids: list[int], message: str, to: int) -> Response:
    session.commit()
    try:
        tasks.schedule_sla_checks(session, ticket_ids, database.runtime().redis)
    except Exception:  # noqa: BLE001 - the SQL store holds the truth; the SLA sweep catches up
        log.warning("could not queue SLA checks for tickets %s", ticket_ids, exc_info=True)
    flash(message, "ok")
    return redirect(url_for("ticket_pages.ticket_page", ticket_id=to) + "#timeline")


@bp.post("/tickets/<int:ticket_id>/comments")
@login_required
def add_comment(ticket_id: int) -> Response | tuple[str, int]:
    session = database.session()
    ticket = _visible(session, ticket_id)
    visibility = request.form.get("visibility", "internal")
    body = request.form.get("body", "")
    try:
        if visibility not in ("internal", "public"):
            raise FormError("choose an internal note or a public reply")
        _storable("comment", body)
        if len(body) > services.MAX_TEXT:
            raise FormError(f"a comment holds at most {services.MAX_TEXT:,} characters; this one has {len(body):,}")
        services.add_comment(session, ticket, body, public=visibility == "public", author_id=current_user.id)
    except (FormError, TicketError) as exc:
        return _refused(session, ticket_id, "composer", str(exc))
    return _done(
        session, [ticket.id], "Public reply sent." if visibility == "public" else "Internal note added.", ticket.id
    )


@bp.post("/tickets/<int:ticket_id>/properties")
@login_required
def update_properties(ticket_id: int) -> Response | tuple[str, int]:
    session = database.session()
    ticket = _visible(session, ticket_id)
    try:
        wanted: dict[str, Any] = {
            "subject": request.form.get("subject", ticket.subject).strip(),
            "status": _field("status") or ticket.status,
            "priority": _field("priority") or ticket.priority,
            "queue_id": _optional_id("queue_id", "queue"),
            "assignee_id": _optional_id("assignee_id", "assignee"),
            "tags": [t for t in (part.strip() for part in _field("tags").split(",")) if t],
        }
        _storable("subject", wanted["subject"])
        if len(wanted["subject"]) > 255:
            raise FormError(f"a subject holds at most 255 characters; this one has {len(wanted['subject']):,}")
        current = {
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "queue_id": ticket.queue_id,
            "assignee_id": ticket.assignee_id,
            "tags": list(ticket.tags or []),
        }
        changes = {k: v for k, v in wanted.items() if v != current[k]}
        if "tags" in changes and sorted({t.lower() for t in wanted["tags"]}) == sorted(ticket.tags or []):
            del changes["tags"]
        if not changes:
            flash("Nothing changed.", "ok")
            return redirect(url_for("ticket_pages.ticket_page", ticket_id=ticket.id))
        if ("queue_id" in changes or "assignee_id" in changes) and not access.may_file_in(
            session, _viewer(), wanted["queue_id"], wanted["assignee_id"]
        ):
            raise FormError(
                "agents may move a ticket only to their own queues or assign it within them "
                "(or to themselves); this change would put it out of your reach"
            )
        services.update_ticket(session, ticket, changes, actor_id=current_user.id)
    except (FormError, TicketError) as exc:
        return _refused(session, ticket_id, "properties", str(exc))
    return _done(session, [ticket.id], "Ticket updated.", ticket.id)


@bp.post("/tickets/<int:ticket_id>/relations")
@login_required
def relate(ticket_id: int) -> Response | tuple[str, int]:
    session = database.session()
    ticket = _visible(session, ticket_id)
    try:
        relation = _field("relation")
        if relation not in RELATIONS:
            raise FormError("choose how the tickets relate")
        number = _field("number").lstrip("#").strip()
        if not number.isascii() or not number.isdigit() or not 0 < int(number) <= MAX_ID:
            raise FormError("give the number of the other ticket, e.g. 42")
        other = session.get(Ticket, int(number))
        if other is None or not access.can_see_ticket(session, _viewer(), other):
            raise FormError(f"there is no ticket #{int(number)} you can see")
        if relation == "merge":
            services.merge_tickets(session, ticket, other, actor_id=current_user.id)
            return _done(session, [ticket.id, other.id], f"Ticket #{ticket.id} merged into this one.", other.id)
        services.link_tickets(session, ticket, other, kind=relation, actor_id=current_user.id)
    except (FormError, TicketError) as exc:
        return _refused(session, ticket_id, "relations", str(exc))
    return _done(session, [ticket.id], f"Linked to ticket #{other.id}.", ticket.id)
