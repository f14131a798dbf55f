"""Service-level intervals, agent occupancy and daily figures from hand-computed scenarios."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contactcenter.ivr.reports import containment
from contactcenter.tickets.intervals import (
    FORMULAS,
    ReportError,
    Window,
    agent_intervals,
    call_intervals,
    csat_by_day,
    formula,
)
from contactcenter.tickets.reports import daily_report, interval_report
from tests.support.factories import gen_queue
from tests.support.intervals import DAY, NOW, add_call, scenario, t  # noqa: F401  (the fixture)


def by_start(rows):  # type: ignore[no-untyped-def]
    return {r.label: r for r in rows}


def test_interval_counts_asa_aht_and_longest_wait(db, scenario):
    rows = by_start(call_intervals(db, DAY, DAY, now=NOW))
    assert set(rows) == {"2026-06-15T10:00:00+00:00", "2026-06-15T10:15:00+00:00"}
    r = rows["2026-06-15T10:00:00+00:00"]
    assert (
        r.offered,
        r.answered,
        r.answered_in_t,
        r.abandoned,
        r.abandoned_in_t,
        r.abandoned_after_t,
        r.short_abandons,
        r.flowed_out,
    ) == (6, 3, 2, 3, 2, 1, 1, 1)
    assert r.asa_s == pytest.approx((10 + 30 + 5) / 3)
    assert r.longest_wait_s == 40
    # talk + wrap: alice 120 + 30 (wrap linked by call_sid), bob 120 + 60 (linked by time), 60 + 0.
    assert r.aht_s == pytest.approx((150 + 180 + 60) / 3)
    assert (r.talk_s, r.wrap_s, r.hold_s) == (pytest.approx(100), pytest.approx(30), 0.0)
    assert r.service_level == pytest.approx(2 / 6)
    assert r.abandon_rate == pytest.approx(3 / 6)
    late = rows["2026-06-15T10:15:00+00:00"]
    assert (late.offered, late.answered, late.answered_in_t, late.asa_s, late.aht_s) == (1, 1, 1, 0, 30)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("offered", 2 / 6),
        ("offered-no-short", 2 / 5),
        ("late-abandons", 2 / 4),
        ("late-abandons-no-short", 2 / 4),
        ("in-t", 4 / 6),
        ("in-t-no-short", 3 / 5),
    ],
)
def test_each_service_level_formula(db, scenario, name, expected):
    report = interval_report(db, DAY, DAY, sl_formula=name, now=NOW)
    assert report.rows[0].service_level == pytest.approx(expected)
    assert report.formula == name and report.to_dict()["formula_label"] == FORMULAS[name].label


def test_formula_labels_and_unknown_formula():
    assert formula("late-abandons").label == "answered_in_t / (answered + abandoned_after_t) (short abandons included)"
    assert "excluded" in formula("in-t-no-short").label
    with pytest.raises(ReportError, match="unknown service-level formula"):
        formula("nonsense")


def test_daily_granularity_and_queue_filter(db, scenario):
    gen_queue(db, "sales")
    [day] = call_intervals(db, DAY, DAY, granularity="day", now=NOW)
    assert (day.label, day.offered, day.answered, day.abandoned) == ("2026-06-15", 7, 4, 3)
    assert call_intervals(db, DAY, DAY, queue="sales") == []
    with pytest.raises(ReportError, match="no queue"):
        call_intervals(db, DAY, DAY, queue="nowhere")


def test_interval_boundaries_follow_the_local_zone(db):
    support = gen_queue(db, "support")
    add_call(db, support, t(23, 30), 5, "completed", talk=10)
    # 23:30 UTC is 19:30 in New York (same day) and 01:30 the next day in Paris.
    assert [r.label for r in call_intervals(db, DAY, DAY, time_zone="America/New_York", granularity="day")] == [
        "2026-06-15"
    ]
    assert call_intervals(db, DAY, DAY, time_zone="Europe/Paris") == []
    [paris] = call_intervals(db, date(2026, 6, 16), date(2026, 6, 16), time_zone="Europe/Paris")
    assert paris.label == "2026-06-16T01:30:00+02:00"
    # A zone 45 minutes off the hour still cuts quarter hours on its own wall clock.
    [kathmandu] = call_intervals(db, date(2026, 6, 16), date(2026, 6, 16), time_zone="Asia/Kathmandu")
    assert kathmandu.label == "2026-06-16T05:15:00+05:45"


def test_window_bucket_edges():
    w = Window(DAY, DAY, __import__("zoneinfo").ZoneInfo("UTC"))
    assert w.bucket(t(10, 14, 59), "interval") == (t(10, 0), t(10, 15))
    assert w.bucket(t(10, 15), "interval") == (t(10, 15), t(10, 30))
    with pytest.raises(ReportError):
        Window(DAY, DAY - timedelta(days=1), w.tz)


def test_agent_occupancy_and_time_in_state_per_interval(db, scenario):
    _support, alice, bob, _c1, _c2 = scenario
    rows = {(r.agent, r.label): r for r in agent_intervals(db, DAY, DAY, now=NOW)}
    a = rows[("alice", "2026-06-15T10:00:00+00:00")]
    assert a.state_s == {"available": 450, "on_call": 120, "wrap_up": 30, "break": 300}
    assert (a.logged_in_s, a.handling_s, a.handled, a.aht_s) == (900, 150, 1, 150)
    assert a.occupancy == pytest.approx(150 / 900)
    a2 = rows[("alice", "2026-06-15T10:15:00+00:00")]
    assert a2.state_s == {"break": 300, "offline": 600} and a2.occupancy == 0
    assert ("alice", "2026-06-15T10:30:00+00:00") not in rows  # offline only
    b = rows[("bob", "2026-06-15T10:00:00+00:00")]
    # Bob's day began before the window: available from 10:00:00 until his call at 10:01:30.
    assert b.state_s == {"available": 90, "on_call": 120, "wrap_up": 60, "offline": 630}
    assert b.occupancy == pytest.approx(180 / 270) and b.aht_s == 180


def test_agent_occupancy_per_day(db, scenario):
    rows = {r.agent: r for r in agent_intervals(db, DAY, DAY, granularity="day", now=NOW)}
    alice = rows["alice"]
    assert alice.state_s == {"available": 750, "on_call": 120, "wrap_up": 30, "break": 600, "offline": 6000}
    assert alice.occupancy == pytest.approx(150 / 1500)
    bob = rows["bob"]
    assert bob.state_s["available"] == 10 * 3600 + 90  # from local midnight, not from 23:00 the day before
    assert bob.occupancy == pytest.approx(180 / (36090 + 180))
    assert [r.agent for r in agent_intervals(db, DAY, DAY, granularity="day", agent="bob", now=NOW)] == ["bob"]


def test_daily_containment_and_csat(db, scenario):
    [csat] = csat_by_day(db, DAY, DAY)
    assert (csat.count, csat.mean) == (2, 4.0)
    report = daily_report(db, DAY, DAY, containment=containment)
    [flow] = report.containment
    assert (flow.flow, flow.entered, flow.contained) == ("main", 2, 1)
    assert report.to_dict()["csat"] == [{"day": "2026-06-15", "count": 2, "mean": 4.0}]
    with pytest.raises(ReportError, match="time zone"):
        daily_report(db, DAY, DAY, containment=containment, time_zone="Mars/Olympus")
