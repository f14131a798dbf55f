"""Warnings before breach and escalation on breach: trail, ticket changes, supervisor events on
Redis pub/sub, and the RQ jobs that run them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from contactcenter import events
from contactcenter.app.tasks import tickets as tasks
from contactcenter.tickets import escalation, sla
from contactcenter.tickets.models import TicketSla
from contactcenter.tickets.services import change_status, open_ticket, ticket_events
from tests.support.factories import gen_agent, gen_queue

NY = ZoneInfo("America/New_York")
HOUR = 3600


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=NY)  # 15 June 2026 is a Monday


@pytest.fixture
def escalating(db):  # type: ignore[no-untyped-def]
    lead = gen_agent(db, "lead")
    tier2 = gen_queue(db, "tier2")
    calendar = sla.create_calendar(
        db,
        "NY office",
        {"time_zone": "America/New_York", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}},
    )
    policy = sla.create_policy(
        db,
        "Escalating",
        calendar_id=calendar.id,
        warn_before_s=1800,
        on_breach_raise_priority=True,
        on_breach_assignee_id=lead.id,
        on_breach_queue_id=tier2.id,
        targets={"first_response": {"*": 2 * HOUR, "high": HOUR}, "resolution": 8 * HOUR},
    )
    return policy, lead, tier2


def kinds(db, ticket):  # type: ignore[no-untyped-def]
    return [e.kind for e in ticket_events(db, ticket.id)]


def test_warning_then_breach_with_escalation(db, escalating):
    policy, lead, tier2 = escalating
    with freeze_time(ny(15, 9)) as frozen:
        ticket = open_ticket(db, "Router down")
        frozen.move_to(ny(15, 10, 29))
        assert escalation.process_due(db) == []  # first response due 11:00, warning from 10:30
        frozen.move_to(ny(15, 10, 30))
        [warning] = escalation.process_due(db)
        assert (warning.event, warning.metric, warning.deadline) == ("sla.warning", "first_response", ny(15, 11))
        assert escalation.process_due(db) == []  # warned once
        frozen.move_to(ny(15, 11))
        [breach] = escalation.process_due(db)
        assert escalation.process_due(db) == []  # escalated once
    assert breach.event == "sla.breached" and breach.metric == "first_response"
    assert (ticket.priority, ticket.assignee_id, ticket.queue_id) == ("high", lead.id, tier2.id)
    assert breach.priority == "high" and breach.actions == (
        "priority normal → high",
        f"queue → {tier2.id}",
        f"assignee → {lead.id}",
    )
    assert kinds(db, ticket)[-5:] == ["sla_warning", "sla_breached", "updated", "updated", "updated"]
    changes = {e.field: (e.before, e.after, e.actor_id) for e in ticket_events(db, ticket.id) if e.kind == "updated"}
    assert changes["priority"] == ({"priority": "normal"}, {"priority": "high"}, None)
    row = db.scalar(select(TicketSla).where(TicketSla.ticket_id == ticket.id, TicketSla.metric == "first_response"))
    assert row.escalated_at == ny(15, 11) and row.warned_for == ny(15, 11)
    # A breach is final: the raised priority's shorter target does not re-date it.
    assert row.target_s == 2 * HOUR and row.deadline_at == ny(15, 11)
    message = breach.message()
    assert message["type"] == "sla.breached" and message["ticket_id"] == ticket.id
    json.dumps(message)


def test_a_paused_ticket_is_not_warned_and_a_moved_deadline_is_warned_again(db, escalating):
    with freeze_time(ny(15, 9)) as frozen:
        ticket = open_ticket(db, "Router down")
        change_status(db, ticket, "open")
        frozen.move_to(ny(15, 10, 45))
        assert [n.metric for n in escalation.process_due(db)] == ["first_response"]
        change_status(db, ticket, "pending")
        frozen.move_to(ny(15, 15))
        assert escalation.process_due(db) == []  # paused: no deadline pending
        change_status(db, ticket, "open")  # 15 min left: due 15:15
        [again] = escalation.process_due(db)
    assert (again.event, again.deadline) == ("sla.warning", ny(15, 15, 15))
    assert kinds(db, ticket).count("sla_warning") == 2


def test_solved_tickets_are_not_escalated(db, escalating):
    with freeze_time(ny(15, 9)) as frozen:
        ticket = open_ticket(db, "Router down")
        change_status(db, ticket, "open")
        change_status(db, ticket, "solved")
        frozen.move_to(ny(16, 9))
        assert escalation.process_due(db) == []
    assert "sla_breached" not in kinds(db, ticket)


def test_escalation_is_judged_on_the_current_trail(db, escalating):
    with freeze_time(ny(15, 9)) as frozen:
        ticket = open_ticket(db, "Router down")
        row = db.scalar(select(TicketSla).where(TicketSla.ticket_id == ticket.id, TicketSla.metric == "first_response"))
        row.deadline_at = ny(15, 9, 30)  # a stale row (say, written before a policy change)
        db.flush()
        frozen.move_to(ny(15, 10))
        assert escalation.process_due(db) == []  # recomputed first: due 11:00, nothing to do yet
        db.refresh(row)
    assert row.deadline_at == ny(15, 11) and row.escalated_at is None
    assert "sla_breached" not in kinds(db, ticket)


def test_check_job_publishes_to_supervisors_after_commit(db, runtime, redis_client, escalating):
    with freeze_time(ny(15, 9)):
        ticket = open_ticket(db, "Router down")
    db.commit()  # releases the test's savepoint; the job's session sees the ticket
    pubsub = redis_client.pubsub()
    pubsub.subscribe(escalation.SUPERVISOR_CHANNEL)
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    with freeze_time(ny(15, 11, 5)):
        assert tasks.check_ticket_sla(ticket.id) == 1
        assert tasks.check_ticket_sla(ticket.id) == 0
    message = pubsub.get_message(timeout=2)
    pubsub.close()
    payload = events.decode(message["data"])  # what the Socket.IO relay reads
    assert payload is not None and payload["type"] == "sla.breached"
    assert payload["ticket_id"] == ticket.id and payload["metric"] == "first_response"
    assert payload["deadline"] == ny(15, 11).astimezone(UTC).isoformat()
    assert events.rooms_for(payload, message["channel"].decode()) == [events.SUPERVISORS_ROOM]


def test_sweep_job_handles_every_due_clock(db, runtime, redis_client, escalating):
    with freeze_time(ny(15, 9)):
        tickets = [open_ticket(db, f"Ticket {n}") for n in range(3)]
    db.commit()
    with freeze_time(ny(15, 10, 40)):
        assert tasks.sweep_sla() == 3  # three warnings
        assert tasks.sweep_sla() == 0
    db.expire_all()
    assert all("sla_warning" in kinds(db, t) for t in tickets)


def test_checks_are_scheduled_at_warning_and_deadline(db, runtime, redis_client, escalating):
    with freeze_time(ny(15, 9)):
        ticket = open_ticket(db, "Router down")
        db.commit()
        queued = tasks.schedule_sla_checks(db, [ticket.id], redis_client)
    # First response: warn 10:30, due 11:00; resolution: warn 16:30, due 17:00.
    assert queued == 4
    registry = ScheduledJobRegistry(tasks.CHECK_QUEUE, connection=redis_client)
    ids = set(registry.get_job_ids())
    expected = {ny(15, 10, 30), ny(15, 11), ny(15, 16, 30), ny(15, 17)}
    assert ids == {f"sla-check-{ticket.id}-{int(when.timestamp() * 1000)}" for when in expected}
    with freeze_time(ny(15, 9)):
        tasks.schedule_sla_checks(db, [ticket.id], redis_client)  # again: same jobs, not more
    assert len(registry.get_job_ids()) == 4


def test_recompute_open_tickets_applies_a_changed_policy(db, runtime, escalating):
    policy, _lead, _tier2 = escalating
    with freeze_time(ny(15, 9)):
        ticket = open_ticket(db, "Router down")
        sla.update_policy(db, policy, {"targets": {"resolution": 4 * HOUR}})
        db.commit()
        assert tasks.recompute_open_tickets() == 1
    db.expire_all()
    metrics = {r.metric: r for r in db.scalars(select(TicketSla).where(TicketSla.ticket_id == ticket.id))}
    assert set(metrics) == {"resolution"} and metrics["resolution"].deadline_at == ny(15, 13)
    assert timedelta(seconds=metrics["resolution"].target_s) == timedelta(hours=4)
