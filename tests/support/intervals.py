"""A hand-computed day at the center for the interval, occupancy and daily reports: eight calls in
one queue around 10:00 and the state trail of the two agents who took them.

Both the report functions' tests and the `contactcenter report` command's tests read it, so it
lives here rather than in one test module another one imports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contactcenter.acd.models import AgentStateChange
from contactcenter.contacts.models import Interaction
from tests.support.factories import call_sid, gen_agent, gen_queue

DAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def t(hh: int, mm: int, ss: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC)


def add_call(
    db,
    queue,
    queued_at,
    wait,
    outcome,
    *,
    talk=None,
    agent=None,
    short=False,
    sid=None,  # type: ignore[no-untyped-def]
    csat=None,
    ivr_flow=None,
    ivr_exit=None,
):
    answered_at = queued_at + timedelta(seconds=wait) if outcome == "completed" else None
    ended_at = (
        answered_at + timedelta(seconds=talk)
        if answered_at and talk is not None
        else (queued_at + timedelta(seconds=wait) if outcome != "completed" else None)
    )
    call = Interaction(
        call_sid=sid or call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        arrived_at=queued_at - timedelta(seconds=30),
        queued_at=queued_at,
        answered_at=answered_at,
        ended_at=ended_at,
        queue_id=None if queue is None else queue.id,
        agent_id=agent.id if agent else None,
        outcome=outcome if ended_at else None,
        wait_s=wait if ended_at else None,
        short_abandon=short,
        csat=csat,
        ivr_flow=ivr_flow,
        ivr_exit=ivr_exit,
        status="completed" if ended_at else "in-progress",
    )
    db.add(call)
    db.flush()
    return call


def trail(db, agent, *rows):  # type: ignore[no-untyped-def]
    for at, state, *sid in rows:
        db.add(AgentStateChange(agent_id=agent.id, state=state, at=at, call_sid=sid[0] if sid else None))
    db.flush()


@pytest.fixture
def scenario(db):  # type: ignore[no-untyped-def]
    support = gen_queue(db, "support", sl_threshold_s=20)
    alice, bob = gen_agent(db, "alice"), gen_agent(db, "bob")
    c1 = add_call(
        db,
        support,
        t(10, 0),
        10,
        "completed",
        talk=120,
        agent=alice,
        sid="CA-one",
        csat=5,
        ivr_flow="main",
        ivr_exit="transferred",
    )
    c2 = add_call(
        db, support, t(10, 1), 30, "completed", talk=120, agent=bob, csat=3, ivr_flow="main", ivr_exit="completed"
    )
    add_call(db, support, t(10, 5), 3, "abandoned", short=True)
    add_call(db, support, t(10, 6), 15, "abandoned")
    add_call(db, support, t(10, 7), 40, "abandoned")
    add_call(db, support, t(10, 8), 50, "callback")
    add_call(db, support, t(10, 14, 59), 5, "completed", talk=60)  # last second of 10:00-10:15
    add_call(db, support, t(10, 15, 0), 0, "completed", talk=30)  # first second of 10:15-10:30
    trail(
        db,
        alice,
        (t(9, 55), "available"),
        (t(10, 0, 10), "on_call", "CA-one"),
        (t(10, 2, 10), "wrap_up", "CA-one"),
        (t(10, 2, 40), "available"),
        (t(10, 10), "break"),
        (t(10, 20), "offline"),
    )
    trail(
        db,
        bob,
        (t(23, 0, day=date(2026, 6, 14)), "available"),
        (t(10, 1, 30), "on_call", c2.call_sid),
        (t(10, 3, 30), "wrap_up"),
        (t(10, 4, 30), "offline"),
    )
    return support, alice, bob, c1, c2
