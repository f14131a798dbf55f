"""The talk timer starts when the agent's leg is answered (the carrier's status callback), not at
the accept: the desktop's snapshot has no `answered_at` while the browser still rings."""

from __future__ import annotations

import pytest

from contactcenter.calls import agent_legs
from tests.support.calls import make_floor
from tests.support.web_client import logged_in


@pytest.fixture
def ringing(app, db, runtime, carrier):  # type: ignore[no-untyped-def]
    """Alice accepted a call; her browser rings (nobody at the page has answered it yet)."""
    carrier.browser_devices = True
    floor = make_floor(db, runtime, carrier)
    db.commit()
    alice = logged_in(app, "alice")
    assert alice.post("/desktop/device").status_code == 201
    floor.connect(floor.alice)
    db.commit()
    return alice


def test_while_the_browser_rings_the_call_is_connecting(ringing):
    live = ringing.get("/desktop/snapshot").json["live"]
    assert live["connected_at"] is not None and live["answered_at"] is None


def test_the_answer_starts_the_talk_time(ringing, carrier):
    [leg] = ringing.get("/desktop/device").json["calls"]
    ringing.post(f"/desktop/device/calls/{leg['call_sid']}/answer")
    carrier.run_for(1)
    live = ringing.get("/desktop/snapshot").json["live"]
    assert live["answered_at"] is not None and live["answered_at"] >= live["connected_at"]


def test_a_repeated_status_keeps_the_first_answer(runtime):
    agent_legs.record_answered(runtime.redis, 7, "CA1", "CAleg", at=100.0)
    agent_legs.record_answered(runtime.redis, 7, "CA1", "CAleg", at=130.0)
    assert agent_legs.answered_since(runtime.redis, 7, 90.0).at == 100.0


def test_an_earlier_calls_answer_is_not_this_calls(runtime):
    agent_legs.record_answered(runtime.redis, 7, "CA1", "CAleg", at=100.0)
    assert agent_legs.answered_since(runtime.redis, 7, 500.0) is None


def test_a_garbled_record_reads_as_not_answered(runtime):
    runtime.redis.set(agent_legs.KEY.format(agent_id=7), "<script>")
    assert agent_legs.answered_since(runtime.redis, 7, None) is None
