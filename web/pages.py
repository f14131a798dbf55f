"""Pages for people: call log and health (customers are in web.customer_pages)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select, text
from werkzeug.wrappers import Response

from contactcenter.contacts.models import Interaction
from contactcenter.tickets import access, surveys
from contactcenter.tickets.access import Viewer
from web import database

bp = Blueprint("pages", __name__)
PAGE_SIZE = 50
MAX_ID = 2**31 - 1


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        abort(400, "page must be a whole number from 1")
    return int(raw)


def _viewer() -> Viewer:
    """The signed-in person, seen through the same rules as the REST API (`tickets.access`)."""
    return Viewer(current_user.id, current_user.role)


@bp.get("/")
@login_required
def home() -> str:
    session = database.session()
    page = _page()
    visible = access.interaction_filter(_viewer())
    total = session.scalar(select(func.count(Interaction.id)).where(visible)) or 0
    calls = session.scalars(
        select(Interaction)
        .where(visible)
        .order_by(Interaction.arrived_at.desc(), Interaction.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template("calls.html", calls=calls, total=total, page=page, page_size=PAGE_SIZE)


@bp.get("/calls/<int:interaction_id>")
@login_required
def call_detail(interaction_id: int) -> str:
    """A call the viewer may not see answers 404, as if it did not exist (like the API)."""
    if not 0 < interaction_id <= MAX_ID:
        abort(404)
    call = database.session().scalar(
        select(Interaction).where(Interaction.id == interaction_id, access.interaction_filter(_viewer()))
    )
    if call is None:
        abort(404)
    survey = surveys.existing_for_call(database.session(), call.id)
    return render_template("call_detail.html", call=call, survey=survey)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    runtime = database.runtime()
    checks: dict[str, str] = {}
    try:
        database.session().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not-ready", checks=checks), 200 if ready else 503
