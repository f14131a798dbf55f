"""The same Lua scripts on the embedded Redis substitute (fakeredis with Lua), which the one-command
demo runs on: the basic flow, and a random day replayed on both fakeredis and the real Redis with
identical results."""

from __future__ import annotations

import json
import secrets

import fakeredis
import pytest
import redis

from contactcenter.acd.interfaces import AgentProfile, AgentRecord, CallRecord, EscalationStep, QueueConfig
from contactcenter.acd.realtime import RealtimeACD
from tests.support.acd_day import random_day as _random_day

T = 1_767_603_600.0


@pytest.fixture
def fake() -> RealtimeACD:
    return RealtimeACD(fakeredis.FakeRedis(), "fake", auto_match=False)


def test_basic_flow_on_fakeredis(fake: RealtimeACD) -> None:
    acd = fake
    assert acd.register_queue(
        QueueConfig("support", required_skills={"en": 5}, escalation=(EscalationStep(30, relax_to=3),)), now=T
    ).ok
    acd.upsert_agent(AgentProfile("a1", {"en": 6}, ("support",)), now=T)
    acd.upsert_agent(AgentProfile("a2", {"en": 3}, ("support",)), now=T)
    acd.set_state("a1", "available", now=T)
    acd.set_state("a2", "available", now=T + 1)
    acd.enqueue("CA1", "support", priority=1, now=T + 2)
    acd.enqueue("CA2", "support", now=T + 3)

    offer = acd.match_for_call("CA1", now=T + 2)
    assert offer is not None and offer.agent_id == "a1"
    assert acd.accept(offer.offer_id, "a2", now=T + 3).reason == "not_your_offer"
    assert acd.accept(offer.offer_id, "a1", now=T + 3).ok
    assert acd.accept(offer.offer_id, "a1", now=T + 3).reason == "already_accepted"

    # CA2 needs en 5 until it has waited 30 s
    assert acd.match_for_call("CA2", now=T + 10) is None
    offer2 = acd.match_for_agent("a2", now=T + 33)
    assert offer2 is not None and offer2.call_sid == "CA2"
    # RONA: back in its place, the agent on a missed break
    assert acd.expire_offers(T + 48).ok
    assert acd.agent_snapshot("a2", now=T + 48).reason == "missed"
    assert acd.position("CA2", now=T + 48).position == 1

    assert acd.complete("CA1", "a1", 20, now=T + 60).ok
    assert acd.set_state("a1", "available", now=T + 70).reason == "wrap_up"
    report = acd.tick(T + 80)
    assert report.wrap_ups_ended == ("a1",)
    assert acd.match_for_agent("a1", now=T + 80).call_sid == "CA2"
    assert acd.remove("CA2", now=T + 81).ok  # caller hangs up during the offer
    assert acd.agent_snapshot("a1", now=T + 81).state == "available"
    [stats] = acd.queue_stats(now=T + 81)
    assert stats.waiting == 0 and stats.agents_available == 1 and stats.average_handle_seconds == pytest.approx(77)
    assert acd.audit(now=T + 81) == []


def test_rebuild_and_dispatch_on_fakeredis(fake: RealtimeACD) -> None:
    acd = fake
    queues = [QueueConfig("q", strategy="most-skilled", required_skills={"en": 2})]
    agents = [
        AgentRecord(AgentProfile("a1", {"en": 4}, ("q",)), state="available", idle_since=T),
        AgentRecord(AgentProfile("a2", {"en": 9}, ("q",)), state="available", idle_since=T + 5),
    ]
    calls = [CallRecord("late", "q", enqueued_at=T + 9), CallRecord("early", "q", enqueued_at=T + 1)]
    assert acd.rebuild(calls, agents, queues, now=T + 10).ok
    offers = acd.dispatch(T + 10)
    assert [(o.call_sid, o.agent_id) for o in offers] == [("early", "a2"), ("late", "a1")]
    assert acd.audit(now=T + 10) == []


def test_events_on_fakeredis_pubsub() -> None:
    client = fakeredis.FakeRedis()
    acd = RealtimeACD(client, "ev")
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(acd.events_channel)
    acd.register_queue(QueueConfig("q"), now=T)
    messages = []
    while (msg := pubsub.get_message(timeout=0.1)) is not None or not messages:
        if msg is not None:
            messages.append(json.loads(msg["data"]))
    assert messages == [{"type": "queue.updated", "queue": "q", "at": T}]


def test_fakeredis_and_redis_give_identical_results(redis_client: redis.Redis) -> None:
    real = RealtimeACD(redis_client, "diff" + secrets.token_hex(3), auto_match=True)
    embedded = RealtimeACD(fakeredis.FakeRedis(), "diff", auto_match=True)
    real_log = _random_day(real, seed=5)
    embedded_log = _random_day(embedded, seed=5)
    assert len(real_log) == len(embedded_log)
    for i, (a, b) in enumerate(zip(real_log, embedded_log, strict=True)):
        assert a == b, f"step {i} differs"
