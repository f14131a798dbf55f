"""The real-time ACD against the real Redis: ordering, escalation, strategies, offers, wrap-up,
rebuild, position / EWT, stats and events, one behaviour per test."""

from __future__ import annotations

import json
import random
import secrets
import time
from datetime import UTC

import pytest
import redis
from redis.crc import key_slot

from contactcenter import clock
from contactcenter.acd.interfaces import (
    ACDError,
    AgentProfile,
    AgentRecord,
    CallRecord,
    EscalationStep,
    QueueConfig,
)
from contactcenter.acd.realtime import RealtimeACD

T = 1_767_603_600.0  # Monday 2026-01-05 09:00 UTC


@pytest.fixture
def acd(redis_client: redis.Redis) -> RealtimeACD:
    return RealtimeACD(redis_client, "t" + secrets.token_hex(3), auto_match=False)


def add_agent(
    acd: RealtimeACD, aid: str, skills: dict[str, int], queues: tuple[str, ...], available_at: float | None = None
) -> None:
    assert acd.upsert_agent(AgentProfile(aid, skills, queues), now=T - 3600).ok
    if available_at is not None:
        assert acd.set_state(aid, "available", now=available_at).ok


def serve(acd: RealtimeACD, aid: str, now: float, wrap: float = 0) -> str | None:
    """The agent takes its next call and finishes it at once; returns the call sid."""
    offer = acd.match_for_agent(aid, now=now)
    if offer is None:
        return None
    assert acd.accept(offer.offer_id, aid, now=now).ok
    assert acd.complete(offer.call_sid, aid, wrap, now=now + 1).ok
    return offer.call_sid


def types(events: tuple[dict, ...]) -> list[str]:
    return [e["type"] for e in events]


# -- layout -------------------------------------------------------------------------------------


def test_every_key_shares_the_acd_hash_tag(acd: RealtimeACD, redis_client: redis.Redis) -> None:
    acd.register_queue(
        QueueConfig("support", required_skills={"en": 3}, escalation=(EscalationStep(10, widen_to=("sales",)),)), now=T
    )
    acd.register_queue(QueueConfig("sales"), now=T)
    add_agent(acd, "a1", {"en": 5}, ("support", "sales"), available_at=T)
    acd.enqueue("CA1", "support", now=T)
    offer = acd.match_for_call("CA1", now=T)
    acd.accept(offer.offer_id, "a1", now=T + 1)
    acd.complete("CA1", "a1", 30, now=T + 60)
    acd.enqueue("CA2", "sales", now=T + 61)
    keys = [k.decode() for k in redis_client.scan_iter(count=1000)]
    assert len(keys) > 10
    assert all(k.startswith(acd.prefix) and k.startswith("{acd}:") for k in keys)
    assert len({key_slot(k.encode()) for k in keys}) == 1


def test_namespace_may_not_break_the_hash_tag(redis_client: redis.Redis) -> None:
    with pytest.raises(ACDError):
        RealtimeACD(redis_client, "x}{y")


# -- queue order ----------------------------------------------------------------------------------


def test_priority_first_then_longest_wait_fifo_among_equals(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("support"), now=T)
    add_agent(acd, "a1", {}, ("support",), available_at=T)
    acd.enqueue("low-old", "support", priority=0, enqueued_at=T, now=T)
    acd.enqueue("high-1", "support", priority=2, enqueued_at=T + 1, now=T + 1)
    acd.enqueue("low-new", "support", priority=0, enqueued_at=T + 2, now=T + 2)
    acd.enqueue("high-2", "support", priority=2, enqueued_at=T + 3, now=T + 3)
    # same priority, same millisecond: arrival order decides
    acd.enqueue("high-3", "support", priority=2, enqueued_at=T + 3, now=T + 3)
    served = [serve(acd, "a1", T + 10 + i * 2) for i in range(5)]
    assert served == ["high-1", "high-2", "high-3", "low-old", "low-new"]
    assert serve(acd, "a1", T + 30) is None


def test_queue_priority_outranks_and_small_queues_keep_their_turn(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("big"), now=T)
    acd.register_queue(QueueConfig("small"), now=T)
    acd.register_queue(QueueConfig("vip", priority=5), now=T)
    add_agent(acd, "a1", {}, ("big", "small", "vip"), available_at=T)
    for i in range(6):
        acd.enqueue(f"big-{i}", "big", enqueued_at=T + i, now=T + i)
    acd.enqueue("small-0", "small", enqueued_at=T + 2.5, now=T + 3)
    acd.enqueue("vip-0", "vip", enqueued_at=T + 9, now=T + 9)
    served = [serve(acd, "a1", T + 20 + i * 2) for i in range(8)]
    assert served == ["vip-0", "big-0", "big-1", "big-2", "small-0", "big-3", "big-4", "big-5"]


