"""Board figures: today's service level, volumes, ASA and AHT per queue in the queue's own zone and
formula, intervals for the chart, live ACD rows, and the alerts they raise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contactcenter.acd.interfaces import QueueStats
from contactcenter.board import alerts, stats
from contactcenter.contacts.models import Interaction
from tests.support.factories import call_sid, gen_agent, gen_queue

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def add_call(db, queue, queued_at, wait, outcome, *, talk=None, agent=None, short=False):  # type: ignore[no-untyped-def]
    answered_at = queued_at + timedelta(seconds=wait) if outcome == "completed" else None
    ended_at = (
        (answered_at + timedelta(seconds=talk))
        if answered_at and talk is not None
        else (queued_at + timedelta(seconds=wait) if outcome != "completed" else None)
    )
    call = Interaction(
        call_sid=call_sid(),
        direction="inbound",
        from_number="+14155550100",
        to_number="+18005550100",
        arrived_at=queued_at - timedelta(seconds=5),
        queued_at=queued_at,
        answered_at=answered_at,
        ended_at=ended_at,
        queue_id=queue.id,
        agent_id=agent.id if agent else None,
        outcome=outcome if ended_at else None,
        wait_s=wait if ended_at else None,
        short_abandon=short,
    )
    db.add(call)
    db.flush()
    return call


def test_today_counts_answered_abandoned_and_service_level(db):
    support = gen_queue(db, "support", sl_threshold_s=20)
    alice = gen_agent(db, "alice")
    add_call(db, support, NOW - timedelta(hours=2), 10, "completed", talk=100, agent=alice)
    add_call(db, support, NOW - timedelta(hours=2), 30, "completed", talk=200, agent=alice)
    add_call(db, support, NOW - timedelta(hours=1), 40, "abandoned")
    add_call(db, support, NOW - timedelta(days=1), 5, "completed", talk=60, agent=alice)  # yesterday: left out
    today = stats.today_figures(db, stats.queue_settings(db), NOW)["support"]
    assert (today["offered"], today["answered"], today["abandoned"]) == (3, 2, 1)
    assert today["service_level"] == round(1 / 3, 4)  # "offered": answered in 20 s / offered
    assert today["asa_s"] == 20.0
    assert today["aht_s"] == 150.0


def test_queue_formula_decides_the_service_level(db):
    support = gen_queue(db, "support", sl_threshold_s=20, sl_formula="late-abandons")
    add_call(db, support, NOW - timedelta(hours=1), 10, "completed", talk=60)
    add_call(db, support, NOW - timedelta(hours=1), 8, "abandoned")  # abandoned within T: neutral
    today = stats.today_figures(db, stats.queue_settings(db), NOW)["support"]
    assert today["service_level"] == 1.0


def test_the_day_is_cut_in_the_queue_zone(db):
    tokyo = gen_queue(db, "tokyo", time_zone="Asia/Tokyo")
    # 12:00 UTC is 21:00 in Tokyo: a call at 14:30 UTC the day before is 23:30 Tokyo yesterday,
    # one at 15:30 UTC the day before is 00:30 Tokyo today.
    add_call(db, tokyo, NOW - timedelta(hours=21, minutes=30), 5, "completed", talk=60)
    add_call(db, tokyo, NOW - timedelta(hours=20, minutes=30), 5, "completed", talk=60)
    today = stats.today_figures(db, stats.queue_settings(db), NOW)["tokyo"]
    assert today["answered"] == 1
    assert [(p["slot"], p["label"]) for p in today["intervals"]] == [(2, "00:30")]


def test_intervals_feed_the_chart(db):
    support = gen_queue(db, "support", sl_threshold_s=20)
    add_call(db, support, datetime(2026, 6, 15, 9, 3, tzinfo=UTC), 5, "completed", talk=60)
    add_call(db, support, datetime(2026, 6, 15, 9, 14, tzinfo=UTC), 50, "abandoned")
    add_call(db, support, datetime(2026, 6, 15, 11, 50, tzinfo=UTC), 5, "completed", talk=60)
    points = stats.today_figures(db, stats.queue_settings(db), NOW)["support"]["intervals"]
    assert [(p["slot"], p["offered"], p["service_level"]) for p in points] == [(36, 2, 0.5), (47, 1, 1.0)]


def test_a_bad_zone_or_formula_falls_back_instead_of_blanking_the_board(db):
    gen_queue(db, "odd", time_zone="Mars/Olympus", sl_formula="whatever")
    settings = stats.queue_settings(db)["odd"]
    assert (settings.time_zone, settings.sl_formula) == ("UTC", "offered")


def _row(**kw):  # type: ignore[no-untyped-def]
    live = QueueStats(
        queue="support",
        waiting=kw.pop("waiting", 0),
        offered=0,
        longest_wait_seconds=kw.pop("wait", 0.0),
        agents_available=1,
        agents_reserved=0,
        agents_on_call=2,
        agents_wrap_up=0,
        agents_break=1,
        agents_offline=0,
        average_handle_seconds=0,
    )
    settings = {"support": stats.QueueSettings("support", "Support <b>", 0.8, 20, 60, "offered", "UTC")}
    today = {"support": {"service_level": kw.pop("sl", None), "offered": 0, "answered": 0, "abandoned": 0}}
    return stats.queue_rows(settings, [live], today)[0]


def test_no_alert_while_targets_are_met():
    assert alerts.for_queue(_row(sl=0.85, waiting=1, wait=30.0)) == []


def test_service_level_under_target_alerts():
    [alert] = alerts.for_queue(_row(sl=0.5))
    assert alert.kind == alerts.SERVICE_LEVEL and alert.value == 0.5 and alert.threshold == 0.8
    assert "50%" in alert.message and "80%" in alert.message


def test_longest_wait_past_threshold_alerts():
    [alert] = alerts.for_queue(_row(waiting=2, wait=61.0))
    assert alert.kind == alerts.LONG_WAIT and alert.threshold == 60


def test_an_alert_is_new_only_once():
    current = alerts.evaluate([_row(sl=0.5, waiting=1, wait=90.0)])
    assert len(alerts.started(current, set())) == 2
    assert alerts.started(current, {a.key for a in current}) == []


def test_queue_row_joins_live_and_today():
    row = _row(waiting=3, wait=12.5, sl=0.9)
    assert row["waiting"] == 3 and row["longest_wait_s"] == 12.5
    assert row["agents"]["on_call"] == 2 and row["agents"]["break"] == 1
    assert row["today"]["service_level"] == 0.9 and row["name"] == "Support <b>"
