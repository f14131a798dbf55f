"""Customers for staff: search (/customers) and the customer page (/customers/<id>) with its edit form;
for supervisors and admins also merging duplicates, CSV import with its report, and CSV export.

Every signed-in staff member may find and edit customers (screen pops need them, as the REST API
allows); what the page shows of tickets and calls follows `contactcenter.tickets.access`, so an
agent sees only the tickets and calls the API would show them. Merging deletes a record and an
import or export touches every customer, so those are for supervisors and admins (`staff_only`).

A merged customer's old address redirects to the customer it was merged into. An uploaded file is
stored and imported by a background job (`contactcenter.app.tasks.customers`); its page shows the
progress, polling, and then the report.

The edit form posts with the CSRF token and redirects after success (Post/Redirect/Get). A value
the domain refuses re-renders the page with a 400, the message next to the form and what was
typed still in it; nothing of a refused change is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from contactcenter.app.tasks import customers as customer_tasks
from contactcenter.calls import customer_view
from contactcenter.contacts import csv_export, csv_import, merge, search
from contactcenter.contacts.customers import CustomerError, update_customer
from contactcenter.contacts.models import Customer, CustomerImport, CustomerImportRow, CustomerMerge
from contactcenter.contacts.search import SearchError
from contactcenter.tickets.access import Viewer
from web import database
from web.admin import staff_only
from web.audit import audit, origin

bp = Blueprint("customer_pages", __name__)
MAX_ID = 2**31 - 1
# Generous for any real name, address or list of numbers; anything longer is a mistake or an attack.
MAX_FIELD = 1000
MAX_PHONES = 20
# A customer file is larger than a form: this much is read for an upload (50,000 rows are ~5 MB).
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
REPORT_PAGE = 100
RECENT_IMPORTS = 10
FORM_FIELDS = ("name", "email", "company", "time_zone", "segment", "phones")


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


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Raise the body limit for uploads. A URL value preprocessor, not a before_request hook:
    preprocessors run before every before_request function, and the app-wide CSRF check (one of
    those) reads the form, which is refused past the limit in force when it is read."""
    if endpoint == "customer_pages.upload":
        request.max_content_length = MAX_UPLOAD_BYTES


