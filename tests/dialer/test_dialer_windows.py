"""Calling windows in the called party's local time, across time zones and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from contactcenter.dialer.compliance import UK, US
from contactcenter.dialer.windows import CallingWindows, WindowRule, normalize_region, region_of

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
    "Australia/Lord_Howe",
)
US_WINDOWS = CallingWindows.from_config({}, US)


def local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))


def inside(at: datetime, zone: str, start=(8, 0), end=(21, 0)) -> bool:
    t = local(at, zone)
    return start <= (t.hour, t.minute) and (t.hour, t.minute) < end


def test_a_call_at_ten_in_new_york_is_allowed_and_the_same_instant_is_too_early_in_la():
    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    assert US_WINDOWS.check(at, ["America/New_York"]).allowed
    la = US_WINDOWS.check(at, ["America/Los_Angeles"])
    assert not la.allowed and la.reason == "outside_window"
    assert local(la.next_open, "America/Los_Angeles").time().isoformat() == "08:00:00"


def test_the_ring_time_must_fit_before_the_window_closes():
    ny = ZoneInfo("America/New_York")
    at = datetime(2026, 1, 5, 20, 59, 50, tzinfo=ny)
    assert US_WINDOWS.check(at, ["America/New_York"]).allowed
    late = US_WINDOWS.check(at, ["America/New_York"], ring_s=25)
    assert not late.allowed
    assert local(late.next_open, "America/New_York") == datetime(2026, 1, 6, 8, 0, tzinfo=ny)


@pytest.mark.parametrize(
    "wall, zone, allowed",
    [
        # US spring forward, 2026-03-08 02:00 -> 03:00: 08:00 local comes one UTC hour earlier.
        (datetime(2026, 3, 8, 7, 59), "America/New_York", False),
        (datetime(2026, 3, 8, 8, 0), "America/New_York", True),
        (datetime(2026, 3, 8, 20, 59), "America/New_York", True),
        (datetime(2026, 3, 8, 21, 0), "America/New_York", False),
        # US fall back, 2026-11-01.
        (datetime(2026, 11, 1, 7, 59), "America/Chicago", False),
        (datetime(2026, 11, 1, 8, 0), "America/Chicago", True),
        # Arizona keeps standard time all year; Phoenix is 08:00 at 15:00 UTC in both seasons.
        (datetime(2026, 7, 1, 8, 0), "America/Phoenix", True),
        (datetime(2026, 7, 1, 7, 59), "America/Phoenix", False),
        # UK clocks change on 2026-03-29 and 2026-10-25.
        (datetime(2026, 3, 29, 8, 0), "Europe/London", True),
        (datetime(2026, 3, 29, 7, 30), "Europe/London", False),
        (datetime(2026, 10, 25, 20, 59), "Europe/London", True),
        (datetime(2026, 10, 25, 21, 0), "Europe/London", False),
    ],
)
def test_dst_days_use_the_local_wall_clock(wall, zone, allowed):
    at = wall.replace(tzinfo=ZoneInfo(zone))
    assert US_WINDOWS.check(at, [zone]).allowed is allowed


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
    ring=st.integers(0, 60),
)
def test_allowed_means_inside_everywhere_for_the_whole_ring_and_next_open_is_a_real_opening(at, zones, ring):
    check = US_WINDOWS.check(at, zones, ring_s=ring)
    end = at + timedelta(seconds=ring)
    if check.allowed:
        assert all(inside(at, z) for z in zones)
        assert all(inside(end - timedelta(microseconds=1), z) for z in zones)
    else:
        assert not all(inside(at, z) and inside(end - timedelta(microseconds=1), z) for z in zones)
        if check.reason == "outside_window":
            opening = check.next_open
            assert opening > at
            assert US_WINDOWS.check(opening, zones, ring_s=ring).allowed
            assert opening - at < timedelta(days=3)
        else:
            assert check.reason == "no_calling_window"


def test_numbers_in_zones_with_no_common_window_can_never_be_called():
    # 09:00-12:00 in Honolulu (19:00-22:00 UTC) and in London (09:00-12:00 UTC) never overlap.
    windows = CallingWindows.from_config({"start": "09:00", "end": "12:00"}, US)
    zones = ["Pacific/Honolulu", "Europe/London"]
    check = windows.check(datetime(2026, 1, 5, 19, 30, tzinfo=UTC), zones)
    assert not check.allowed and check.reason == "no_calling_window"
    assert not windows.has_opening(zones, None, datetime(2026, 1, 5, tzinfo=UTC))
    assert windows.has_opening(["America/New_York", "America/Chicago"], None, datetime(2026, 1, 5, tzinfo=UTC))


def test_a_state_window_narrows_the_campaigns_and_cannot_widen_it():
    windows = CallingWindows.from_config(
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
            "regions": {"FL": {"start": "07:00", "end": "20:00"}, "US-TX": {"days": ["mon"]}},
        },
        US,
    )
    fl = windows.rule_for("US-FL")
    assert (fl.start.hour, fl.end.hour) == (8, 20)  # 07:00 asked, 08:00 kept: the law's start wins
    miami = ZoneInfo("America/New_York")
    assert not windows.check(datetime(2026, 1, 5, 20, 30, tzinfo=miami), ["America/New_York"], "US-FL").allowed
    assert windows.check(datetime(2026, 1, 5, 20, 30, tzinfo=miami), ["America/New_York"], "US-NY").allowed
    sunday = datetime(2026, 1, 4, 12, 0, tzinfo=miami)
    check = windows.check(sunday, ["America/New_York"], "US-NY")
    assert not check.allowed and local(check.next_open, "America/New_York").date().isoformat() == "2026-01-05"
    tuesday = datetime(2026, 1, 6, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert not windows.check(tuesday, ["America/Chicago"], "US-TX").allowed


def test_holidays_close_the_whole_day():
    windows = CallingWindows.from_config({"holidays": ["2026-12-25"]}, US)
    ny = ZoneInfo("America/New_York")
    check = windows.check(datetime(2026, 12, 25, 12, 0, tzinfo=ny), ["America/New_York"])
    assert not check.allowed
    assert local(check.next_open, "America/New_York") == datetime(2026, 12, 26, 8, 0, tzinfo=ny)


def test_regions_from_numbers_and_columns():
    assert region_of("+14155550100") == ("US", "US-CA")
    assert region_of("+13055550100") == ("US", "US-FL")
    assert region_of("+16025550100") == ("US", "US-AZ")
    assert region_of("+442071838750") == ("GB", "GB")
    assert normalize_region("fl") == "US-FL"
    assert normalize_region("Florida") == "US-FL"
    assert normalize_region("US-TX") == "US-TX"
    assert normalize_region("<script>") is None


def test_window_rules_refuse_nonsense():
    with pytest.raises(ValueError):
        CallingWindows.from_config({"start": "25:00"}, US)
    with pytest.raises(ValueError):
        CallingWindows.from_config({"days": "mon"}, US)
    with pytest.raises(ValueError):
        CallingWindows.from_config({"days": ["funday"]}, US)
    with pytest.raises(ValueError):
        WindowRule(datetime(2026, 1, 1, 10).time(), datetime(2026, 1, 1, 9).time())
    assert CallingWindows.from_config({}, UK).default.start.hour == 8
