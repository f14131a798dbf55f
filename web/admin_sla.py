"""SLA policies and business calendars, edited from the web pages, with a due-time preview.

Admins create and change calendars (time zone, weekly hours, holidays) and policies (conditions,
targets per metric and priority, calendar, warning, what happens on breach); supervisors see the
same pages read-only and may use the preview. Every value is checked by `contactcenter.tickets.sla`
(the rules of `/api/sla`), each message shown next to its input with a 400, and nothing is written
while anything is wrong. After a change the open tickets' clocks are recomputed by the same job the
REST API queues.

The preview answers "a ticket created at T with priority P is due …" for each metric, from the form
as it stands (saved or not): a "Preview" button posts the form without saving, and
static/sla_preview.js asks the preview endpoints for the same panel whenever an input changes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.app.tasks import tickets as tasks
from contactcenter.calendars import WEEKDAYS, BusinessCalendar, NoBusinessHoursError
from contactcenter.contacts.customers import SEGMENTS
from contactcenter.tickets import sla
from contactcenter.tickets.models import CHANNELS, BusinessCalendarRecord, SlaPolicy
from web import database
from web.admin import staff_only
from web.audit import audit

bp = Blueprint("admin_sla", __name__, url_prefix="/admin/sla")
log = logging.getLogger("contactcenter.web")
MAX_ID = 2**31 - 1
MAX_FIELD = 1000  # characters in one input; holidays get more (a list of dates)
MAX_HOLIDAYS = 20_000
PRIORITY_COLUMNS = ("*", *sla.PRIORITIES)
METRIC_LABELS = {"first_response": "First response", "next_reply": "Next reply", "resolution": "Resolution"}
WEEKDAY_LABELS = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
# Shown on a calendar's preview while no policy exists yet.
EXAMPLE_TARGETS = {"first_response": {"*": 4 * 3600}, "next_reply": {"*": 8 * 3600}, "resolution": {"*": 24 * 3600}}
# What a new calendar's form starts with: a Monday-to-Friday office.
NEW_CALENDAR: dict[str, Any] = {"time_zone": "UTC", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS[:5]}, "holidays": []}
# What a new policy's targets start with.
NEW_POLICY_TARGETS: dict[str, dict[str, int]] = {"first_response": {"*": 4 * 3600}, "resolution": {"*": 24 * 3600}}
_DURATION_PART = re.compile(r"(\d{1,7})([dhms])")


class FormErrors(dict[str, str]):
    """Problems keyed by input name; the first message per input wins."""

    def add(self, key: str, message: str) -> None:
        self.setdefault(key, message)


def _admin() -> bool:
    return bool(current_user.role == "admin")


def _require_admin() -> None:
    if not _admin():
        abort(403)


def _text(errors: FormErrors, name: str, limit: int = MAX_FIELD) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        errors.add(name, f"too long: at most {limit} characters")
        return ""
    return value.strip()


def _record_id(raw: str, errors: FormErrors, name: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        errors.add(name, "choose one from the list")
        return None
    return int(raw)


# -- durations ----------------------------------------------------------------------------------


def parse_duration(text: str) -> int | None:
    """ "4h", "30m", "1h 30m", "2d" (24 h each), "90s" or "1:30" → seconds; "" → None."""
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        return None
    clock_form = re.fullmatch(r"(\d{1,5}):([0-5]\d)", compact)
    if clock_form:
        return int(clock_form[1]) * 3600 + int(clock_form[2]) * 60
    if not re.fullmatch(r"(\d{1,7}[dhms])+", compact):
        raise ValueError("write a duration such as 30m, 4h, 1h 30m or 2d")
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[unit] for n, unit in _DURATION_PART.findall(compact))


def format_duration(seconds: int | None) -> str:
    """Seconds in the form `parse_duration` reads, in hours and minutes (business days vary)."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    parts += [f"{minutes}m"] if minutes else []
    parts += [f"{secs}s"] if secs or not parts else []
    return " ".join(parts)


# -- preview ------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    metric: str
    label: str
    target: str
    due: str
    due_iso: str
    after: str


