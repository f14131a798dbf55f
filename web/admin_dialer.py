"""Dialer administration: campaigns (create, edit, clone, start / pause / stop), their leads with
every refusal to dial, and lead uploads from CSV.

The campaign form is parsed here and checked by the domain (`contactcenter.dialer.campaigns`): the
rule set's limits (calling hours, abandonment cap, ring time, safe-harbor wording) are enforced
there once, for the pages, the CLI and the API alike; a refusal names its field and is shown
next to it, and nothing is written. Stopping is final, so it asks for confirmation first.
An upload runs the same import as `contactcenter leads import` and shows its validation report.
Admins and supervisors only; forms carry the CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.dialer import campaigns as domain, lead_history, leads_import, segment_campaign
from contactcenter.dialer.campaigns import CampaignError, pause_campaign, start_campaign, stop_campaign
from contactcenter.dialer.models import ALL_DAYS, DEFAULT_RETRY_DELAYS, Campaign, DialMode, Lead, LeadImport, LeadStatus
from web import database
from web.admin import staff_only
from web.audit import audit

bp = Blueprint("admin_dialer", __name__, url_prefix="/admin/dialer")
# Lead files are larger than forms: this much is read for an upload (the app's limit elsewhere).
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
RECENT_IMPORTS = 10
LEADS_PER_PAGE = 50
ACTIONS = {"start": start_campaign, "pause": pause_campaign, "stop": stop_campaign}
# The longest text each form field takes; longer input is refused with the field's message.
MAX_LENGTHS = {
    "name": 120,
    "description": 2000,
    "caller_id": 40,
    "company_name": 120,
    "callback_number": 40,
    "time_zone": 64,
    "safe_harbor_message": 1000,
    "amd_message": 1000,
    "script": 20000,
    "dispositions": 4000,
    "allowed_regions": 400,
    "holidays": 2000,
}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\d{1,9}(\.\d{1,4})?$")
RETRY_LABELS = {
    "busy": "Busy",
    "no-answer": "No answer",
    "machine": "Answering machine",
    "failed": "Failed",
    "canceled": "Canceled",
    "abandoned": "Abandoned",
}


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Raise the body limit for uploads. A URL value preprocessor, not a before_request hook: it runs
    before the app-wide CSRF check, which reads the form and would refuse it past the form limit."""
    if endpoint == "admin_dialer.upload":
        request.max_content_length = MAX_UPLOAD_BYTES


def _campaign(campaign_id: int) -> Campaign:
    campaign = database.session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _lead_counts(campaign_id: int | None = None) -> dict[int, dict[str, int]]:
    query = select(Lead.campaign_id, Lead.status, func.count()).group_by(Lead.campaign_id, Lead.status)
    if campaign_id is not None:
        query = query.where(Lead.campaign_id == campaign_id)
    counts: dict[int, dict[str, int]] = {}
    for cid, status, n in database.session().execute(query):
        counts.setdefault(cid, {})[status] = n
    return counts


# ---------------------------------------------------------------- the form


def _number(form: Mapping[str, str], key: str, errors: dict[str, str], what: str) -> float | None:
    raw = (form.get(key) or "").strip()
    if not raw:
        errors[key] = f"{what} is required"
        return None
    if not _NUMBER.match(raw):
        errors[key] = f"{what} must be a number"
        return None
    return float(raw)


