"""Ticket SLA hit rates: per policy, priority, queue and metric, how many clocks met their
target and how many breached it.

A clock counts once it is decided: *met* when a response (or, for resolution, solving) stopped it
before its target was reached (counted at the stop), *breached* once its target was reached
(counted at the deadline, whether or not the ticket has been solved since, and whatever the
priority became afterwards), *unanswered* when solving the ticket stopped its first response
before the target without any agent response (counted at the stop; see `tickets.sla`). Clocks
still counting towards a future deadline are left out. The window [start, end) applies to that
decision instant; priority and queue are the ticket's current ones. Hit rate = met ÷ (met +
breached), None when nothing was met or breached: an unanswered first response is neither.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.acd.models import Queue
from contactcenter.tickets.models import SlaPolicy, SlaState, Ticket, TicketPriority, TicketSla
from contactcenter.tickets.sla import METRICS

_PRIORITY_ORDER = {p.value: i for i, p in enumerate(reversed(list(TicketPriority)))}


@dataclass(frozen=True)
class SlaReportRow:
    policy_id: int | None
    policy: str | None
    priority: str
    queue_id: int | None
    queue: str | None
    metric: str
    met: int
    breached: int
    unanswered: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def hit_rate(self) -> float | None:
        return None if not self.decided else self.met / self.decided

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "hit_rate": self.hit_rate}


@dataclass(frozen=True)
class SlaReport:
    start: datetime | None
    end: datetime | None
    generated_at: datetime
    rows: list[SlaReportRow]

    def totals(self) -> dict[str, dict[str, Any]]:
        """Met, breached, unanswered and hit rate per metric, over every row."""
        out: dict[str, dict[str, Any]] = {}
        for metric in METRICS:
            met = sum(r.met for r in self.rows if r.metric == metric)
            breached = sum(r.breached for r in self.rows if r.metric == metric)
            unanswered = sum(r.unanswered for r in self.rows if r.metric == metric)
            if met or breached or unanswered:
                out[metric] = {
                    "met": met,
                    "breached": breached,
                    "unanswered": unanswered,
                    "hit_rate": met / (met + breached) if met or breached else None,
                }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": None if self.start is None else self.start.isoformat(),
            "to": None if self.end is None else self.end.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals(),
        }

    def to_csv(self) -> str:
        buffer = io.StringIO()
        fields = [
            "policy_id",
            "policy",
            "priority",
            "queue_id",
            "queue",
            "metric",
            "met",
            "breached",
            "unanswered",
            "hit_rate",
        ]
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            values = row.to_dict()
            values["hit_rate"] = "" if row.hit_rate is None else f"{row.hit_rate:.4f}"
            writer.writerow({k: ("" if values[k] is None else _csv_safe(values[k])) for k in fields})
        return buffer.getvalue()


def _csv_safe(value: Any) -> Any:
    """Names typed by people must not turn into spreadsheet formulas."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def sla_hit_rates(
    session: Session, *, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> SlaReport:
    now = now or clock.now()
    breached = and_(TicketSla.deadline_at.is_not(None), TicketSla.deadline_at <= now)
    met = and_(TicketSla.state == SlaState.STOPPED.value, TicketSla.deadline_at.is_(None))
    outcome = case((breached, "breached"), (TicketSla.unanswered.is_(True), "unanswered"), else_="met").label("outcome")
    decided_at = case((breached, TicketSla.deadline_at), else_=TicketSla.stopped_at)
    query = (
        select(TicketSla.policy_id, Ticket.priority, Ticket.queue_id, TicketSla.metric, outcome, func.count())
        .join(Ticket, Ticket.id == TicketSla.ticket_id)
        .where(or_(breached, met))
        .group_by(TicketSla.policy_id, Ticket.priority, Ticket.queue_id, TicketSla.metric, outcome)
    )
    if start is not None:
        query = query.where(decided_at >= start)
    if end is not None:
        query = query.where(decided_at < end)
    counts: dict[tuple[Any, ...], dict[str, int]] = {}
    for policy_id, priority, queue_id, metric, result, count in session.execute(query):
        counts.setdefault((policy_id, priority, queue_id, metric), {"met": 0, "breached": 0, "unanswered": 0})[
            result
        ] += count
    policy_names = dict(session.execute(select(SlaPolicy.id, SlaPolicy.name)).all())
    queue_names = dict(session.execute(select(Queue.id, Queue.name)).all())
    rows = [
        SlaReportRow(
            policy_id=policy_id,
            policy=policy_names.get(policy_id),
            priority=priority,
            queue_id=queue_id,
            queue=queue_names.get(queue_id),
            metric=metric,
            met=c["met"],
            breached=c["breached"],
            unanswered=c["unanswered"],
        )
        for (policy_id, priority, queue_id, metric), c in counts.items()
    ]
    rows.sort(
        key=lambda r: (r.policy or "", _PRIORITY_ORDER.get(r.priority, 9), r.queue or "", METRICS.index(r.metric))
    )
    return SlaReport(start, end, now, rows)


