"""Quality pages: the scorecard form builder (admins), scoring a recorded call beside its player
(supervisors and admins), an agent's own scores with acknowledge/dispute, and the weekly report.
Thin: fields are read here and handed to `contactcenter.quality`, which decides and scores."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from contactcenter import clock
from contactcenter.quality import report_output, report_query
from contactcenter.quality.interfaces import (
    MAX_COMMENT,
    MAX_DESCRIPTION,
    MAX_QUESTIONS,
    MAX_SCALE,
    MAX_WEIGHT,
    Answer,
    EvaluationDraft,
    InvalidEvaluation,
    InvalidScorecard,
    QualityError,
    QualityReport,
    parse_form,
)
from contactcenter.quality.models import ScorecardForm
from contactcenter.quality.services import QualityService
from contactcenter.tickets.access import Viewer
from web import database
from web.admin import staff_only
from web.admin_content import admin_only
from web.audit import audit
from web.charts import Series, line_chart
from web.services import services

bp = Blueprint("quality", __name__, url_prefix="/quality")
BLANK_ROWS = 4
MAX_FIELD = MAX_DESCRIPTION + 100


def _viewer() -> Viewer:
    return Viewer(current_user.id, current_user.role)


def _service() -> QualityService:
    return services().quality()


def _fields() -> dict[str, str] | None:
    """The posted fields, or None when one is far too long or holds a character no store keeps."""
    fields = {k: v for k, v in request.form.items() if k != "csrf_token"}
    if any(len(k) > 64 or len(v) > MAX_FIELD or "\x00" in v for k, v in fields.items()):
        return None
    return fields


def may_evaluate(interaction_id: Any) -> bool:
    """Whether the signed-in person may score this call (for the "Evaluate" link on pages)."""
    if not isinstance(interaction_id, int) or not current_user.is_authenticated:
        return False
    if current_user.role not in ("admin", "supervisor"):
        return False
    service = _service()
    try:
        service.check_can_evaluate(service.call(interaction_id), _viewer())
    except QualityError:
        return False
    return True


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"may_evaluate": may_evaluate}


# -- the form builder (admins) -------------------------------------------------------------------
def _rows_of(form: ScorecardForm | None) -> list[dict[str, str]]:
    rows = []
    if form is not None:
        for section in form.sections:
            for q in section.questions:
                rows.append(
                    {
                        "section": section.title,
                        "text": q.text,
                        "weight": str(q.weight),
                        "type": q.answer_type,
                        "scale": str(q.scale_max or ""),
                        "auto_fail": "on" if q.auto_fail else "",
                    }
                )
    return rows + [{"section": "", "text": "", "weight": "", "type": "yes_no", "scale": "", "auto_fail": ""}] * (
        BLANK_ROWS
    )


def _rows_from(fields: dict[str, str]) -> list[dict[str, str]]:
    numbers = sorted(
        {int(k[1 : k.index("_")]) for k in fields if k.startswith("q") and "_" in k and k[1 : k.index("_")].isdigit()}
    )
    rows = [
        {part: fields.get(f"q{n}_{part}", "") for part in ("section", "text", "weight", "type", "scale", "auto_fail")}
        for n in numbers[: MAX_QUESTIONS + BLANK_ROWS * 4]
    ]
    blank = sum(1 for r in rows if not r["text"].strip())
    return rows + _rows_of(None)[: max(0, BLANK_ROWS - blank)]


def _builder(
    form: ScorecardForm | None,
    *,
    fields: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    service = _service()
    if fields is None:
        values = {
            "name": form.name if form else "",
            "description": form.description if form else "",
            "active": "on" if form is None or form.active else "",
        }
        rows = _rows_of(form)
    else:
        values = {k: fields.get(k, "") for k in ("name", "description", "active")}
        rows = _rows_from(fields)
    return render_template(
        "quality/form_edit.html",
        form=form,
        values=values,
        rows=rows,
        errors=errors or {},
        used=service.evaluation_count(form.id) if form else 0,
        versions=service.versions(form.key) if form else [],
        max_questions=MAX_QUESTIONS,
        max_weight=MAX_WEIGHT,
        max_scale=MAX_SCALE,
    ), status


@bp.get("/forms")
@login_required
@admin_only
def forms() -> str:
    service = _service()
    listed = service.forms()
    return render_template(
        "quality/forms.html", forms=listed, counts={f.id: service.evaluation_count(f.id) for f in listed}
    )


@bp.get("/forms/new")
@login_required
@admin_only
def form_new() -> tuple[str, int]:
    return _builder(None)


def _save(form: ScorecardForm | None) -> BaseResponse | tuple[str, int]:
    fields = _fields()
    if fields is None:
        return _builder(
            form, errors={"form": "A field is far too long or holds a character that cannot be stored."}, status=400
        )
    try:
        draft = parse_form(fields)
        service = _service()
        if form is None:
            saved = service.create_form(draft, current_user.id)
            action = "quality.form_create"
        else:
            saved = service.update_form(form.id, draft, current_user.id)
            action = "quality.form_version" if saved.id != form.id else "quality.form_update"
    except InvalidScorecard as exc:
        database.session().rollback()
        return _builder(form, fields=fields, errors=exc.errors, status=422)
    audit(
        action,
        object_type="scorecard_form",
        object_id=saved.id,
        details={
            "name": saved.name,
            "version": saved.version,
            "active": saved.active,
            "questions": len(saved.questions),
        },
    )
    database.session().commit()
    flash(f"Form saved (version {saved.version}).", "ok")
    return redirect(url_for("quality.form_edit", form_id=saved.id), code=303)


@bp.post("/forms/new")
@login_required
@admin_only
def form_create() -> BaseResponse | tuple[str, int]:
    return _save(None)


@bp.get("/forms/<int:form_id>")
@login_required
@admin_only
def form_edit(form_id: int) -> tuple[str, int]:
    try:
        form = _service().form(form_id)
    except QualityError:
        abort(404)
    return _builder(form)


@bp.post("/forms/<int:form_id>")
@login_required
@admin_only
def form_update(form_id: int) -> BaseResponse | tuple[str, int]:
    try:
        form = _service().form(form_id)
    except QualityError:
        abort(404)
    if not form.is_current:
        abort(409, "An older version of a form cannot be changed; open its newest version.")
    return _save(form)


# -- evaluating a call (supervisors, admins) -------------------------------------------------------
def _evaluate_page(
    interaction_id: int,
    *,
    form_id: int | None = None,
    fields: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    service = _service()
    call = service.call(interaction_id)  # QualityError: 404 by its kind
    service.check_can_evaluate(call, _viewer())
    usable = list(service.forms(active_only=True))
    chosen = next((f for f in usable if f.id == form_id), usable[0] if usable else None)
    agent, queue = service.agent_and_queue(call)
    return render_template(
        "quality/evaluate.html",
        call=call,
        agent=agent,
        queue=queue,
        forms=usable,
        chosen=chosen,
        values=fields or {},
        errors=errors or {},
        earlier=service.of_call(call.id),
        started_at=(fields or {}).get("started_at") or clock.now().isoformat(),
        max_comment=MAX_COMMENT,
    ), status


def _id_arg(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) <= 9 else None


@bp.get("/evaluate/<int:interaction_id>")
@login_required
@staff_only
def evaluate(interaction_id: int) -> tuple[str, int]:
    return _evaluate_page(interaction_id, form_id=_id_arg(request.args.get("form")))


@bp.post("/evaluate/<int:interaction_id>")
@login_required
@staff_only
def evaluate_submit(interaction_id: int) -> BaseResponse | tuple[str, int]:
    fields = _fields()
    form_id = _id_arg(request.form.get("form_id"))
    if fields is None:
        return _evaluate_page(
            interaction_id,
            form_id=form_id,
            errors={"form": "A field is far too long or holds a character that cannot be stored."},
            status=400,
        )
    if form_id is None:
        return _evaluate_page(interaction_id, fields=fields, errors={"form": "Choose a form."}, status=400)
    answers = []
    for key, value in fields.items():
        if key.startswith("answer_") and key[7:].isdigit() and len(key) <= 20:
            question_id = int(key[7:])
            answers.append(Answer(question_id, value.strip(), fields.get(f"comment_{question_id}", "")))
    started = None
    try:
        started = clock.as_utc(datetime.fromisoformat(fields.get("started_at", "")))
    except ValueError:
        started = None
    draft = EvaluationDraft(form_id, answers, fields.get("comment", ""), started)
    try:
        evaluation = _service().evaluate(interaction_id, draft, _viewer())
    except InvalidEvaluation as exc:
        database.session().rollback()
        return _evaluate_page(interaction_id, form_id=form_id, fields=fields, errors=exc.errors, status=422)
    audit(
        "quality.evaluation_submit",
        object_type="evaluation",
        object_id=evaluation.id,
        details={
            "interaction_id": interaction_id,
            "agent_id": evaluation.agent_id,
            "form_id": evaluation.form_id,
            "score": evaluation.score,
            "auto_failed": evaluation.auto_failed,
        },
    )
    database.session().commit()
    flash(f"Evaluation saved: {evaluation.score:g} %.", "ok")
    return redirect(url_for("quality.evaluation", evaluation_id=evaluation.id), code=303)


# -- one evaluation, an agent's own ---------------------------------------------------------------
@bp.get("/evaluations/<int:evaluation_id>")
@login_required
def evaluation(evaluation_id: int) -> str:
    """An evaluation for its agent, supervisors and admins; another agent gets 404."""
    found = _service().evaluation(evaluation_id, _viewer())
    return render_template("quality/evaluation.html", e=found, max_comment=MAX_COMMENT, errors={})


@bp.post("/evaluations/<int:evaluation_id>/respond")
@login_required
def respond(evaluation_id: int) -> BaseResponse | tuple[str, int]:
    fields = _fields()
    service = _service()
    found = service.evaluation(evaluation_id, _viewer())
    if found.agent_id != current_user.id:
        abort(404)
    if fields is None:
        errors = {"agent_comment": "The comment is far too long or holds a character that cannot be stored."}
        return render_template("quality/evaluation.html", e=found, max_comment=MAX_COMMENT, errors=errors), 400
    action = fields.get("action", "")
    try:
        service.respond(evaluation_id, _viewer(), action, fields.get("agent_comment", ""))
    except InvalidEvaluation as exc:
        database.session().rollback()
        return render_template(
            "quality/evaluation.html", e=found, max_comment=MAX_COMMENT, errors=exc.errors, typed=fields
        ), 422
    audit(
        f"quality.evaluation_{'acknowledge' if action == 'acknowledge' else 'dispute'}",
        object_type="evaluation",
        object_id=evaluation_id,
        details={"status": found.status},
    )
    database.session().commit()
    flash("Thank you: your answer is recorded." if action == "acknowledge" else "Your dispute is recorded.", "ok")
    return redirect(url_for("quality.mine"), code=303)


@bp.get("/mine")
@login_required
def mine() -> str:
    return render_template("quality/mine.html", evaluations=_service().mine(current_user.id))


# -- report (supervisors, admins) ------------------------------------------------------------------
def _report() -> tuple[QualityReport | None, date, date, dict[str, str], dict[str, str]]:
    """The report for the page's query string, read and checked as the API and the CLI do."""
    typed = {k: request.args.get(k, "")[: report_query.MAX_VALUE + 1] for k in report_query.FIELDS}
    try:
        query = report_query.parse(database.session(), typed)
    except report_query.InvalidReportQuery as exc:
        today = clock.now().date()
        errors = {k: v[:1].upper() + v[1:] + "." for k, v in exc.errors.items()}
        return None, today - timedelta(weeks=report_query.DEFAULT_WEEKS), today, typed, errors
    found = _service().report(
        query.first, query.last, time_zone=query.time_zone, queue_id=query.queue_id, agent_id=query.agent_id
    )
    return found, query.first, query.last, typed, {}