@dataclass
class Preview:
    """The due-time panel, ready to render; `problem` replaces the rows when nothing can be shown."""

    created: str = ""
    priority: str = "normal"
    basis: str = ""
    zone: str = "UTC"
    business_hours: bool = False
    rows: list[PreviewRow] = field(default_factory=list)
    problem: str | None = None


def _wall(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y, %H:%M %Z")


def _preview_inputs(errors: FormErrors) -> tuple[str, str]:
    priority = _text(errors, "preview_priority") or "normal"
    if priority not in sla.PRIORITIES:
        errors.add("preview_priority", f"priority must be one of {', '.join(sla.PRIORITIES)}")
        priority = "normal"
    return priority, _text(errors, "preview_at")


def _created_at(raw: str, zone: str, errors: FormErrors) -> datetime:
    """The preview's creation instant: the local date and time typed (in `zone`), or now."""
    if not raw:
        return clock.now()
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        errors.add("preview_at", "a date and time as YYYY-MM-DDTHH:MM, or empty for now")
        return clock.now()
    if local.tzinfo is not None or not 1970 <= local.year <= 2200:
        errors.add("preview_at", "a local date and time as YYYY-MM-DDTHH:MM, or empty for now")
        return clock.now()
    return local.replace(tzinfo=ZoneInfo(zone))


def build_preview(
    targets: Mapping[str, Any],
    calendar: BusinessCalendar | None,
    priority: str,
    raw_at: str,
    basis: str,
    errors: FormErrors,
) -> Preview:
    zone = "UTC" if calendar is None else calendar.time_zone
    created_at = _created_at(raw_at, zone, errors)
    preview = Preview(
        created=_wall(created_at, zone), priority=priority, basis=basis, zone=zone, business_hours=calendar is not None
    )
    if "preview_at" in errors:
        preview.problem = errors["preview_at"]
        return preview
    try:
        due_times = sla.preview_due(targets, calendar, created_at, priority)
    except (NoBusinessHoursError, sla.SlaConfigError) as exc:
        preview.problem = str(exc)
        return preview
    for due in due_times:
        if due.target_s is None or due.due is None:
            row = PreviewRow(due.metric, METRIC_LABELS[due.metric], "no target", "never", "", "")
        else:
            span = due.due - created_at
            row = PreviewRow(
                due.metric,
                METRIC_LABELS[due.metric],
                format_duration(due.target_s),
                _wall(due.due, zone),
                due.due.isoformat(),
                _span(span),
            )
        preview.rows.append(row)
    return preview


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = f"{hours} h {mins:02d} m"
    return f"{days} d {text}" if days else text


# -- index --------------------------------------------------------------------------------------


def _policies() -> list[SlaPolicy]:
    return list(database.session().scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)))


def _calendars() -> list[BusinessCalendarRecord]:
    return list(database.session().scalars(select(BusinessCalendarRecord).order_by(BusinessCalendarRecord.name)))


def _queues() -> list[Queue]:
    return list(database.session().scalars(select(Queue).order_by(Queue.name)))


@bp.get("")
@login_required
@staff_only
def index() -> str:
    return render_template(
        "admin/sla_index.html",
        policies=_policies(),
        calendars=_calendars(),
        queues={q.id: q for q in _queues()},
        can_edit=_admin(),
        format_duration=format_duration,
        metric_labels=METRIC_LABELS,
        weekday_labels=WEEKDAY_LABELS,
    )


def _recompute_later() -> None:
    """Open tickets follow the change: the job `/api/sla` queues after the same changes."""
    try:
        tasks.recompute_open_tickets.enqueue(_connection=database.runtime().redis)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - tickets also pick the change up at their next update
        log.warning("could not queue the SLA recompute", exc_info=True)


# -- calendars ----------------------------------------------------------------------------------


def _calendar_record(calendar_id: int) -> BusinessCalendarRecord:
    record = database.session().get(BusinessCalendarRecord, calendar_id) if 0 < calendar_id <= MAX_ID else None
    if record is None:
        abort(404)
    return record