# -- service-level intervals, agents, daily (see contactcenter.tickets.intervals) ---------------

INTERVAL_FIELDS = [
    "queue",
    "start",
    "threshold_s",
    "offered",
    "answered",
    "answered_in_t",
    "abandoned",
    "abandoned_in_t",
    "abandoned_after_t",
    "short_abandons",
    "flowed_out",
    "service_level",
    "abandon_rate",
    "asa_s",
    "aht_s",
    "talk_s",
    "hold_s",
    "wrap_s",
    "longest_wait_s",
]


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 4))
    return _csv_safe(value)


def _csv(fields: list[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in fields})
    return buffer.getvalue()


def csv_text(fields: list[str], rows: list[dict[str, Any]]) -> str:
    """The reports' CSV (floats to 4 places, text that could be a formula made inert), for
    reports kept elsewhere (the dialer's) that must read the same."""
    return _csv(fields, rows)


def _fmt(value: float | None, kind: str = "s") -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if kind == "%" else f"{value:.1f}"


@dataclass(frozen=True)
class IntervalReport:
    """Calls per queue and interval (or day), with the service-level formula it used."""

    first: Any
    last: Any
    time_zone: str
    granularity: str
    formula: str
    formula_label: str
    rows: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "time_zone": self.time_zone,
            "granularity": self.granularity,
            "formula": self.formula,
            "formula_label": self.formula_label,
            "hold_note": "hold time is not recorded yet; AHT counts it as 0",
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_csv(self) -> str:
        return f"# service level: {self.formula} = {self.formula_label}\n" + _csv(
            INTERVAL_FIELDS, [r.to_dict() for r in self.rows]
        )

    def lines(self) -> list[str]:
        out = [
            f"Calls per queue and {self.granularity}, {self.first} to {self.last} ({self.time_zone})",
            f"service level: {self.formula} = {self.formula_label}; AHT = talk + hold (0, not recorded) + wrap",
        ]
        if not self.rows:
            return out + ["no queued calls in this window"]
        header = (
            f"{'queue':<16} {'start':<25} {'offer':>5} {'ans':>5} {'in T':>5} {'aband':>5} {'short':>5} "
            f"{'flow':>4} {'SL':>7} {'ASA':>7} {'AHT':>7} {'max wait':>8}"
        )
        out += [header, "-" * len(header)]
        for r in self.rows:
            out.append(
                f"{r.queue[:16]:<16} {r.label:<25} {r.offered:>5} {r.answered:>5} {r.answered_in_t:>5} "
                f"{r.abandoned:>5} {r.short_abandons:>5} {r.flowed_out:>4} {_fmt(r.service_level, '%'):>7} "
                f"{_fmt(r.asa_s):>7} {_fmt(r.aht_s):>7} {_fmt(r.longest_wait_s):>8}"
            )
        return out


