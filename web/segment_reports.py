"""/reports/segments (supervisors and admins): how customers moved between RFM segments between
two days, and the revenue of each segment per month, from the segment snapshots each recompute
keeps (`contactcenter.analytics.segments`). Charts drawn on the server beside their tables, a CSV
download, and the same figures as `contactcenter analytics segments` and /api/reports/segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import login_required
from markupsafe import Markup

from contactcenter import clock
from contactcenter.analytics import segments
from web import database
from web.admin import staff_only
from web.charts import Series, bar_chart
from web.report_queries import KINDS

bp = Blueprint("segment_reports", __name__, url_prefix="/reports")
DEFAULT_DAYS = 90


@dataclass
class SegmentQuery:
    """The range typed on the form and what was wrong with it (field → message)."""

    typed: dict[str, str]
    first: date
    last: date
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    def csv_filename(self) -> str:
        return f"segments_{self.first.isoformat()}_{self.last.isoformat()}.csv"


def parse_query(args: Any) -> SegmentQuery:
    today = clock.now().date()
    typed = {key: str(args.get(key, ""))[:100] for key in ("from", "to")}
    first_text = args.get("from") or (today - timedelta(days=DEFAULT_DAYS)).isoformat()
    last_text = args.get("to") or today.isoformat()
    try:
        first, last = segments.parse_range(first_text, last_text)
    except segments.SegmentReportError as exc:
        return SegmentQuery(typed, today, today, {exc.field or "from": exc.message or str(exc)})
    return SegmentQuery(typed, first, last)


@dataclass
class SegmentPage:
    moves: segments.Migration
    money: segments.Revenue
    sizes_chart: Markup
    revenue_chart: Markup
    revenue_rows: list[list[str]]


def build(moves: segments.Migration, money: segments.Revenue) -> SegmentPage:
    names = moves.segments
    before = [sum(moves.count(s, t) for t in names) for s in names]
    after = [sum(moves.count(s, t) for s in names) for t in names]
    sizes = bar_chart(
        "chart-segment-sizes",
        "Customers per segment on each day",
        names,
        [Series(f"on {moves.first.isoformat()}", before), Series(f"on {moves.last.isoformat()}", after)],
        x_label="segment",
        y_label="customers",
    )
    series = [
        Series(segment, [float(money.totals.get((month, segment), 0)) for month in money.months])
        for segment in money.segments
    ]
    revenue_chart = bar_chart(
        "chart-segment-revenue",
        "Revenue per segment per month",
        money.months,
        series,
        x_label="month",
        y_label="revenue",
    )
    rows = [
        [month] + [f"{money.totals.get((month, segment), 0):.2f}" for segment in money.segments]
        for month in money.months
    ]
    return SegmentPage(moves, money, sizes, revenue_chart, rows)


def figures(query: SegmentQuery) -> tuple[segments.Migration, segments.Revenue]:
    session = database.session()
    return segments.migration(session, query.first, query.last), segments.revenue(session, query.first, query.last)


@bp.get("/segments")
@login_required
@staff_only
def page() -> tuple[str, int]:
    query = parse_query(request.args)
    built = None if query.errors else build(*figures(query))
    return render_template("reports/segments.html", kinds=KINDS, query=query, page=built), (
        400 if query.errors else 200
    )


@bp.get("/segments.csv")
@login_required
@staff_only
def page_csv() -> Response | tuple[str, int]:
    query = parse_query(request.args)
    if query.errors:
        return page()
    return Response(
        segments.to_csv(*figures(query)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{query.csv_filename()}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
