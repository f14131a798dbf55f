"""The quality report and evaluation list as plain data and as CSV: one shape for the page's CSV
download, the JSON API and `contactcenter quality report`, so all three say the same thing."""

from __future__ import annotations

import csv
import io
from typing import Any

from contactcenter import clock
from contactcenter.quality.interfaces import QualityReport, WeekRow
from contactcenter.quality.models import Evaluation

CSV_HEADER = ("group", "name", "week_starting", "evaluations", "average_score", "auto_fails")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A name a spreadsheet would read as a formula is quoted with an apostrophe."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def report_csv(report: QualityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for group, rows in (("agent", report.by_agent), ("queue", report.by_queue)):
        for r in rows:
            writer.writerow([group, _cell(r.name), r.week.isoformat(), r.evaluations, f"{r.average:.1f}", r.auto_fails])
    return out.getvalue()


def _row(r: WeekRow) -> dict[str, Any]:
    return {
        "week_starting": r.week.isoformat(),
        "name": r.name,
        "evaluations": r.evaluations,
        "average_score": r.average,
        "auto_fails": r.auto_fails,
    }


def report_dict(report: QualityReport) -> dict[str, Any]:
    return {
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "time_zone": report.time_zone,
        "weeks": [w.isoformat() for w in report.weeks],
        "evaluations": report.evaluations,
        "auto_fails": report.auto_fails,
        "by_agent": [_row(r) for r in report.by_agent],
        "by_queue": [_row(r) for r in report.by_queue],
    }


def evaluation_dict(e: Evaluation) -> dict[str, Any]:
    return {
        "id": e.id,
        "interaction_id": e.interaction_id,
        "agent": e.agent.username,
        "agent_name": e.agent.display_name or e.agent.username,
        "queue": e.queue.name if e.queue else None,
        "evaluator": e.evaluator.username if e.evaluator else None,
        "form": e.form.name,
        "form_version": e.form.version,
        "score": e.score,
        "auto_failed": e.auto_failed,
        "auto_fail_reason": e.auto_fail_reason,
        "status": e.status,
        "submitted_at": clock.as_utc(e.submitted_at).isoformat(),
        "responded_at": clock.as_utc(e.responded_at).isoformat() if e.responded_at else None,
    }
