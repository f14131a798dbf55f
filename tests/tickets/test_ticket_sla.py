"""Ticket SLA clocks through the ticket services: lunch breaks, holidays, DST, pauses, priority
changes, solve/reopen, and a property test against a minute-by-minute reference."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from contactcenter.tickets import sla
from contactcenter.tickets.models import TicketSla
from contactcenter.tickets.services import (
    InvalidTransition,
    TicketError,
    add_comment,
    change_status,
    open_ticket,
    update_ticket,
)
from tests.support.calendars import MinuteReference, from_minutes, to_minutes
from tests.support.factories import gen_customer, gen_queue

NY = ZoneInfo("America/New_York")
HOUR = 3600
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_WITH_LUNCH = {"time_zone": "America/New_York", "hours": {d: ["09:00-12:00", "13:00-17:00"] for d in WEEKDAYS}}


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def rows(db, ticket) -> dict[tuple[str, int], TicketSla]:  # type: ignore[no-untyped-def]
    return {(r.metric, r.cycle): r for r in db.scalars(select(TicketSla).where(TicketSla.ticket_id == ticket.id))}


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    calendar = sla.create_calendar(db, "NY office", {**OFFICE_WITH_LUNCH, "holidays": ["2026-06-19"]})
    return sla.create_policy(
        db,
        "Standard",
        calendar_id=calendar.id,
        warn_before_s=1800,
        targets={
            "first_response": {"urgent": HOUR, "*": 2 * HOUR},
            "next_reply": 2 * HOUR,
            "resolution": {"urgent": 2 * HOUR, "high": 4 * HOUR, "*": 8 * HOUR},
        },
    )


def test_deadlines_skip_lunch_and_nights(db, office):
    with freeze_time(ny(6, 15, 10)):  # Monday
        ticket = open_ticket(db, "Router down")
    clocks = rows(db, ticket)
    assert set(clocks) == {("first_response", 0), ("resolution", 0)}
    assert clocks[("first_response", 0)].deadline_at == ny(6, 15, 12)  # 10-12, lunch not needed
    # 8 h: Monday 10-12 and 13-17 (6 h), Tuesday 9-11.
    assert clocks[("resolution", 0)].deadline_at == ny(6, 16, 11)
    assert clocks[("resolution", 0)].warn_at == ny(6, 16, 10, 30)
    assert clocks[("resolution", 0)].business_hours and clocks[("resolution", 0)].policy_id == office.id
    with freeze_time(ny(6, 15, 12, 30)):
        assert [c.elapsed_s for c in sla.clocks(db, ticket)] == [2 * HOUR, 2 * HOUR]  # lunch does not count


def test_holiday_is_skipped(db, office):
    with freeze_time(ny(6, 18, 14)):  # Thursday; Friday 19 June is a holiday
        ticket = open_ticket(db, "Invoice wrong")
    # 3 h on Thursday, Friday closed, Monday 9-12 and 13-15.
    assert rows(db, ticket)[("resolution", 0)].deadline_at == ny(6, 22, 15)


def test_deadline_across_spring_forward(db):
    calendar = sla.create_calendar(
        db, "NY 9-5", {"time_zone": "America/New_York", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS}}
    )
    sla.create_policy(db, "Business", calendar_id=calendar.id, targets={"resolution": 2 * HOUR})
    with freeze_time(ny(3, 6, 16)):  # Friday, EST; clocks go forward on Sunday 8 March
        ticket = open_ticket(db, "Billing question")
    deadline = rows(db, ticket)[("resolution", 0)].deadline_at
    assert deadline == ny(3, 9, 10)  # Monday 10:00 EDT
    assert deadline == datetime(2026, 3, 9, 14, tzinfo=UTC)  # not 15:00 UTC as in winter


def test_calendar_hours_across_dst_are_real_hours(db):
    sla.create_policy(db, "24x7", targets={"resolution": 24 * HOUR})  # no calendar: calendar hours
    with freeze_time(ny(3, 7, 12)):  # Saturday noon EST
        ticket = open_ticket(db, "Outage")
    row = rows(db, ticket)[("resolution", 0)]
    assert not row.business_hours
    assert row.deadline_at == ny(3, 7, 12).astimezone(UTC) + timedelta(hours=24) == ny(3, 8, 13)


def test_pending_and_on_hold_pause_and_resume(db, office):
    with freeze_time(ny(6, 15, 10)) as frozen:
        ticket = open_ticket(db, "Router down")
        change_status(db, ticket, "open")
        frozen.move_to(ny(6, 15, 14))
        change_status(db, ticket, "pending")
        res = rows(db, ticket)[("resolution", 0)]
        assert (res.state, res.deadline_at, res.warn_at, res.elapsed_s) == ("paused", None, None, 3 * HOUR)
        frozen.move_to(ny(6, 15, 16))
        change_status(db, ticket, "on_hold")  # still paused, nothing changes
        assert rows(db, ticket)[("resolution", 0)].elapsed_s == 3 * HOUR
        frozen.move_to(ny(6, 16, 10))
        change_status(db, ticket, "open")
    res = rows(db, ticket)[("resolution", 0)]
    # 3 h before the pause, 5 h left from Tuesday 10:00: 10-12, 13-16.
    assert (res.state, res.deadline_at) == ("running", ny(6, 16, 16))


def test_priority_raised_mid_way_applies_from_the_start(db, office):
    with freeze_time(ny(6, 15, 9)) as frozen:
        ticket = open_ticket(db, "Router down")
        assert rows(db, ticket)[("resolution", 0)].deadline_at == ny(6, 16, 10)  # 8 h: 9-12, 13-17, 9-10
        frozen.move_to(ny(6, 15, 10))
        update_ticket(db, ticket, {"priority": "high"})
        assert rows(db, ticket)[("resolution", 0)].deadline_at == ny(6, 15, 14)  # 4 h: 9-12, 13-14
        frozen.move_to(ny(6, 15, 12, 30))
        update_ticket(db, ticket, {"priority": "urgent"})
    res = rows(db, ticket)[("resolution", 0)]
    assert res.deadline_at == ny(6, 15, 11) and res.target_s == 2 * HOUR  # breached already
    assert res.breached(ny(6, 15, 12, 30))
    # First response had breached its 2 h at 11:00: the urgent 1 h target came too late to move it.
    first = rows(db, ticket)[("first_response", 0)]
    assert first.deadline_at == ny(6, 15, 11) and first.target_s == 2 * HOUR


def test_agent_reply_stops_first_response_and_customer_reply_starts_next_reply(db, office):
    with freeze_time(ny(6, 15, 9)) as frozen:
        ticket = open_ticket(db, "Router down")
        change_status(db, ticket, "open")
        frozen.move_to(ny(6, 15, 9, 40))
        add_comment(db, ticket, "Internal: checking", public=False)  # internal: not a response
        assert rows(db, ticket)[("first_response", 0)].state == "running"
        add_comment(db, ticket, "We are looking into it", public=True)
        first = rows(db, ticket)[("first_response", 0)]
        assert (first.state, first.deadline_at, first.stopped_at) == ("stopped", None, ny(6, 15, 9, 40))
        frozen.move_to(ny(6, 15, 11, 30))
        add_comment(db, ticket, "Still broken", public=True, author_kind="customer")
        reply = rows(db, ticket)[("next_reply", 1)]
        assert (reply.state, reply.deadline_at) == ("running", ny(6, 15, 14, 30))  # lunch excluded
        frozen.move_to(ny(6, 15, 15))
        add_comment(db, ticket, "Fixed?", public=True)
    reply = rows(db, ticket)[("next_reply", 1)]
    assert reply.state == "stopped" and reply.breached(ny(6, 15, 15))  # answered after the deadline


def test_solve_stops_and_reopen_restarts_resolution_only(db, office):
    with freeze_time(ny(6, 15, 9)) as frozen:
        ticket = open_ticket(db, "Router down")
        change_status(db, ticket, "open")
        frozen.move_to(ny(6, 15, 11))
        change_status(db, ticket, "solved")
        clocks = rows(db, ticket)
        assert {c.state for c in clocks.values()} == {"stopped"}
        assert clocks[("first_response", 0)].breached(ny(6, 15, 11))  # 2 h target, solved at 2 h
        assert not clocks[("resolution", 0)].breached(ny(6, 20, 0))
        frozen.move_to(ny(6, 16, 9))
        add_comment(db, ticket, "It broke again", public=True, author_kind="customer")
    clocks = rows(db, ticket)
    assert ticket.status == "open"
    assert clocks[("first_response", 0)].state == "stopped"
    res = clocks[("resolution", 0)]
    assert res.state == "running" and res.elapsed_s == 2 * HOUR
    assert res.deadline_at == ny(6, 16, 16)  # 6 h left from Tuesday 9:00, lunch excluded
    assert clocks[("next_reply", 1)].state == "running"


def test_closed_and_invalid_moves_leave_clocks_alone(db, office):
    with freeze_time(ny(6, 15, 9)):
        ticket = open_ticket(db, "Router down")
        with pytest.raises(InvalidTransition):
            change_status(db, ticket, "pending")  # new → pending is not a move
    assert rows(db, ticket)[("resolution", 0)].state == "running"


def test_policy_conditions_choose_the_policy(db, office):
    vip_queue = gen_queue(db, "vip-line")
    vip = sla.create_policy(
        db,
        "VIP phone",
        position=1,
        segments=["vip"],
        channels=["phone"],
        queue_ids=[vip_queue.id],
        targets={"first_response": 600},
    )
    grace = gen_customer(db, segment="vip")
    with freeze_time(ny(6, 15, 9)):
        matching = open_ticket(db, "Help", customer_id=grace.id, queue_id=vip_queue.id)
        other_channel = open_ticket(db, "Help", customer_id=grace.id, queue_id=vip_queue.id, channel="email")
        no_customer = open_ticket(db, "Help", queue_id=vip_queue.id)
    assert rows(db, matching)[("first_response", 0)].policy_id == vip.id
    assert ("resolution", 0) not in rows(db, matching)  # the VIP policy has no resolution target
    assert rows(db, other_channel)[("first_response", 0)].policy_id == office.id
    assert rows(db, no_customer)[("first_response", 0)].policy_id == office.id


def test_no_policy_no_clock_rows(db):
    ticket = open_ticket(db, "Nothing applies")
    assert rows(db, ticket) == {}


def test_breaching_in_the_next_hour_is_an_indexed_range_query(db, office):
    with freeze_time(ny(6, 15, 9)) as frozen:
        soon = open_ticket(db, "Soon")  # first response due 11:00
        frozen.move_to(ny(6, 15, 10, 30))
        later = open_ticket(db, "Later")  # first response due 13:30 (lunch)
        now = ny(6, 15, 10, 30)
        due = sla.due_before(db, now + timedelta(hours=1), now=now)
    assert [(r.ticket_id, r.metric) for r in due] == [(soon.id, "first_response")]
    assert later.id not in {r.ticket_id for r in due}
    assert [(r.ticket_id, r.metric) for r in sla.due_before(db, now + timedelta(hours=3), now=now)] == [
        (soon.id, "first_response"),
        (later.id, "first_response"),
    ]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({}, "targets"),
        ({"first_reply": 60}, "unknown SLA metric"),
        ({"resolution": {"critical": 60}}, "unknown priority"),
        ({"resolution": 0}, "from 1"),
        ({"resolution": "8h"}, "whole number"),
    ],
)
def test_policy_targets_are_validated(db, targets, message):
    with pytest.raises(sla.SlaConfigError, match=message):
        sla.create_policy(db, "Bad", targets=targets)


def test_policy_and_calendar_validation(db):
    with pytest.raises(sla.SlaConfigError, match="unknown time zone"):
        sla.create_calendar(db, "Mars", {"time_zone": "Mars/Olympus", "hours": {}})
    with pytest.raises(sla.SlaConfigError, match="queue 4242 does not exist"):
        sla.create_policy(db, "Bad queue", targets={"resolution": 60}, queue_ids=[4242])
    with pytest.raises(sla.SlaConfigError, match="segments"):
        sla.create_policy(db, "Bad segment", targets={"resolution": 60}, segments=["platinum"])
    sla.create_policy(db, "Taken", targets={"resolution": 60})
    with pytest.raises(sla.SlaConfigError, match="taken"):
        sla.create_policy(db, "Taken", targets={"resolution": 60})


# -- the property: service-level clocks against a minute-by-minute reference ----------------------

Weekly = dict[int, list[tuple[int, int]]]
LUNCH_WEEK: Weekly = {d: [(9 * 60, 12 * 60), (13 * 60, 17 * 60)] for d in range(5)}
LONG_DAYS: Weekly = {d: [(90, 150), (8 * 60, 20 * 60)] for d in range(7)}  # 01:30-02:30 meets the DST hour
ALL_DAY: Weekly = {d: [(0, 1440)] for d in range(7)}
# (zone, weekly hours, holidays, days the scenario starts on (near a DST change), business hours?)
CALENDARS: list[tuple[str, Weekly, set[date], list[date], bool]] = [
    (
        "America/New_York",
        LUNCH_WEEK,
        {date(2026, 3, 9), date(2026, 11, 3)},
        [date(2026, 3, 5), date(2026, 10, 29)],
        True,
    ),
    ("Europe/Berlin", LONG_DAYS, {date(2026, 3, 30)}, [date(2026, 3, 27), date(2026, 10, 23)], True),
    ("Australia/Sydney", ALL_DAY, {date(2026, 4, 6)}, [date(2026, 4, 3)], True),
    ("UTC", ALL_DAY, set(), [date(2026, 3, 7)], False),  # calendar hours
]
ACTIONS = [
    "open",
    "pending",
    "on_hold",
    "solved",
    "closed",
    "agent",
    "customer",
    "internal",
    "low",
    "normal",
    "high",
    "urgent",
]
PRIORITY_NAMES = ("low", "normal", "high", "urgent")


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _definition(zone: str, weekly: Weekly, holidays: set[date]) -> dict[str, Any]:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {
        "time_zone": zone,
        "hours": {names[d]: [f"{_hhmm(a)}-{_hhmm(b)}" for a, b in spans] for d, spans in weekly.items()},
        "holidays": [d.isoformat() for d in sorted(holidays)],
    }


class ReferenceClock:
    """A clock's phase over time, written down op by op, and its target priority."""

    def __init__(self, metric: str, cycle: int, minute: int, priority: str) -> None:
        self.metric, self.cycle, self.start, self.priority = metric, cycle, minute, priority
        self.changes: list[tuple[int, str]] = [(minute, "running")]
        self.stopped = False

    @property
    def phase(self) -> str:
        return self.changes[-1][1]

    def set(self, minute: int, phase: str) -> None:
        if self.stopped and phase != "reopen":
            return
        if phase == "reopen":
            self.stopped, phase = False, "running"
        if phase == "stopped":
            self.stopped = True
        self.changes.append((minute, phase))

    def phase_at(self, minute: int) -> str:
        current = "before"
        for at, phase in self.changes:
            if at <= minute:
                current = phase
        return current


