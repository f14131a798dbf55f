"""RQ jobs for ticket SLAs: warn before a breach, escalate on it, keep clocks current.

* `check_ticket_sla(ticket_id)` runs at a clock's warning time and at its deadline;
  `schedule_sla_checks` queues those runs (RQ's scheduler, which `contactcenter worker` runs)
  after a ticket change has committed. A run that finds nothing due (the ticket was answered,
  paused, or the deadline moved) does nothing, so stale runs are harmless.
* `sweep_sla` processes everything due at once; run it periodically (e.g. every minute with
  RQ's cron) as a safety net for checks that were never queued.
* `recompute_open_tickets` brings every open ticket's clocks in line after a policy or
  calendar change.

Notices go to supervisors on the Redis channel `events:supervisors` only after the
transaction that recorded them has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rq import Retry
from sqlalchemy import select

from contactcenter import clock
from contactcenter.app import jobs, runtime
from contactcenter.app.jobs import job
from contactcenter.db import transaction
from contactcenter.tickets import escalation, sla
from contactcenter.tickets.models import SlaState, TicketSla

CHECK_QUEUE = "high"


@job(CHECK_QUEUE)
def check_ticket_sla(ticket_id: int) -> int:
    """Warn or escalate whatever is due on one ticket; returns the number of notices sent."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        notices = escalation.process_due(session, ticket_ids=[ticket_id])
        follow_up = _pending_checks(session, [ticket_id])
    escalation.publish(rt.redis, notices)
    _enqueue_checks(follow_up, rt.redis)
    return len(notices)


@job(CHECK_QUEUE)
def sweep_sla(limit: int = 500) -> int:
    """Warn and escalate every clock that is due; returns the number of notices sent."""
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        notices = escalation.process_due(session, limit=limit)
        follow_up = _pending_checks(session, {n.ticket_id for n in notices})
    escalation.publish(rt.redis, notices)
    _enqueue_checks(follow_up, rt.redis)
    return len(notices)


@job("low", timeout=1800)
def recompute_open_tickets() -> int:
    rt = runtime.current()
    with transaction(rt.session_factory) as session:
        count = sla.recompute_open(session)
        follow_up = _pending_checks(session, None)
    _enqueue_checks(follow_up, rt.redis)
    return count


def schedule_sla_checks(session: Any, ticket_ids: Iterable[int], connection: Any = None) -> int:
    """Queue `check_ticket_sla` at the coming warning and deadline instants of these tickets'
    clocks (call after the change has committed); returns how many runs were queued."""
    return _enqueue_checks(_pending_checks(session, list(ticket_ids)), connection)


def _pending_checks(session: Any, ticket_ids: Iterable[int] | None) -> list[tuple[int, datetime]]:
    """(ticket, when) pairs to check: each clock's coming warning and deadline, and "now" for a
    warning or breach already due but not yet handled (never one that was handled, so a check
    does not queue itself again)."""
    now = clock.now()
    query = select(TicketSla.ticket_id, TicketSla.warn_at, TicketSla.deadline_at, TicketSla.warned_for).where(
        TicketSla.state != SlaState.STOPPED.value,
        TicketSla.deadline_at.is_not(None),
        TicketSla.escalated_at.is_(None),
    )
    if ticket_ids is not None:
        ids = list(ticket_ids)
        if not ids:
            return []
        query = query.where(TicketSla.ticket_id.in_(ids))
    due: set[tuple[int, datetime]] = set()
    for ticket_id, warn_at, deadline_at, warned_for in session.execute(query):
        if deadline_at <= now:
            due.add((ticket_id, now))  # breached, not yet escalated
            continue
        due.add((ticket_id, deadline_at))
        if warn_at is not None and warned_for != deadline_at:
            due.add((ticket_id, max(warn_at, now)))
    return sorted(due, key=lambda item: (item[1], item[0]))


def _enqueue_checks(checks: list[tuple[int, datetime]], connection: Any = None) -> int:
    if not checks:
        return 0
    queue = jobs.queue(CHECK_QUEUE, connection)
    for ticket_id, when in checks:
        queue.enqueue_at(
            when,
            check_ticket_sla,
            ticket_id,
            job_id=f"sla-check-{ticket_id}-{int(when.timestamp() * 1000)}",
            job_timeout=300,
            retry=Retry(max=3, interval=[5, 30, 120]),
        )
    return len(checks)