def _calendar_form(record: BusinessCalendarRecord | None) -> dict[str, str]:
    """The inputs of a calendar as stored (or a Monday-to-Friday office for a new one)."""
    definition = record.definition if record is not None else NEW_CALENDAR
    form = {"name": record.name if record else "", "time_zone": definition.get("time_zone", "UTC")}
    hours = definition.get("hours") or {}
    for day in WEEKDAYS:
        form[f"hours_{day}"] = ", ".join(hours.get(day) or [])
    form["holidays"] = "\n".join(definition.get("holidays") or [])
    return form


def _calendar_definition(errors: FormErrors) -> dict[str, Any]:
    """The posted inputs as `BusinessCalendar.from_dict` data: hours split at commas, holidays at
    commas, spaces or new lines."""
    hours = {}
    for day in WEEKDAYS:
        text = _text(errors, f"hours_{day}")
        hours[day] = [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]
    holidays = [p for p in re.split(r"[\s,;]+", _text(errors, "holidays", MAX_HOLIDAYS)) if p]
    definition = {"time_zone": _text(errors, "time_zone"), "hours": hours, "holidays": holidays}
    for part, message in sla.calendar_problems(definition).items():
        errors.add(part if part in ("time_zone", "holidays") else f"hours_{part}", message)
    return definition


def _calendar_preview(
    record: BusinessCalendarRecord | None, definition: Mapping[str, Any] | None, errors: FormErrors
) -> Preview:
    """The preview of a calendar: the chosen policy's targets (by default the first that uses this
    calendar, else the first policy, else example targets) measured on the calendar as posted."""
    priority, raw_at = _preview_inputs(errors)
    policies = _policies()
    chosen_id = _record_id(request.form.get("preview_policy_id", "")[:12], errors, "preview_policy_id")
    chosen = next((p for p in policies if p.id == chosen_id), None)
    if chosen is None and record is not None:
        chosen = next((p for p in policies if p.calendar_id == record.id), None)
    chosen = chosen or (policies[0] if policies else None)
    targets = chosen.targets if chosen is not None else EXAMPLE_TARGETS
    basis = (
        f"Targets of policy {chosen.name}, counted in this calendar's open hours."
        if chosen is not None
        else "Example targets (there is no policy yet), counted in this calendar's open hours."
    )
    if any(not k.startswith("preview_") and k != "name" for k in errors):
        return Preview(priority=priority, basis=basis, problem="Fix the calendar to see when tickets would be due.")
    if definition is None:
        definition = {} if record is None else record.definition
    return build_preview(targets, BusinessCalendar.from_dict(definition), priority, raw_at, basis, errors)


def _calendar_page(
    record: BusinessCalendarRecord | None,
    form: Mapping[str, str],
    errors: FormErrors,
    preview: Preview,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "admin/sla_calendar.html",
        record=record,
        form=form,
        errors=errors,
        preview=preview,
        policies=_policies(),
        chosen_policy=request.form.get("preview_policy_id", ""),
        weekdays=WEEKDAYS,
        weekday_labels=WEEKDAY_LABELS,
        priorities=sla.PRIORITIES,
        can_edit=_admin(),
        preview_url=url_for("admin_sla.calendar_preview"),
    ), status


@bp.get("/calendars/new")
@login_required
@staff_only
def new_calendar() -> tuple[str, int]:
    _require_admin()
    errors = FormErrors()
    return _calendar_page(None, _calendar_form(None), errors, _calendar_preview(None, NEW_CALENDAR, errors))


@bp.get("/calendars/<int:calendar_id>")
@login_required
@staff_only
def calendar(calendar_id: int) -> tuple[str, int]:
    record = _calendar_record(calendar_id)
    errors = FormErrors()
    return _calendar_page(record, _calendar_form(record), errors, _calendar_preview(record, None, errors))


@bp.post("/calendars/new")
@login_required
@staff_only
def create_calendar() -> Response | tuple[str, int]:
    _require_admin()
    return _save_calendar(None)


@bp.post("/calendars/<int:calendar_id>")
@login_required
@staff_only
def save_calendar(calendar_id: int) -> Response | tuple[str, int]:
    record = _calendar_record(calendar_id)
    if request.form.get("action") == "preview" and not _admin():
        errors = FormErrors()
        return _calendar_page(record, _calendar_form(record), errors, _calendar_preview(record, None, errors))
    _require_admin()
    return _save_calendar(record)