@bp.get("/customers/<int:customer_id>")
@login_required
def customer_page(customer_id: int) -> Response | tuple[str, int]:
    session = database.session()
    if 0 < customer_id <= MAX_ID and session.get(Customer, customer_id) is None:
        survivor = merge.resolve(session, customer_id)
        if survivor is not None:  # merged into another customer: old links lead there
            return redirect(url_for("customer_pages.customer_page", customer_id=survivor))
    return _render(session, customer_id)


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
        "company": customer.company or "",
        "time_zone": customer.time_zone or "",
        "segment": customer.segment,
        "phones": "\n".join(p.e164 for p in view.profile.phones),
    }
    merged = list(
        session.scalars(
            select(CustomerMerge).where(CustomerMerge.survivor_id == customer_id).order_by(CustomerMerge.id.desc())
        )
    )
    return render_template(
        "customers/customer.html",
        view=view,
        customer=customer,
        error=error,
        values=typed,
        max_field=MAX_FIELD,
        merged=merged,
        may_merge=current_user.role in ("admin", "supervisor"),
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
        "company": _field("company", "company") or None,
        "time_zone": _field("time_zone", "time zone") or None,
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
        typed = {k: request.form.get(k, "")[:MAX_FIELD] for k in FORM_FIELDS}
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


# --- merging duplicates ---------------------------------------------------------------------


def _customer_or_404(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id) if 0 < customer_id <= MAX_ID else None
    if customer is None:
        abort(404)
    return customer


@bp.get("/customers/<int:customer_id>/merge")
@login_required
@staff_only
def merge_search(customer_id: int) -> tuple[str, int]:
    """Find the duplicate to fold into this customer (the same search as the customers page)."""
    session = database.session()
    customer = _customer_or_404(session, customer_id)
    query = request.args.get("q", "")
    error, status, found = None, 200, []
    if query.strip():
        try:
            result = search.search(
                session, query, page_size=50, default_region=database.runtime().settings.default_region
            )
            found = [c for c in result.customers if c.id != customer.id]
        except SearchError as exc:
            error, status = str(exc), 400
    if found:  # who saw which customer records, as on the customers page
        audit(
            "customer.view",
            object_type="customer",
            details={"via": "merge search", "query": query, "customer_ids": [c.id for c in found]},
        )
        session.commit()
    return render_template(
        "customers/merge_search.html",
        customer=customer,
        query=query[: search.MAX_QUERY],
        found=found,
        error=error,
        max_query=search.MAX_QUERY,
    ), status


def _preview_page(survivor_id: int, duplicate_id: int, error: str | None = None, status: int = 200) -> tuple[str, int]:
    session = database.session()
    survivor = _customer_or_404(session, survivor_id)
    if not 0 < duplicate_id <= MAX_ID:
        abort(404)
    try:
        shown = merge.preview(session, survivor_id, duplicate_id)
    except merge.MergeError as exc:
        return render_template(
            "customers/merge_preview.html", customer=survivor, preview=None, error=error or str(exc)
        ), (status if error else 400)
    if status == 200:
        audit(
            "customer.view",
            object_type="customer",
            object_id=duplicate_id,
            details={"via": "merge preview", "customer_ids": [survivor_id, duplicate_id]},
        )
        session.commit()
    return render_template("customers/merge_preview.html", customer=survivor, preview=shown, error=error), status


@bp.get("/customers/<int:customer_id>/merge/<int:duplicate_id>")
@login_required
@staff_only
def merge_preview(customer_id: int, duplicate_id: int) -> tuple[str, int]:
    """Both records side by side, what the survivor will hold and what moves; nothing written."""
    return _preview_page(customer_id, duplicate_id)


@bp.post("/customers/<int:customer_id>/merge/<int:duplicate_id>")
@login_required
@staff_only
def merge_confirm(customer_id: int, duplicate_id: int) -> Response | tuple[str, int]:
    session = database.session()
    _customer_or_404(session, customer_id)
    if not 0 < duplicate_id <= MAX_ID:
        abort(404)
    duplicate = session.get(Customer, duplicate_id)
    duplicate_name = duplicate.name if duplicate is not None else ""
    try:
        result = merge.merge(session, customer_id, duplicate_id, origin())
    except merge.MergeError as exc:
        session.rollback()
        return _preview_page(customer_id, duplicate_id, str(exc), 409)
    session.commit()
    moved = sum(result.moved.values())
    flash(f"{duplicate_name} (#{duplicate_id}) was merged into this customer; {moved} records moved.", "ok")
    return redirect(url_for("customer_pages.customer_page", customer_id=customer_id), code=303)


# --- CSV export -----------------------------------------------------------------------------


@bp.get("/customers/export.csv")
@login_required
@staff_only
def export() -> Response | tuple[str, int]:
    """Everyone, or the customers matching the search box (`q`), as CSV."""
    session = database.session()
    try:
        query = search.clean_query(request.args.get("q", ""))
    except SearchError as exc:
        return render_template("customers/import.html", **_import_context(), export_error=str(exc)), 400
    where = search.condition(query, database.runtime().settings.default_region) if query else None
    audit("customer.export", object_type="customer", details={"query": query} if query else {"all": True})
    session.commit()
    name = "customers-search.csv" if query else "customers.csv"
    return Response(
        stream_with_context(csv_export.rows(session, where)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- CSV import -----------------------------------------------------------------------------


def _import_context() -> dict[str, Any]:
    recent = list(
        database.session().scalars(select(CustomerImport).order_by(CustomerImport.id.desc()).limit(RECENT_IMPORTS))
    )
    return {
        "recent": recent,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        "reasons": csv_import.REASONS,
        "errors": {},
        "on_duplicate": "update",
        "export_error": None,
    }


@bp.get("/customers/import")
@login_required
@staff_only
def import_form() -> tuple[str, int]:
    return render_template("customers/import.html", **_import_context()), 200


TOO_LARGE = f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it into smaller files."


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> tuple[str, int] | RequestEntityTooLarge:
    """An upload past the limit is refused while the form is read (by the CSRF check or the view):
    the import form says so next to the file field rather than a bare error page."""
    if request.endpoint != "customer_pages.upload":
        return exc
    context = _import_context()
    context.update(errors={"file": TOO_LARGE})
    return render_template("customers/import.html", **context), 413


@bp.post("/customers/import")
@login_required
@staff_only
def upload() -> Response | tuple[str, int]:
    """Store the file and queue its import; the import's page shows progress, then the report."""
    context = _import_context()
    on_duplicate = request.form.get("on_duplicate", "")
    errors: dict[str, str] = {}
    if on_duplicate not in ("update", "reject"):
        errors["on_duplicate"] = "Choose whether matching rows update the customer or are rejected."
    upload = request.files.get("file")
    data = b""
    too_large = False
    if upload is None or not upload.filename:
        errors["file"] = "Choose a CSV file to upload."
    else:
        data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
        too_large = len(data) > MAX_UPLOAD_BYTES
        if too_large:
            errors["file"] = TOO_LARGE
        elif not data.strip():
            errors["file"] = "The file is empty."
    if errors:
        context.update(errors=errors, on_duplicate=on_duplicate if on_duplicate in ("update", "reject") else "update")
        return render_template("customers/import.html", **context), 413 if too_large else 400
    session = database.session()
    filename = "".join(ch for ch in ((upload.filename if upload else None) or "") if ch.isprintable())[:255]
    record = csv_import.create(
        session, data, filename=filename, on_duplicate=on_duplicate, created_by_id=current_user.id
    )
    audit(
        "customer.import",
        object_type="customer_import",
        object_id=record.id,
        details={"file": filename, "bytes": len(data), "on_duplicate": on_duplicate},
    )
    session.commit()
    customer_tasks.run_customer_import.enqueue(record.id, _connection=database.runtime().redis)  # type: ignore[attr-defined]
    return redirect(url_for("customer_pages.import_page", import_id=record.id), code=303)


def _import_or_404(import_id: int) -> CustomerImport:
    record = database.session().get(CustomerImport, import_id) if 0 < import_id <= MAX_ID else None
    if record is None:
        abort(404)
    return record


@bp.get("/customers/imports/<int:import_id>")
@login_required
@staff_only
def import_page(import_id: int) -> tuple[str, int]:
    """Progress while the job runs; then the report with the rows of one outcome, a page at a time."""
    session = database.session()
    record = _import_or_404(import_id)
    outcome = request.args.get("outcome", "rejected")
    if outcome not in csv_import.OUTCOMES:
        outcome = "rejected"
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and 0 < int(raw_page) <= 100_000 else 1
    rows: list[CustomerImportRow] = []
    total = 0
    if record.status == "done":
        rows = csv_import.rows_of(session, record.id, outcome, limit=REPORT_PAGE, offset=(page - 1) * REPORT_PAGE)
        total = {"accepted": record.rows_accepted, "updated": record.rows_updated, "rejected": record.rows_rejected}[
            outcome
        ]
    progress = customer_tasks.progress(database.runtime().redis, record.id)
    return render_template(
        "customers/import_report.html",
        record=record,
        outcome=outcome,
        rows=rows,
        page=page,
        pages=max(1, -(-total // REPORT_PAGE)),
        progress=progress,
        reasons=csv_import.REASONS,
    ), 200


@bp.get("/customers/imports/<int:import_id>/progress")
@login_required
@staff_only
def import_progress(import_id: int) -> Response:
    record = _import_or_404(import_id)
    body: dict[str, Any] = {"status": record.status}
    if record.status in ("queued", "running"):
        body.update(customer_tasks.progress(database.runtime().redis, record.id))
    return jsonify(body)


@bp.get("/customers/imports/<int:import_id>/rejected.csv")
@login_required
@staff_only
def import_rejections(import_id: int) -> Response:
    record = _import_or_404(import_id)
    body = csv_import.rejections_csv(database.session(), record.id)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="customer-import-{record.id}-rejected.csv"'},
    )