def reference_clocks(
    ops: list[tuple[int, str]], start: int, breached: Callable[[ReferenceClock, int], bool] = lambda c, m: False
) -> list[ReferenceClock]:
    """Follow the documented rules op by op (independently of the services' derivation);
    `breached(clock, minute)`: had the clock reached its target by then (a breach is final)."""
    status, priority = "new", "normal"
    first = ReferenceClock("first_response", 0, start, priority)
    resolution = ReferenceClock("resolution", 0, start, priority)
    replies: list[ReferenceClock] = []
    allowed = {
        "new": {"open"},
        "open": {"pending", "on_hold", "solved"},
        "pending": {"open", "on_hold", "solved"},
        "on_hold": {"open", "pending", "solved"},
        "solved": {"open", "closed"},
        "closed": set(),
    }

    def every() -> list[ReferenceClock]:
        return [first, resolution, *replies]

    def move(minute: int, new: str) -> None:
        nonlocal status
        if new in ("pending", "on_hold"):
            for c in every():
                c.set(minute, "paused")
        elif new == "solved":
            for c in every():
                c.set(minute, "stopped")
        elif new == "open":
            if status == "solved":
                resolution.set(minute, "reopen")
                if not breached(resolution, minute):
                    resolution.priority = priority
            for c in every():
                c.set(minute, "running")
        status = new

    for minute, action in ops:
        if action in allowed and action in allowed[status]:
            move(minute, action)
        elif action in PRIORITY_NAMES and status != "closed":
            priority = action
            for c in every():
                if not c.stopped and not breached(c, minute):
                    c.priority = priority
        elif action == "agent" and status != "closed":
            first.set(minute, "stopped")
            if replies:
                replies[-1].set(minute, "stopped")
        elif action == "customer" and status != "closed":
            if status in ("pending", "on_hold", "solved"):
                move(minute, "open")
            if first.stopped and (not replies or replies[-1].stopped):
                replies.append(ReferenceClock("next_reply", len(replies) + 1, minute, priority))
    return every()


