"""Warnings before an SLA breach and escalation on breach.

`process_due` finds, through the indexes on `TicketSla.warn_at` and `deadline_at`, the clocks
that need a warning (deadline within the policy's `warn_before_s`, not yet warned about that
deadline) or an escalation (deadline passed, not yet escalated), writes `sla_warning` /
`sla_breached` to the ticket's trail, applies the policy's breach actions (raise the priority
one step, reassign to a user, move to a queue) as ordinary audited ticket changes, and returns
`SlaNotice`s for the caller to publish once the transaction has committed.

A clock is escalated once per breach; it is warned again only if its deadline moved (a pause
pushed it out) and the new one draws near.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter import clock, events
from contactcenter.tickets import services, sla
from contactcenter.tickets.models import SlaPolicy, SlaState, Ticket, TicketSla

SUPERVISOR_CHANNEL = events.SUPERVISORS_CHANNEL  # "events:supervisors", relayed to the board
WARNING = "sla.warning"
BREACHED = "sla.breached"
_RAISE = {"low": "normal", "normal": "high", "high": "urgent"}


@dataclass(frozen=True)
class SlaNotice:
    event: str  # sla.warning or sla.breached
    ticket_id: int
    subject: str
    metric: str
    cycle: int
    deadline: datetime
    priority: str
    queue_id: int | None
    assignee_id: int | None
    policy_id: int | None
    at: datetime
    actions: tuple[str, ...] = field(default=())

    def message(self) -> dict[str, Any]:
        """The event supervisors' screens receive (see `contactcenter.events`): named by `type`."""
        return {
            "type": self.event,
            "ticket_id": self.ticket_id,
            "subject": self.subject,
            "metric": self.metric,
            "cycle": self.cycle,
            "deadline": self.deadline.isoformat(),
            "priority": self.priority,
            "queue_id": self.queue_id,
            "assignee_id": self.assignee_id,
            "policy_id": self.policy_id,
            "at": self.at.isoformat(),
            "actions": list(self.actions),
        }


def publish(redis_client: Any, notices: Iterable[SlaNotice]) -> int:
    """Send each notice on the supervisors' pub/sub channel; returns how many were sent."""
    sent = 0
    for notice in notices:
        events.publish(redis_client, notice.message(), channel=SUPERVISOR_CHANNEL)
        sent += 1
    return sent


def _due_warnings(
    session: Session, now: datetime, ticket_ids: list[int] | None, limit: int
) -> list[tuple[int, str, int]]:
    query = select(TicketSla.ticket_id, TicketSla.metric, TicketSla.cycle).where(
        TicketSla.warn_at <= now,
        TicketSla.deadline_at > now,
        TicketSla.state != SlaState.STOPPED.value,
        or_(TicketSla.warned_for.is_(None), TicketSla.warned_for != TicketSla.deadline_at),
    )
    if ticket_ids is not None:
        query = query.where(TicketSla.ticket_id.in_(ticket_ids))
    return [tuple(r) for r in session.execute(query.order_by(TicketSla.warn_at, TicketSla.id).limit(limit))]  # type: ignore[misc]


def _due_breaches(
    session: Session, now: datetime, ticket_ids: list[int] | None, limit: int
) -> list[tuple[int, str, int]]:
    query = select(TicketSla.ticket_id, TicketSla.metric, TicketSla.cycle).where(
        TicketSla.deadline_at <= now,
        TicketSla.escalated_at.is_(None),
        TicketSla.state != SlaState.STOPPED.value,
    )
    if ticket_ids is not None:
        query = query.where(TicketSla.ticket_id.in_(ticket_ids))
    return [tuple(r) for r in session.execute(query.order_by(TicketSla.deadline_at, TicketSla.id).limit(limit))]  # type: ignore[misc]


def _current_row(session: Session, ticket: Ticket, metric: str, cycle: int, now: datetime) -> TicketSla | None:
    sla.recompute(session, ticket, now=now)  # the trail may have moved on since the scan
    return session.scalar(
        select(TicketSla).where(TicketSla.ticket_id == ticket.id, TicketSla.metric == metric, TicketSla.cycle == cycle)
    )


