"""Report pages for supervisors and admins (/reports/<kind>): queue intervals (15, 30 or 60
minutes, or days), agents, daily IVR containment and CSAT, ticket SLA hit rates and the dialer's
campaigns. Each page has a date range (local days in the chosen time zone), charts drawn on the
server (`web.charts`) with the same figures in a table beside them, and a CSV download.

The figures come from the same domain functions as `contactcenter report …` and /api/reports/*
(see `web.report_queries`), so the three never disagree. The range form is a GET form: it changes
nothing, so it carries no CSRF token, and a range that cannot be used re-renders the page with a
400 and the message next to the field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from contactcenter.tickets import intervals
from web import database
from web.admin import staff_only
from web.charts import Series, bar_chart, line_chart
from web.report_queries import INTERVALS, KINDS, ReportQuery, agent_names, parse, queue_names, run, time_zones

bp = Blueprint("reports", __name__, url_prefix="/reports")


@dataclass
class Table:
    """An accessible table of what a chart shows: a caption, headers and formatted cells; the
    columns named in `numeric` are right-aligned."""

    id: str
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)


@dataclass
class Panel:
    """A chart and, beside it, the table of the figures it draws."""

    chart: Markup
    data: Table


@dataclass
class Page:
    panels: list[Panel]
    tables: list[Table]


def data_table(
    table_id: str,
    caption: str,
    first_header: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
) -> Table:
    """The chart's figures as a table: one row per category, one column per series."""
    fmt: Callable[[float | None], str] = pct if percent else _number
    headers = [first_header] + [s.name for s in series]
    rows = [[category] + [fmt(s.values[i]) for s in series] for i, category in enumerate(categories)]
    return Table(table_id, caption, headers, rows, _numeric(headers, 1))


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def hms(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _short(label: str, granularity: str) -> str:
    """The axis label of a bucket: 06-15 for a day, 06-15 10:00 for an interval."""
    if granularity == "day" or len(label) < 16:
        return label[5:10]
    return f"{label[5:10]} {label[11:16]}"


def _numeric(headers: Sequence[str], text_columns: int) -> set[int]:
    return set(range(text_columns, len(headers)))


# -- one builder per report ------------------------------------------------------------------


def _chart(
    draw: Callable[..., Markup],
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    percent: bool = False,
    full: Sequence[str] | None = None,
    reference: tuple[str, float] | None = None,
) -> Panel:
    """A chart and its data table; `full` names the categories in full where the axis shortens them."""
    chart = draw(
        chart_id,
        title,
        categories,
        series,
        x_label=x_label,
        y_label=y_label,
        percent=percent,
        reference=reference,
        tooltips=full,
    )
    data = data_table(f"{chart_id}-data", title, x_label, list(full or categories), series, percent=percent)
    return Panel(chart, data)


def _bucket(label: str, granularity: str) -> str:
    return label if granularity == "day" else label[:16].replace("T", " ")


def _intervals(report: Any, query: ReportQuery) -> Page:
    rows = report.rows
    labels = sorted({r.label for r in rows})
    index = {label: i for i, label in enumerate(labels)}
    totals: dict[str, list[float | None]] = {name: [0.0] * len(labels) for name in ("Offered", "Answered", "Abandoned")}
    queues: dict[str, list[float | None]] = {}
    for r in rows:
        i = index[r.label]
        for name, value in (("Offered", r.offered), ("Answered", r.answered), ("Abandoned", r.abandoned)):
            totals[name][i] = (totals[name][i] or 0.0) + value
        queues.setdefault(r.queue, [None] * len(labels))[i] = r.service_level
    unit = "Day" if query.granularity == "day" else f"Interval start ({query.time_zone})"
    short = [_short(label, query.granularity) for label in labels]
    full = [_bucket(label, query.granularity) for label in labels]
    panels = [
        _chart(
            bar_chart,
            "chart-calls",
            "Calls offered, answered and abandoned (all queues shown)",
            short,
            [Series(name, values) for name, values in totals.items()],
            x_label=unit,
            y_label="Calls",
            full=full,
        ),
        _chart(
            line_chart,
            "chart-service-level",
            "Service level per queue",
            short,
            [Series(name, values) for name, values in sorted(queues.items())],
            x_label=unit,
            y_label="Service level",
            percent=True,
            full=full,
        ),
    ]
    headers = [
        "Queue",
        "Start",
        "Offered",
        "Answered",
        "Answered in T",
        "Abandoned",
        "Short abandons",
        "Flowed out",
        "Service level",
        "Abandon rate",
        "ASA",
        "AHT",
        "Longest wait",
    ]
    table = Table(
        "table-intervals",
        f"Calls per queue and {BUCKET_NAMES[query.granularity]}; service level = {report.formula_label}",
        headers,
        [
            [
                r.queue,
                _bucket(r.label, query.granularity),
                str(r.offered),
                str(r.answered),
                str(r.answered_in_t),
                str(r.abandoned),
                str(r.short_abandons),
                str(r.flowed_out),
                pct(r.service_level),
                pct(r.abandon_rate),
                secs(r.asa_s),
                secs(r.aht_s),
                secs(r.longest_wait_s),
            ]
            for r in rows
        ],
        _numeric(headers, 2),
    )
    return Page(panels, [table])


def _agents(report: Any, query: ReportQuery) -> Page:
    per_agent: dict[str, list[float]] = {}
    for r in report.rows:
        sums = per_agent.setdefault(r.agent, [0.0, 0.0, 0.0])
        sums[0] += r.handled
        sums[1] += r.handling_s
        sums[2] += r.logged_in_s
    names = sorted(per_agent)
    panels = [
        _chart(
            bar_chart,
            "chart-handled",
            "Calls handled per agent",
            names,
            [Series("Handled", [per_agent[n][0] for n in names])],
            x_label="Agent",
            y_label="Calls",
        ),
        _chart(
            bar_chart,
            "chart-occupancy",
            "Occupancy per agent (on call + wrap-up ÷ logged in)",
            names,
            [Series("Occupancy", [per_agent[n][1] / per_agent[n][2] if per_agent[n][2] else None for n in names])],
            x_label="Agent",
            y_label="Occupancy",
            percent=True,
        ),
    ]
    states = report.states()
    headers = ["Agent", "Start", "Handled", "AHT", "Logged in", "Occupancy"] + [
        s.replace("_", " ").capitalize() for s in states
    ]
    table = Table(
        "table-agents",
        f"Agents per {BUCKET_NAMES[query.granularity]} (times in h:mm:ss)",
        headers,
        [
            [
                r.agent,
                _bucket(r.label, query.granularity),
                str(r.handled),
                secs(r.aht_s),
                hms(r.logged_in_s),
                pct(r.occupancy),
            ]
            + [hms(r.state_s.get(s, 0.0)) for s in states]
            for r in report.rows
        ],
        _numeric(headers, 2),
    )
    return Page(panels, [table])


def _daily(report: Any, query: ReportQuery) -> Page:
    days = sorted({r.day.isoformat() for r in report.containment} | {c.day.isoformat() for c in report.csat})
    index = {d: i for i, d in enumerate(days)}
    flows: dict[str, list[float | None]] = {}
    for r in report.containment:
        flows.setdefault(r.flow, [None] * len(days))[index[r.day.isoformat()]] = r.rate
    csat_values: list[float | None] = [None] * len(days)
    for c in report.csat:
        csat_values[index[c.day.isoformat()]] = c.mean
    short = [d[5:] for d in days]
    panels = [
        _chart(
            line_chart,
            "chart-containment",
            "IVR containment per flow",
            short,
            [Series(name, values) for name, values in sorted(flows.items())],
            x_label="Day",
            y_label="Contained",
            percent=True,
            full=days,
        ),
        _chart(
            bar_chart,
            "chart-csat",
            "Mean CSAT per day (1–5)",
            short,
            [Series("CSAT", csat_values)],
            x_label="Day",
            y_label="Mean score",
            full=days,
        ),
    ]
    headers = ["Day", "Flow", "Entered", "Contained", "Containment", "Exits"]
    table = Table(
        "table-containment",
        "IVR containment per flow and day",
        headers,
        [
            [
                r.day.isoformat(),
                r.flow,
                str(r.entered),
                str(r.contained),
                pct(r.rate),
                ", ".join(f"{k}: {v}" for k, v in r.exits.items()),
            ]
            for r in report.containment
        ],
        {2, 3, 4},
    )
    c_headers = ["Day", "Scores", "Mean CSAT"]
    csat = Table(
        "table-csat",
        "CSAT per day",
        c_headers,
        [[c.day.isoformat(), str(c.count), "—" if c.mean is None else f"{c.mean:.2f}"] for c in report.csat],
        _numeric(c_headers, 1),
    )
    return Page(panels, [table, csat])


def _hit_rate(met: int, breached: int) -> float | None:
    return met / (met + breached) if met + breached else None


def _sla(report: Any, query: ReportQuery) -> Page:
    metrics: list[str] = []
    by_queue: dict[str, dict[str, list[int]]] = {}
    for r in report.rows:
        if r.metric not in metrics:
            metrics.append(r.metric)
        sums = by_queue.setdefault(r.queue or "(no queue)", {}).setdefault(r.metric, [0, 0])
        sums[0] += r.met
        sums[1] += r.breached
    series = [
        Series(
            queue,
            [_hit_rate(*sums[m]) if m in sums else None for m in metrics],
        )
        for queue, sums in sorted(by_queue.items())
    ]
    panels = [
        _chart(
            bar_chart,
            "chart-sla",
            "SLA hit rate per metric and queue (met ÷ met + breached)",
            [m.replace("_", " ") for m in metrics],
            series,
            x_label="Metric",
            y_label="Hit rate",
            percent=True,
        )
    ]
    headers = ["Policy", "Priority", "Queue", "Metric", "Met", "Breached", "Unanswered", "Hit rate"]
    table = Table(
        "table-sla",
        "SLA clocks decided in the range",
        headers,
        [
            [
                r.policy or "(none)",
                r.priority,
                r.queue or "(none)",
                r.metric.replace("_", " "),
                str(r.met),
                str(r.breached),
                str(r.unanswered),
                pct(r.hit_rate),
            ]
            for r in report.rows
        ],
        _numeric(headers, 4),
    )
    return Page(panels, [table])


CHANNEL_NAMES = {"email": "E-mail", "sms": "SMS", "chat": "Chat", "web": "Web form", "phone": "Phone", "api": "API"}


def _channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel.title())