def _save_calendar(record: BusinessCalendarRecord | None) -> Response | tuple[str, int]:
    session = database.session()
    errors = FormErrors()
    name = _text(errors, "name")
    definition = _calendar_definition(errors)
    form = {k: v[:MAX_HOLIDAYS] for k, v in request.form.items()}
    if request.form.get("action") == "preview":
        return _calendar_page(record, form, errors, _calendar_preview(record, definition, errors))
    if not errors:
        try:
            if record is None:
                record = sla.create_calendar(session, name, definition)
                created = True
            else:
                sla.update_calendar(session, record, name=name, definition=definition)
                created = False
        except sla.SlaConfigError as exc:
            session.rollback()
            errors.add(exc.field or "time_zone", str(exc))
    if errors:
        session.rollback()
        page_record = None if record is None else _calendar_record(record.id)
        return _calendar_page(page_record, form, errors, _calendar_preview(page_record, definition, errors), 400)
    assert record is not None
    audit(
        "sla_calendar.create" if created else "sla_calendar.update",
        object_type="business_calendar",
        object_id=record.id,
        details={"name": record.name, "definition": record.definition},
    )
    session.commit()
    if not created:
        _recompute_later()
    flash(f"Calendar {record.name} is saved.", "info")
    return redirect(url_for("admin_sla.calendar", calendar_id=record.id), code=303)


@bp.post("/calendars/preview")
@login_required
@staff_only
def calendar_preview() -> str:
    """The preview panel alone, for the page's script: from the posted inputs (admins) or the
    stored calendar (supervisors, who cannot change it)."""
    errors = FormErrors()
    record_id = _record_id(request.form.get("calendar_id", "")[:12], errors, "calendar_id")
    record = None if record_id is None else _calendar_record(record_id)
    if record is not None and not _admin():
        preview = _calendar_preview(record, None, errors)
    else:
        _require_admin()
        preview = _calendar_preview(record, _calendar_definition(errors), errors)
    return render_template("admin/sla_preview.html", preview=preview)


# -- policies -----------------------------------------------------------------------------------


def _target_key(metric: str, priority: str) -> str:
    return f"target_{metric}_{'any' if priority == '*' else priority}"


def _policy_record(policy_id: int) -> SlaPolicy:
    policy = database.session().get(SlaPolicy, policy_id) if 0 < policy_id <= MAX_ID else None
    if policy is None:
        abort(404)
    return policy


@dataclass
class PolicyForm:
    """A policy's inputs as text (what the page shows back) and lists (the ticked boxes)."""

    text: dict[str, str]
    lists: dict[str, list[str]]


def _policy_form(policy: SlaPolicy | None) -> PolicyForm:
    text = {
        "name": policy.name if policy else "",
        "position": str(policy.position if policy else 100),
        "active": "1" if policy is None or policy.active else "",
        "calendar_id": str(policy.calendar_id or "") if policy else "",
        "warn_before": format_duration(policy.warn_before_s if policy else 1800),
        "on_breach_raise_priority": "1" if policy and policy.on_breach_raise_priority else "",
        "on_breach_assignee_id": str(policy.on_breach_assignee_id or "") if policy else "",
        "on_breach_queue_id": str(policy.on_breach_queue_id or "") if policy else "",
    }
    targets = policy.targets if policy else NEW_POLICY_TARGETS
    for metric in sla.METRICS:
        for priority in PRIORITY_COLUMNS:
            seconds = (targets.get(metric) or {}).get(priority)
            text[_target_key(metric, priority)] = format_duration(seconds)
    lists = {
        "priorities": list(policy.priorities or []) if policy else [],
        "segments": list(policy.segments or []) if policy else [],
        "channels": list(policy.channels or []) if policy else [],
        "queue_ids": [str(i) for i in policy.queue_ids or []] if policy else [],
    }
    return PolicyForm(text, lists)


