"""Service level per channel: how many of the contacts that came in by chat, e-mail, text, the
web or phone got their first reply within their target, per 15/30/60 minutes or day.

A calls' service level is "answered within T seconds"; for written channels the same question is
asked of the ticket's first-response SLA clock, whose target the matching SLA policy sets per
channel (e.g. chat 30 s, SMS 15 min, e-mail 4 h counted on a business calendar). A ticket counts
in the interval it was opened in, by its channel:

* met — the first reply (an agent's public response) stopped the clock before its target;
* breached — the target passed without a reply (counted however late the reply came);
* unanswered — solved without any reply before the target: neither met nor breached;
* waiting — still counting towards a target not reached yet: left out of the rate.

Service level = met ÷ (met + breached); the first-reply time is opened → reply, wall-clock. The
target shown is the one most of the channel's clocks had (a channel may be under several
policies); "business hours" when it was counted on a calendar.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.tickets.models import SlaState, Ticket, TicketSla

FIRST_RESPONSE = "first_response"


@dataclass
class ChannelInterval:
    channel: str
    start: datetime
    label: str
    opened: int = 0
    met: int = 0
    breached: int = 0
    unanswered: int = 0
    waiting: int = 0
    no_target: int = 0
    reply_s: list[float] = field(default_factory=list)

    @property
    def service_level(self) -> float | None:
        decided = self.met + self.breached
        return self.met / decided if decided else None

    @property
    def median_reply_s(self) -> float | None:
        return median(self.reply_s) if self.reply_s else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "start": self.label,
            "opened": self.opened,
            "met": self.met,
            "breached": self.breached,
            "unanswered": self.unanswered,
            "waiting": self.waiting,
            "no_target": self.no_target,
            "service_level": self.service_level,
            "median_first_reply_s": self.median_reply_s,
        }


@dataclass(frozen=True)
class ChannelTarget:
    channel: str
    target_s: int | None
    business_hours: bool

    def describe(self) -> str:
        if self.target_s is None:
            return "no first-reply target"
        return f"{_duration(self.target_s)}{' (business hours)' if self.business_hours else ''}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "target_s": self.target_s,
            "business_hours": self.business_hours,
            "target": self.describe(),
        }


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h" if not rest else f"{hours} h {rest // 60} min"


def _outcome(clock_row: TicketSla | None, now: datetime) -> str:
    if clock_row is None:
        return "no_target"
    if clock_row.deadline_at is not None and clock.as_utc(clock_row.deadline_at) <= now:
        return "breached"
    if clock_row.state == SlaState.STOPPED.value and clock_row.deadline_at is None:
        return "unanswered" if clock_row.unanswered else "met"
    return "waiting"


def channel_intervals(
    session: Session,
    first: date,
    last: date,
    *,
    time_zone: str = "UTC",
    granularity: str = "hour",
    now: datetime | None = None,
) -> tuple[list[ChannelInterval], list[ChannelTarget]]:
    """Rows per channel and interval (only where tickets were opened), and each channel's target."""
    from contactcenter.tickets import intervals

    intervals.check_granularity(granularity)
    window = intervals.Window(first, last, intervals.zone(time_zone))
    now = now or clock.now()
    tickets = session.execute(
        select(Ticket.id, Ticket.channel, Ticket.created_at).where(
            Ticket.created_at >= window.lower, Ticket.created_at < window.upper
        )
    ).all()
    ids = [row.id for row in tickets]
    clocks: dict[int, TicketSla] = {}
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        for found in session.scalars(
            select(TicketSla).where(
                TicketSla.ticket_id.in_(chunk), TicketSla.metric == FIRST_RESPONSE, TicketSla.cycle == 0
            )
        ):
            clocks[found.ticket_id] = found
    rows: dict[tuple[str, datetime], ChannelInterval] = {}
    targets: dict[str, Counter[tuple[int, bool]]] = {}
    for ticket_id, channel, created_at in tickets:
        opened = clock.as_utc(created_at)
        start, _end = window.bucket(opened, granularity)
        row = rows.get((channel, start))
        if row is None:
            row = rows[(channel, start)] = ChannelInterval(channel, start, window.label(start, granularity))
        row.opened += 1
        sla_row = clocks.get(ticket_id)
        outcome = _outcome(sla_row, now)
        setattr(row, outcome, getattr(row, outcome) + 1)
        targets.setdefault(channel, Counter())
        if sla_row is not None:
            targets[channel][(sla_row.target_s, sla_row.business_hours)] += 1
            if outcome == "met" and sla_row.stopped_at is not None:
                row.reply_s.append(max(0.0, (clock.as_utc(sla_row.stopped_at) - opened).total_seconds()))
    ordered = sorted(rows.values(), key=lambda r: (r.channel, r.start))
    channel_targets = []
    for channel in sorted(targets):
        common = targets[channel].most_common(1)
        target_s, business = common[0][0] if common else (None, False)
        channel_targets.append(ChannelTarget(channel, target_s, business))
    return ordered, channel_targets


def totals(rows: list[ChannelInterval]) -> list[ChannelInterval]:
    """One row per channel over the whole range (its label is "total")."""
    out: dict[str, ChannelInterval] = {}
    for row in rows:
        total = out.get(row.channel)
        if total is None:
            total = out[row.channel] = ChannelInterval(row.channel, row.start, "total")
        total.opened += row.opened
        total.met += row.met
        total.breached += row.breached
        total.unanswered += row.unanswered
        total.waiting += row.waiting
        total.no_target += row.no_target
        total.reply_s.extend(row.reply_s)
    return [out[c] for c in sorted(out)]
