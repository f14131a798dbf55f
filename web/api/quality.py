"""/api/quality/report and /api/quality/evaluations: the quality report page's figures and the
evaluations behind them, with the pages' access rules — the report for supervisors and admins, the
list for everyone, an agent seeing only their own evaluations (as on *My scores*). The query is
read by `contactcenter.quality.report_query`, as the page and the CLI read theirs."""

from __future__ import annotations

from flask import Response, jsonify

from contactcenter.quality import report_output, report_query
from web import database
from web.api.core import Query, fail, require_supervisor, viewer
from web.services import services

REPORT_PARAMS = (*report_query.FIELDS, "format")
LIST_PARAMS = report_query.FIELDS


def _query(q: Query) -> report_query.ReportQuery:
    args = {name: q.text(name, report_query.MAX_VALUE) for name in report_query.FIELDS}
    try:
        return report_query.parse(database.session(), args)
    except report_query.InvalidReportQuery as exc:
        field = next(iter(exc.errors))
        fail(400, "invalid_filter", f"{field}: {exc.errors[field]}")


def report() -> Response:
    """Average score, evaluations and auto-fails per agent and per queue per week, in the centre's
    time zone; JSON, or the page's CSV with format=csv."""
    require_supervisor()
    q = Query(REPORT_PARAMS)
    output = q.choice("format", ("json", "csv"), "json")
    query = _query(q)
    found = (
        services()
        .quality()
        .report(query.first, query.last, time_zone=query.time_zone, queue_id=query.queue_id, agent_id=query.agent_id)
    )
    if output == "csv":
        name = f"quality-{query.first.isoformat()}-{query.last.isoformat()}.csv"
        return Response(
            report_output.report_csv(found),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    body = report_output.report_dict(found)
    body.update(queue=query.queue, agent=query.agent)
    return jsonify(body)


def evaluations() -> Response:
    """The evaluations submitted in the range, newest first (`limit`, default 25, at most 100)."""
    q = Query(LIST_PARAMS)
    limit = q.limit()
    query = _query(q)
    who = viewer()
    if not who.sees_all and query.agent_id not in (None, who.user_id):
        fail(403, "forbidden", "agents see only their own evaluations")
    found = services().quality().evaluations(query, who, limit=limit)
    return jsonify(
        {
            "from": query.first.isoformat(),
            "to": query.last.isoformat(),
            "time_zone": query.time_zone,
            "items": [report_output.evaluation_dict(e) for e in found],
        }
    )


ROUTES = [
    ("/quality/report", report, ["GET"]),
    ("/quality/evaluations", evaluations, ["GET"]),
]
