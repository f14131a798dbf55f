"""The ACD audit (`contactcenter.acd.audit`) on dumps of the real live state: a clean state has no
problems, and a stuck agent in a dump is named."""

from __future__ import annotations

import secrets

import pytest
import redis

from contactcenter.acd.audit import find_problems
from contactcenter.acd.interfaces import AgentProfile, QueueConfig
from contactcenter.acd.realtime import RealtimeACD

T = 1_767_603_600.0  # Monday 2026-01-05 09:00 UTC


@pytest.fixture
def offered(redis_client: redis.Redis) -> RealtimeACD:
    """One call offered to one agent (agent reserved, offer pending)."""
    acd = RealtimeACD(redis_client, "t" + secrets.token_hex(3), auto_match=False)
    assert acd.register_queue(QueueConfig("support"), now=T).ok
    assert acd.upsert_agent(AgentProfile("a1", {}, ("support",)), now=T).ok
    assert acd.set_state("a1", "available", now=T).ok
    assert acd.enqueue("CA1", "support", now=T + 1).ok
    assert acd.match_for_call("CA1", now=T + 1) is not None
    return acd


def test_a_consistent_dump_has_no_problems(offered: RealtimeACD) -> None:
    assert find_problems(offered.dump(), int((T + 2) * 1000)) == []


def test_a_reserved_agent_whose_offer_is_gone_is_reported_stuck(offered: RealtimeACD) -> None:
    dump = offered.dump()
    dump["offers"].clear()
    dump["pending"].clear()
    problems = find_problems(dump, int((T + 2) * 1000))
    assert "reserved agent a1 has no live offer (stuck)" in problems


def test_realtime_audit_reads_its_own_dump(offered: RealtimeACD, redis_client: redis.Redis) -> None:
    redis_client.hset(offered.key("agent:", "a1"), "offer", "")
    assert "reserved agent a1 has no live offer (stuck)" in offered.audit(now=T + 2)
