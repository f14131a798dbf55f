"""Thresholds colour a queue's tile: warn and critical per measure, worse as waits grow and as the
service level falls; a level raises an alert that names the measure and the level."""

from __future__ import annotations

import pytest

from contactcenter.board import alerts
from contactcenter.board.thresholds import CRITICAL, OK, WARN, Threshold, check, levels, worst
from tests.support.board_floor import limits, queue_row


def test_a_long_wait_reaches_warning_then_critical():
    t = Threshold("longest_wait_s", 30, 60)
    assert [t.level(v) for v in (10, 30, 59, 60)] == [OK, WARN, WARN, CRITICAL]


def test_a_falling_service_level_reaches_warning_then_critical():
    t = Threshold("service_level", 0.8, 0.6)
    assert [t.level(v) for v in (0.9, 0.8, 0.7, 0.6)] == [OK, WARN, WARN, CRITICAL]


def test_no_service_level_yet_is_ok():
    assert Threshold("service_level", 0.8, 0.6).level(None) == OK


def test_a_wait_counts_only_while_someone_waits():
    found = levels(queue_row(waiting=0, wait=500.0), limits(longest_wait_s=(30, 60)))
    assert found == {"longest_wait_s": OK}


def test_the_tile_takes_its_worst_level():
    found = levels(queue_row(waiting=6, wait=40.0, sl=0.9), limits(waiting=(5, 10), longest_wait_s=(30, 60)))
    assert found == {"waiting": WARN, "longest_wait_s": WARN} and worst(found) == WARN
    assert worst({}) == OK


@pytest.mark.parametrize(
    "metric,warn,critical",
    [
        ("waiting", 10, 5),  # critical before warning for a count
        ("service_level", 0.6, 0.8),  # critical above warning for a share
        ("service_level", 80, 60),  # percent given where a share is meant
        ("waiting", -1, 2),
        ("waiting", float("nan"), 2),
        ("waiting", 1, 10**9),
        ("queue'; DROP TABLE queues; --", 1, 2),
    ],
)
def test_thresholds_that_cannot_work_are_refused(metric, warn, critical):
    assert check(metric, warn, critical) is not None


def test_a_level_raises_an_alert_naming_measure_and_level():
    row = queue_row(waiting=12)
    row["thresholds"] = {"waiting": {"metric": "waiting", "warn": 5, "critical": 10}}
    row["levels"] = levels(row, limits(waiting=(5, 10)))
    [alert] = alerts.for_queue(row)
    assert alert.kind == "waiting.critical" and alert.level == CRITICAL and alert.key == "support:waiting.critical"
    assert "critical" in alert.message and "12" in alert.message and "(10)" in alert.message


def test_an_ok_level_raises_nothing():
    row = queue_row(waiting=1)
    row["levels"] = levels(row, limits(waiting=(5, 10)))
    assert alerts.for_queue(row) == []