def test_a_lower_band_never_jumps_ahead_when_a_higher_one_is_too_young(acd: RealtimeACD) -> None:
    """The agent qualifies for queue b's calls only once they have waited 30 s. b's best band is
    too young; its next band is old enough but ranks below queue a's call, which must win."""
    acd.register_queue(QueueConfig("a"), now=T)
    acd.register_queue(
        QueueConfig("b", required_skills={"tech": 8}, escalation=(EscalationStep(30, relax_to=3),)), now=T
    )
    add_agent(acd, "generalist", {"tech": 4}, ("a", "b"))
    acd.enqueue("a-mid", "a", priority=1, now=T)
    acd.enqueue("b-low-old", "b", priority=0, now=T)
    acd.enqueue("b-high-young", "b", priority=2, now=T + 50)
    acd.set_state("generalist", "available", now=T + 60)
    assert serve(acd, "generalist", T + 60) == "a-mid"
    assert serve(acd, "generalist", T + 62) == "b-low-old"
    assert serve(acd, "generalist", T + 80) == "b-high-young"  # waited 30 s by now


def test_skills_override_replaces_the_queue_requirements(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("support", required_skills={"en": 5}), now=T)
    add_agent(acd, "english", {"en": 8}, ("support",), available_at=T)
    add_agent(acd, "spanish", {"es": 7}, ("support",), available_at=T + 1)
    acd.enqueue("CA-es", "support", skills_override={"es": 6}, now=T + 2)
    assert acd.match_for_agent("english", now=T + 3) is None
    offer = acd.match_for_call("CA-es", now=T + 3)
    assert offer is not None and offer.agent_id == "spanish"
    snap = acd.call_snapshot("CA-es", now=T + 3)
    assert snap.skills_override == {"es": 6} and snap.state == "offered"