def _channel_cells(row: Any, second: str) -> list[str]:
    """A channel's row in either table: its name, then the target or the interval, then its counts."""
    counts = (row.opened, row.met, row.breached, row.unanswered, row.waiting)
    return [_channel_name(row.channel), second, *map(str, counts), pct(row.service_level), secs(row.median_reply_s)]


def _channels(report: Any, query: ReportQuery) -> Page:
    labels = sorted({r.label for r in report.rows})
    index = {label: i for i, label in enumerate(labels)}
    levels: dict[str, list[float | None]] = {}
    for r in report.rows:
        levels.setdefault(_channel_name(r.channel), [None] * len(labels))[index[r.label]] = r.service_level
    unit = "Day" if query.granularity == "day" else f"Interval start ({query.time_zone})"
    panels = [
        _chart(
            line_chart,
            "chart-channel-levels",
            "First replies within target per channel (met ÷ met + breached)",
            [_short(label, query.granularity) for label in labels],
            [Series(name, values) for name, values in sorted(levels.items())],
            x_label=unit,
            y_label="Service level",
            percent=True,
            full=[_bucket(label, query.granularity) for label in labels],
        )
    ]
    targets = {t.channel: t.describe() for t in report.targets}
    summary_headers = ["Channel", "First-reply target", "Opened", "Met", "Breached", "Unanswered", "Waiting"]
    summary_headers += ["Service level", "Median first reply"]
    summary = Table(
        "table-channel-totals",
        "Per channel over the range",
        summary_headers,
        [_channel_cells(r, targets.get(r.channel, "no first-reply target")) for r in report.totals],
        _numeric(summary_headers, 2),
    )
    headers = ["Channel", "Start", "Opened", "Met", "Breached", "Unanswered", "Waiting", "Service level"]
    headers += ["Median first reply"]
    table = Table(
        "table-channels",
        f"Tickets per channel and {BUCKET_NAMES[query.granularity]}, by the time they were opened",
        headers,
        [_channel_cells(r, _bucket(r.label, query.granularity)) for r in report.rows],
        _numeric(headers, 2),
    )
    return Page(panels, [summary, table])


