"""Ticket SLA hit rates: per policy, priority, queue and metric, how many clocks met their
target and how many breached it.

A clock counts once it is decided: *met* when it stopped before its target was reached (counted
at the stop), *breached* once its target was reached (counted at the deadline, whether or not the
ticket has been solved since). Clocks still counting towards a future deadline are left out.
The window [start, end) applies to that decision instant; priority and queue are the ticket's
current ones. Hit rate = met ÷ (met + breached), None when nothing was decided.
"""

from __future__ import annotations

import csv
import io
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
        """Met, breached and hit rate per metric, over every row."""
        out: dict[str, dict[str, Any]] = {}
        for metric in METRICS:
            met = sum(r.met for r in self.rows if r.metric == metric)
            breached = sum(r.breached for r in self.rows if r.metric == metric)
            if met or breached:
                out[metric] = {"met": met, "breached": breached, "hit_rate": met / (met + breached)}
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
        fields = ["policy_id", "policy", "priority", "queue_id", "queue", "metric", "met", "breached", "hit_rate"]
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
    outcome = case((breached, "breached"), else_="met").label("outcome")
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
        counts.setdefault((policy_id, priority, queue_id, metric), {"met": 0, "breached": 0})[result] += count
    policy_names = dict(session.execute(select(SlaPolicy.id, SlaPolicy.name)).all())
    queue_names = dict(session.execute(select(Queue.id, Queue.name)).all())
    rows = [
        SlaReportRow(
            policy_id=policy_id, policy=policy_names.get(policy_id), priority=priority, queue_id=queue_id,
            queue=queue_names.get(queue_id), metric=metric, met=c["met"], breached=c["breached"],
        )
        for (policy_id, priority, queue_id, metric), c in counts.items()
    ]
    rows.sort(key=lambda r: (
        r.policy or "", _PRIORITY_ORDER.get(r.priority, 9), r.queue or "", METRICS.index(r.metric)
    ))
    return SlaReport(start, end, now, rows)