def test_match_for_call_gives_the_agent_its_better_call_first(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q1"), now=T)
    acd.register_queue(QueueConfig("q2"), now=T)
    add_agent(acd, "a1", {}, ("q1", "q2"), available_at=T)
    acd.enqueue("older", "q2", enqueued_at=T, now=T)
    acd.enqueue("newer", "q1", enqueued_at=T + 5, now=T + 5)
    # the newer call arrives and finds a1 free, but a1 must take the older call first
    assert acd.match_for_call("newer", now=T + 5) is None
    [offer] = acd.pending_offers()
    assert (offer.agent_id, offer.call_sid) == ("a1", "older")
    assert acd.call_snapshot("newer", now=T + 5).state == "waiting"


def test_match_for_agent_places_the_call_with_the_agent_the_strategy_prefers(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("support"), now=T)
    add_agent(acd, "idle-long", {}, ("support",), available_at=T)
    add_agent(acd, "idle-short", {}, ("support",), available_at=T + 50)
    acd.enqueue("CA1", "support", now=T + 60)
    assert acd.match_for_agent("idle-short", now=T + 60) is None
    [offer] = acd.pending_offers()
    assert offer.agent_id == "idle-long"


def test_dispatch_matches_best_calls_first(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("support"), now=T)
    for i in range(3):
        add_agent(acd, f"a{i}", {}, ("support",), available_at=T + i)
    for i, prio in enumerate([0, 3, 1, 3, 0]):
        acd.enqueue(f"c{i}", "support", priority=prio, now=T + 10 + i)
    offers = acd.dispatch(T + 20)
    assert [(o.call_sid, o.agent_id) for o in offers] == [("c1", "a0"), ("c3", "a1"), ("c2", "a2")]
    assert acd.dispatch(T + 21) == []
    assert acd.audit(now=T + 21) == []


def test_max_length_and_duplicates(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("tiny", max_length=2), now=T)
    assert acd.enqueue("c1", "tiny", now=T).ok
    dup = acd.enqueue("c1", "tiny", now=T + 1)
    assert not dup.ok and dup.reason == "duplicate"
    assert acd.enqueue("c2", "tiny", now=T + 1).ok
    full = acd.enqueue("c3", "tiny", now=T + 2)
    assert not full.ok and full.reason == "queue_full"
    assert acd.enqueue("c4", "nowhere", now=T).reason == "unknown_queue"
    assert [s.waiting for s in acd.queue_stats(now=T + 2)] == [2]


# -- escalation ---------------------------------------------------------------------------------


def test_escalation_relaxes_the_minimum_level(acd: RealtimeACD) -> None:
    acd.register_queue(
        QueueConfig("tier2", required_skills={"tech": 7}, escalation=(EscalationStep(30, relax_to=4),)), now=T
    )
    add_agent(acd, "junior", {"tech": 5}, ("tier2",), available_at=T)
    acd.enqueue("CA1", "tier2", now=T)
    assert acd.match_for_call("CA1", now=T + 10) is None
    assert acd.match_for_agent("junior", now=T + 29.9) is None
    offer = acd.match_for_agent("junior", now=T + 30)
    assert offer is not None and offer.call_sid == "CA1"


def test_escalation_by_tick_with_auto_match(redis_client: redis.Redis) -> None:
    acd = RealtimeACD(redis_client, "auto" + secrets.token_hex(3))
    acd.register_queue(
        QueueConfig(
            "tier2",
            required_skills={"tech": 7, "en": 5},
            escalation=(EscalationStep(20, relax={"tech": 5}), EscalationStep(40, drop=("en",))),
        ),
        now=T,
    )
    add_agent(acd, "junior", {"tech": 5}, ("tier2",), available_at=T)
    assert acd.enqueue("CA1", "tier2", now=T).offers == ()
    assert acd.tick(T + 20).offers == ()  # tech relaxed, but en 5 still required
    [offer] = acd.tick(T + 40).offers  # en dropped
    assert offer.agent_id == "junior"


def test_escalation_widens_to_another_queues_members(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("billing", escalation=(EscalationStep(60, widen_to=("support",)),)), now=T)
    acd.register_queue(QueueConfig("support"), now=T)
    add_agent(acd, "billing-agent", {}, ("billing",))
    add_agent(acd, "support-agent", {}, ("support",), available_at=T)
    acd.enqueue("CA1", "billing", now=T)
    assert acd.match_for_call("CA1", now=T + 59) is None
    assert acd.match_for_agent("support-agent", now=T + 59) is None
    offer = acd.match_for_agent("support-agent", now=T + 60)
    assert offer is not None and offer.call_sid == "CA1"


def test_members_come_before_overflow_agents(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("billing", escalation=(EscalationStep(10, widen_to=("support",)),)), now=T)
    acd.register_queue(QueueConfig("support"), now=T)
    add_agent(acd, "support-agent", {}, ("support",), available_at=T)
    add_agent(acd, "billing-agent", {}, ("billing",), available_at=T + 5)
    acd.enqueue("CA1", "billing", now=T)
    offer = acd.match_for_call("CA1", now=T + 20)
    assert offer is not None and offer.agent_id == "billing-agent"


# -- strategies ---------------------------------------------------------------------------------


def test_longest_idle(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", strategy="longest-idle"), now=T)
    add_agent(acd, "recent", {}, ("q",), available_at=T + 20)
    add_agent(acd, "longest", {}, ("q",), available_at=T + 5)
    add_agent(acd, "middle", {}, ("q",), available_at=T + 10)
    acd.enqueue("CA1", "q", now=T + 30)
    assert acd.match_for_call("CA1", now=T + 30).agent_id == "longest"


def test_most_skilled_then_idle_time(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", strategy="most-skilled", required_skills={"en": 3, "tech": 3}), now=T)
    add_agent(acd, "ok", {"en": 5, "tech": 5}, ("q",), available_at=T)
    add_agent(acd, "expert", {"en": 9, "tech": 8}, ("q",), available_at=T + 10)
    add_agent(acd, "expert-too", {"en": 8, "tech": 9}, ("q",), available_at=T + 5)
    add_agent(acd, "unqualified", {"en": 10, "tech": 2}, ("q",), available_at=T)
    acd.enqueue("CA1", "q", now=T + 30)
    assert acd.match_for_call("CA1", now=T + 30).agent_id == "expert-too"


def test_round_robin_rotates_through_the_agents(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", strategy="round-robin"), now=T)
    for i, aid in enumerate(["a", "b", "c"]):
        add_agent(acd, aid, {}, ("q",), available_at=T + i)
    got = []
    now = T + 10
    for i in range(7):
        acd.enqueue(f"c{i}", "q", now=now)
        offer = acd.match_for_call(f"c{i}", now=now)
        got.append(offer.agent_id)
        acd.accept(offer.offer_id, offer.agent_id, now=now)
        acd.complete(f"c{i}", offer.agent_id, 0, now=now + 1)
        now += 2
    assert got == ["a", "b", "c", "a", "b", "c", "a"]


def test_fewest_calls_today(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", strategy="fewest-calls"), now=T)
    add_agent(acd, "busy", {}, ("q",), available_at=T)
    add_agent(acd, "quiet", {}, ("q",))
    for i in range(2):
        acd.enqueue(f"warm{i}", "q", now=T + i * 10)
        assert serve(acd, "busy", T + i * 10 + 1) == f"warm{i}"
    acd.set_state("quiet", "available", now=T + 30)
    acd.enqueue("CA1", "q", now=T + 40)
    assert acd.match_for_call("CA1", now=T + 40).agent_id == "quiet"
    assert acd.agent_snapshot("busy", now=T + 40).calls_today == 2


def test_least_talk_time_today(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", strategy="least-talk-time"), now=T)
    add_agent(acd, "talker", {}, ("q",), available_at=T)
    add_agent(acd, "brief", {}, ("q",), available_at=T + 1)
    for sid, aid, talk in (("c1", "talker", 300), ("c2", "brief", 60), ("c3", "brief", 60)):
        acd.enqueue(sid, "q", now=T + 2)
        offer = acd.match_for_agent(aid, now=T + 2)
        assert offer is not None and offer.agent_id == aid
        acd.accept(offer.offer_id, aid, now=T + 2)
        acd.complete(sid, aid, 0, now=T + 2 + talk)
    # talker: 300 s, brief: 120 s
    acd.enqueue("CA1", "q", now=T + 400)
    assert acd.match_for_call("CA1", now=T + 400).agent_id == "brief"


def test_day_based_strategies_start_afresh_each_day(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", strategy="fewest-calls"), now=T)
    add_agent(acd, "veteran", {}, ("q",), available_at=T)
    for i in range(3):
        acd.enqueue(f"c{i}", "q", now=T + 10 * i)
        serve(acd, "veteran", T + 10 * i)
    add_agent(acd, "newcomer", {}, ("q",), available_at=T + 100)
    midnight = T + 15 * 3600
    acd.tick(midnight + 1)  # the day turned: yesterday's calls no longer count
    acd.enqueue("CA1", "q", now=midnight + 2)
    assert acd.match_for_call("CA1", now=midnight + 2).agent_id == "veteran"  # idle longer, 0 calls today


# -- offers ---------------------------------------------------------------------------------------


def test_accept_only_by_the_holder_and_only_once(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    add_agent(acd, "a2", {}, ("q",), available_at=T + 1)
    acd.enqueue("CA1", "q", now=T + 2)
    offer = acd.match_for_call("CA1", now=T + 2)
    assert offer.agent_id == "a1" and offer.expires_at == T + 2 + 15
    assert acd.accept(offer.offer_id, "a2", now=T + 3).reason == "not_your_offer"
    assert acd.accept("o999-nope", "a1", now=T + 3).reason == "unknown_offer"
    first = acd.accept(offer.offer_id, "a1", now=T + 3)
    assert first.ok and "offer.accepted" in types(first.events)
    second = acd.accept(offer.offer_id, "a1", now=T + 3)
    assert not second.ok and second.reason == "already_accepted"
    assert acd.agent_snapshot("a1", now=T + 4).state == "on_call"
    assert acd.call_snapshot("CA1", now=T + 4).agent_id == "a1"


def test_rona_on_timeout_returns_the_call_to_the_head_keeping_its_place(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "sleepy", {}, ("q",), available_at=T)
    acd.enqueue("first", "q", now=T + 1)
    acd.enqueue("second", "q", now=T + 2)
    score = acd.redis.hget(acd.key("call:", "first"), "score")
    offer = acd.match_for_call("first", now=T + 3)
    assert offer.agent_id == "sleepy"
    assert acd.expire_offers(T + 17.9).events == ()  # not yet
    out = acd.expire_offers(T + 18)
    assert "offer.expired" in types(out.events)
    snap = acd.agent_snapshot("sleepy", now=T + 18)
    assert (snap.state, snap.reason) == ("break", "missed")
    assert acd.redis.hget(acd.key("call:", "first"), "score") == score
    assert acd.position("first", now=T + 18).position == 1
    assert acd.accept(offer.offer_id, "sleepy", now=T + 18).reason == "expired"
    add_agent(acd, "awake", {}, ("q",), available_at=T + 19)
    assert acd.match_for_agent("awake", now=T + 19).call_sid == "first"


def test_reject_is_rona_too(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    add_agent(acd, "a2", {}, ("q",), available_at=T + 1)
    acd.enqueue("CA1", "q", now=T + 2)
    acd.enqueue("CA2", "q", now=T + 3)
    offer = acd.match_for_call("CA1", now=T + 3)
    out = acd.reject(offer.offer_id, "a1", now=T + 4)
    assert out.ok and "offer.rejected" in types(out.events)
    assert acd.agent_snapshot("a1", now=T + 4).reason == "missed"
    assert acd.match_for_agent("a2", now=T + 5).call_sid == "CA1"


def test_accepting_late_is_a_timeout(redis_client: redis.Redis) -> None:
    acd = RealtimeACD(redis_client, "late" + secrets.token_hex(3), offer_timeout_seconds=5)
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    add_agent(acd, "a2", {}, ("q",), available_at=T + 1)
    [offer] = acd.enqueue("CA1", "q", now=T + 2).offers
    late = acd.accept(offer.offer_id, "a1", now=T + 7)
    assert not late.ok and late.reason == "expired"
    # with auto-match the call went straight on to the next agent
    assert [o.agent_id for o in late.offers] == ["a2"]


def test_hang_up_during_an_offer_rescinds_it_without_penalty(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    acd.enqueue("CA1", "q", now=T + 1)
    offer = acd.match_for_call("CA1", now=T + 1)
    out = acd.remove("CA1", "abandoned", now=T + 5)
    assert out.ok
    assert {"offer.rescinded", "agent.state", "call.updated"} <= set(types(out.events))
    snap = acd.agent_snapshot("a1", now=T + 5)
    assert snap.state == "available" and snap.reason is None and snap.idle_since == T
    assert acd.accept(offer.offer_id, "a1", now=T + 6).reason == "rescinded"
    assert acd.call_snapshot("CA1", now=T + 6).state == "abandoned"
    assert acd.remove("CA1", now=T + 7).reason == "already_abandoned"
    assert acd.audit(now=T + 7) == []


def test_hang_up_while_connected_completes_with_the_queue_wrap_up(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", wrap_up_seconds=20), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    acd.enqueue("CA1", "q", now=T)
    offer = acd.match_for_call("CA1", now=T)
    acd.accept(offer.offer_id, "a1", now=T + 1)
    out = acd.remove("CA1", "hangup", now=T + 61)
    assert out.ok and out.reason == "completed"
    snap = acd.agent_snapshot("a1", now=T + 61)
    assert snap.state == "wrap_up" and snap.wrap_until == T + 81


# -- wrap-up and agent states -----------------------------------------------------------------------


def test_wrap_up_is_honoured(redis_client: redis.Redis) -> None:
    acd = RealtimeACD(redis_client, "wrap" + secrets.token_hex(3))  # auto-match on
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    [offer] = acd.enqueue("CA1", "q", now=T).offers
    acd.accept(offer.offer_id, "a1", now=T + 1)
    out = acd.complete("CA1", "a1", 30, now=T + 100)
    assert out.ok and out.events[-1]["wrap_until"] == T + 130
    assert acd.enqueue("CA2", "q", now=T + 101).offers == ()  # a1 is wrapping up
    refused = acd.set_state("a1", "available", now=T + 110)
    assert not refused.ok and refused.reason == "wrap_up"
    assert acd.end_wrap_up("a1", now=T + 129.9).reason == "wrap_up_not_over"
    assert acd.tick(T + 129.9).offers == ()
    report = acd.tick(T + 130)
    assert report.wrap_ups_ended == ("a1",)
    [offer2] = report.offers
    assert offer2.call_sid == "CA2" and offer2.created_at == T + 130


def test_a_supervisor_may_end_wrap_up_early(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    acd.enqueue("CA1", "q", now=T)
    acd.accept(acd.match_for_call("CA1", now=T).offer_id, "a1", now=T)
    acd.complete("CA1", "a1", 60, now=T + 10)
    assert acd.set_state("a1", "available", force=True, now=T + 20).ok
    assert acd.agent_snapshot("a1", now=T + 20).state == "available"
    assert acd.audit(now=T + 20) == []


def test_break_during_wrap_up_does_not_shorten_it(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    acd.enqueue("CA1", "q", now=T)
    acd.accept(acd.match_for_call("CA1", now=T).offer_id, "a1", now=T)
    acd.complete("CA1", "a1", 60, now=T + 10)
    assert acd.set_state("a1", "break", "meeting", now=T + 11).ok
    assert acd.set_state("a1", "available", now=T + 20).reason == "wrap_up"
    assert acd.set_state("a1", "offline", now=T + 21).ok
    assert acd.set_state("a1", "available", now=T + 22).reason == "wrap_up"
    assert acd.set_state("a1", "available", now=T + 70).ok


def test_extended_wrap_up_ends_later(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    acd.enqueue("CA1", "q", now=T)
    acd.accept(acd.match_for_call("CA1", now=T).offer_id, "a1", now=T)
    acd.complete("CA1", "a1", 30, now=T + 10)
    out = acd.extend_wrap_up("a1", 30, now=T + 20)
    assert out.ok and out.events[-1] == {
        "type": "agent.wrap_extended",
        "agent_id": "a1",
        "wrap_until": T + 70,
        "at": T + 20,
    }
    assert acd.tick(T + 40).wrap_ups_ended == ()
    assert acd.tick(T + 70).wrap_ups_ended == ("a1",)
    assert acd.audit(now=T + 70) == []


def test_wrap_ups_ending_by_a_time_are_listed_soonest_first(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    for n, (aid, wrap) in enumerate((("a1", 60), ("a2", 20), ("a3", 300))):
        add_agent(acd, aid, {}, ("q",), available_at=T)
        sid = f"CA{n}"
        acd.enqueue(sid, "q", now=T)
        acd.accept(acd.match_for_call(sid, now=T).offer_id, aid, now=T)
        acd.complete(sid, aid, wrap, now=T + 10)
    assert acd.wrap_ups_ending_by(T + 29) == []
    assert acd.wrap_ups_ending_by(T + 70) == ["a2", "a1"]


def test_wrap_up_cannot_be_extended_once_over(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    assert acd.extend_wrap_up("a1", 30, now=T + 1).reason == "not_in_wrap_up"
    with pytest.raises(ACDError):
        acd.extend_wrap_up("a1", 0, now=T + 1)


def test_agent_state_rules(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    add_agent(acd, "a2", {}, ("q",))
    with pytest.raises(ACDError):
        acd.set_state("a1", "on_call", now=T)
    with pytest.raises(ACDError):
        acd.set_state("a1", "break", "nap", now=T)
    assert acd.set_state("nobody", "available", now=T).reason == "unknown_agent"
    acd.enqueue("CA1", "q", now=T + 1)
    offer = acd.match_for_call("CA1", now=T + 1)
    assert acd.set_state("a1", "available", now=T + 2).reason == "reserved"
    # going on break while holding an offer withdraws it; the call keeps its place
    out = acd.set_state("a1", "break", "lunch", now=T + 2)
    assert out.ok and "offer.rescinded" in types(out.events)
    assert acd.call_snapshot("CA1", now=T + 2).state == "waiting"
    assert acd.accept(offer.offer_id, "a1", now=T + 3).reason == "rescinded"
    acd.set_state("a2", "available", now=T + 3)
    acd.accept(acd.match_for_agent("a2", now=T + 3).offer_id, "a2", now=T + 4)
    assert acd.set_state("a2", "offline", now=T + 5).reason == "on_call"
    # a stuck agent: a supervisor frees it, and the router's copy of the call ends
    forced = acd.set_state("a2", "offline", force=True, now=T + 6)
    assert forced.ok
    assert acd.call_snapshot("CA1", now=T + 6).state == "completed"
    assert acd.call_snapshot("CA1", now=T + 6).reason == "forced"
    snap = acd.agent_snapshot("a2", now=T + 16)
    assert (snap.state, snap.time_in_state) == ("offline", 10)
    assert acd.audit(now=T + 16) == []


def test_profile_changes_apply_to_an_available_agent(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("en", required_skills={"en": 5}), now=T)
    acd.register_queue(QueueConfig("es", required_skills={"es": 5}), now=T)
    add_agent(acd, "a1", {"en": 6}, ("en",), available_at=T)
    acd.enqueue("CA-es", "es", now=T + 1)
    assert acd.match_for_agent("a1", now=T + 2) is None
    acd.upsert_agent(AgentProfile("a1", {"en": 6, "es": 7}, ("en", "es")), now=T + 3)
    assert acd.agent_snapshot("a1", now=T + 3).idle_since == T  # its place is kept
    assert acd.match_for_agent("a1", now=T + 4).call_sid == "CA-es"
    assert acd.remove_agent("a1", now=T + 5).reason == "not_offline"
    assert acd.audit(now=T + 5) == []


def test_a_new_queue_priority_reorders_waiting_calls(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("a"), now=T)
    acd.register_queue(QueueConfig("b"), now=T)
    add_agent(acd, "x", {}, ("a", "b"), available_at=T)
    acd.enqueue("in-a", "a", now=T)
    acd.enqueue("in-b", "b", now=T + 1)
    acd.register_queue(QueueConfig("b", priority=3), now=T + 2)
    assert acd.audit(now=T + 2) == []
    assert serve(acd, "x", T + 3) == "in-b"


# -- rebuild --------------------------------------------------------------------------------------


def test_rebuild_recreates_the_state_and_preserves_queue_order(acd: RealtimeACD) -> None:
    queues = [QueueConfig("support", strategy="round-robin"), QueueConfig("vip", priority=2)]
    for q in queues:
        acd.register_queue(q, now=T)
    add_agent(acd, "stale", {}, ("support",), available_at=T)
    acd.enqueue("stale-call", "support", now=T)
    acd.match_for_call("stale-call", now=T)  # an offer that the rebuild will drop

    calls = [
        CallRecord("s-1", "support", enqueued_at=T + 1),
        CallRecord("s-2", "support", enqueued_at=T + 2, priority=1),
        CallRecord("s-3", "support", enqueued_at=T + 2, priority=1),  # same instant: listed order
        CallRecord("v-1", "vip", enqueued_at=T + 5),
        CallRecord("s-0", "support", enqueued_at=T, attributes={"intent": "billing"}),
        CallRecord("talking", "support", enqueued_at=T - 50, agent_id="busy", connected_at=T - 40),
    ]
    shuffled = calls[:]
    random.Random(7).shuffle(shuffled)
    # the listed order breaks the tie between s-2 and s-3 when their times are equal
    shuffled.sort(key=lambda c: c.call_sid == "s-3")
    agents = [
        AgentRecord(AgentProfile("worker", {}, ("support", "vip")), state="reserved", since=T, idle_since=T - 10),
        AgentRecord(AgentProfile("busy", {}, ("support",)), state="on_call", since=T - 40),
        AgentRecord(AgentProfile("wrapping", {}, ("support",)), state="wrap_up", since=T, wrap_until=T + 40),
        AgentRecord(AgentProfile("lunch", {}, ("support",)), state="break", reason="lunch", since=T),
    ]
    out = acd.rebuild(shuffled, agents, queues, now=T + 10)
    assert out.ok and types(out.events) == ["acd.rebuilt"]
    assert acd.audit(now=T + 10) == []
    assert acd.agent_snapshot("stale", now=T + 10) is None
    assert acd.call_snapshot("stale-call", now=T + 10) is None
    assert acd.pending_offers() == []
    assert acd.agent_snapshot("worker", now=T + 10).state == "available"
    assert acd.call_snapshot("s-0", now=T + 10).attributes == {"intent": "billing"}
    # the busy agent's call is connected and can end normally
    assert acd.complete("talking", "busy", 0, now=T + 11).ok
    # wrap-up resumes and ends on time
    assert acd.tick(T + 39).wrap_ups_ended == ()
    assert acd.tick(T + 40).wrap_ups_ended == ("wrapping",)
    for aid in ("busy", "wrapping"):  # leave the queue to one agent to read its order
        acd.set_state(aid, "offline", now=T + 41)
    served = [serve(acd, "worker", T + 50 + i * 2) for i in range(5)]
    assert served == ["v-1", "s-2", "s-3", "s-0", "s-1"]


def test_rebuild_rejects_inconsistent_input(acd: RealtimeACD) -> None:
    with pytest.raises(ACDError):
        acd.rebuild([], [AgentRecord(AgentProfile("a1"), state="on_call")], now=T)
    with pytest.raises(ACDError):
        acd.rebuild([], [AgentRecord(AgentProfile("a1"), state="wrap_up")], now=T)


# -- board: stats, position, events ---------------------------------------------------------------


def test_position_and_estimated_wait(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q", required_skills={"en": 5}, default_handle_seconds=120), now=T)
    acd.register_queue(QueueConfig("other"), now=T)
    add_agent(acd, "a1", {"en": 6}, ("q", "other"), available_at=T)
    add_agent(acd, "a2", {"en": 7}, ("q",), available_at=T)
    add_agent(acd, "weak", {"en": 2}, ("q",), available_at=T)  # not eligible: not counted
    for i, aid in enumerate(("a1", "a2")):
        acd.enqueue(f"busy{i}", "q", now=T)
        acd.accept(acd.match_for_agent(aid, now=T).offer_id, aid, now=T)
    for i in range(4):
        acd.enqueue(f"c{i}", "q", now=T + 10 + i)
    acd.enqueue("other-old", "other", now=T + 5)  # a1 would take this one before c2
    pos = acd.position("c2", now=T + 20)
    assert (pos.position, pos.eligible_agents, pos.available_agents) == (4, 2, 0)
    assert pos.ewt_seconds == pytest.approx(4 * 120 / 2)
    assert acd.position("c0", now=T + 20).position == 2
    # a finished call feeds the moving average handle time (talk 60 s + wrap 0)
    acd.complete("busy0", "a1", 0, now=T + 60)
    assert acd.queue_stats(now=T + 60)[1].average_handle_seconds == pytest.approx(60)
    assert acd.position("c2", now=T + 60).ewt_seconds == pytest.approx((4 - 1) * 60 / 2)
    gone = acd.position("busy0", now=T + 60)
    assert gone.state == "completed" and gone.ewt_seconds is None
    assert acd.position("nope", now=T) is None


def test_nobody_logged_in_means_no_estimate(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",))
    acd.enqueue("c1", "q", now=T)
    pos = acd.position("c1", now=T + 1)
    assert pos.position == 1 and pos.eligible_agents == 0 and pos.ewt_seconds is None


def test_queue_stats_for_the_board(acd: RealtimeACD) -> None:
    acd.register_queue(QueueConfig("q"), now=T)
    acd.register_queue(QueueConfig("empty"), now=T)
    for aid in ("free", "talking", "wrapping", "lunch", "home"):
        add_agent(acd, aid, {}, ("q",))
    acd.set_state("lunch", "break", "lunch", now=T)
    for aid in ("talking", "wrapping"):
        acd.set_state(aid, "available", now=T)
        acd.enqueue(f"x-{aid}", "q", now=T)
        acd.accept(acd.match_for_agent(aid, now=T).offer_id, aid, now=T)
    acd.set_state("free", "available", now=T)
    acd.complete("x-wrapping", "wrapping", 60, now=T + 5)
    acd.enqueue("old", "q", priority=0, now=T + 10)
    acd.enqueue("new-high", "q", priority=5, now=T + 30)
    acd.match_for_call("new-high", now=T + 30)  # goes to "free": offered
    acd.enqueue("newer", "q", now=T + 35)
    empty, q = acd.queue_stats(now=T + 40)
    assert empty.waiting == 0 and empty.longest_wait_seconds == 0
    assert (q.waiting, q.offered, q.longest_wait_seconds) == (2, 1, 30)
    counts = (
        q.agents_available,
        q.agents_reserved,
        q.agents_on_call,
        q.agents_wrap_up,
        q.agents_break,
        q.agents_offline,
    )
    assert counts == (0, 1, 1, 1, 1, 1)


def test_events_are_published_for_the_web_layer(acd: RealtimeACD, redis_client: redis.Redis) -> None:
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(acd.events_channel)
    heard: list[dict] = []
    acd.listeners.append(heard.append)
    acd.register_queue(QueueConfig("q"), now=T)
    add_agent(acd, "a1", {}, ("q",), available_at=T)
    acd.enqueue("CA1", "q", now=T)
    acd.match_for_call("CA1", now=T)
    received = []
    deadline = time.monotonic() + 5
    while len(received) < len(heard) and time.monotonic() < deadline:
        msg = pubsub.get_message(timeout=0.2)
        if msg is not None:
            received.append(json.loads(msg["data"]))
    pubsub.close()
    assert [e["type"] for e in received] == [e["type"] for e in heard]
    created = next(e for e in received if e["type"] == "offer.created")
    assert created["agent_id"] == "a1" and created["call_sid"] == "CA1" and created["expires_at"] == T + 15
    assert {"queue.updated", "agent.updated", "agent.state", "call.updated", "offer.created"} <= {
        e["type"] for e in received
    }


def test_time_defaults_to_the_one_clock(acd: RealtimeACD) -> None:
    from datetime import datetime

    manual = clock.ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    with clock.using(manual):
        acd.register_queue(QueueConfig("q"))
        add_agent(acd, "a1", {}, ("q",))
        acd.set_state("a1", "available")
        acd.enqueue("CA1", "q")
        manual.advance(42)
        assert acd.call_snapshot("CA1").wait_seconds == 42
        offer = acd.match_for_call("CA1")
        assert offer.created_at == T + 42
        manual.advance(15)
        assert acd.tick().expired == (offer.offer_id,)


def test_many_calls_keep_audit_clean(acd: RealtimeACD) -> None:
    """A busy morning in fast-forward: random arrivals, answers, hang-ups and wrap-ups."""
    rng = random.Random(11)
    acd.register_queue(QueueConfig("a", required_skills={"en": 3}), now=T)
    acd.register_queue(
        QueueConfig("b", priority=1, strategy="most-skilled", required_skills={"en": 5, "tech": 4}), now=T
    )
    for i in range(12):
        add_agent(
            acd,
            f"ag{i}",
            {"en": rng.randint(1, 10), "tech": rng.randint(1, 10)},
            tuple(rng.sample(["a", "b"], rng.randint(1, 2))),
            available_at=T,
        )
    now = T
    for i in range(300):
        now += rng.random() * 3
        roll = rng.random()
        if roll < 0.35:
            acd.enqueue(f"c{i}", rng.choice("ab"), priority=rng.randint(0, 2), now=now)
        elif roll < 0.6:
            for offer in acd.pending_offers()[:2]:
                acd.accept(offer.offer_id, offer.agent_id, now=now)
        elif roll < 0.8:
            for agent in acd.agents(now=now):
                if agent.state == "on_call" and rng.random() < 0.3:
                    acd.complete(agent.call_sid, agent.agent_id, rng.choice([0, 5, 10]), now=now)
        elif roll < 0.9:
            for agent in acd.agents(now=now):
                if agent.state == "break":
                    acd.set_state(agent.agent_id, "available", now=now)
        acd.tick(now)
        assert acd.audit(now=now) == []


# -- from the SQL store ---------------------------------------------------------------------------


def test_configuration_read_from_the_sql_store(db, acd: RealtimeACD) -> None:  # type: ignore[no-untyped-def]
    from contactcenter.acd.models import QueueMembership
    from tests.support.factories import gen_agent, gen_queue

    queue = gen_queue(
        db, "billing", skills={"en": 4, "billing": 6}, priority=2, strategy="most-skilled", wrap_up_s=45, max_length=50
    )
    user = gen_agent(db, skills={"en": 7, "billing": 8})
    db.add(QueueMembership(queue=queue, user=user))
    db.flush()
    db.refresh(user)
    config = QueueConfig.from_model(queue, escalation=(EscalationStep(30, relax={"billing": 4}),))
    assert (config.priority, config.strategy, config.wrap_up_seconds, config.max_length) == (
        2,
        "most-skilled",
        45.0,
        50,
    )
    assert dict(config.required_skills) == {"en": 4, "billing": 6}
    profile = AgentProfile.from_user(user)
    assert profile.agent_id == str(user.id) and profile.queues == ("billing",)
    assert dict(profile.skills) == {"en": 7, "billing": 8}
    acd.register_queue(config, now=T)
    acd.upsert_agent(profile, now=T)
    acd.set_state(profile.agent_id, "available", now=T)
    acd.enqueue("CA1", "billing", now=T)
    assert acd.match_for_call("CA1", now=T).agent_id == profile.agent_id