def _dialer(report: Any, query: ReportQuery) -> Page:
    names = [r.campaign for r in report.rows]
    caps = {r.cap for r in report.rows}
    panels = [
        _chart(
            bar_chart,
            "chart-dials",
            "Dials, live answers, connects and abandons per campaign",
            names,
            [
                Series("Dials", [r.dials for r in report.rows]),
                Series("Live answers", [r.live_answered for r in report.rows]),
                Series("Connects", [r.connects for r in report.rows]),
                Series("Abandoned", [r.abandoned for r in report.rows]),
            ],
            x_label="Campaign",
            y_label="Calls",
        ),
        _chart(
            bar_chart,
            "chart-abandon",
            "Abandon rate in the current regulatory period",
            names,
            [Series("Abandon rate (period)", [r.period_abandon_rate for r in report.rows])],
            x_label="Campaign",
            y_label="Abandoned ÷ live answers",
            percent=True,
            reference=("Cap", next(iter(caps))) if len(caps) == 1 else None,
        ),
    ]
    headers = [
        "Campaign",
        "Rules",
        "Status",
        "Dials",
        "Live answers",
        "Connects",
        "Abandoned",
        "Machines",
        "Connect rate",
        "Abandon rate (range)",
        "Period",
        "Abandon rate (period)",
        "Cap",
    ]
    table = Table(
        "table-dialer",
        "Campaigns that dialed in the range or are running",
        headers,
        [
            [
                r.campaign,
                r.rule_set,
                r.status,
                str(r.dials),
                str(r.live_answered),
                str(r.connects),
                str(r.abandoned),
                str(r.machines),
                pct(r.connect_rate),
                pct(r.abandon_rate),
                str(r.period + 1),
                pct(r.period_abandon_rate) + (" (over cap)" if r.over_cap else ""),
                pct(r.cap),
            ]
            for r in report.rows
        ],
        _numeric(headers, 3),
    )
    return Page(panels, [table])


