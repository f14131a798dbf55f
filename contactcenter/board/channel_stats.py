"""The written channels' live figures for the board: per channel (chat, e-mail, SMS, web, …)
the tickets waiting for their first reply now, how long the oldest has waited, and today's first
replies against the channel's target (`tickets.channel_levels`, today in the centre's zone).

Waiting = a first-response SLA clock still counting (no public reply yet) on a ticket that is
neither solved nor closed; "breaching" = those past their target already. Phone tickets are
left out: calls have the queue tiles.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.tickets.channel_levels import FIRST_RESPONSE, channel_intervals, totals
from contactcenter.tickets.intervals import zone
from contactcenter.tickets.models import SlaState, Ticket, TicketSla
from contactcenter.tickets.reports import centre_time_zone

SKIPPED = ("phone",)
CLOSED = ("solved", "closed", "merged")


def channel_rows(session: Session) -> list[dict[str, Any]]:
    now = clock.now()
    tz = centre_time_zone(session)
    today = now.astimezone(zone(tz)).date()
    rows, targets = channel_intervals(session, today, today, time_zone=tz, granularity="day", now=now)
    by_channel: dict[str, dict[str, Any]] = {}
    target_of = {t.channel: t for t in targets}
    for total in totals(rows):
        by_channel[total.channel] = {
            "met_today": total.met,
            "breached_today": total.breached,
            "opened_today": total.opened,
            "service_level": total.service_level,
        }
    waiting = session.execute(
        select(
            Ticket.channel,
            func.count(),
            func.min(TicketSla.started_at),
            func.sum(case((TicketSla.deadline_at <= now, 1), else_=0)),
        )
        .join(Ticket, Ticket.id == TicketSla.ticket_id)
        .where(
            TicketSla.metric == FIRST_RESPONSE,
            TicketSla.state != SlaState.STOPPED.value,
            Ticket.status.not_in(CLOSED),
        )
        .group_by(Ticket.channel)
    ).all()
    for channel, count, oldest, breaching in waiting:
        entry = by_channel.setdefault(channel, {})
        entry["waiting"] = int(count)
        entry["breaching"] = int(breaching or 0)
        entry["oldest_wait_s"] = max(0.0, (now - clock.as_utc(oldest)).total_seconds()) if oldest else None
    out = []
    for channel in sorted(by_channel):
        if channel in SKIPPED:
            continue
        entry = by_channel[channel]
        target = target_of.get(channel)
        out.append(
            {
                "channel": channel,
                "waiting": entry.get("waiting", 0),
                "breaching": entry.get("breaching", 0),
                "oldest_wait_s": entry.get("oldest_wait_s"),
                "opened_today": entry.get("opened_today", 0),
                "met_today": entry.get("met_today", 0),
                "breached_today": entry.get("breached_today", 0),
                "service_level": entry.get("service_level"),
                "target": target.describe() if target is not None else None,
            }
        )
    return out