def apply(db, ticket, action: str) -> None:  # type: ignore[no-untyped-def]
    try:
        if action in ("open", "pending", "on_hold", "solved", "closed"):
            change_status(db, ticket, action)
        elif action in PRIORITY_NAMES:
            update_ticket(db, ticket, {"priority": action})
        elif action == "agent":
            add_comment(db, ticket, "Reply", public=True)
        elif action == "internal":
            add_comment(db, ticket, "Note", public=False)
        elif action == "customer":
            add_comment(db, ticket, "Message", public=True, author_kind="customer")
    except TicketError:
        pass  # not a move from here: the reference skips it too


TARGET_MINUTES = st.integers(1, 1500)


NEXT_STATUS = {
    "new": ["open"],
    "open": ["pending", "on_hold", "solved"],
    "pending": ["open", "on_hold", "solved"],
    "on_hold": ["open", "pending", "solved"],
    "solved": ["open", "closed"],
    "closed": [],
}
GAPS = st.one_of(st.integers(0, 240), st.integers(0, 3 * 1440))


@st.composite
def scenario_steps(draw: st.DrawFn) -> list[tuple[int, str]]:
    """Mostly moves that are allowed from where the ticket stands, some that are not."""
    status, steps = "new", []
    for _ in range(draw(st.integers(2, 14), label="steps")):
        choices = 3 * NEXT_STATUS[status] + 2 * ["agent", "customer"] + ["internal", "low", "high", "urgent"]
        action = draw(
            st.one_of(st.sampled_from(choices), st.sampled_from(ACTIONS)) if choices else st.sampled_from(ACTIONS)
        )
        if action in NEXT_STATUS[status]:
            status = action
        elif action == "customer" and status in ("pending", "on_hold", "solved"):
            status = "open"
        steps.append((draw(GAPS), action))
    return steps


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    calendar=st.sampled_from(CALENDARS),
    data=st.data(),
    targets=st.fixed_dictionaries(
        {
            m: st.fixed_dictionaries({p: TARGET_MINUTES for p in PRIORITY_NAMES})
            for m in ("first_response", "next_reply", "resolution")
        }
    ),
    steps=scenario_steps(),
)
def test_service_clocks_match_minute_reference(db, calendar, data, targets, steps) -> None:  # type: ignore[no-untyped-def]
    zone, weekly, holidays, anchors, business = calendar
    anchor = data.draw(st.sampled_from(anchors), label="anchor")
    start = to_minutes(datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)) + data.draw(
        st.integers(0, 3 * 1440), label="start offset"
    )
    reference = MinuteReference(zone if business else "UTC", weekly, holidays)
    ops, minute = [], start
    for gap, action in steps:
        minute += gap
        ops.append((minute, action))
    end = minute
    nested = db.begin_nested()
    try:
        calendar_id = None
        if business:
            calendar_id = sla.create_calendar(db, "Reference", _definition(zone, weekly, holidays)).id
        policy = sla.create_policy(
            db,
            "Reference",
            calendar_id=calendar_id,
            warn_before_s=0,
            targets={m: {p: t * 60 for p, t in per.items()} for m, per in targets.items()},
        )
        with freeze_time(from_minutes(start)) as frozen:
            ticket = open_ticket(db, "Property")
            for at, action in ops:
                frozen.move_to(from_minutes(at))
                apply(db, ticket, action)
            frozen.move_to(from_minutes(end))
            sla.recompute(db, ticket)
        got = rows(db, ticket)

        def breached(ref: ReferenceClock, minute: int) -> bool:
            return reference_counted(reference, ref, minute) >= targets[ref.metric][ref.priority]

        expected = reference_clocks(ops, start, breached)
        assert set(got) == {(c.metric, c.cycle) for c in expected}
        for ref in expected:
            row = got[(ref.metric, ref.cycle)]
            target = targets[ref.metric][ref.priority]
            assert row.target_s == target * 60 and row.policy_id == policy.id
            assert (
                row.state
                == {"before": "running", "running": "running", "paused": "paused", "stopped": "stopped"}[
                    ref.phase_at(end)
                ]
            )
            counted, deadline = reference_outcome(reference, ref, target, end)
            assert row.elapsed_s == counted * 60, (ref.metric, ref.cycle)
            assert row.deadline_at == (None if deadline is None else from_minutes(deadline)), (ref.metric, ref.cycle)
    finally:
        nested.rollback()
        db.expunge_all()


def reference_counted(reference: MinuteReference, ref: ReferenceClock, end: int) -> int:
    """Minutes the clock counted before `end`."""
    counted = 0
    for u, is_open in reference.walk(ref.start):
        if u >= end:
            break
        counted += ref.phase_at(u) == "running" and is_open
    return counted


def reference_outcome(reference: MinuteReference, ref: ReferenceClock, target: int, end: int) -> tuple[int, int | None]:
    """(minutes counted before `end`, the minute boundary where the count reaches `target`)."""
    counted = total = 0
    deadline = None
    for u, is_open in reference.walk(ref.start):
        phase = ref.phase_at(u)
        if u >= end and (deadline is not None or phase != "running"):
            break
        assert u < end + 400 * 1440, "reference walked too far"
        if phase == "running" and is_open:
            total += 1
            counted += u < end
            if deadline is None and total == target:
                deadline = u + 1
    return counted, deadline
