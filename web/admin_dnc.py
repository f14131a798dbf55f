"""Do-not-call lists: the internal list (every campaign), national registers imported into it
(a TPS or DNC registry file), and each campaign's own list.

Supervisors and admins add or remove one number, check a number, and import a CSV file with a
report (imported, already listed, duplicates in the file, rejected lines and why). A national
register is imported into the internal list with the source "national", so it blocks every
campaign and its entries stay told apart from the company's own. The work is the domain's
(`contactcenter.dialer.dnc`, `dnc_import`), the same the CLI and the API use.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from contactcenter.dialer import dnc, dnc_import
from contactcenter.dialer.models import Campaign, DncEntry
from contactcenter.phones import InvalidPhoneNumber, normalize
from web import database
from web.admin import staff_only
from web.audit import audit

bp = Blueprint("admin_dnc", __name__, url_prefix="/admin/dnc")
ENTRIES_PER_PAGE = 50
MAX_PHONE_CHARS = 40
MAX_REASON_CHARS = 255
MAX_UPLOAD_BYTES = dnc_import.MAX_FILE_BYTES


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Raise the body limit for uploads. A URL value preprocessor, not a before_request hook: it runs
    before the app-wide CSRF check, which reads the form and would refuse it past the form limit."""
    if endpoint == "admin_dnc.import_file":
        request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024


def _scope(raw: str | None) -> tuple[Campaign | None, bool]:
    """The list a form or link names: "internal" (or empty) or a campaign id; (campaign, known)."""
    if not raw or raw == "internal":
        return None, True
    if not raw.isdigit() or len(raw) > 10:
        return None, False
    campaign = database.session().get(Campaign, int(raw))
    return campaign, campaign is not None


def _region(campaign: Campaign | None) -> str:
    return campaign.default_region if campaign else database.runtime().settings.default_region