def process_due(
    session: Session, *, now: datetime | None = None, ticket_ids: Iterable[int] | None = None, limit: int = 200
) -> list[SlaNotice]:
    """Warn and escalate what is due at `now`; idempotent (a second run finds nothing)."""
    now = now or clock.now()
    ids = None if ticket_ids is None else list(ticket_ids)
    notices: list[SlaNotice] = []
    for ticket_id, metric, cycle in _due_breaches(session, now, ids, limit):
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None:
            continue
        row = _current_row(session, ticket, metric, cycle, now)
        if row is None or row.state == SlaState.STOPPED.value or row.escalated_at is not None or not row.breached(now):
            continue
        notices.append(_escalate(session, ticket, row, now))
    for ticket_id, metric, cycle in _due_warnings(session, now, ids, limit):
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None:
            continue
        row = _current_row(session, ticket, metric, cycle, now)
        if (
            row is None
            or row.state == SlaState.STOPPED.value
            or row.deadline_at is None
            or row.warn_at is None
            or not row.warn_at <= now < row.deadline_at
            or row.warned_for == row.deadline_at
        ):
            continue
        deadline = row.deadline_at
        services._event(
            session,
            ticket,
            None,
            "sla_warning",
            "sla",
            {},
            {"metric": metric, "cycle": cycle, "deadline": deadline.isoformat()},
        )
        sla.recompute(session, ticket, now=now)
        notices.append(_notice(WARNING, ticket, metric, cycle, deadline, row.policy_id, now))
    return notices


def _escalate(session: Session, ticket: Ticket, row: TicketSla, now: datetime) -> SlaNotice:
    policy = None if row.policy_id is None else session.get(SlaPolicy, row.policy_id)
    metric, cycle, deadline, policy_id = row.metric, row.cycle, row.deadline_at, row.policy_id
    assert deadline is not None
    changes: dict[str, Any] = {}
    actions: list[str] = []
    if policy is not None:
        if policy.on_breach_raise_priority and ticket.priority in _RAISE:
            changes["priority"] = _RAISE[ticket.priority]
            actions.append(f"priority {ticket.priority} → {changes['priority']}")
        if policy.on_breach_queue_id is not None and policy.on_breach_queue_id != ticket.queue_id:
            changes["queue_id"] = policy.on_breach_queue_id
            actions.append(f"queue → {policy.on_breach_queue_id}")
        if policy.on_breach_assignee_id is not None and policy.on_breach_assignee_id != ticket.assignee_id:
            changes["assignee_id"] = policy.on_breach_assignee_id
            actions.append(f"assignee → {policy.on_breach_assignee_id}")
    services._event(
        session,
        ticket,
        None,
        "sla_breached",
        "sla",
        {},
        {"metric": metric, "cycle": cycle, "deadline": deadline.isoformat(), "actions": actions},
    )
    if changes:
        try:
            services.update_ticket(session, ticket, changes)
        except services.TicketError as exc:  # e.g. the escalation user was deactivated since
            actions.append(f"not applied: {exc}")
    sla.recompute(session, ticket, now=now)
    return _notice(BREACHED, ticket, metric, cycle, deadline, policy_id, now, tuple(actions))


def _notice(
    event: str,
    ticket: Ticket,
    metric: str,
    cycle: int,
    deadline: datetime,
    policy_id: int | None,
    now: datetime,
    actions: tuple[str, ...] = (),
) -> SlaNotice:
    return SlaNotice(
        event=event,
        ticket_id=ticket.id,
        subject=ticket.subject,
        metric=metric,
        cycle=cycle,
        deadline=deadline,
        priority=ticket.priority,
        queue_id=ticket.queue_id,
        assignee_id=ticket.assignee_id,
        policy_id=policy_id,
        at=now,
        actions=actions,
    )
