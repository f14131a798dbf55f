"""The router's side of transfers: a consult hold on the target agent, and one atomic hand-over
of a connected call from one agent to another (the first to wrap-up). Real Redis, one behaviour
per test, the router's own audit clean after each change."""

from __future__ import annotations

import secrets

import pytest
import redis

from contactcenter.acd.interfaces import AgentProfile, QueueConfig
from contactcenter.acd.realtime import RealtimeACD

T = 1_767_603_600.0


@pytest.fixture
def acd(redis_client: redis.Redis) -> RealtimeACD:
    router = RealtimeACD(redis_client, "x" + secrets.token_hex(3), auto_match=False)
    router.register_queue(QueueConfig("support", wrap_up_seconds=30), now=T)
    for aid in ("a1", "a2", "a3"):
        router.upsert_agent(AgentProfile(aid, {}, ("support",)), now=T)
    router.set_state("a1", "available", now=T)
    router.enqueue("CA1", "support", now=T)
    offer = router.match_for_call("CA1", now=T)
    assert router.accept(offer.offer_id, "a1", now=T + 1).ok
    return router


def test_transfer_puts_the_target_on_the_call_and_the_first_agent_in_wrap_up(acd: RealtimeACD) -> None:
    acd.set_state("a2", "available", now=T + 2)
    assert acd.transfer("CA1", "a1", "a2", now=T + 60).ok
    assert acd.agent_snapshot("a2", now=T + 60).state == "on_call"
    first = acd.agent_snapshot("a1", now=T + 60)
    assert first.state == "wrap_up" and first.wrap_until == T + 90
    call = acd.call_snapshot("CA1", now=T + 60)
    assert (call.state, call.agent_id) == ("connected", "a2")
    assert acd.audit(now=T + 60) == []


def test_transfer_announces_the_new_agent(acd: RealtimeACD) -> None:
    acd.set_state("a2", "available", now=T + 2)
    outcome = acd.transfer("CA1", "a1", "a2", now=T + 60)
    [connected] = [e for e in outcome.events if e["type"] == "call.updated"]
    assert (connected["agent_id"], connected["transferred_from"]) == ("a2", "a1")


def test_transfer_to_an_agent_who_is_not_available_is_refused(acd: RealtimeACD) -> None:
    outcome = acd.transfer("CA1", "a1", "a2", now=T + 60)  # a2 is offline
    assert not outcome.ok and outcome.reason == "agent_unavailable"
    assert acd.agent_snapshot("a1", now=T + 60).state == "on_call"


def test_transfer_of_someone_elses_call_is_refused(acd: RealtimeACD) -> None:
    acd.set_state("a2", "available", now=T + 2)
    outcome = acd.transfer("CA1", "a3", "a2", now=T + 60)
    assert not outcome.ok and outcome.reason == "not_your_call"


def test_transfer_of_a_call_that_ended_is_refused(acd: RealtimeACD) -> None:
    acd.set_state("a2", "available", now=T + 2)
    acd.complete("CA1", "a1", now=T + 30)
    outcome = acd.transfer("CA1", "a1", "a2", now=T + 60)
    assert not outcome.ok and outcome.reason == "not_connected"


def test_consult_holds_the_target_out_of_routing(acd: RealtimeACD) -> None:
    acd.set_state("a2", "available", now=T + 2)
    assert acd.consult("a2", "CA1", now=T + 10).ok
    snapshot = acd.agent_snapshot("a2", now=T + 10)
    assert (snapshot.state, snapshot.reason) == ("break", "consult")
    acd.enqueue("CA2", "support", now=T + 11)
    assert acd.match_for_call("CA2", now=T + 11) is None


def test_consult_of_a_busy_agent_is_refused(acd: RealtimeACD) -> None:
    outcome = acd.consult("a2", "CA1", now=T + 10)  # offline
    assert not outcome.ok and outcome.reason == "agent_unavailable"


def test_transfer_completes_a_consult(acd: RealtimeACD) -> None:
    acd.set_state("a2", "available", now=T + 2)
    acd.consult("a2", "CA1", now=T + 10)
    assert acd.transfer("CA1", "a1", "a2", now=T + 40).ok
    assert acd.agent_snapshot("a2", now=T + 40).state == "on_call"
    assert acd.audit(now=T + 40) == []


def test_an_ordinary_break_is_not_a_consult(acd: RealtimeACD) -> None:
    acd.set_state("a2", "break", "lunch", now=T + 2)
    outcome = acd.transfer("CA1", "a1", "a2", now=T + 40)
    assert not outcome.ok and outcome.reason == "agent_unavailable"


def test_transferred_call_completes_with_its_new_agent(acd: RealtimeACD) -> None:
    acd.set_state("a2", "available", now=T + 2)
    acd.transfer("CA1", "a1", "a2", now=T + 60)
    assert acd.remove("CA1", "completed", now=T + 120).ok
    assert acd.agent_snapshot("a2", now=T + 120).state == "wrap_up"
    assert acd.agent_snapshot("a1", now=T + 120).state == "wrap_up"
    assert acd.audit(now=T + 120) == []