def interval_report(
    session: Session,
    first: Any,
    last: Any,
    *,
    time_zone: str = "UTC",
    queue: str | None = None,
    sl_formula: str | None = None,
    granularity: str = "interval",
    now: datetime | None = None,
) -> IntervalReport:
    from contactcenter.tickets import intervals

    sl = intervals.formula(sl_formula or intervals.DEFAULT_FORMULA)
    rows = intervals.call_intervals(
        session, first, last, time_zone=time_zone, queue=queue, sl_formula=sl.name, granularity=granularity, now=now
    )
    return IntervalReport(first, last, time_zone, granularity, sl.name, sl.label, rows)


CHANNEL_FIELDS = [
    "channel",
    "start",
    "opened",
    "met",
    "breached",
    "unanswered",
    "waiting",
    "no_target",
    "service_level",
    "median_first_reply_s",
]


@dataclass(frozen=True)
class ChannelReport:
    """First replies per channel and interval (or day) against each channel's target."""

    first: Any
    last: Any
    time_zone: str
    granularity: str
    rows: list[Any]
    totals: list[Any]
    targets: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "time_zone": self.time_zone,
            "granularity": self.granularity,
            "targets": [t.to_dict() for t in self.targets],
            "totals": [r.to_dict() for r in self.totals],
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_csv(self) -> str:
        return _csv(CHANNEL_FIELDS, [r.to_dict() for r in self.rows])

    def lines(self) -> list[str]:
        out = [f"First replies per channel and {self.granularity}, {self.first} to {self.last} ({self.time_zone})"]
        if not self.rows:
            return out + ["no tickets opened in this window"]
        targets = {t.channel: t.describe() for t in self.targets}
        header = (
            f"{'channel':<8} {'start':<25} {'opened':>6} {'met':>5} {'breach':>6} {'unans':>5} {'wait':>5} "
            f"{'SL':>7} {'median':>8}"
        )
        out += [header, "-" * len(header)]
        for r in [*self.rows, *self.totals]:
            out.append(
                f"{r.channel[:8]:<8} {r.label:<25} {r.opened:>6} {r.met:>5} {r.breached:>6} {r.unanswered:>5} "
                f"{r.waiting:>5} {_fmt(r.service_level, '%'):>7} {_fmt(r.median_reply_s):>8}"
            )
        out.append("targets: " + "; ".join(f"{c} {t}" for c, t in sorted(targets.items())))
        return out


def channel_report(
    session: Session,
    first: Any,
    last: Any,
    *,
    time_zone: str = "UTC",
    granularity: str = "hour",
    now: datetime | None = None,
) -> ChannelReport:
    from contactcenter.tickets import channel_levels

    rows, targets = channel_levels.channel_intervals(
        session, first, last, time_zone=time_zone, granularity=granularity, now=now
    )
    return ChannelReport(first, last, time_zone, granularity, rows, channel_levels.totals(rows), targets)


