"""Intervals of 30 and 60 minutes (cut on the local wall clock) beside the 15-minute ones, and
the time zone reports default to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from contactcenter.tickets.intervals import ReportError, Window, call_intervals, zone
from contactcenter.tickets.reports import agent_report, centre_time_zone
from tests.support.factories import gen_queue
from tests.support.intervals import DAY, NOW, scenario  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    ("granularity", "start", "end"),
    [
        ("interval", "10:15", "10:30"),
        ("30min", "10:00", "10:30"),
        ("hour", "10:00", "11:00"),
    ],
)
def test_bucket_widths(granularity, start, end):
    window = Window(DAY, DAY, zone("UTC"))
    lower, upper = window.bucket(datetime(2026, 6, 15, 10, 17, tzinfo=UTC), granularity)
    assert (lower.strftime("%H:%M"), upper.strftime("%H:%M")) == (start, end)


def test_hours_start_on_the_local_hour_in_a_half_hour_zone():
    window = Window(DAY, DAY, zone("Asia/Kolkata"))  # UTC+05:30
    lower, _ = window.bucket(datetime(2026, 6, 15, 4, 45, tzinfo=UTC), "hour")  # 10:15 local
    assert lower.astimezone(zone("Asia/Kolkata")).strftime("%H:%M") == "10:00"


def test_unknown_granularity_is_refused(db):
    with pytest.raises(ReportError):
        call_intervals(db, DAY, DAY, granularity="45min")


@pytest.mark.usefixtures("scenario")
def test_wider_intervals_add_the_quarters_up(db):
    with freeze_time(NOW):
        quarters = call_intervals(db, DAY, DAY)
        halves = call_intervals(db, DAY, DAY, granularity="30min")
        hours = call_intervals(db, DAY, DAY, granularity="hour")
    assert [r.offered for r in quarters] == [6, 1]
    assert [(r.label, r.offered) for r in halves] == [("2026-06-15T10:00:00+00:00", 7)]
    assert [r.offered for r in hours] == [7] and hours[0].answered == sum(r.answered for r in quarters)


@pytest.mark.usefixtures("scenario")
def test_agent_time_is_split_at_the_hour(db):
    with freeze_time(NOW):
        rows = agent_report(db, DAY, DAY, granularity="hour", agent="alice").rows
    assert [(r.label[11:16], r.logged_in_s) for r in rows] == [("09:00", 300.0), ("10:00", 1200.0)]


def test_centre_zone_is_the_one_most_queues_use(db):
    gen_queue(db, "paris", time_zone="Europe/Paris")
    gen_queue(db, "lyon", time_zone="Europe/Paris")
    gen_queue(db, "nyc", time_zone="America/New_York")
    assert centre_time_zone(db) == "Europe/Paris"


def test_centre_zone_is_utc_without_queues_or_valid_zones(db):
    assert centre_time_zone(db) == "UTC"
    gen_queue(db, "odd", time_zone="Mars/Olympus")
    assert centre_time_zone(db) == "UTC"


def test_day_boundary_follows_the_zone():
    window = Window(date(2026, 6, 15), date(2026, 6, 15), zone("Europe/Paris"))
    assert window.lower == datetime(2026, 6, 14, 22, 0, tzinfo=UTC)


@pytest.mark.usefixtures("scenario")
def test_cli_intervals_of_30_minutes_match_the_api_granularity(runtime):
    import json

    from click.testing import CliRunner

    from contactcenter.app.cli import main

    with freeze_time(NOW):
        result = CliRunner().invoke(
            main, ["report", "intervals", "--from", "2026-06-15", "--to", "2026-06-15", "--minutes", "30", "--json"]
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["granularity"] == "30min" and [r["offered"] for r in data["rows"]] == [7]


def test_cli_refuses_daily_with_minutes(runtime):
    from click.testing import CliRunner

    from contactcenter.app.cli import main

    result = CliRunner().invoke(
        main, ["report", "agents", "--from", "2026-06-15", "--to", "2026-06-15", "--daily", "--minutes", "60"]
    )
    assert result.exit_code == 2 and "choose one of --daily and --minutes" in result.output
