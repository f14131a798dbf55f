"""Orders for admins (/admin/orders): upload an order file and see its report, see the recent
imports and the last recompute, and queue a recompute of every customer's figures.

The upload is checked and stored in the request, whole or not at all
(`contactcenter.analytics.orders`); a file with problems is stored as a rejected import whose
report lists them by line. Larger files than the page takes go through
`contactcenter analytics import-orders`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from contactcenter import clock
from contactcenter.analytics import orders as orders_mod
from contactcenter.analytics.models import ModelRun, OrderImport
from contactcenter.app.tasks.analytics import recompute_customer_models
from web import database
from web.admin_people import admin_only
from web.audit import audit

bp = Blueprint("admin_orders", __name__, url_prefix="/admin")
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
TOO_LARGE = f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it or use the command line."
MAX_ID = 2**31 - 1


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Raise the body limit for the upload before the CSRF check reads the form."""
    if endpoint == "admin_orders.upload":
        request.max_content_length = MAX_UPLOAD_BYTES


def _context(**extra: Any) -> dict[str, Any]:
    session = database.session()
    recent = list(session.scalars(select(OrderImport).order_by(OrderImport.id.desc()).limit(10)))
    runs = list(session.scalars(select(ModelRun).order_by(ModelRun.id.desc()).limit(4)))
    context: dict[str, Any] = {
        "recent": recent,
        "runs": runs,
        "error": None,
        "report": None,
        "reasons": orders_mod.REASONS,
        "currencies": database.runtime().settings.analytics_currencies,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    context.update(extra)
    return context


@bp.get("/orders")
@login_required
@admin_only
def page() -> str:
    return render_template("admin/orders.html", **_context())


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> tuple[str, int] | RequestEntityTooLarge:
    if request.endpoint != "admin_orders.upload":
        return exc
    return render_template("admin/orders.html", **_context(error=TOO_LARGE)), 413


@bp.post("/orders")
@login_required
@admin_only
def upload() -> Response | tuple[str, int]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("admin/orders.html", **_context(error="Choose a CSV file to upload.")), 400
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return render_template("admin/orders.html", **_context(error=TOO_LARGE)), 413
    if not data.strip():
        return render_template("admin/orders.html", **_context(error="The file is empty.")), 400
    filename = "".join(ch for ch in upload.filename if ch.isprintable())[:255]
    session = database.session()
    try:
        report = orders_mod.import_orders(
            session,
            data,
            filename=filename,
            currencies=database.runtime().settings.analytics_currencies,
            now=clock.now(),
            created_by_id=current_user.id,
        )
    except orders_mod.OrderImportError as exc:
        session.rollback()
        return render_template("admin/orders.html", **_context(error=str(exc))), 400
    audit(
        "orders.import",
        object_type="order_import",
        object_id=report.import_id,
        details={"file": filename, "bytes": len(data), "status": report.status, "orders": report.orders_created},
    )
    session.commit()
    return redirect(url_for("admin_orders.import_report", import_id=report.import_id))


@bp.get("/orders/imports/<int:import_id>")
@login_required
@admin_only
def import_report(import_id: int) -> str:
    record = database.session().get(OrderImport, import_id) if 0 < import_id <= MAX_ID else None
    if record is None:
        abort(404)
    return render_template("admin/orders.html", **_context(report=record))


@bp.post("/orders/recompute")
@login_required
@admin_only
def recompute() -> Response:
    job = recompute_customer_models.enqueue(_connection=database.runtime().redis)  # type: ignore[attr-defined]
    audit("analytics.recompute", details={"job": job.id})
    database.session().commit()
    flash("Recompute queued: segments, lifetime value and P(active) are refreshed when a worker has run it.")
    return redirect(url_for("admin_orders.page"))
