"""SLA clocks: pauses, stop (met/breached), priority change, reopen and event-trail replay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings, strategies as st

from contactcenter.calendars import CALENDAR_HOURS, BusinessCalendar
from contactcenter.tickets.sla_clock import (
    SlaClockState,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SlaStatus,
    replay,
)

NY = ZoneInfo("America/New_York")
HOUR = 3600.0
OFFICE = BusinessCalendar.from_dict(
    {"time_zone": "America/New_York", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
)


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """June 2026 in New York; the 15th is a Monday."""
    return datetime(2026, 6, day, hour, minute, tzinfo=NY)


def clock_at(day: int, hour: int, minute: int = 0) -> freeze_time:  # type: ignore[type-arg]
    return freeze_time(ny(day, hour, minute).astimezone(UTC))


# -- running, pausing, resuming ----------------------------------------------------------------------


def test_deadline_and_status_without_pauses() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR)
    assert sla.deadline == ny(15, 17)
    assert sla.deadline is not None and sla.deadline.tzinfo is UTC
    with clock_at(15, 12):
        assert sla.status() is SlaStatus.RUNNING
        assert sla.elapsed_seconds() == 3 * HOUR
        assert sla.remaining_seconds() == 5 * HOUR
    with clock_at(15, 17, 30):
        assert sla.status() is SlaStatus.BREACHED
        assert sla.remaining_seconds() == 0


def test_pause_pushes_deadline_by_business_time_covered() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).pause(ny(15, 10))
    with clock_at(16, 15):  # paused for over a day: nothing counts, no deadline is pending
        assert sla.status() is SlaStatus.PAUSED
        assert sla.elapsed_seconds() == HOUR
        assert sla.remaining_seconds() == 7 * HOUR
        assert sla.deadline is None
    resumed = sla.resume(ny(15, 14))
    assert resumed.deadline == ny(16, 13)  # 1 h + 3 h on Monday, 4 h on Tuesday
    assert resumed.status(ny(15, 12)) is SlaStatus.PAUSED
    assert resumed.status(ny(15, 15)) is SlaStatus.RUNNING
    assert resumed.elapsed_seconds(ny(15, 15)) == 2 * HOUR
    with clock_at(16, 12, 59):
        assert resumed.status() is SlaStatus.RUNNING
    with clock_at(16, 13):
        assert resumed.status() is SlaStatus.BREACHED


def test_pause_outside_business_hours_does_not_move_deadline() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 10 * HOUR)
    paused = sla.pause(ny(15, 18)).resume(ny(16, 8))
    assert sla.deadline == paused.deadline == ny(16, 11)


def test_pause_after_deadline_keeps_breach() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 2 * HOUR).pause(ny(15, 12))
    assert sla.deadline == ny(15, 11)
    assert sla.status(ny(15, 13)) is SlaStatus.BREACHED


def test_pause_after_closing_keeps_deadline_reached_at_close() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).pause(ny(15, 18))  # target used up at 17:00
    assert sla.deadline == ny(15, 17)
    assert sla.status(ny(16, 10)) is SlaStatus.BREACHED
    assert sla.resume(ny(16, 9)).deadline == ny(15, 17)


# -- stopping -----------------------------------------------------------------------------------------


def test_stop_before_deadline_is_met_and_freezes_elapsed() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).stop(ny(15, 15))
    assert sla.status(ny(15, 15)) is SlaStatus.MET
    with clock_at(22, 12):
        assert sla.status() is SlaStatus.MET
        assert sla.elapsed_seconds() == 6 * HOUR
        assert sla.remaining_seconds() == 2 * HOUR
    assert sla.deadline is None
    assert sla.status(ny(15, 14)) is SlaStatus.RUNNING  # before the stop it was still running


def test_stop_after_deadline_is_breached() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 4 * HOUR).stop(ny(15, 14))
    assert sla.status(ny(20, 9)) is SlaStatus.BREACHED
    assert sla.deadline == ny(15, 13)
    assert sla.remaining_seconds(ny(20, 9)) == -HOUR


def test_stop_at_the_deadline_instant_is_late_but_one_second_earlier_is_met() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 4 * HOUR)
    assert sla.stop(ny(15, 13)).status(ny(16, 9)) is SlaStatus.BREACHED
    assert sla.stop(ny(15, 13) - timedelta(seconds=1)).status(ny(16, 9)) is SlaStatus.MET


def test_stop_after_closing_past_deadline_is_breached() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).stop(ny(15, 18))
    assert sla.elapsed_seconds(ny(16, 9)) == 8 * HOUR
    assert sla.status(ny(16, 9)) is SlaStatus.BREACHED


def test_clock_without_target_just_stops() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), None, metric=SlaMetric.NEXT_REPLY)
    assert sla.deadline is None and sla.remaining_seconds(ny(15, 10)) is None
    assert sla.status(ny(15, 10)) is SlaStatus.RUNNING
    assert sla.stop(ny(15, 11)).status(ny(15, 12)) is SlaStatus.STOPPED


# -- priority change ----------------------------------------------------------------------------------


def test_retarget_shorter_after_it_is_already_exceeded_breaches_from_original_start() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR)
    urgent = sla.retarget(2 * HOUR)  # priority raised at 12:00 with 3 h already elapsed
    assert urgent.deadline == ny(15, 11)
    assert urgent.status(ny(15, 12)) is SlaStatus.BREACHED
    assert urgent.elapsed_seconds(ny(15, 12)) == sla.elapsed_seconds(ny(15, 12)) == 3 * HOUR


def test_retarget_counts_same_elapsed_time_and_pauses() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).pause(ny(15, 10)).resume(ny(15, 11))
    assert sla.deadline == ny(16, 10)
    high = sla.retarget(4 * HOUR)
    assert high.deadline == ny(15, 14)
    assert high.status(ny(15, 12)) is SlaStatus.RUNNING
    assert high.remaining_seconds(ny(15, 12)) == 2 * HOUR
    assert high.retarget(16 * HOUR).deadline == ny(17, 10)


# -- reopen -------------------------------------------------------------------------------------------


def test_reopen_resumes_counting_and_keeps_elapsed_time() -> None:
    solved = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).stop(ny(15, 12))
    assert solved.status(ny(15, 20)) is SlaStatus.MET
    reopened = solved.reopen(ny(16, 9))
    assert reopened.elapsed_seconds(ny(16, 10)) == 4 * HOUR
    assert reopened.deadline == ny(16, 14)
    assert reopened.status(ny(16, 10)) is SlaStatus.RUNNING
    assert reopened.stop(ny(16, 15)).status(ny(16, 16)) is SlaStatus.BREACHED


def test_reopen_after_stop_while_paused() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).pause(ny(15, 10)).stop(ny(15, 16))
    assert sla.status(ny(15, 17)) is SlaStatus.MET
    assert sla.elapsed_seconds(ny(15, 17)) == HOUR
    reopened = sla.reopen(ny(16, 9))
    assert reopened.pauses == ((ny(15, 10), ny(16, 9)),)
    assert reopened.deadline == ny(16, 16)


def test_reopen_does_not_apply_to_first_response() -> None:
    replied = SlaClockState(OFFICE, ny(15, 9), HOUR, metric=SlaMetric.FIRST_RESPONSE).stop(ny(15, 9, 30))
    assert replied.reopen(ny(16, 9)) == replied


# -- transitions and validation -----------------------------------------------------------------------


def test_redundant_transitions_change_nothing() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR)
    assert sla.resume(ny(15, 10)) == sla
    assert sla.reopen(ny(15, 10)) == sla
    paused = sla.pause(ny(15, 10))
    assert paused.pause(ny(15, 11)) == paused
    stopped = paused.stop(ny(15, 12))
    assert stopped.stop(ny(15, 13)) == stopped
    assert stopped.resume(ny(15, 13)) == stopped
    assert stopped.pause(ny(15, 13)) == stopped


def test_time_does_not_run_backwards() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).pause(ny(15, 12))
    with pytest.raises(ValueError, match="before the clock's latest event"):
        sla.resume(ny(15, 11))
    with pytest.raises(ValueError, match="ordered"):
        SlaClockState(OFFICE, ny(15, 9), 8 * HOUR, pauses=((ny(15, 12), ny(15, 13)), (ny(15, 12, 30), None)))
    with pytest.raises(ValueError, match="only the last pause"):
        SlaClockState(OFFICE, ny(15, 9), 8 * HOUR, pauses=((ny(15, 12), None), (ny(15, 13), ny(15, 14))))
    with pytest.raises(ValueError, match="stop must come after"):
        SlaClockState(OFFICE, ny(15, 9), 8 * HOUR, pauses=((ny(15, 12), ny(15, 13)),), stopped_at=ny(15, 12, 30))


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SlaClockState(OFFICE, datetime(2026, 6, 15, 9), 8 * HOUR)
    with pytest.raises(ValueError, match="non-negative"):
        SlaClockState(OFFICE, ny(15, 9), -1)
    with pytest.raises(ValueError, match="non-negative"):
        SlaClockState(OFFICE, ny(15, 9), 8 * HOUR).retarget(float("nan"))


def test_zero_target_is_due_at_start() -> None:
    sla = SlaClockState(OFFICE, ny(13, 10), 0)  # a Saturday
    assert sla.deadline == ny(13, 10)
    assert sla.status(ny(13, 10)) is SlaStatus.BREACHED


def test_calendar_hours_clock_counts_nights_and_weekends() -> None:
    sla = SlaClockState(CALENDAR_HOURS, ny(12, 16), 24 * HOUR).pause(ny(13, 4)).resume(ny(13, 6))
    assert sla.deadline == ny(13, 18)


# -- replay -------------------------------------------------------------------------------------------


def test_replay_builds_state_from_event_trail() -> None:
    trail = [
        (ny(15, 9), SlaEvent(SlaEventKind.START, 8 * HOUR)),
        (ny(15, 10), "pause"),  # pending: waiting for the customer
        (ny(15, 10, 30), "pause"),  # pending -> on hold: still paused
        (ny(15, 13), SlaEventKind.RESUME),
        (ny(15, 14), SlaEvent(SlaEventKind.RETARGET, 6 * HOUR)),  # priority raised
        (ny(15, 16), "stop"),  # solved
        (ny(16, 11), "reopen"),  # customer wrote back
    ]
    state = replay(trail, OFFICE)
    assert state.pauses == ((ny(15, 10), ny(15, 13)), (ny(15, 16), ny(16, 11)))
    assert state.stopped_at is None
    assert state.target_seconds == 6 * HOUR
    assert state.elapsed_seconds(ny(16, 12)) == 5 * HOUR
    assert state.deadline == ny(16, 13)
    assert state.status(ny(16, 12)) is SlaStatus.RUNNING
    solved_in_time = replay([*trail, (ny(16, 12, 30), "stop")], OFFICE)
    assert solved_in_time.status(ny(17, 9)) is SlaStatus.MET
    assert replay(trail[:6], OFFICE).status(ny(16, 9)) is SlaStatus.MET


def test_replay_uses_default_target_and_metric() -> None:
    trail = [(ny(15, 9), "start"), (ny(15, 9, 20), "stop")]
    state = replay(trail, OFFICE, metric=SlaMetric.FIRST_RESPONSE, target_seconds=HOUR)
    assert state.metric is SlaMetric.FIRST_RESPONSE
    assert state.status(ny(15, 10)) is SlaStatus.MET
    assert replay(
        [(ny(15, 9), "start"), (ny(15, 9, 20), "stop"), (ny(15, 9, 30), "reopen")],
        OFFICE,
        metric=SlaMetric.FIRST_RESPONSE,
    ).is_stopped


@pytest.mark.parametrize(
    ("trail", "message"),
    [
        ([], "no start"),
        ([(ny(15, 9), "pause")], "before the clock started"),
        ([(ny(15, 9), "start"), (ny(15, 10), "start")], "started twice"),
        ([(ny(15, 9), "start"), (ny(15, 11), "pause"), (ny(15, 10), "resume")], "out of order"),
        ([(ny(15, 9), "start"), (ny(15, 10), "snooze")], "unknown SLA event 'snooze'"),
    ],
)
def test_replay_rejects_broken_trails(trail: list, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        replay(trail, OFFICE)


# -- properties ---------------------------------------------------------------------------------------

CALENDARS = [
    OFFICE,
    BusinessCalendar.from_dict(
        {
            "time_zone": "America/New_York",
            "hours": {d: ["09:00-12:00", "13:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-03-09", "2026-03-20"],
        }
    ),
    BusinessCalendar.from_dict(
        {"time_zone": "Europe/Berlin", "hours": {d: ["01:30-02:30", "08:00-20:00"] for d in ("mon", "sat", "sun")}}
    ),
    BusinessCalendar.always_open("Australia/Sydney", holidays=[date(2026, 4, 6)]),
    CALENDAR_HOURS,
]
WINDOW_START = datetime(2026, 3, 1, tzinfo=UTC)
MINUTES = st.integers(0, 40 * 1440)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def minute(k: int) -> datetime:
    return WINDOW_START + timedelta(minutes=k)


@st.composite
def clocks(draw: st.DrawFn, *, closed_pauses: bool = False) -> SlaClockState:
    calendar = draw(st.sampled_from(CALENDARS))
    points = sorted(set(draw(st.lists(MINUTES, min_size=1, max_size=9))))
    start, rest = points[0], points[1:]
    pairs = [(minute(rest[i]), minute(rest[i + 1])) for i in range(0, len(rest) - 1, 2)]
    leftover = rest[-1] if len(rest) % 2 else None
    target = draw(st.integers(0, 60 * 60)) * 60
    if closed_pauses or leftover is None:
        return SlaClockState(calendar, minute(start), target, tuple(pairs))
    if draw(st.booleans()):
        return SlaClockState(calendar, minute(start), target, tuple(pairs), stopped_at=minute(leftover))
    return SlaClockState(calendar, minute(start), target, (*pairs, (minute(leftover), None)))


@PROPERTY_SETTINGS
@given(clocks(closed_pauses=True), st.data())
def test_adding_a_pause_never_makes_the_deadline_earlier(sla: SlaClockState, data: st.DataObject) -> None:
    if not sla.pauses:
        return
    dropped = data.draw(st.integers(0, len(sla.pauses) - 1), label="dropped pause")
    fewer = SlaClockState(
        sla.calendar, sla.started_at, sla.target_seconds, sla.pauses[:dropped] + sla.pauses[dropped + 1 :]
    )
    assert sla.deadline is not None and fewer.deadline is not None
    assert sla.deadline >= fewer.deadline


@PROPERTY_SETTINGS
@given(clocks(), MINUTES, MINUTES)
def test_elapsed_never_decreases_and_never_outruns_the_calendar(sla: SlaClockState, a: int, b: int) -> None:
    early, late = minute(min(a, b)), minute(max(a, b))
    assert sla.elapsed(early) <= sla.elapsed(late)
    assert sla.elapsed(late) - sla.elapsed(early) <= sla.calendar.business_time_between(early, late)


@PROPERTY_SETTINGS
@given(clocks())
def test_deadline_is_first_instant_target_is_reached(sla: SlaClockState) -> None:
    if sla.deadline is None:
        assert sla.is_paused or sla.is_stopped
        assert sla.elapsed_seconds(sla.latest_at + timedelta(days=400)) < sla.target_seconds  # type: ignore[operator]
        return
    assert sla.elapsed_seconds(sla.deadline) == sla.target_seconds
    assert sla.status(sla.deadline) is SlaStatus.BREACHED
    if sla.target_seconds:
        before = sla.deadline - timedelta(seconds=1)
        assert sla.elapsed_seconds(before) < sla.target_seconds
        assert sla.status(before) is not SlaStatus.BREACHED


EVENT_KINDS = st.sampled_from(["pause", "resume", "stop", "reopen", "retarget"])


def counted_by_hand(trail: list[tuple[datetime, str]], calendar: BusinessCalendar, at: datetime) -> timedelta:
    """An independent tally: follow the ticket's state and add up the stretches that count."""
    total, since, paused, stopped = timedelta(0), None, False, False
    for when, kind in trail:
        counting = since is not None
        if kind == "start":
            since = when
        elif kind == "pause" and not paused and not stopped:
            paused = True
        elif kind == "resume" and paused and not stopped:
            paused, since = False, when
        elif kind == "stop" and not stopped:
            stopped = True
        elif kind == "reopen" and stopped:
            stopped, paused, since = False, False, when
        if counting and (paused or stopped) and since is not None:
            total += calendar.business_time_between(since, when)
            since = None
    if since is not None:
        total += calendar.business_time_between(since, at)
    return total


