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
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from contactcenter import clock, phones
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.app.tasks import tickets as tasks
from contactcenter.mail import outbound, ticket_mail
from contactcenter.portal import requests as portal_requests
from contactcenter.sms import outbound as sms_outbound, ticket_texts
from contactcenter.tickets import access, bulk, macros, saved_filters, search, services, sla, timeline, views
from contactcenter.tickets.access import Viewer
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.services import TicketError
from contactcenter.tickets.views import FilterError
from web import database
from web.api.core import cursor_instant_id, encode_cursor

bp = Blueprint("ticket_pages", __name__)
bp.add_app_template_filter(views.count_label, "view_count")
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
    return _list_page(request.args)


def _list_page(
    args: Mapping[str, str], *, bulk_error: str | None = None, saved_error: str | None = None, status: int = 200
) -> tuple[str, int]:
    """The views page for these query-string values: a view, a saved filter or a search, filtered."""
    session = database.session()
    viewer = _viewer()
    now = clock.now()
    key = args.get("view", "") or _default_view()
    error = None
    filters = views.TicketFilters()
    result = views.ViewPage([], None)
    saved_list = saved_filters.listed(session, viewer)
    saved = _saved_choice(saved_list, args.get("saved", ""))
    query = args.get("q", "").strip()
    search_next: int | None = None
    try:
        if saved is not None:
            key = saved_filters.BASE_VIEW
            args = {**saved.given, "view": key, "saved": str(saved.id), "cursor": args.get("cursor", ""), "q": query}
        definition = views.view(key)
        filters = views.parse_filters(args)
        if query:
            if len(query) > search.MAX_QUERY_LENGTH:
                raise FilterError(f"search: at most {search.MAX_QUERY_LENGTH} characters")
            _storable_query(query)
            found = search.search_tickets(
                session,
                query,
                # across every ticket in the person's reach (the filters still narrow it)
                ticket_filter=views.scoped(session, saved_filters.BASE_VIEW, viewer, filters, now),
                after=_decode_search_cursor(args.get("cursor")),
                limit=PAGE_SIZE,
            )
            result = views.ViewPage([views.ViewRow(t) for t in found.items], None)
            search_next = found.next_after
        else:
            after = _decode_cursor(args.get("cursor"), key)
            result = views.page(session, viewer, key, filters, after=after, limit=PAGE_SIZE, now=now)
    except (FilterError, search.SearchError) as exc:
        error, status = str(exc), 400
        if key not in views.VIEW_KEYS:
            key = _default_view()
        definition = views.view(key)
    # The views' links (and so their counts) carry the filters typed, not a saved filter's.
    counts = views.counts(session, viewer, filters if saved is None else views.TicketFilters(), now=now)
    # What the links of this page keep: the saved filter, or the view and its filters; the search.
    keep: dict[str, str] = {"saved": str(saved.id)} if saved is not None else {**filters.given, "view": key}
    if query:
        keep["q"] = query
    next_url = None
    if result.next_key is not None:
        cursor = encode_cursor(_cursor_kind(key), list(result.next_key))
        next_url = url_for("ticket_pages.ticket_list", **keep, cursor=cursor)  # type: ignore[arg-type]
    elif search_next is not None:
        cursor = encode_cursor(SEARCH_CURSOR, [search_next])
        next_url = url_for("ticket_pages.ticket_list", **keep, cursor=cursor)  # type: ignore[arg-type]
    clocks = sla.rows_for(session, [row.ticket.id for row in result.rows])
    breached = {tid for tid, rows in clocks.items() if any(r.breached(now) and r.state == "running" for r in rows)}
    # After a refusal the form shows what was typed (within reason), so it can be corrected.
    typed = {k: v.strip() for k in views.FILTER_KEYS if (v := args.get(k, "")).strip() and len(v) <= views.MAX_TEXT}
    return render_template(
        "tickets/list.html",
        views=views.VIEWS,
        current=definition,
        counts=counts,
        saved_views=saved_list,
        saved_counts=saved_filters.counts(session, viewer, saved_list, now=now),
        saved=saved,
        saved_error=saved_error,
        query=query[: search.MAX_QUERY_LENGTH],
        rows=result.rows,
        filters=filters.given,
        typed=typed if error else filters.given,
        keep=keep,
        clear_search={k: v for k, v in keep.items() if k != "q"},
        error=error,
        bulk_error=bulk_error,
        next_url=next_url,
        first_page=not args.get("cursor"),
        breached=breached,
        now=now,
        may_share=viewer.sees_all,
        return_to=url_for("ticket_pages.ticket_list", **keep),  # type: ignore[arg-type]
        bulk_statuses=[s for s in views.STATUSES if s != "merged"],
        **_choices(session),
    ), status