def _page(
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    report: dict[str, Any] | None = None,
    check: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    session = database.session()
    campaigns = list(session.scalars(select(Campaign).order_by(Campaign.name)))
    shown, known = _scope(request.args.get("list"))
    if not known:
        abort(404)
    counts: dict[tuple[int | None, str], int] = {}
    for campaign_id, source, n in session.execute(
        select(DncEntry.campaign_id, DncEntry.source, func.count()).group_by(DncEntry.campaign_id, DncEntry.source)
    ):
        counts[(campaign_id, source)] = n
    source = request.args.get("source", "")
    query = select(DncEntry).where(
        DncEntry.campaign_id.is_(None) if shown is None else DncEntry.campaign_id == shown.id
    )
    if source in dnc_import.SOURCES:
        query = query.where(DncEntry.source == source)
    search = (request.args.get("q") or "")[:MAX_PHONE_CHARS]
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        query = query.where(DncEntry.phone.contains(digits)) if digits else query.where(DncEntry.id < 0)
    page_no = request.args.get("page", "1")
    page = int(page_no) if page_no.isdigit() and 0 < int(page_no) < 100_000 else 1
    entries = list(
        session.scalars(
            query.order_by(DncEntry.id.desc()).offset((page - 1) * ENTRIES_PER_PAGE).limit(ENTRIES_PER_PAGE + 1)
        )
    )
    return render_template(
        "admin/dnc.html",
        campaigns=campaigns,
        shown=shown,
        counts=counts,
        sources=dnc_import.SOURCES,
        source=source,
        search=search,
        entries=entries[:ENTRIES_PER_PAGE],
        more=len(entries) > ENTRIES_PER_PAGE,
        page=page,
        errors=errors or {},
        form=form or {},
        report=report,
        check=check,
        max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        max_reason=MAX_REASON_CHARS,
    ), status


@bp.get("")
@login_required
@staff_only
def lists() -> tuple[str, int]:
    return _page()


def _read_number(form: dict[str, str], errors: dict[str, str], region: str) -> str | None:
    raw = form.get("phone", "").strip()
    if not raw:
        errors["phone"] = "enter a phone number"
        return None
    if len(raw) > MAX_PHONE_CHARS:
        errors["phone"] = f"at most {MAX_PHONE_CHARS} characters"
        return None
    try:
        return normalize(raw, region)
    except InvalidPhoneNumber as exc:
        errors["phone"] = f"not a phone number: {exc}"
        return None


@bp.post("/add")
@login_required
@staff_only
def add() -> Response | tuple[str, int]:
    form = {k: request.form.get(k, "") for k in ("phone", "list", "reason")}
    errors: dict[str, str] = {}
    campaign, known = _scope(form["list"])
    if not known:
        errors["list"] = "choose one of the lists"
    if len(form["reason"]) > MAX_REASON_CHARS:
        errors["reason"] = f"at most {MAX_REASON_CHARS} characters"
    e164 = _read_number(form, errors, _region(campaign))
    if errors or e164 is None:
        return _page(errors=errors, form=form, status=400)
    session = database.session()
    entry = dnc.add(
        session,
        e164,
        campaign_id=campaign.id if campaign else None,
        source="manual",
        reason=form["reason"].strip(),
        added_by_id=current_user.id,
    )
    audit("dnc.add", object_type="dnc_entry", object_id=entry.id, details={"list": form["list"] or "internal"})
    session.commit()
    flash(f"{e164} is on {campaign.name + chr(39) + 's list' if campaign else 'the internal list'}.", "info")
    return redirect(url_for("admin_dnc.lists", list=campaign.id if campaign else None), code=303)


@bp.post("/entries/<int:entry_id>/remove")
@login_required
@staff_only
def remove(entry_id: int) -> Response:
    session = database.session()
    entry = session.get(DncEntry, entry_id)
    if entry is None:
        abort(404)
    phone, campaign_id = entry.phone, entry.campaign_id
    session.delete(entry)
    audit("dnc.remove", object_type="dnc_entry", object_id=entry_id, details={"campaign_id": campaign_id})
    session.commit()
    flash(f"{phone} is off the list.", "info")
    return redirect(url_for("admin_dnc.lists", list=campaign_id), code=303)


@bp.post("/check")
@login_required
@staff_only
def check() -> tuple[str, int]:
    form = {k: request.form.get(k, "") for k in ("phone", "list")}
    errors: dict[str, str] = {}
    campaign, known = _scope(form["list"])
    if not known:
        errors["list"] = "choose one of the lists"
    e164 = _read_number(form, errors, _region(campaign))
    if errors or e164 is None:
        return _page(errors={f"check_{k}": v for k, v in errors.items()}, form=form, status=400)
    hit = dnc.check(database.session(), e164, campaign.id if campaign else None)
    result = {"phone": e164, "campaign": campaign.name if campaign else None, "hit": hit}
    return _page(check=result)


@bp.post("/import")
@login_required
@staff_only
def import_file() -> tuple[str, int]:
    form = {k: request.form.get(k, "") for k in ("list", "kind", "reason")}
    errors: dict[str, str] = {}
    campaign, known = _scope(form["list"])
    if not known:
        errors["import_list"] = "choose one of the lists"
    national = form["kind"] == "national"
    if national and campaign is not None:
        errors["import_list"] = "a national register goes on the internal list (it applies to every campaign)"
    if len(form["reason"]) > MAX_REASON_CHARS:
        errors["import_reason"] = f"at most {MAX_REASON_CHARS} characters"
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = "choose a CSV file"
    if errors:
        return _page(errors=errors, form=form, status=400)
    assert upload is not None
    filename = upload.filename or ""
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _page(errors={"file": f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"}, status=413)
    session = database.session()
    reason = form["reason"].strip() or ("national register" if national else "CSV import")
    try:
        report = dnc_import.import_text(
            session,
            dnc_import.decode(data, filename[:100]),
            campaign_id=campaign.id if campaign else None,
            source="national" if national else "import",
            reason=reason,
            default_region=_region(campaign),
        )
    except dnc_import.DncFileError as exc:
        session.rollback()
        return _page(errors={"file": exc.message}, form=form, status=400)
    details = {
        "file": filename[:255],
        "national": national,
        **{k: v for k, v in report.as_dict().items() if k != "rejected"},
    }
    audit(
        "dnc.import",
        object_type="campaign" if campaign else "dnc_list",
        object_id=campaign.id if campaign else None,
        details=details,
    )
    session.commit()
    shown = report.as_dict()
    shown["file"] = filename[:255]
    shown["list"] = (
        campaign.name if campaign else ("the internal list (national register)" if national else "the internal list")
    )
    return _page(report=shown)
