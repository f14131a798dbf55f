"""Business calendars: explicit DST/holiday/lunch cases, and properties against a minute-by-minute
reference calculator."""

from __future__ import annotations

import itertools
import time as perf
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from contactcenter.calendars import (
    CALENDAR_HOURS,
    END_OF_DAY,
    BusinessCalendar,
    NoBusinessHoursError,
)
from tests.support.calendars import MinuteReference, from_minutes, to_minutes

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0

WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def every_day(time_zone: str, *intervals: str) -> BusinessCalendar:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return BusinessCalendar.from_dict({"time_zone": time_zone, "hours": {d: list(intervals) for d in days}})


# -- strategies ----------------------------------------------------------------------------------------

ZONE_DST_DAYS = {
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Europe/Berlin": [date(2026, 3, 29), date(2026, 10, 25)],
    "Australia/Sydney": [date(2026, 4, 5), date(2026, 10, 4)],
}
ORDINARY_DAYS = [date(2026, 1, 19), date(2026, 6, 15), date(2026, 12, 21)]
# Edge minutes biased towards DST windows (01:00-03:00), lunch breaks and midnight.
EDGE = st.one_of(
    st.sampled_from([0, 60, 90, 120, 130, 150, 170, 180, 200, 540, 720, 780, 1020, 1440]), st.integers(0, 1440)
)


@st.composite
def day_intervals(draw: st.DrawFn) -> list[tuple[int, int]]:
    points = sorted(set(draw(st.lists(EDGE, max_size=6))))
    return [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]