SEARCH_CURSOR = "ticket-search"


def _decode_search_cursor(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        if len(raw) > 300:
            raise ValueError("too long")
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(data, list) or len(data) != 2 or data[0] != SEARCH_CURSOR:
            raise ValueError("cursor for another listing")
        if isinstance(data[1], bool) or not isinstance(data[1], int) or not 0 < data[1] <= MAX_ID:
            raise ValueError("not an id")
        return int(data[1])
    except (ValueError, TypeError, binascii.Error, RecursionError, UnicodeDecodeError):
        raise FilterError("that page link is out of date; start again from the first page") from None


def _storable_query(query: str) -> None:
    if any(ord(ch) < 32 for ch in query):
        raise FilterError("search: control characters are not allowed")


def _saved_choice(saved_list: list[saved_filters.SavedView], raw: str) -> saved_filters.SavedView | None:
    """The saved filter asked for; one that is gone (or someone else's) is no filter, not an error."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    return next((s for s in saved_list if s.id == int(raw)), None)


@bp.get("/tickets/counts")
@login_required
def ticket_counts() -> Response:
    """The numbers next to the views, for pages that heard "tickets changed" and refresh them."""
    session = database.session()
    viewer = _viewer()
    now = clock.now()
    try:
        filters = views.parse_filters(request.args)
    except FilterError as exc:
        failed = jsonify({"error": str(exc)})
        failed.status_code = 400
        return failed
    saved_list = saved_filters.listed(session, viewer)
    body = {
        "cap": views.COUNT_CAP,
        "views": views.counts(session, viewer, filters, now=now),
        "saved": {str(k): v for k, v in saved_filters.counts(session, viewer, saved_list, now=now).items()},
    }
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _return_args() -> dict[str, str]:
    """The list page the form was posted from (its query string), to come back to it."""
    raw = request.form.get("return_to", "")
    if len(raw) > 4096 or not raw.startswith("/tickets"):
        return {}
    parts = urlsplit(raw)
    if parts.path != "/tickets" or parts.netloc:
        return {}
    return {k: v for k, v in parse_qsl(parts.query)}


def _back_to_list(args: Mapping[str, str]) -> Response:
    return redirect(url_for("ticket_pages.ticket_list", **args))  # type: ignore[arg-type]


@bp.post("/tickets/filters")
@login_required
def save_filter() -> Response | tuple[str, int]:
    session = database.session()
    back = _return_args()
    name = request.form.get("name", "")
    if len(name) > MAX_FIELD:
        session.rollback()
        return _list_page(back, saved_error=f"a name holds at most {saved_filters.MAX_NAME} characters", status=400)
    values = {k: v for k, v in back.items() if k in views.FILTER_KEYS}
    # Saved again from a saved filter's own page (a new name, or shared now): its filters.
    again = _saved_choice(saved_filters.listed(session, _viewer()), back.get("saved", ""))
    if again is not None:
        values = dict(again.given)
    try:
        if "\x00" in name:
            raise saved_filters.SavedFilterError("the name contains a character that cannot be stored (NUL)")
        record = saved_filters.save(session, _viewer(), name, values, shared=request.form.get("shared") == "on")
    except saved_filters.SavedFilterError as exc:
        session.rollback()
        return _list_page(back, saved_error=str(exc), status=400)
    session.commit()
    flash(f"Filter “{record.name}” saved{' and shared with everyone' if record.shared else ''}.", "ok")
    return _back_to_list({"saved": str(record.id)})


@bp.post("/tickets/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int) -> Response | tuple[str, int]:
    session = database.session()
    try:
        name = saved_filters.delete(session, _viewer(), filter_id)
    except saved_filters.SavedFilterError as exc:
        session.rollback()
        return _list_page(_return_args(), saved_error=str(exc), status=400)
    session.commit()
    flash(f"Filter “{name}” deleted.", "ok")
    return _back_to_list({})


@bp.post("/tickets/bulk")
@login_required
def bulk_action() -> Response | tuple[str, int]:
    """One action on the picked rows; a refusal of the whole request changes nothing."""
    session = database.session()
    back = _return_args()
    action = request.form.get("action", "")
    raw_ids = request.form.getlist("ticket")
    try:
        if len(raw_ids) > bulk.MAX_TICKETS:
            raise bulk.BulkError(f"at most {bulk.MAX_TICKETS} tickets at once")
        ids = []
        for raw in raw_ids:
            if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
                raise bulk.BulkError("the picked tickets are not ticket numbers")
            ids.append(int(raw))
        value = request.form.get(BULK_VALUE_FIELDS.get(action, "value"), "")
        if len(value) > MAX_FIELD:
            raise bulk.BulkError(f"the value holds at most {MAX_FIELD} characters")
        if "\x00" in value:
            raise bulk.BulkError("the value contains a character that cannot be stored (NUL)")
        result = bulk.apply(session, _viewer(), ids, action, value)
    except bulk.BulkError as exc:
        session.rollback()
        return _list_page(back, bulk_error=str(exc), status=400)
    session.commit()
    touched = [*result.changed, *([int(value.strip().lstrip("#"))] if action == "merge" and result.changed else [])]
    try:
        tasks.schedule_sla_checks(session, touched, database.runtime().redis)
    except Exception:  # noqa: BLE001 - the SQL store holds the truth; the SLA sweep catches up
        log.warning("could not queue SLA checks for tickets %s", touched, exc_info=True)
    flash(result.summary(), "ok" if not result.skipped else "error")
    return _back_to_list(back)


# Each bulk action's value comes from its own control in the bar.
BULK_VALUE_FIELDS = {
    "assign": "bulk_assignee",
    "status": "bulk_status",
    "priority": "bulk_priority",
    "tag": "bulk_tag",
    "merge": "bulk_merge_into",
}


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
    session = database.session()
    ticket = _visible(session, ticket_id)
    state = None
    # After a macro was applied its text waits in the composer, to be read, adapted and sent.
    raw = request.args.get("macro", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 10:
        macro = macros.get(session, int(raw))
        if macro is not None and macro.comment:
            state = FormState(
                values={"body": macro.comment, "visibility": "public" if macro.comment_public else "internal"}
            )
    return _render_ticket(session, ticket, state)


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
    macro_list = macros.listed(session)
    names = _choices(session)
    return render_template(
        "tickets/ticket.html",
        ticket=ticket,
        entries=timeline.build(session, ticket),
        mail=ticket_mail.by_comment(session, ticket.id),
        mail_to=ticket_mail.reply_target(session, ticket) if ticket.status not in services.FINAL else None,
        texts=ticket_texts.by_comment(session, ticket.id),
        uploads=portal_requests.uploads_by_comment(session, ticket.id),
        text_to=ticket_texts.text_target(session, ticket) if ticket.status not in services.FINAL else None,
        clocks=sla.clocks(session, ticket, now),
        links=services.linked_tickets(session, ticket.id),
        customer_tickets=customer_tickets,
        status_choices=statuses,
        relations=RELATIONS,
        final=ticket.status in services.FINAL,
        errors=state.errors,
        values=state.values,
        max_comment=services.MAX_TEXT,
        macros=macro_list,
        macro_notes={m.id: macros.describe(m, names["user_names"], names["queue_names"]) for m in macro_list},
        **names,
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
        comment = services.add_comment(session, ticket, body, public=visibility == "public", author_id=current_user.id)
        sent_by = []
        if visibility == "public" and request.form.get("send_sms") == "1":
            texted = sms_outbound.queue_reply(session, ticket, comment)
            sent_by.append(f"texted to {phones.display(texted.customer_number)}")
        if visibility == "public" and request.form.get("send_email") == "1":
            mailed = outbound.queue_reply(session, ticket, comment)
            sent_by.append(f"e-mailed to {mailed.to_addresses[0]}")
    except (FormError, TicketError, outbound.ReplyError, sms_outbound.SmsReplyError) as exc:
        return _refused(session, ticket_id, "composer", str(exc))
    if not sent_by:
        message = "Public reply sent." if visibility == "public" else "Internal note added."
        return _done(session, [ticket.id], message, ticket.id)
    # The commit queues the sending jobs (app.wiring); the ticket shows how they went.
    return _done(session, [ticket.id], f"Public reply added and {' and '.join(sent_by)}.", ticket.id)


@bp.post("/tickets/<int:ticket_id>/mail/<int:mail_id>/resend")
@login_required
def resend_mail(ticket_id: int, mail_id: int) -> Response:
    session = database.session()
    ticket = _visible(session, ticket_id)
    message = ticket_mail.resend(session, ticket.id, mail_id) if mail_id <= MAX_ID else None
    if message is None:
        abort(404)
    outbound.mark_for_sending(session, message)
    session.commit()
    flash(f"The e-mail to {', '.join(message.to_addresses)} is being sent again.", "ok")
    return redirect(url_for("ticket_pages.ticket_page", ticket_id=ticket.id) + "#timeline")


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@login_required
def mail_attachment(ticket_id: int, attachment_id: int) -> Response:
    """An e-mail attachment, to people who may see its ticket; always downloaded, never shown
    inline, so a crafted file cannot run in the app's origin."""
    session = database.session()
    ticket = _visible(session, ticket_id)
    found = ticket_mail.attachment(session, ticket.id, attachment_id) if attachment_id <= MAX_ID else None
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = _attachment_disposition(found.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _attachment_disposition(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


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


@bp.post("/tickets/<int:ticket_id>/macro")
@login_required
def apply_macro(ticket_id: int) -> Response | tuple[str, int]:
    """Set the macro's fields (each one on the trail) and open the page with its text in the composer."""
    session = database.session()
    ticket = _visible(session, ticket_id)
    try:
        macro_id = _optional_id("macro", "macro")
        macro = None if macro_id is None else macros.get(session, macro_id)
        if macro is None:
            raise FormError("choose a macro from the list")
        applied = macros.apply(session, _viewer(), ticket, macro)
    except (FormError, macros.MacroError) as exc:
        return _refused(session, ticket_id, "macro", str(exc))
    session.commit()
    if applied.events:
        try:
            tasks.schedule_sla_checks(session, [ticket.id], database.runtime().redis)
        except Exception:  # noqa: BLE001 - the SQL store holds the truth; the SLA sweep catches up
            log.warning("could not queue SLA checks for ticket %s", ticket.id, exc_info=True)
    done = f"Macro “{macro.name}” applied" + (" (nothing to change)" if not applied.events else "")
    if applied.comment:
        done += "; its text is in the composer: read it over and send it"
    flash(done + ".", "ok")
    target = url_for("ticket_pages.ticket_page", ticket_id=ticket.id, macro=macro.id if applied.comment else None)
    return redirect(target + ("#composer" if applied.comment else ""))
