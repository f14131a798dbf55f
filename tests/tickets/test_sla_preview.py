"""The due-time preview and the per-part calendar checks the SLA editors show."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from contactcenter.calendars import BusinessCalendar, NoBusinessHoursError
from contactcenter.tickets import sla

NY = ZoneInfo("America/New_York")
OFFICE = {"time_zone": "America/New_York", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
TARGETS = sla.normalize_targets({"first_response": {"urgent": 3600, "*": 4 * 3600}, "resolution": 8 * 3600})


def due_of(previews: list[sla.DueTime]) -> dict[str, datetime | None]:
    return {p.metric: p.due for p in previews}


def test_the_preview_counts_business_time_over_the_weekend():
    friday_3pm = datetime(2026, 12, 11, 15, tzinfo=NY)
    due = due_of(sla.preview_due(TARGETS, BusinessCalendar.from_dict(OFFICE), friday_3pm, "normal"))
    assert due["first_response"] == datetime(2026, 12, 14, 11, tzinfo=NY)  # 2 h Friday, 2 h Monday
    assert due["resolution"] == datetime(2026, 12, 14, 15, tzinfo=NY)  # 8 h: 2 h Friday, 6 h Monday


def test_the_preview_takes_the_priority_target():
    friday_3pm = datetime(2026, 12, 11, 15, tzinfo=NY)
    due = due_of(sla.preview_due(TARGETS, BusinessCalendar.from_dict(OFFICE), friday_3pm, "urgent"))
    assert due["first_response"] == datetime(2026, 12, 11, 16, tzinfo=NY)


def test_a_metric_without_target_is_never_due():
    previews = sla.preview_due(TARGETS, None, datetime(2026, 12, 11, 15, tzinfo=NY), "normal")
    assert [(p.metric, p.target_s, p.due) for p in previews if p.metric == "next_reply"] == [("next_reply", None, None)]


def test_without_a_calendar_the_preview_counts_calendar_hours():
    due = due_of(sla.preview_due(TARGETS, None, datetime(2026, 12, 11, 15, tzinfo=NY), "normal"))
    assert due["first_response"] == datetime(2026, 12, 11, 19, tzinfo=NY)


def test_a_calendar_that_never_opens_cannot_be_previewed():
    closed = BusinessCalendar.from_dict({"time_zone": "UTC", "hours": {}})
    with pytest.raises(NoBusinessHoursError):
        sla.preview_due(TARGETS, closed, datetime(2026, 12, 11, 15, tzinfo=NY), "normal")


def test_calendar_problems_names_every_bad_part():
    problems = sla.calendar_problems(
        {"time_zone": "Mars/Olympus", "hours": {"mon": ["09:00-17:00"], "fri": ["17:00-09:00"]}, "holidays": ["x"]}
    )
    assert set(problems) == {"time_zone", "fri", "holidays"}
    assert "ends before it starts" in problems["fri"] and "unknown time zone" in problems["time_zone"]


def test_calendar_problems_is_empty_for_a_good_calendar():
    assert sla.calendar_problems({**OFFICE, "holidays": ["2026-12-25"]}) == {}


def test_a_refused_policy_value_names_its_field(db):
    with pytest.raises(sla.SlaConfigError) as refused:
        sla.create_policy(db, "P", targets={"resolution": {"high": 0}})
    assert refused.value.field == "targets.resolution.high"
