"""What the report pages and /api/reports/* share: reading a report's query (date range, time
zone, interval, queue, agent, formula), checking it, and running the same domain function the
`contactcenter report …` command runs, so the page, the API and the CLI give the same figures.

A query is read from a plain mapping (request.args) and never raises: each field that cannot be
used gets a message in `errors`, keyed by the field, and then nothing is computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue
from contactcenter.dialer.reports import dialer_report
from contactcenter.ivr.reports import containment
from contactcenter.tickets import intervals
from contactcenter.tickets.reports import (
    agent_report,
    centre_time_zone,
    channel_report,
    daily_report,
    interval_report,
    sla_hit_rates,
)

# Report kinds in the order the pages list them, with their titles.
KINDS = {
    "intervals": "Queue intervals",
    "agents": "Agents",
    "daily": "Containment and CSAT",
    "sla": "Ticket SLA",
    "channels": "Channels",
    "dialer": "Dialer campaigns",
}
# The interval choices as people say them, and the granularity each one is in the domain.
INTERVALS = {"15": "interval", "30": "30min", "60": "hour", "day": "day"}
DEFAULT_INTERVAL = {"intervals": "60", "agents": "day", "channels": "60"}
DEFAULT_DAYS = 7
MAX_DAYS = 92
# Intervals shorter than a day over more days than this make tables and charts nobody can read.
MAX_INTERVAL_DAYS = 31
MAX_VALUE = 100  # characters: every value here is a date, a name or a short code
FIELDS = ("from", "to", "tz", "interval", "queue", "agent", "formula")


@dataclass
class ReportQuery:
    kind: str
    first: date
    last: date
    time_zone: str
    interval: str = ""
    queue: str = ""
    agent: str = ""
    formula: str = ""
    # What was typed, to show back in the form, and a message per field that cannot be used.
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def granularity(self) -> str:
        return INTERVALS.get(self.interval, "day")

    def params(self) -> dict[str, str]:
        """The query as URL parameters (for the CSV link and the API), without empty ones."""
        values = {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "tz": self.time_zone,
            "interval": self.interval,
            "queue": self.queue,
            "agent": self.agent,
            "formula": self.formula,
        }
        return {k: v for k, v in values.items() if v}

    def range_params(self) -> dict[str, str]:
        """The range alone, for links to the other reports (nothing when it could not be used)."""
        if self.errors:
            return {}
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "tz": self.time_zone}

    def csv_filename(self) -> str:
        return f"{self.kind}-{self.first.isoformat()}-{self.last.isoformat()}.csv"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse(session: Session, kind: str, args: Mapping[str, str]) -> ReportQuery:
    """The query for report `kind` from `args`; defaults: the last 7 days to today, in the
    centre's time zone (see `centre_time_zone`)."""
    typed = {name: str(args.get(name, "") or "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    for name, value in typed.items():
        if len(value) > MAX_VALUE:
            errors[name] = f"too long (at most {MAX_VALUE} characters)"
    time_zone = typed["tz"] or centre_time_zone(session)
    if "tz" not in errors:
        try:
            tz = intervals.zone(time_zone)
        except intervals.ReportError:
            errors["tz"] = "unknown time zone; use a name such as Europe/Paris or UTC"
            tz = intervals.zone("UTC")
    else:
        tz = intervals.zone("UTC")
    today = clock.now().astimezone(tz).date()
    last = today if not typed["to"] else _date(typed["to"])
    first = (last or today) - timedelta(days=DEFAULT_DAYS - 1) if not typed["from"] else _date(typed["from"])
    if "to" not in errors and last is None:
        errors["to"] = "not a date (YYYY-MM-DD)"
    if "from" not in errors and first is None:
        errors["from"] = "not a date (YYYY-MM-DD)"
    if first is not None and last is not None and not errors.keys() & {"from", "to"}:
        if first > last:
            errors["to"] = "the end date comes before the start date"
        elif (last - first).days + 1 > MAX_DAYS:
            errors["to"] = f"at most {MAX_DAYS} days at a time"
    query = ReportQuery(
        kind, first or today, last or today, time_zone if "tz" not in errors else "UTC", typed=typed, errors=errors
    )
    if kind in DEFAULT_INTERVAL:
        query.interval = typed["interval"] or DEFAULT_INTERVAL[kind]
        if query.interval not in INTERVALS and "interval" not in errors:
            errors["interval"] = "one of 15, 30, 60 (minutes) or day"
        elif query.interval != "day" and not errors and (query.last - query.first).days + 1 > MAX_INTERVAL_DAYS:
            errors["interval"] = f"minutes for at most {MAX_INTERVAL_DAYS} days; choose day for a longer range"
    if kind == "intervals":
        query.formula = typed["formula"]
        if query.formula and query.formula not in intervals.FORMULAS and "formula" not in errors:
            errors["formula"] = f"one of {', '.join(intervals.FORMULAS)}"
        query.queue = typed["queue"]
        if query.queue and "queue" not in errors and query.queue not in queue_names(session):
            errors["queue"] = "no queue by that name"
    if kind == "agents":
        query.agent = typed["agent"]
        if query.agent and "agent" not in errors and query.agent not in agent_names(session):
            errors["agent"] = "no agent by that name"
    return query


def queue_names(session: Session) -> list[str]:
    return list(session.scalars(select(Queue.name).order_by(Queue.name)))


def agent_names(session: Session) -> list[str]:
    return list(session.scalars(select(User.username).order_by(User.username)))


def time_zones(session: Session, chosen: str) -> list[str]:
    """Zones to offer: UTC, the queues' zones and the one chosen."""
    names = {"UTC", chosen, *(z for z in session.scalars(select(Queue.time_zone)) if z)}
    return sorted(names)


def run(session: Session, query: ReportQuery) -> Any:
    """The report object (with to_dict and to_csv) for a query without errors."""
    assert not query.errors, "run only a checked query"
    first, last, tz = query.first, query.last, query.time_zone
    if query.kind == "intervals":
        return interval_report(
            session,
            first,
            last,
            time_zone=tz,
            queue=query.queue or None,
            sl_formula=query.formula or None,
            granularity=query.granularity,
        )
    if query.kind == "agents":
        return agent_report(
            session, first, last, time_zone=tz, granularity=query.granularity, agent=query.agent or None
        )
    if query.kind == "daily":
        return daily_report(session, first, last, containment=containment, time_zone=tz)
    if query.kind == "sla":
        window = intervals.Window(first, last, intervals.zone(tz))
        return sla_hit_rates(session, start=window.lower, end=window.upper)
    if query.kind == "dialer":
        return dialer_report(session, first, last, time_zone=tz)
    if query.kind == "channels":
        return channel_report(session, first, last, time_zone=tz, granularity=query.granularity)
    raise ValueError(f"unknown report {query.kind!r}")
