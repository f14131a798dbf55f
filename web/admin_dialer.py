"""Dialer administration: the campaigns with start / pause / stop, and lead uploads from CSV.

An upload runs the same import as `contactcenter leads import` and shows its validation report:
every row is imported or rejected with its reason (bad numbers, duplicates, do-not-call hits,
outside the calling regions, ...), and the rejected rows can be downloaded. Admins and
supervisors only; forms carry the CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from contactcenter.dialer import leads_import
from contactcenter.dialer.campaigns import CampaignError, pause_campaign, start_campaign, stop_campaign
from contactcenter.dialer.models import Campaign, Lead, LeadImport
from web import database
from web.admin import staff_only
from web.audit import audit

bp = Blueprint("admin_dialer", __name__, url_prefix="/admin/dialer")
# Lead files are larger than forms: this much is read for an upload (the app's limit elsewhere).
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
RECENT_IMPORTS = 10
ACTIONS = {"start": start_campaign, "pause": pause_campaign, "stop": stop_campaign}


@bp.before_request
def _upload_limit() -> None:
    if request.endpoint == "admin_dialer.upload":
        request.max_content_length = MAX_UPLOAD_BYTES


def _campaign(campaign_id: int) -> Campaign:
    campaign = database.session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _lead_counts() -> dict[int, dict[str, int]]:
    rows = database.session().execute(
        select(Lead.campaign_id, Lead.status, func.count()).group_by(Lead.campaign_id, Lead.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for campaign_id, status, n in rows:
        counts.setdefault(campaign_id, {})[status] = n
    return counts


@bp.get("")
@login_required
@staff_only
def campaigns() -> str:
    rows = list(database.session().scalars(select(Campaign).order_by(Campaign.id)))
    imports = list(database.session().scalars(select(LeadImport).order_by(LeadImport.id.desc()).limit(RECENT_IMPORTS)))
    return render_template(
        "admin/dialer_campaigns.html",
        campaigns=rows,
        counts=_lead_counts(),
        imports=imports,
        names={c.id: c.name for c in rows},
        max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@bp.post("/<int:campaign_id>/<any(start, pause, stop):action>")
@login_required
@staff_only
def lifecycle(campaign_id: int, action: str) -> Response | tuple[str, int]:
    campaign = _campaign(campaign_id)
    try:
        ACTIONS[action](database.session(), campaign)
    except CampaignError as exc:
        database.session().rollback()
        flash(f"{campaign.name}: {exc}", "error")
        return redirect(url_for("admin_dialer.campaigns"), code=303)
    audit(f"campaign.{action}", object_type="campaign", object_id=campaign.id, details={"name": campaign.name})
    database.session().commit()
    flash(f"{campaign.name} is {campaign.status}.", "info")
    return redirect(url_for("admin_dialer.campaigns"), code=303)


def _report_page(campaign: Campaign, report: dict[str, Any] | None, error: str | None, status: int) -> tuple[str, int]:
    return render_template(
        "admin/dialer_import.html", campaign=campaign, report=report, error=error, reasons=leads_import.REASONS
    ), status


@bp.post("/<int:campaign_id>/leads")
@login_required
@staff_only
def upload(campaign_id: int) -> tuple[str, int]:
    campaign = _campaign(campaign_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _report_page(campaign, None, "Choose a CSV file to upload.", 400)
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _report_page(campaign, None, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", 413)
    session = database.session()
    try:
        report = leads_import.import_bytes(session, campaign, data, filename=upload.filename[:255], source="web")
    except leads_import.LeadImportError as exc:
        audit(
            "campaign.leads_import",
            object_type="campaign",
            object_id=campaign.id,
            details={"file": upload.filename, "refused": str(exc)},
        )
        session.commit()  # the failed import is recorded too
        return _report_page(campaign, None, f"The file cannot be imported: {exc}", 400)
    audit("campaign.leads_import", object_type="campaign", object_id=campaign.id, details={"file": upload.filename})
    session.commit()
    return _report_page(campaign, report.as_dict(), None, 200)


@bp.get("/imports/<int:import_id>/rejections.csv")
@login_required
@staff_only
def rejections(import_id: int) -> Response:
    record = database.session().get(LeadImport, import_id)
    if record is None:
        abort(404)
    body = leads_import.rejections_csv(database.session(), import_id)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-rejected.csv"'},
    )