def minute_time(minute: int) -> time:
    return END_OF_DAY if minute == 1440 else time(minute // 60, minute % 60)


Scenario = tuple[BusinessCalendar, MinuteReference, int]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A random calendar, its reference and a minute-aligned start near a DST change (mostly)."""
    zone = draw(st.sampled_from(sorted(ZONE_DST_DAYS)))
    anchor = draw(st.sampled_from(ZONE_DST_DAYS[zone] + ORDINARY_DAYS))
    whole_day = st.just([(0, 1440)])
    weekly = {weekday: draw(st.one_of(day_intervals(), whole_day)) for weekday in range(7)}
    holidays = set(draw(st.lists(st.integers(-12, 25).map(lambda k: anchor + timedelta(days=k)), max_size=8)))
    calendar = BusinessCalendar(
        zone,
        {wd: tuple((minute_time(s), minute_time(e)) for s, e in spans) for wd, spans in weekly.items()},
        frozenset(holidays),
    )
    shift = draw(st.one_of(st.integers(-2 * 1440, 1440), st.integers(-10 * 1440, 10 * 1440)))
    start = to_minutes(datetime.combine(anchor, time(0), UTC)) + shift
    return calendar, MinuteReference(zone, weekly, holidays), start


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, 21 * 1440))
def test_business_seconds_between_matches_minute_reference(scenario: Scenario, minutes: int) -> None:
    calendar, reference, start = scenario
    got = calendar.business_seconds_between(from_minutes(start), from_minutes(start + minutes))
    assert got == reference.open_minutes(start, start + minutes) * 60


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_add_business_seconds_matches_minute_reference(scenario: Scenario, data: st.DataObject) -> None:
    calendar, reference, start = scenario
    weekly_minutes = sum(reference.table[wd].count(True) for wd in range(7))
    if weekly_minutes == 0:
        with pytest.raises(NoBusinessHoursError):
            calendar.add_business_seconds(from_minutes(start), 60)
        return
    minutes = data.draw(st.integers(0, min(2 * weekly_minutes, 3000)), label="minutes")
    deadline = calendar.add_business_seconds(from_minutes(start), minutes * 60)
    assert deadline.tzinfo is UTC
    assert deadline == from_minutes(reference.deadline(start, minutes))
    assert calendar.business_seconds_between(from_minutes(start), deadline) == minutes * 60


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(-3 * 1440, 3 * 1440))
def test_is_open_and_open_intervals_match_minute_reference(scenario: Scenario, shift: int) -> None:
    calendar, reference, start = scenario
    at = start + shift
    walk = reference.walk(at)
    expected = [is_open for _, is_open in (next(walk) for _ in range(3 * 60))]
    assert [calendar.is_open(from_minutes(at + k)) for k in range(0, 3 * 60, 1)] == expected
    spans = list(calendar.open_intervals(from_minutes(at), from_minutes(at + 3 * 60)))
    covered = [any(a <= from_minutes(at + k) < b for a, b in spans) for k in range(3 * 60)]
    assert covered == expected
    assert all(b < c for (_, b), (c, _) in itertools.pairwise(spans)), "touching spans are merged"


# -- DST -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 3, 8), date(2026, 11, 1)], ids=["spring-forward", "fall-back"])
def test_nine_to_five_is_eight_hours_on_dst_days(day: date) -> None:
    calendar = every_day("America/New_York", "09:00-17:00")
    start, end = datetime.combine(day, time(0), NY), datetime.combine(day + timedelta(days=1), time(0), NY)
    assert calendar.business_seconds_between(start, end) == 8 * HOUR
    spans = list(calendar.open_intervals(start, end))
    assert spans == [
        (
            local(NY, day.year, day.month, day.day, 9).astimezone(UTC),
            local(NY, day.year, day.month, day.day, 17).astimezone(UTC),
        )
    ]


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25), (date(2026, 3, 9), 24)])
def test_local_24x7_day_is_real_time(day: date, hours: int) -> None:
    calendar = BusinessCalendar.always_open("America/New_York")
    start, end = datetime.combine(day, time(0), NY), datetime.combine(day + timedelta(days=1), time(0), NY)
    assert calendar.business_seconds_between(start, end) == hours * HOUR
    assert list(calendar.open_intervals(start, end)) == [(start.astimezone(UTC), end.astimezone(UTC))]


def test_whole_weeks_across_dst_count_real_time() -> None:
    calendar = BusinessCalendar.always_open("America/New_York")
    start, end = local(NY, 2026, 2, 23), local(NY, 2026, 4, 6)  # Mondays, six weeks, one 23 h Sunday
    real = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    assert calendar.business_seconds_between(start, end) == real == (42 * 24 - 1) * HOUR
    assert calendar.add_business_seconds(start, real) == end
    sundays = BusinessCalendar.from_dict({"time_zone": "Europe/Berlin", "hours": {"sun": ["00:00-24:00"]}})
    begin = local(BERLIN, 2026, 10, 5)  # three Sundays, the 25 h one in the middle
    assert sundays.business_seconds_between(begin, local(BERLIN, 2026, 11, 2)) == (4 * 24 + 1) * HOUR
    assert sundays.add_business_seconds(begin, 3 * 24 * HOUR) == local(BERLIN, 2026, 10, 25, 23)


def test_edge_in_spring_forward_gap_moves_to_end_of_gap() -> None:
    calendar = BusinessCalendar.from_dict({"time_zone": "America/New_York", "hours": {"sun": ["02:30-04:00"]}})
    day = (utc(2026, 3, 8), utc(2026, 3, 9))
    # 02:30 does not exist on 8 March: the interval opens at the jump, 03:00 EDT = 07:00 UTC.
    assert list(calendar.open_intervals(*day)) == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))]
    inside_gap = BusinessCalendar.from_dict({"time_zone": "America/New_York", "hours": {"sun": ["02:10-02:50"]}})
    assert inside_gap.business_seconds_between(*day) == 0
    assert not inside_gap.is_open(utc(2026, 3, 8, 7, 0))
    assert inside_gap.business_seconds_between(utc(2026, 3, 15), utc(2026, 3, 16)) == 40 * 60


def test_edge_in_fall_back_overlap_takes_first_occurrence() -> None:
    calendar = BusinessCalendar.from_dict({"time_zone": "America/New_York", "hours": {"sun": ["01:30-03:00"]}})
    day = (utc(2026, 11, 1), utc(2026, 11, 2))
    # Opens at the first 01:30 (EDT, 05:30 UTC) and stays open through the repeated hour to 03:00 EST.
    assert list(calendar.open_intervals(*day)) == [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8))]
    closing = BusinessCalendar.from_dict({"time_zone": "America/New_York", "hours": {"sun": ["00:00-01:30"]}})
    # Closes at the first 01:30: the repeated 01:00-01:30 EST stays closed.
    assert closing.business_seconds_between(*day) == 1.5 * HOUR
    assert not closing.is_open(utc(2026, 11, 1, 6, 15))  # 01:15 EST, second pass


def test_deadline_across_dst_weekend_in_berlin() -> None:
    calendar = BusinessCalendar.from_dict({"time_zone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5})
    # Friday 27 March 16:00 CET + 2 h: 1 h on Friday, 1 h on Monday 30 March (now CEST).
    deadline = calendar.add_business_seconds(local(BERLIN, 2026, 3, 27, 16), 2 * HOUR)
    assert deadline == local(BERLIN, 2026, 3, 30, 10).astimezone(UTC)
    assert deadline.tzinfo is UTC


# -- holidays, weekends, lunch, outside hours -------------------------------------------------------


def test_holiday_is_skipped() -> None:
    calendar = BusinessCalendar.from_dict(
        {"time_zone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5, "holidays": ["2026-12-25"]}
    )
    # Thursday 24 Dec 16:00 + 2 h: 1 h on Thursday, Friday is a holiday, 1 h on Monday 28 Dec.
    assert calendar.add_business_seconds(local(BERLIN, 2026, 12, 24, 16), 2 * HOUR) == local(BERLIN, 2026, 12, 28, 10)
    assert (
        calendar.business_seconds_between(local(BERLIN, 2026, 12, 24, 0), local(BERLIN, 2026, 12, 29, 0)) == 16 * HOUR
    )
    assert not calendar.is_open(local(BERLIN, 2026, 12, 25, 10))


def test_deadline_spans_weekend() -> None:
    calendar = BusinessCalendar.from_dict({"time_zone": "America/New_York", "hours": WEEKDAYS_9_TO_5})
    friday = local(NY, 2026, 6, 12, 15)
    assert calendar.add_business_seconds(friday, 4 * HOUR) == local(NY, 2026, 6, 15, 11)
    assert calendar.business_seconds_between(friday, local(NY, 2026, 6, 15, 11)) == 4 * HOUR
    # Exactly the rest of Friday ends at the close, not at Monday's opening.
    assert calendar.add_business_seconds(friday, 2 * HOUR) == local(NY, 2026, 6, 12, 17)


def test_start_outside_hours_counts_from_next_opening() -> None:
    calendar = BusinessCalendar.from_dict({"time_zone": "America/New_York", "hours": WEEKDAYS_9_TO_5})
    assert calendar.add_business_seconds(local(NY, 2026, 6, 13, 10), HOUR) == local(NY, 2026, 6, 15, 10)  # Saturday
    assert calendar.add_business_seconds(local(NY, 2026, 6, 15, 7), HOUR) == local(NY, 2026, 6, 15, 10)  # early
    assert calendar.add_business_seconds(local(NY, 2026, 6, 15, 18), 0) == local(NY, 2026, 6, 16, 9)  # evening
    assert calendar.add_business_seconds(local(NY, 2026, 6, 15, 12), 0) == local(NY, 2026, 6, 15, 12)  # open


def test_lunch_break_is_excluded() -> None:
    calendar = BusinessCalendar.from_dict(
        {"time_zone": "Europe/Berlin", "hours": {"mon": ["09:00-12:00", "13:00-17:00"]}}
    )
    assert calendar.business_seconds_between(local(BERLIN, 2026, 6, 15, 11), local(BERLIN, 2026, 6, 15, 14)) == 2 * HOUR
    assert calendar.add_business_seconds(local(BERLIN, 2026, 6, 15, 11, 30), HOUR) == local(BERLIN, 2026, 6, 15, 13, 30)
    assert not calendar.is_open(local(BERLIN, 2026, 6, 15, 12, 30))
    assert calendar.is_open(local(BERLIN, 2026, 6, 15, 13))
    assert not calendar.is_open(local(BERLIN, 2026, 6, 15, 17))  # intervals are half-open


def test_intervals_touching_across_midnight_merge() -> None:
    calendar = BusinessCalendar.from_dict(
        {"time_zone": "Europe/Berlin", "hours": {"mon": ["22:00-24:00"], "tue": ["00:00-02:00", "02:00-03:00"]}}
    )
    spans = list(calendar.open_intervals(local(BERLIN, 2026, 6, 15), local(BERLIN, 2026, 6, 17)))
    assert spans == [(local(BERLIN, 2026, 6, 15, 22).astimezone(UTC), local(BERLIN, 2026, 6, 16, 3).astimezone(UTC))]


def test_calendar_hours_is_real_time() -> None:
    start = utc(2026, 3, 1, 13, 7, 5)
    assert CALENDAR_HOURS.business_seconds_between(start, start + timedelta(days=45, seconds=3)) == 45 * 86400 + 3
    assert CALENDAR_HOURS.add_business_seconds(start, 2.5) == start + timedelta(seconds=2.5)
    assert CALENDAR_HOURS.is_open(start)


def test_long_span_skips_weeks_and_agrees_with_intervals() -> None:
    calendar = BusinessCalendar.from_dict(
        {
            "time_zone": "Australia/Sydney",
            "hours": {**WEEKDAYS_9_TO_5, "sat": ["10:00-12:30"]},
            "holidays": ["2026-01-26", "2026-04-03", "2026-12-25", "2027-01-01"],
        }
    )
    start, end = utc(2025, 11, 3, 5), utc(2030, 2, 1)
    began = perf.perf_counter()
    total = calendar.business_seconds_between(start, end)
    deadline = calendar.add_business_seconds(start, total)
    assert perf.perf_counter() - began < 1.0
    assert total == sum((b - a).total_seconds() for a, b in calendar.open_intervals(start, end))
    assert calendar.business_seconds_between(start, deadline) == total
    assert deadline <= end


def test_reversed_range_is_zero() -> None:
    calendar = every_day("UTC", "00:00-24:00")
    at = utc(2026, 5, 1)
    assert calendar.business_seconds_between(at, at - timedelta(hours=1)) == 0
    assert list(calendar.open_intervals(at, at)) == []


# -- guards and parsing ------------------------------------------------------------------------------


def test_calendar_without_hours_raises_instead_of_looping() -> None:
    closed = BusinessCalendar.from_dict({"time_zone": "UTC", "hours": {"mon": []}})
    at = utc(2026, 5, 1)
    assert not closed.has_hours
    with pytest.raises(NoBusinessHoursError, match="no open hours"):
        closed.add_business_seconds(at, 60)
    assert closed.business_seconds_between(at, at + timedelta(days=30)) == 0
    assert not closed.is_open(at)


def test_naive_and_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR_HOURS.is_open(datetime(2026, 5, 1))
    with pytest.raises(ValueError, match="negative"):
        CALENDAR_HOURS.add_business_seconds(utc(2026, 5, 1), -1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"time_zone": "UTC", "hours": {"mon": ["09:00-12:00", "11:00-13:00"]}},
            "mon: intervals 09:00-12:00 and 11:00-13:00 overlap",
        ),
        ({"time_zone": "UTC", "hours": {"tue": ["17:00-09:00"]}}, "tue: interval 17:00-09:00 ends before it starts"),
        ({"time_zone": "UTC", "hours": {"wed": ["09:00-09:00"]}}, "ends before it starts"),
        ({"time_zone": "UTC", "hours": {"funday": ["09:00-17:00"]}}, "unknown weekday 'funday'"),
        ({"time_zone": "Mars/Olympus_Mons", "hours": {}}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"time_zone": "", "hours": {}}, "bad time zone"),
        ({"hours": {}}, "needs a 'time_zone'"),
        ({"time_zone": "UTC", "holidays": ["2026-13-01"]}, "bad holiday date '2026-13-01'"),
        ({"time_zone": "UTC", "holidays": "2026-12-25"}, "list of YYYY-MM-DD"),
        ({"time_zone": "UTC", "hours": {"mon": ["25:00-26:00"]}}, "mon: bad time '25:00'"),
        ({"time_zone": "UTC", "hours": {"mon": ["24:00-24:00"]}}, "bad time '24:00'"),
        ({"time_zone": "UTC", "hours": {"mon": ["9-17"]}}, "bad time '9'"),
        ({"time_zone": "UTC", "hours": {"mon": ["09:00"]}}, "bad interval '09:00'"),
        ({"time_zone": "UTC", "hours": {"mon": [], "monday": []}}, "given twice"),
        ({"time_zone": "UTC", "open": {}}, "unknown calendar field"),
    ],
)
def test_from_dict_rejects_malformed_input(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        BusinessCalendar.from_dict(data)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ValueError, match="unknown weekday 7"):
        BusinessCalendar("UTC", {7: ((time(9), time(17)),)})
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("UTC", {0: ((time(9), time(17)), (time(16), END_OF_DAY))})


def test_from_dict_round_trip_and_24x7() -> None:
    data = {
        "time_zone": "Europe/Berlin",
        "hours": {"Monday": ["13:00-17:00", "09:00-12:00"], "fri": "09:00-24:00", 5: [["10:00", "12:00"]]},
        "holidays": ["2026-12-25", date(2026, 12, 26)],
    }
    calendar = BusinessCalendar.from_dict(data)
    assert calendar.weekly_hours[0] == ((time(9), time(12)), (time(13), time(17)))
    assert calendar.weekly_hours[4] == ((time(9), END_OF_DAY),)
    assert calendar.weekly_hours[6] == ()
    assert calendar.holidays == frozenset({date(2026, 12, 25), date(2026, 12, 26)})
    assert calendar.to_dict()["hours"]["fri"] == ["09:00-24:00"]
    assert BusinessCalendar.from_dict(calendar.to_dict()) == calendar
    assert hash(BusinessCalendar.from_dict(calendar.to_dict())) == hash(calendar)
    assert BusinessCalendar.from_dict({"time_zone": "UTC", "hours": "24x7"}) == CALENDAR_HOURS
