"""/api/reports/{intervals,agents,daily,dialer,channels} (supervisors and admins): the report pages'
figures as JSON, or as the same CSV with `format=csv`. The query is read and checked by
`web.report_queries`, as the pages do, so a page, its CSV and the API agree; /api/reports/sla
(instants rather than days) lives with the SLA endpoints."""

from __future__ import annotations

from flask import Response, jsonify

from web import database
from web.api.core import Query, fail, require_supervisor
from web.report_queries import FIELDS, parse, run

ALLOWED = {
    "intervals": ("from", "to", "tz", "interval", "queue", "formula"),
    "agents": ("from", "to", "tz", "interval", "agent"),
    "daily": ("from", "to", "tz"),
    "dialer": ("from", "to", "tz"),
    "channels": ("from", "to", "tz", "interval"),
}


def _report(kind: str) -> Response:
    require_supervisor()
    q = Query((*ALLOWED[kind], "format"))
    output = q.choice("format", ("json", "csv"), "json")
    session = database.session()
    query = parse(session, kind, {k: v for k, v in q.args.items() if k in FIELDS})
    if query.errors:
        field = next(iter(query.errors))
        fail(400, "invalid_filter", f"{field}: {query.errors[field]}")
    result = run(session, query)
    if output == "csv":
        return Response(
            result.to_csv(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{query.csv_filename()}"'},
        )
    return jsonify(result.to_dict())


def intervals() -> Response:
    """Calls per queue and 15-, 30- or 60-minute interval, or day."""
    return _report("intervals")


def agents() -> Response:
    """Agents per interval or day: handled calls, AHT, occupancy, time in each state."""
    return _report("agents")


def daily() -> Response:
    """IVR containment per flow and CSAT, per local day."""
    return _report("daily")


def dialer() -> Response:
    """Per campaign: dials, live answers, connects, abandons and the regulatory period's rate."""
    return _report("dialer")


def channels() -> Response:
    """First replies per channel and interval or day, against each channel's target."""
    return _report("channels")


def segments() -> Response:
    """Segment migration between two days and revenue per segment per month (UTC days)."""
    from contactcenter.analytics import segments as history

    require_supervisor()
    q = Query(("from", "to", "format"))
    output = q.choice("format", ("json", "csv"), "json")
    try:
        first, last = history.parse_range(q.text("from", 100), q.text("to", 100))
    except history.SegmentReportError as exc:
        fail(400, "invalid_filter", f"{exc.field}: {exc.message}")
    session = database.session()
    moves, money = history.migration(session, first, last), history.revenue(session, first, last)
    if output == "csv":
        return Response(
            history.to_csv(moves, money),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="segments_{first}_{last}.csv"'},
        )
    return jsonify({"migration": moves.as_dict(), "revenue": money.as_dict()})


ROUTES = [
    ("/reports/intervals", intervals, ["GET"]),
    ("/reports/agents", agents, ["GET"]),
    ("/reports/daily", daily, ["GET"]),
    ("/reports/dialer", dialer, ["GET"]),
    ("/reports/channels", channels, ["GET"]),
    ("/reports/segments", segments, ["GET"]),
]
