"""The audit log page: admins search who signed in (or failed to), what admins changed and who
viewed which customer. Read-only; filters by who, action, object and date range, newest first,
one page at a time. Every filter is checked here (length, format) and the query is built by
`contactcenter.audit.services` with bound parameters only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_login import login_required

from contactcenter.audit.services import AuditError, AuditFilter, AuditPage, actions, search
from web import database
from web.admin_people import admin_only

bp = Blueprint("admin_audit", __name__, url_prefix="/admin")
MAX_FILTER = 64
MAX_PAGE = 100_000
FILTERS = ("actor", "action", "object_type", "object_id", "since", "until", "page")


class FilterError(ValueError):
    """A search value that cannot be used; shown above the form with a 400."""


def _text(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > MAX_FILTER:
        raise FilterError(f"{name.replace('_', ' ')}: at most {MAX_FILTER} characters")
    return value or None


def _day(name: str) -> date | None:
    value = _text(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name}: a date as YYYY-MM-DD") from None


def _page() -> int:
    raw = request.args.get("page", "1").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise FilterError("page must be a whole number from 1")
    return int(raw)


def _filters() -> AuditFilter:
    since, until = _day("since"), _day("until")
    return AuditFilter(
        actor=_text("actor"),
        action=_text("action"),
        object_type=_text("object_type"),
        object_id=_text("object_id"),
        since=datetime.combine(since, time(), UTC) if since else None,
        # the end date is included: everything before the next midnight (UTC)
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
    )


@bp.get("/audit")
@login_required
@admin_only
def audit_log() -> tuple[str, int]:
    session = database.session()
    error, status = None, 200
    try:
        result = search(session, _filters(), _page())
    except (FilterError, AuditError) as exc:
        error, status = str(exc), 400
        result = AuditPage([], 0, 1, 1)
    args = {k: v for k, v in request.args.items() if k in FILTERS and k != "page" and len(v) <= MAX_FILTER}
    return render_template(
        "admin/audit.html", result=result, error=error, args=args, known_actions=actions(session)
    ), status