def _posted_policy_form() -> PolicyForm:
    text = {k: v[: MAX_FIELD * 2] for k, v in request.form.items()}
    lists = {key: request.form.getlist(key)[:100] for key in ("priorities", "segments", "channels", "queue_ids")}
    return PolicyForm(text, lists)


def _policy_values(errors: FormErrors) -> dict[str, Any]:
    """The posted inputs as `SlaPolicy` options; what cannot even be read goes to `errors`."""
    values: dict[str, Any] = {"name": _text(errors, "name")}
    position = _text(errors, "position") or "100"
    if not position.isdigit() or len(position) > 7:
        errors.add("position", "position must be a whole number from 0 to 1000000")
    else:
        values["position"] = int(position)
    values["active"] = request.form.get("active") == "1"
    for key, allowed in (("priorities", sla.PRIORITIES), ("segments", SEGMENTS), ("channels", CHANNELS)):
        chosen = request.form.getlist(key)
        bad = [v for v in chosen if v not in allowed]
        if bad:
            errors.add(key, f"choose from {', '.join(allowed)}")
        values[key] = [v for v in chosen if v in allowed]
    queue_ids = []
    for raw in request.form.getlist("queue_ids")[:1000]:
        queue_id = _record_id(raw[:12], errors, "queue_ids")
        if queue_id is not None:
            queue_ids.append(queue_id)
    values["queue_ids"] = queue_ids
    values["calendar_id"] = _record_id(_text(errors, "calendar_id"), errors, "calendar_id")
    targets: dict[str, dict[str, int]] = {}
    for metric in sla.METRICS:
        for priority in PRIORITY_COLUMNS:
            key = _target_key(metric, priority)
            try:
                seconds = parse_duration(_text(errors, key))
            except ValueError as exc:
                errors.add(key, str(exc))
                continue
            if seconds is not None:
                if not 0 < seconds <= sla.MAX_TARGET_S:
                    errors.add(key, "a target from 1 second to 366 days")
                    continue
                targets.setdefault(metric, {})[priority] = seconds
    if not targets and not any(k.startswith("target_") for k in errors):
        errors.add("targets", "give at least one target, e.g. resolution for any priority: 24h")
    values["targets"] = targets
    try:
        warn = parse_duration(_text(errors, "warn_before"))
        values["warn_before_s"] = warn or 0
    except ValueError as exc:
        errors.add("warn_before", str(exc))
    values["on_breach_raise_priority"] = request.form.get("on_breach_raise_priority") == "1"
    for key in ("on_breach_assignee_id", "on_breach_queue_id"):
        values[key] = _record_id(_text(errors, key), errors, key)
    return values


_DOMAIN_TO_INPUT = {"warn_before_s": "warn_before"}


def _input_of(domain_field: str | None) -> str:
    """The input a domain message belongs next to ("targets.resolution.high" → its cell)."""
    if domain_field is None:
        return "targets"
    parts = domain_field.split(".")
    if parts[0] == "targets" and len(parts) == 3:
        return _target_key(parts[1], parts[2])
    if parts[0] == "targets":
        return "targets"
    return _DOMAIN_TO_INPUT.get(domain_field, domain_field)


def _policy_preview(policy: SlaPolicy | None, values: Mapping[str, Any] | None, errors: FormErrors) -> Preview:
    priority, raw_at = _preview_inputs(errors)
    if values is None:
        if policy is None:
            return Preview(priority=priority, problem="No policy yet.")
        targets: Mapping[str, Any] = policy.targets
        calendar_record = policy.calendar_record
    else:
        if any(k.startswith("target") or k == "calendar_id" for k in errors):
            return Preview(priority=priority, problem="Fix the targets and calendar to see when tickets would be due.")
        try:
            targets = sla.normalize_targets(values["targets"])
        except sla.SlaConfigError as exc:
            return Preview(priority=priority, problem=str(exc))
        calendar_id = values.get("calendar_id")
        calendar_record = None if calendar_id is None else database.session().get(BusinessCalendarRecord, calendar_id)
        if calendar_id is not None and calendar_record is None:
            return Preview(priority=priority, problem="That calendar does not exist.")
    basis = (
        f"Targets counted in the open hours of calendar {calendar_record.name}."
        if calendar_record is not None
        else "Targets counted in calendar hours (24x7)."
    )
    calendar = None if calendar_record is None else calendar_record.calendar()
    return build_preview(targets, calendar, priority, raw_at, basis, errors)