@PROPERTY_SETTINGS
@given(st.sampled_from(CALENDARS), st.lists(st.tuples(st.integers(0, 3 * 1440), EVENT_KINDS), max_size=12))
def test_replay_counts_what_a_hand_tally_counts(calendar: BusinessCalendar, steps: list[tuple[int, str]]) -> None:
    moment = 0
    trail: list[tuple[datetime, str]] = [(minute(0), "start")]
    for gap, kind in steps:
        moment += gap
        trail.append((minute(moment), kind))
    events = [(when, SlaEvent(SlaEventKind.RETARGET, 4 * HOUR) if kind == "retarget" else kind) for when, kind in trail]
    state = replay(events, calendar, target_seconds=8 * HOUR)
    at = minute(moment + 1440)
    assert state.elapsed(at) == counted_by_hand(trail, calendar, at)
    # The first retarget moves the target only if the clock had not breached its 8 h by then.
    first = next((i for i, (_, kind) in enumerate(trail) if kind == "retarget"), None)
    moved = first is not None and counted_by_hand(trail[:first], calendar, trail[first][0]) < timedelta(hours=8)
    assert state.target_seconds == (4 * HOUR if moved else 8 * HOUR)


def test_a_breached_clock_keeps_its_target_when_retargeted_later() -> None:
    sla = SlaClockState(OFFICE, ny(15, 9), 2 * HOUR)  # breached at 11:00
    assert sla.retarget(8 * HOUR, ny(15, 12)).deadline == ny(15, 11)
    assert sla.retarget(None, ny(15, 12)).status(ny(15, 13)) is SlaStatus.BREACHED
    assert sla.retarget(8 * HOUR, ny(15, 10)).deadline == ny(15, 17)  # not breached yet: moves


def test_replay_keeps_a_breach_through_a_later_longer_target() -> None:
    trail = [
        (ny(15, 9), SlaEvent(SlaEventKind.START, 2 * HOUR)),
        (ny(15, 12), SlaEvent(SlaEventKind.RETARGET, 8 * HOUR)),
        (ny(15, 12, 1), SlaEvent(SlaEventKind.STOP)),
    ]
    state = replay(trail, OFFICE)
    assert state.status(ny(15, 13)) is SlaStatus.BREACHED and state.target_seconds == 2 * HOUR