def _dispositions(text: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    try:
        return domain.parse_dispositions(text)
    except CampaignError as exc:
        errors["dispositions"] = exc.message
        return []


dispositions_text = domain.dispositions_text


def parse_form(form: MultiDict[str, str], queue_ids: set[int]) -> dict[str, Any]:
    """The campaign settings a submitted form asks for; FormErrors names each field that cannot be read.

    Only the form's shape is checked here (numbers are numbers, times are HH:MM, lengths);
    whether the values are allowed is the domain's call.
    """
    errors: dict[str, str] = {}
    for key, limit in MAX_LENGTHS.items():
        if len(form.get(key) or "") > limit:
            errors[key] = f"at most {limit} characters"
    text = {key: (form.get(key) or "").strip() for key in MAX_LENGTHS if key not in errors}
    settings: dict[str, Any] = {
        "name": text.get("name", ""),
        "description": text.get("description", ""),
        "caller_id": text.get("caller_id", ""),
        "company_name": text.get("company_name", ""),
        "callback_number": text.get("callback_number", ""),
        "time_zone": text.get("time_zone", "") or "UTC",
        "safe_harbor_message": text.get("safe_harbor_message") or None,
        "amd_message": text.get("amd_message") or None,
        "script": form.get("script", "") if "script" not in errors else "",
    }
    for key in ("name", "caller_id", "company_name", "callback_number"):
        if key not in errors and not settings[key]:
            errors[key] = "required"
    mode = form.get("dial_mode", "")
    if mode not in {m.value for m in DialMode}:
        errors["dial_mode"] = "choose preview, progressive or predictive"
    settings["dial_mode"] = mode
    rules = form.get("rule_set", "")
    if rules not in ("US", "UK"):
        errors["rule_set"] = "choose US or UK rules"
    settings["rule_set"] = rules
    settings["default_region"] = "GB" if rules == "UK" else "US"
    queue = (form.get("queue_id") or "").strip()
    if queue and (not queue.isdigit() or int(queue) not in queue_ids):
        errors["queue_id"] = "choose one of the queues"
    settings["queue_id"] = int(queue) if queue and queue.isdigit() else None
    cap = _number(form, "abandon_cap", errors, "the abandonment cap")
    if cap is not None:
        settings["abandon_cap"] = cap / 100
    for key, what, cast in (
        ("ring_timeout_s", "the ring time", int),
        ("max_attempts", "max attempts", int),
        ("max_dial_ratio", "the max dial ratio", float),
    ):
        value = _number(form, key, errors, what)
        if value is not None:
            if cast is int and value != int(value):
                errors[key] = f"{what} must be a whole number"
            else:
                settings[key] = cast(value)
    lead_order = form.get("lead_order", "fifo")
    settings["lead_order"] = lead_order
    settings["order_by_value"] = "1" in form.getlist("order_by_value")
    if (form.get("default_lead_value") or "").strip():
        value = _number(form, "default_lead_value", errors, "the value of a lead with no customer score")
        if value is not None:
            settings["default_lead_value"] = value
    settings["amd_enabled"] = "1" in form.getlist("amd_enabled")
    settings["amd_action"] = form.get("amd_action", "hangup")
    # Calling hours: local time of the called party, the days, and holidays.
    window: dict[str, Any] = {}
    for key in ("window_start", "window_end"):
        hhmm = (form.get(key) or "").strip()
        if not _TIME.match(hhmm):
            errors[key] = "a time as HH:MM"
        window[key.removeprefix("window_")] = hhmm
    days = [d for d in form.getlist("days") if d in ALL_DAYS]
    if not days:
        errors["days"] = "choose at least one day"
    window["days"] = days
    holidays = [h.strip() for h in re.split(r"[,\s]+", text.get("holidays", "")) if h.strip()]
    if any(not _DATE.match(h) for h in holidays):
        errors["holidays"] = "dates as YYYY-MM-DD, separated by commas"
    if holidays:
        window["holidays"] = holidays
    settings["calling_window"] = window
    regions = [r.strip().upper() for r in re.split(r"[,\s]+", text.get("allowed_regions", "")) if r.strip()]
    settings["allowed_regions"] = regions
    delays: dict[str, int] = {}
    for outcome in DEFAULT_RETRY_DELAYS:
        key = f"retry_{outcome}"
        value = _number(form, key, errors, "the retry spacing")
        if value is not None:
            delays[outcome] = int(value * 60)
    settings["retry_delays"] = delays
    if "dispositions" not in errors:
        settings["dispositions"] = _dispositions(text.get("dispositions", ""), errors)
        if not settings["dispositions"] and "dispositions" not in errors:
            errors["dispositions"] = "list at least one disposition, one of them 'dnc'"
    if errors:
        raise FormErrors(errors)
    return settings


def _agent_ids(form: MultiDict[str, str], known: set[int]) -> list[int]:
    return sorted({int(v) for v in form.getlist("agents") if v.isdigit() and int(v) in known})


def _form_page(
    campaign: Campaign | None, form: Mapping[str, Any] | None, errors: Mapping[str, str], status: int, mode: str
) -> tuple[str, int]:
    session = database.session()
    queues = list(session.scalars(select(Queue).order_by(Queue.name)))
    agents = list(
        session.scalars(select(User).where(User.active.is_(True), User.role == "agent").order_by(User.username))
    )
    return render_template(
        "admin/dialer_form.html",
        campaign=campaign,
        form=form,
        errors=errors,
        mode=mode,
        queues=queues,
        agents=agents,
        days=ALL_DAYS,
        retry_labels=RETRY_LABELS,
        modes=[m.value for m in DialMode],
        max_lengths=MAX_LENGTHS,
        dispositions_text=dispositions_text,
        segment_names=segment_campaign.known_segments(session) if mode == "segment" else [],
    ), status


def _values_of(campaign: Campaign) -> dict[str, Any]:
    """The form's fields for a campaign (editing, or a clone's starting point)."""
    window = campaign.calling_window or {}
    rules = domain.rules_of(campaign)
    values: dict[str, Any] = {
        "name": campaign.name,
        "description": campaign.description or "",
        "dial_mode": campaign.dial_mode,
        "rule_set": campaign.rule_set,
        "queue_id": str(campaign.queue_id or ""),
        "caller_id": campaign.caller_id,
        "company_name": campaign.company_name,
        "callback_number": campaign.callback_number,
        "time_zone": campaign.time_zone,
        "abandon_cap": f"{float(campaign.abandon_cap) * 100:g}",
        "ring_timeout_s": str(campaign.ring_timeout_s),
        "max_attempts": str(campaign.max_attempts),
        "max_dial_ratio": f"{float(campaign.max_dial_ratio):g}",
        "lead_order": campaign.lead_order,
        "order_by_value": ["1"] if campaign.order_by_value else [],
        "default_lead_value": f"{float(campaign.default_lead_value):g}",
        "amd_enabled": ["1"] if campaign.amd_enabled else [],
        "amd_action": campaign.amd_action,
        "amd_message": campaign.amd_message or "",
        "safe_harbor_message": campaign.safe_harbor_message or "",
        "script": campaign.script or "",
        "dispositions": dispositions_text(campaign.dispositions or []),
        "window_start": window.get("start") or f"{rules.window_start:%H:%M}",
        "window_end": window.get("end") or f"{rules.window_end:%H:%M}",
        "days": list(window.get("days") or ALL_DAYS),
        "holidays": ", ".join(window.get("holidays") or []),
        "allowed_regions": ", ".join(campaign.allowed_regions or []),
        "agents": [str(a.user_id) for a in campaign.agents],
    }
    delays = {**DEFAULT_RETRY_DELAYS, **(campaign.retry_delays or {})}
    for outcome, seconds in delays.items():
        values[f"retry_{outcome}"] = f"{float(seconds) / 60:g}"
    return values


class _Values(dict[str, Any]):
    """Form values that answer `getlist` like the submitted form does (for the template)."""

    def getlist(self, key: str) -> list[str]:
        value = self.get(key, [])
        return list(value) if isinstance(value, list) else [value]


def _submitted() -> _Values:
    values = _Values({key: request.form.get(key, "") for key in request.form})
    for key in ("days", "agents", "amd_enabled", "order_by_value"):
        values[key] = request.form.getlist(key)
    return values


def _defaults() -> _Values:
    values = _Values(
        {
            "dial_mode": "progressive",
            "rule_set": "US",
            "time_zone": "America/New_York",
            "abandon_cap": "3",
            "ring_timeout_s": "25",
            "max_attempts": "3",
            "max_dial_ratio": "3",
            "lead_order": "fifo",
            "default_lead_value": "0",
            "amd_enabled": ["1"],
            "amd_action": "hangup",
            "window_start": "09:00",
            "window_end": "20:00",
            "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
            "dispositions": dispositions_text(
                [
                    {"code": "sale", "label": "Sale", "final": True},
                    {"code": "no_sale", "label": "No sale", "final": True},
                    {"code": "callback", "label": "Call back later", "final": False, "retry_after_s": 3600},
                    {"code": "wrong_number", "label": "Wrong number", "final": True},
                    {"code": "do_not_call", "label": "Do not call", "final": True, "dnc": True},
                ]
            ),
        }
    )
    for outcome, seconds in DEFAULT_RETRY_DELAYS.items():
        values[f"retry_{outcome}"] = f"{seconds / 60:g}"
    return values


def _save(campaign: Campaign | None, mode: str) -> Response | tuple[str, int]:
    """Create (campaign None) or change a campaign from the submitted form; nothing is written on error."""
    session = database.session()
    queue_ids = set(session.scalars(select(Queue.id)))
    agent_ids = set(session.scalars(select(User.id)))
    try:
        settings = parse_form(request.form, queue_ids)
    except FormErrors as exc:
        return _form_page(campaign, _submitted(), exc.errors, 400, mode)
    try:
        if campaign is None:
            saved = domain.create_campaign(session, **settings)
            action = "campaign.create" if mode == "new" else "campaign.clone"
        else:
            saved = domain.update_campaign(session, campaign, **settings)
            action = "campaign.update"
        domain.set_agents(session, saved, _agent_ids(request.form, agent_ids))
    except CampaignError as exc:
        session.rollback()
        return _form_page(campaign, _submitted(), {exc.field or "form": exc.message}, 400, mode)
    audit(action, object_type="campaign", object_id=saved.id, details={"name": saved.name})
    session.commit()
    flash(f"{saved.name} is saved.", "info")
    return redirect(url_for("admin_dialer.campaign", campaign_id=saved.id), code=303)


# ---------------------------------------------------------------- pages


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


@bp.get("/new")
@login_required
@staff_only
def new() -> tuple[str, int]:
    return _form_page(None, _defaults(), {}, 200, "new")


@bp.post("/new")
@login_required
@staff_only
def create() -> Response | tuple[str, int]:
    return _save(None, "new")


@bp.get("/from-segment")
@login_required
@staff_only
def from_segment() -> tuple[str, int]:
    values = _defaults()
    values["segment"] = (request.args.get("segment") or "")[: segment_campaign.MAX_SEGMENT_CHARS]
    values["order_by_value"] = ["1"]
    return _form_page(None, values, {}, 200, "segment")


@bp.post("/from-segment")
@login_required
@staff_only
def create_from_segment() -> Response | tuple[str, int]:
    """A retention campaign whose leads are a segment's customers; the skips are reported."""
    session = database.session()
    queue_ids = set(session.scalars(select(Queue.id)))
    agent_ids = set(session.scalars(select(User.id)))
    errors: dict[str, str] = {}
    try:
        settings = parse_form(request.form, queue_ids)
    except FormErrors as exc:
        errors, settings = exc.errors, {}
    segment, min_tier = request.form.get("segment", ""), request.form.get("min_tier", "")
    try:
        segment_campaign.check_choice(session, segment, min_tier)
    except CampaignError as exc:
        errors[exc.field or "segment"] = exc.message
    if errors:
        return _form_page(None, _submitted(), errors, 400, "segment")
    try:
        report = segment_campaign.create_from_segment(session, segment=segment, min_tier=min_tier, settings=settings)
        domain.set_agents(session, report.campaign, _agent_ids(request.form, agent_ids))
    except CampaignError as exc:
        session.rollback()
        return _form_page(None, _submitted(), {exc.field or "form": exc.message}, 400, "segment")
    audit("campaign.create", object_type="campaign", object_id=report.campaign.id, details=report.as_dict())
    session.commit()
    flash(" ".join(line.strip() + "." for line in report.summary_lines()), "info")
    return redirect(url_for("admin_dialer.campaign", campaign_id=report.campaign.id), code=303)


@bp.get("/<int:campaign_id>/edit")
@login_required
@staff_only
def edit(campaign_id: int) -> tuple[str, int]:
    campaign = _campaign(campaign_id)
    return _form_page(campaign, _Values(_values_of(campaign)), {}, 200, "edit")


@bp.post("/<int:campaign_id>/edit")
@login_required
@staff_only
def update(campaign_id: int) -> Response | tuple[str, int]:
    return _save(_campaign(campaign_id), "edit")


@bp.get("/<int:campaign_id>/clone")
@login_required
@staff_only
def clone(campaign_id: int) -> tuple[str, int]:
    source = _campaign(campaign_id)
    values = _Values(_values_of(source))
    values["name"] = f"Copy of {source.name}"[: MAX_LENGTHS["name"]]
    return _form_page(None, values, {}, 200, "clone")


@bp.post("/<int:campaign_id>/clone")
@login_required
@staff_only
def create_clone(campaign_id: int) -> Response | tuple[str, int]:
    _campaign(campaign_id)
    return _save(None, "clone")


@bp.get("/<int:campaign_id>")
@login_required
@staff_only
def campaign(campaign_id: int) -> str:
    record = _campaign(campaign_id)
    session = database.session()
    status = request.args.get("status", "")
    query = select(Lead).where(Lead.campaign_id == record.id)
    if status in {s.value for s in LeadStatus}:
        query = query.where(Lead.status == status)
    page_no = request.args.get("page", "1")
    page = int(page_no) if page_no.isdigit() and 0 < int(page_no) < 100_000 else 1
    leads = list(session.scalars(query.order_by(Lead.id).offset((page - 1) * LEADS_PER_PAGE).limit(LEADS_PER_PAGE + 1)))
    queue = session.get(Queue, record.queue_id) if record.queue_id else None
    return render_template(
        "admin/dialer_campaign.html",
        campaign=record,
        queue=queue,
        totals=lead_history.campaign_totals(session, record.id),
        counts=_lead_counts(record.id).get(record.id, {}),
        leads=leads[:LEADS_PER_PAGE],
        more=len(leads) > LEADS_PER_PAGE,
        page=page,
        status=status,
        statuses=[s.value for s in LeadStatus],
        refusals=lead_history.refusal_counts(session, record.id),
        dispositions_text=dispositions_text(record.dispositions or []),
        max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@bp.get("/<int:campaign_id>/stats.json")
@login_required
@staff_only
def stats(campaign_id: int) -> Response:
    """The campaign page's figures, which it asks for every few seconds while it is open."""
    record = _campaign(campaign_id)
    session = database.session()
    return jsonify(
        status=record.status,
        totals=lead_history.campaign_totals(session, record.id),
        leads=_lead_counts(record.id).get(record.id, {}),
    )


@bp.get("/leads/<int:lead_id>")
@login_required
@staff_only
def lead(lead_id: int) -> str:
    session = database.session()
    record = session.get(Lead, lead_id)
    if record is None:
        abort(404)
    return render_template(
        "admin/dialer_lead.html",
        lead=record,
        campaign=session.get(Campaign, record.campaign_id),
        refusals=lead_history.refusals(session, record),
        attempts=lead_history.attempts(session, record),
    )


@bp.get("/<int:campaign_id>/stop")
@login_required
@staff_only
def confirm_stop(campaign_id: int) -> str:
    return render_template("admin/dialer_stop.html", campaign=_campaign(campaign_id))


@bp.post("/<int:campaign_id>/<any(start, pause, stop):action>")
@login_required
@staff_only
def lifecycle(campaign_id: int, action: str) -> Response | tuple[str, int] | str:
    campaign = _campaign(campaign_id)
    back = request.form.get("back") == "campaign"
    target = url_for("admin_dialer.campaign", campaign_id=campaign.id) if back else url_for("admin_dialer.campaigns")
    if action == "stop" and request.form.get("confirm") != "yes":
        return render_template("admin/dialer_stop.html", campaign=campaign)
    try:
        ACTIONS[action](database.session(), campaign)
    except CampaignError as exc:
        database.session().rollback()
        flash(f"{campaign.name}: {exc}", "error")
        return redirect(target, code=303)
    audit(f"campaign.{action}", object_type="campaign", object_id=campaign.id, details={"name": campaign.name})
    database.session().commit()
    flash(f"{campaign.name} is {campaign.status}.", "info")
    return redirect(target, code=303)


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
