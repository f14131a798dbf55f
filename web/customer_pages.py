"""Customers for staff: search (/customers) and the customer page (/customers/<id>) with its edit form.

Every signed-in staff member may find and edit customers (screen pops need them, as the REST API
allows); what the page shows of tickets and calls follows `contactcenter.tickets.access`, so an
agent sees only the tickets and calls the API would show them.

The edit form posts with the CSRF token and redirects after success (Post/Redirect/Get). A value
the domain refuses re-renders the page with a 400, the message next to the form and what was
typed still in it; nothing of a refused change is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from contactcenter.calls import customer_view
from contactcenter.contacts import search
from contactcenter.contacts.customers import CustomerError, update_customer
from contactcenter.contacts.models import Customer
from contactcenter.contacts.search import SearchError
from contactcenter.tickets.access import Viewer
from web import database
from web.audit import audit

bp = Blueprint("customer_pages", __name__)
MAX_ID = 2**31 - 1
# Generous for any real name, address or list of numbers; anything longer is a mistake or an attack.
MAX_FIELD = 1000
MAX_PHONES = 20


class FormError(ValueError):
    """A form value that cannot even be read (the domain checks the rest)."""


def _viewer() -> Viewer:
    return Viewer(current_user.id, current_user.role)


def _page_number(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= search.MAX_PAGE:
        raise SearchError(f"page must be a whole number from 1 to {search.MAX_PAGE:,}")
    return int(raw)


@bp.get("/customers")
@login_required
def customer_list() -> tuple[str, int]:
    session = database.session()
    # `phone` is the older form's parameter; links and bookmarks with it still work.
    query = request.args.get("q", request.args.get("phone", ""))
    error, status = None, 200
    result = search.SearchPage([], 0, 1, search.PAGE_SIZE)
    try:
        result = search.search(
            session,
            query,
            page=_page_number(request.args.get("page", "1")),
            default_region=database.runtime().settings.default_region,
        )
    except SearchError as exc:
        error, status = str(exc), 400
    rows = result.customers
    if rows:  # who saw which customer records, on the audit log
        details: dict[str, object] = {"via": "customers page", "customer_ids": [c.id for c in rows]}
        if query:
            details["query"] = query
        one = rows[0].id if query and len(rows) == 1 else None
        audit("customer.view", object_type="customer", object_id=one, details=details)
        session.commit()
    shown = query if len(query) <= search.MAX_QUERY else query[: search.MAX_QUERY]
    return render_template(
        "customers/list.html", result=result, customers=rows, query=shown, error=error, max_query=search.MAX_QUERY
    ), status


@bp.get("/customers/<int:customer_id>")
@login_required
def customer_page(customer_id: int) -> tuple[str, int]:
    return _render(database.session(), customer_id)


def _render(
    session: Session,
    customer_id: int,
    error: str | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    view = customer_view.build(session, customer_id, _viewer()) if 0 < customer_id <= MAX_ID else None
    if view is None:
        abort(404)
    if status == 200:
        audit("customer.view", object_type="customer", object_id=customer_id, details={"via": "customer page"})
        session.commit()
    customer = view.customer
    typed = values or {
        "name": customer.name,
        "email": customer.email or "",
        "segment": customer.segment,
        "phones": "\n".join(p.e164 for p in view.profile.phones),
    }
    return render_template(
        "customers/customer.html", view=view, customer=customer, error=error, values=typed, max_field=MAX_FIELD
    ), status


def _field(name: str, label: str) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD:
        raise FormError(f"{label}: at most {MAX_FIELD:,} characters; this one has {len(value):,}")
    if "\x00" in value:
        raise FormError(f"{label} contains a character that cannot be stored (NUL)")
    return value.strip()


def _changes() -> dict[str, Any]:
    """The form as `update_customer` takes it: one number per line (or comma), empty e-mail as none."""
    numbers = [n.strip() for n in _field("phones", "phone numbers").replace(",", "\n").splitlines() if n.strip()]
    if len(numbers) > MAX_PHONES:
        raise FormError(f"a customer has at most {MAX_PHONES} phone numbers")
    return {
        "name": _field("name", "name"),
        "email": _field("email", "e-mail") or None,
        "segment": _field("segment", "segment"),
        "phones": numbers,
    }


@bp.post("/customers/<int:customer_id>")
@login_required
def update(customer_id: int) -> Response | tuple[str, int]:
    session = database.session()
    customer = session.get(Customer, customer_id) if 0 < customer_id <= MAX_ID else None
    if customer is None:
        abort(404)
    try:
        changes = _changes()
        update_customer(session, customer, changes, database.runtime().settings.default_region)
    except (FormError, CustomerError) as exc:
        session.rollback()  # update_customer may have set some fields before refusing another
        typed = {k: request.form.get(k, "")[:MAX_FIELD] for k in ("name", "email", "segment", "phones")}
        return _render(session, customer_id, str(exc), typed, 400)
    audit(
        "customer.update",
        object_type="customer",
        object_id=customer.id,
        details={"via": "customer page", "fields": sorted(changes)},
    )
    session.commit()
    flash("Customer saved.", "ok")
    return redirect(url_for("customer_pages.customer_page", customer_id=customer.id))