def _policy_page(
    policy: SlaPolicy | None, form: PolicyForm, errors: FormErrors, preview: Preview, status: int = 200
) -> tuple[str, int]:
    session = database.session()
    return render_template(
        "admin/sla_policy.html",
        policy=policy,
        form=form,
        errors=errors,
        preview=preview,
        calendars=_calendars(),
        queues=_queues(),
        users=list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))),
        priorities=sla.PRIORITIES,
        priority_columns=PRIORITY_COLUMNS,
        segments=SEGMENTS,
        channels=CHANNELS,
        metrics=sla.METRICS,
        metric_labels=METRIC_LABELS,
        target_key=_target_key,
        can_edit=_admin(),
        preview_url=url_for("admin_sla.policy_preview"),
    ), status


@bp.get("/policies/new")
@login_required
@staff_only
def new_policy() -> tuple[str, int]:
    _require_admin()
    form = _policy_form(None)
    errors = FormErrors()
    preview = build_preview(NEW_POLICY_TARGETS, None, "normal", "", "Targets counted in calendar hours (24x7).", errors)
    return _policy_page(None, form, errors, preview)


@bp.get("/policies/<int:policy_id>")
@login_required
@staff_only
def policy(policy_id: int) -> tuple[str, int]:
    record = _policy_record(policy_id)
    errors = FormErrors()
    return _policy_page(record, _policy_form(record), errors, _policy_preview(record, None, errors))


@bp.post("/policies/new")
@login_required
@staff_only
def create_policy() -> Response | tuple[str, int]:
    _require_admin()
    return _save_policy(None)


@bp.post("/policies/<int:policy_id>")
@login_required
@staff_only
def save_policy(policy_id: int) -> Response | tuple[str, int]:
    record = _policy_record(policy_id)
    if request.form.get("action") == "preview" and not _admin():
        errors = FormErrors()
        return _policy_page(record, _policy_form(record), errors, _policy_preview(record, None, errors))
    _require_admin()
    return _save_policy(record)


def _save_policy(policy: SlaPolicy | None) -> Response | tuple[str, int]:
    session = database.session()
    errors = FormErrors()
    values = _policy_values(errors)
    form = _posted_policy_form()
    if request.form.get("action") == "preview":
        return _policy_page(policy, form, errors, _policy_preview(policy, values, errors))
    created = policy is None
    if not errors:
        options = dict(values)
        name, targets = options.pop("name"), options.pop("targets")
        try:
            if policy is None:
                policy = sla.create_policy(session, name, targets=targets, **options)
            else:
                sla.update_policy(session, policy, {"name": name, "targets": targets, **options})
        except sla.SlaConfigError as exc:
            errors.add(_input_of(exc.field), str(exc))
    if errors:
        session.rollback()
        page_policy = None if created or policy is None else _policy_record(policy.id)
        return _policy_page(page_policy, form, errors, _policy_preview(page_policy, values, errors), 400)
    assert policy is not None
    audit(
        "sla_policy.create" if created else "sla_policy.update",
        object_type="sla_policy",
        object_id=policy.id,
        details={"name": policy.name, "targets": policy.targets, "calendar_id": policy.calendar_id},
    )
    session.commit()
    _recompute_later()
    flash(f"Policy {policy.name} is saved.", "info")
    return redirect(url_for("admin_sla.policy", policy_id=policy.id), code=303)


@bp.post("/policies/preview")
@login_required
@staff_only
def policy_preview() -> str:
    """The preview panel alone, for the page's script (supervisors: the stored policy)."""
    errors = FormErrors()
    policy_id = _record_id(request.form.get("policy_id", "")[:12], errors, "policy_id")
    record = None if policy_id is None else _policy_record(policy_id)
    if record is not None and not _admin():
        preview = _policy_preview(record, None, errors)
    else:
        _require_admin()
        preview = _policy_preview(record, _policy_values(errors), errors)
    return render_template("admin/sla_preview.html", preview=preview)
