"""The feed carries what the admin set: each queue's levels against its thresholds, each agent's
team and current call, and acknowledgements heard from any process."""

from __future__ import annotations

import pytest

from contactcenter import clock
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.board import services as board_settings
from contactcenter.board.feed import BoardFeed, BoardSource
from tests.support.board_floor import call_in_progress, team_with, thresholds_on
from tests.support.factories import gen_agent, gen_queue


@pytest.fixture
def floor(db, runtime):  # type: ignore[no-untyped-def]
    support = gen_queue(db, "support", display_name="Support")
    alice = gen_agent(db, "alice", skills={"support": 5}, display_name="Alice")
    db.add(QueueMembership(queue_id=support.id, user_id=alice.id))
    db.flush()
    AcdService(db, runtime.acd).sync_configuration()
    return support, alice


def _feed(runtime):  # type: ignore[no-untyped-def]
    sent: list[tuple[str, dict]] = []
    source = BoardSource(runtime.session_factory, runtime.acd)
    source.refresh_today()
    return BoardFeed(source, lambda name, data: sent.append((name, data)), sql_in_background=False), sent


def _wait(runtime, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        runtime.acd.enqueue(f"CA{i:032d}", "support", enqueued_at=clock.timestamp() - 5)


def test_a_queue_past_its_critical_count_is_critical(floor, runtime, db):
    support, _alice = floor
    thresholds_on(db, support, waiting=(2, 3))
    _wait(runtime, 3)
    feed, sent = _feed(runtime)
    feed.pump()
    [queue] = sent[0][1]["queues"]
    assert queue["levels"] == {"waiting": "critical"} and queue["level"] == "critical"
    assert [a["kind"] for a in sent[0][1]["alerts"]] == ["waiting.critical"]


def test_a_queue_between_warning_and_critical_warns(floor, runtime, db):
    support, _alice = floor
    thresholds_on(db, support, waiting=(2, 3))
    _wait(runtime, 2)
    feed, sent = _feed(runtime)
    feed.pump()
    assert sent[0][1]["queues"][0]["level"] == "warn"


def test_an_acknowledgement_heard_reaches_the_next_update(floor, runtime, db):
    support, _alice = floor
    thresholds_on(db, support, waiting=(1, 5))
    _wait(runtime, 1)
    feed, sent = _feed(runtime)
    feed.pump()
    assert sent[0][1]["alerts"][0]["acknowledged"] is None
    feed.notify({"type": board_settings.ACKNOWLEDGED, "key": "support:waiting.warn", "by": "Sam", "at": 1.0e9})
    assert feed.pump()
    assert sent[1][1]["alerts"][0]["acknowledged"] == {"key": "support:waiting.warn", "by": "Sam", "at": 1.0e9}


def test_a_malformed_acknowledgement_event_is_ignored(floor, runtime):
    feed, _sent = _feed(runtime)
    feed.notify({"type": board_settings.ACKNOWLEDGED, "key": ["x"], "at": "soon"})
    assert feed.source.today().acks == {}


def test_agent_rows_carry_team_state_name_and_current_call(floor, runtime, db):
    support, alice = floor
    team_with(db, "Red", alice)
    AcdService(db, runtime.acd).set_state(alice.id, "available")
    call = call_in_progress(db, alice, support, from_number="+447700900123")
    [offer] = runtime.acd.enqueue(call.call_sid, "support").offers  # offered at once: Alice is free
    assert runtime.acd.accept(offer.offer_id, str(alice.id)).ok
    feed, sent = _feed(runtime)
    feed.pump()
    [row] = sent[0][1]["agents"]
    assert row["team"] == "Red" and row["state"] == "on_call" and row["state_label"] == "On a call"
    assert row["call"]["caller"] == "+44 •••• 0123" and row["call"]["queue_name"] == "Support"


def test_agent_state_changes_alone_do_not_recompute_todays_figures(floor, runtime):
    feed, _sent = _feed(runtime)
    feed.refresh_from_store(100.0)
    feed.notify({"type": "agent.state", "agent_id": "1"})
    assert not feed.figures_due(101.0)


def test_a_call_that_moved_recomputes_todays_figures(floor, runtime):
    feed, _sent = _feed(runtime)
    feed.refresh_from_store(100.0)
    feed.notify({"type": "call.updated", "call_sid": "CA1", "state": "completed"})
    assert feed.figures_due(101.0)


def test_todays_figures_are_recomputed_at_least_every_interval(floor, runtime):
    feed, _sent = _feed(runtime)
    feed.refresh_from_store(100.0)
    assert feed.figures_due(100.0 + feed.figures_every_s)


def test_a_light_refresh_keeps_the_figures_and_reads_the_calls_in_progress(floor, runtime, db):
    support, alice = floor
    feed, _sent = _feed(runtime)
    feed.refresh_from_store(100.0)
    figures_at = feed.source.today().computed_at
    call = call_in_progress(db, alice, support)
    cache = feed.refresh_from_store(101.0)
    assert cache.computed_at == figures_at and call.call_sid in cache.calls