BUCKET_NAMES = {"interval": "15 minutes", "30min": "30 minutes", "hour": "hour", "day": "day"}

BUILDERS: dict[str, Callable[[Any, ReportQuery], Page]] = {
    "intervals": _intervals,
    "agents": _agents,
    "daily": _daily,
    "sla": _sla,
    "channels": _channels,
    "dialer": _dialer,
}

NOTES = {
    "intervals": "A call counts in the interval it was queued in. Offered = answered + abandoned; "
    "AHT = talk + wrap-up (hold time is not recorded yet).",
    "agents": "Occupancy = (on call + wrap-up) ÷ logged in. Handled calls count in the interval they were answered in.",
    "daily": "Containment = calls fully served in the IVR ÷ calls that entered it. "
    "CSAT counts on the day the call arrived.",
    "sla": "A clock counts on the day it was decided: met when stopped in time, breached at its deadline.",
    "channels": "A ticket counts in the interval it was opened in, by its channel. Met = the first reply came "
    "within the target its SLA policy sets for the channel (e.g. chat 30 s, SMS 15 min, e-mail 4 h on business "
    "hours); service level = met ÷ (met + breached); waiting tickets are left out until decided.",
    "dialer": "Counts are for the range. The period's abandon rate is the one the pacer is held to: "
    "the campaign's current regulatory period (30 days US, 24 hours UK) as of the range's end.",
}


# -- views -----------------------------------------------------------------------------------


@bp.get("")
@login_required
@staff_only
def index() -> BaseResponse:
    return redirect(url_for("reports.report", kind="intervals"))


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


@bp.get("/<kind>")
@login_required
@staff_only
def report(kind: str) -> tuple[str, int]:
    session = database.session()
    query = parse(session, _kind(kind), request.args)
    page: Page | None = None
    if not query.errors:
        page = BUILDERS[kind](run(session, query), query)
    return render_template(
        "reports/report.html",
        kinds=KINDS,
        kind=kind,
        query=query,
        page=page,
        empty=page is not None and not any(t.rows for t in page.tables),
        note=NOTES[kind],
        intervals=INTERVALS,
        formulas=list(intervals.FORMULAS),
        queues=queue_names(session) if kind == "intervals" else [],
        agents=agent_names(session) if kind == "agents" else [],
        zones=time_zones(session, query.time_zone),
    ), 400 if query.errors else 200


@bp.get("/<kind>.csv")
@login_required
@staff_only
def report_csv(kind: str) -> Response | tuple[str, int]:
    session = database.session()
    query = parse(session, _kind(kind), request.args)
    if query.errors:
        return report(kind)
    text = run(session, query).to_csv()
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{query.csv_filename()}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