@dataclass(frozen=True)
class AgentReport:
    first: Any
    last: Any
    time_zone: str
    granularity: str
    rows: list[Any]

    def states(self) -> list[str]:
        from contactcenter.tickets.intervals import _states

        return _states(s for r in self.rows for s in r.state_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "time_zone": self.time_zone,
            "granularity": self.granularity,
            "occupancy": "(on_call + wrap_up) / time logged in (every state but offline)",
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_csv(self) -> str:
        states = self.states()
        fields = ["agent", "start", "handled", "aht_s", "logged_in_s", "handling_s", "occupancy"] + [
            f"{s}_s" for s in states
        ]
        rows = []
        for r in self.rows:
            values = r.to_dict()
            values.update({f"{s}_s": r.state_s.get(s, 0.0) for s in states})
            rows.append(values)
        return _csv(fields, rows)

    def lines(self) -> list[str]:
        out = [
            f"Agents per {self.granularity}, {self.first} to {self.last} ({self.time_zone}); "
            "occupancy = (on_call + wrap_up) / logged in"
        ]
        if not self.rows:
            return out + ["no agent activity in this window"]
        states = self.states()
        header = f"{'agent':<16} {'start':<25} {'calls':>5} {'AHT':>7} {'occ':>7} " + " ".join(
            f"{s[:9]:>9}" for s in states
        )
        out += [header, "-" * len(header)]
        for r in self.rows:
            out.append(
                f"{r.agent[:16]:<16} {r.label:<25} {r.handled:>5} {_fmt(r.aht_s):>7} "
                f"{_fmt(r.occupancy, '%'):>7} " + " ".join(f"{r.state_s.get(s, 0.0):>9.0f}" for s in states)
            )
        return out


def agent_report(
    session: Session,
    first: Any,
    last: Any,
    *,
    time_zone: str = "UTC",
    granularity: str = "interval",
    agent: str | None = None,
    now: datetime | None = None,
) -> AgentReport:
    from contactcenter.tickets import intervals

    rows = intervals.agent_intervals(
        session, first, last, time_zone=time_zone, granularity=granularity, agent=agent, now=now
    )
    return AgentReport(first, last, time_zone, granularity, rows)


@dataclass(frozen=True)
class DailyReport:
    """Per local day: IVR containment per flow (contactcenter.ivr.reports) and CSAT."""

    first: Any
    last: Any
    time_zone: str
    containment: list[Any]
    csat: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "time_zone": self.time_zone,
            "containment": [
                {
                    "day": r.day.isoformat(),
                    "flow": r.flow,
                    "entered": r.entered,
                    "contained": r.contained,
                    "rate": r.rate,
                    "exits": r.exits,
                }
                for r in self.containment
            ],
            "csat": [r.to_dict() for r in self.csat],
        }

    def to_csv(self) -> str:
        """One row per day and flow; CSAT rows have kind "csat" and no flow."""
        rows: list[dict[str, Any]] = []
        for r in self.containment:
            rows.append(
                {
                    "day": r.day.isoformat(),
                    "kind": "containment",
                    "flow": r.flow,
                    "count": r.entered,
                    "contained": r.contained,
                    "value": r.rate,
                }
            )
        for c in self.csat:
            rows.append({"day": c.day.isoformat(), "kind": "csat", "flow": "", "count": c.count, "value": c.mean})
        rows.sort(key=lambda r: (r["day"], r["kind"], r["flow"]))
        return _csv(["day", "kind", "flow", "count", "contained", "value"], rows)

    def lines(self) -> list[str]:
        out = [f"IVR containment and CSAT per day, {self.first} to {self.last} ({self.time_zone})"]
        if not self.containment and not self.csat:
            return out + ["no calls in this window"]
        if self.containment:
            out.append(f"{'day':<10} {'flow':<24} {'entered':>7} {'contained':>9} {'rate':>7}")
            for r in self.containment:
                out.append(
                    f"{r.day.isoformat():<10} {r.flow[:24]:<24} {r.entered:>7} {r.contained:>9} {_fmt(r.rate, '%'):>7}"
                )
        if self.csat:
            out.append(f"{'day':<10} {'CSAT':>5} {'scores':>7}")
            for c in self.csat:
                out.append(f"{c.day.isoformat():<10} {_fmt(c.mean):>5} {c.count:>7}")
        return out


def daily_report(
    session: Session, first: Any, last: Any, *, containment: Callable[..., Any], time_zone: str = "UTC"
) -> DailyReport:
    """`containment(session, first, last, time_zone)` is the IVR's containment report (the IVR
    sits above the ticket store, so its caller passes it in)."""
    from contactcenter.tickets import intervals

    intervals.Window(first, last, intervals.zone(time_zone))  # validates the zone and the order of days
    return DailyReport(
        first,
        last,
        time_zone,
        containment(session, first, last, time_zone),
        intervals.csat_by_day(session, first, last, time_zone=time_zone),
    )


def centre_time_zone(session: Session) -> str:
    """The zone reports cut days in by default: the one most queues keep their hours in (ties go
    to the alphabetically first), UTC when there are no queues or none names a valid zone."""
    from contactcenter.tickets import intervals

    counts: dict[str, int] = {}
    for name in session.scalars(select(Queue.time_zone)):
        if not name:
            continue
        try:
            intervals.zone(name)
        except intervals.ReportError:
            continue
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "UTC"
    return min(counts, key=lambda name: (-counts[name], name))
