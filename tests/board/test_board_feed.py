"""The board feed coalesces: however many events arrive, updates leave at most once per interval,
carry only the agents that changed, announce an alert once, and skip when nothing changed."""

from __future__ import annotations

import pytest

from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService
from contactcenter.board.feed import AgentDiff, BoardFeed, BoardSource, Throttle
from tests.support.factories import gen_agent, gen_queue


def test_throttle_sends_at_once_when_idle():
    throttle = Throttle(0.5)
    throttle.notice()
    assert throttle.wait_s(100.0) == 0.0


def test_throttle_has_nothing_to_send_without_notice():
    assert Throttle(0.5).wait_s(0.0) is None


def test_a_burst_becomes_a_few_updates_per_second():
    throttle = Throttle(0.5)
    sent = 0
    for ms in range(3000):  # 1,000 events a second for 3 s, one every millisecond
        now = ms / 1000
        throttle.notice()
        if throttle.wait_s(now) == 0:
            throttle.fired(now)
            sent += 1
    assert sent <= 3 / 0.5 + 1


def test_throttle_rejects_a_zero_interval():
    with pytest.raises(ValueError):
        Throttle(0)


def test_diff_sends_only_changed_and_removed_agents():
    diff = AgentDiff()
    a = {"agent_id": "1", "state": "available", "since": 1.0}
    b = {"agent_id": "2", "state": "break", "since": 2.0}
    assert diff.changes([a, b]) == ([a, b], [])
    moved = {**a, "state": "on_call", "since": 3.0}
    assert diff.changes([moved, b]) == ([moved], [])
    assert diff.changes([moved]) == ([], ["2"])


@pytest.fixture
def floor(db, runtime):  # type: ignore[no-untyped-def]
    support = gen_queue(db, "support", display_name="Support")
    agents = [gen_agent(db, f"agent{i}x", skills={}) for i in range(3)]
    for agent in agents:
        db.add(QueueMembership(queue_id=support.id, user_id=agent.id))
    db.flush()
    service = AcdService(db, runtime.acd)
    service.sync_configuration()
    return service, agents


def _change(service, feed, agent, state, reason=None):  # type: ignore[no-untyped-def]
    """Change an agent's state and tell the feed what the relay would have heard."""
    for event in service.set_state(agent.id, state, reason).events:
        feed.notify(event)


def _feed(runtime):  # type: ignore[no-untyped-def]
    sent: list[tuple[str, dict]] = []
    source = BoardSource(runtime.session_factory, runtime.acd)
    source.refresh_today()
    return BoardFeed(source, lambda name, data: sent.append((name, data)), sql_in_background=False), sent


def test_first_update_carries_every_agent_then_only_changes(floor, runtime):
    service, agents = floor
    for agent in agents:
        service.set_state(agent.id, "available")
    feed, sent = _feed(runtime)
    assert feed.pump()
    assert {a["agent_id"] for a in sent[0][1]["agents"]} == {str(a.id) for a in agents}
    _change(service, feed, agents[1], "break", "lunch")
    assert feed.pump()
    [row] = sent[1][1]["agents"]
    assert (row["agent_id"], row["state"], row["reason"]) == (str(agents[1].id), "break", "lunch")


def test_nothing_changed_nothing_sent(floor, runtime):
    service, agents = floor
    service.set_state(agents[0].id, "available")
    feed, sent = _feed(runtime)
    assert feed.pump()
    assert not feed.pump()
    assert len(sent) == 1


def test_update_names_agents_and_counts_the_queue(floor, runtime):
    service, agents = floor
    service.set_state(agents[0].id, "available")
    service.set_state(agents[1].id, "break", "training")
    feed, sent = _feed(runtime)
    feed.pump()
    update = sent[0][1]
    [queue] = update["queues"]
    assert queue["name"] == "Support" and queue["agents"]["available"] == 1 and queue["agents"]["break"] == 1
    assert {a["name"] for a in update["agents"]} == {a.display_name for a in agents}
    assert update["seq"] == 1 and update["server_time"] > 0


def test_other_events_ride_along_capped(floor, runtime):
    feed, sent = _feed(runtime)
    for i in range(80):
        feed.notify({"type": "sla.warning", "ticket_id": i})
    feed.notify({"type": "agent.state", "agent_id": "1"})  # folded into figures, not passed along
    feed.pump()
    update = sent[0][1]
    assert len(update["events"]) == 50 and update["events_dropped"] == 30
    assert all(e["type"] == "sla.warning" for e in update["events"])


def test_long_wait_alert_is_announced_once(floor, runtime, db):
    from contactcenter import clock
    from contactcenter.acd.models import Queue

    support = db.query(Queue).one()
    support.alert_wait_s = 30
    db.flush()
    runtime.acd.enqueue("CA" + "1" * 32, "support", enqueued_at=clock.timestamp() - 45)
    feed, sent = _feed(runtime)
    feed.pump()
    [alert] = sent[0][1]["new_alerts"]
    assert alert["kind"] == "long_wait" and alert["queue"] == "support"
    runtime.acd.enqueue("CA" + "2" * 32, "support")
    feed.pump()
    assert sent[1][1]["new_alerts"] == [] and len(sent[1][1]["alerts"]) == 1


def test_todays_figures_travel_only_when_they_changed(floor, runtime):
    service, agents = floor
    feed, sent = _feed(runtime)
    service.set_state(agents[0].id, "available")
    feed.pump()
    assert "today" in sent[0][1]["queues"][0]
    _change(service, feed, agents[0], "break", "lunch")
    feed.pump()
    assert "today" not in sent[1][1]["queues"][0]
    feed.source.refresh_today()
    _change(service, feed, agents[0], "available")
    feed.pump()
    assert "today" in sent[2][1]["queues"][0]


def test_a_change_no_event_announced_is_caught_by_the_next_full_read(floor, runtime):
    service, agents = floor
    feed, sent = _feed(runtime)
    feed.pump()
    service.set_state(agents[2].id, "break", "training")  # nobody told the feed
    feed.notify({"type": "agent.state", "agent_id": str(agents[0].id)})
    feed.pump()
    assert all(r["agent_id"] != str(agents[2].id) for r in sent[-1][1]["agents"])
    feed.full_every_s = 0
    feed.notify()
    feed.pump()
    assert any(r["agent_id"] == str(agents[2].id) and r["state"] == "break" for r in sent[-1][1]["agents"])
    assert sent[-1][1]["totals"]["break"] == 1