def _chart(chart_id: str, title: str, report: QualityReport, rows: Any) -> Any:
    names = sorted({r.name for r in rows})
    cells = {(r.week, r.name): r.average for r in rows}
    categories = [w.strftime("%d %b") for w in report.weeks]
    series = [Series(name, [cells.get((w, name)) for w in report.weeks]) for name in names]
    return line_chart(
        chart_id,
        title,
        categories,
        series,
        x_label="Week starting",
        y_label="Average score (%)",
        tooltips=[f"week of {w.isoformat()}" for w in report.weeks],
    )


@bp.get("/report")
@login_required
@staff_only
def report() -> tuple[str, int]:
    found, first, last, typed, errors = _report()
    charts = {}
    if found is not None:
        charts = {
            "agents": _chart("quality-agents-chart", "Average score per agent", found, found.by_agent),
            "queues": _chart("quality-queues-chart", "Average score per queue", found, found.by_queue),
        }
    return render_template(
        "quality/report.html", report=found, first=first, last=last, typed=typed, errors=errors, charts=charts
    ), 400 if errors else 200


@bp.get("/report.csv")
@login_required
@staff_only
def report_csv() -> Response | tuple[str, int]:
    found, first, last, _typed, errors = _report()
    if found is None:
        return report()
    return Response(
        report_output.report_csv(found),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="quality-{first.isoformat()}-{last.isoformat()}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )
