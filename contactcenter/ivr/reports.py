"""IVR containment: calls fully served in the IVR ÷ calls that entered it, per flow and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.contacts.models import Interaction

CONTAINED_EXIT = "completed"


@dataclass(frozen=True)
class ContainmentRow:
    flow: str
    day: date
    entered: int
    contained: int
    exits: dict[str, int]

    @property
    def rate(self) -> float | None:
        return self.contained / self.entered if self.entered else None


def containment(session: Session, start: date, end: date, time_zone: str = "UTC") -> list[ContainmentRow]:
    """One row per flow and local day in [start, end]; days are cut in `time_zone`.

    Counted in Python from the calls' arrival times so the day boundary is the center's local
    midnight on both SQLite and PostgreSQL (a GROUP BY on a date cast would use UTC days).
    """
    zone = ZoneInfo(time_zone)
    lower = datetime.combine(start, time.min, zone)
    upper = datetime.combine(end + timedelta(days=1), time.min, zone)
    rows = session.execute(
        select(Interaction.ivr_flow, Interaction.arrived_at, Interaction.ivr_exit).where(
            Interaction.ivr_flow.is_not(None), Interaction.arrived_at >= lower, Interaction.arrived_at < upper
        )
    )
    table: dict[tuple[str, date], dict[str, int]] = {}
    for flow, arrived_at, exit_reason in rows:
        assert flow is not None  # the query keeps only calls that went through a flow
        key = (flow, arrived_at.astimezone(zone).date())
        exits = table.setdefault(key, {})
        reason = exit_reason or "in-progress"
        exits[reason] = exits.get(reason, 0) + 1
    return [
        ContainmentRow(flow, day, sum(exits.values()), exits.get(CONTAINED_EXIT, 0), dict(sorted(exits.items())))
        for (flow, day), exits in sorted(table.items())
    ]
