"""Tasks with a channel: agents hold several chat, e-mail and SMS tasks up to a capacity per
channel, each offered, accepted and wrapped up on its own, and voice_exclusive keeps voice calls
and other tasks apart. Real Redis, one behaviour per test."""

from __future__ import annotations

import secrets

import pytest
import redis

from contactcenter.acd.interfaces import (
    ACDError,
    AgentProfile,
    AgentRecord,
    CallRecord,
    QueueConfig,
)
from contactcenter.acd.realtime import RealtimeACD

T = 1_767_603_600.0  # Monday 2026-01-05 09:00 UTC


@pytest.fixture
def acd(redis_client: redis.Redis) -> RealtimeACD:
    acd = RealtimeACD(redis_client, "ch" + secrets.token_hex(3), auto_match=True, offer_timeout_seconds=15)
    acd.register_queue(QueueConfig("q", wrap_up_seconds=0), now=T)
    return acd


def agent(
    acd: RealtimeACD,
    aid: str,
    *,
    chat: int = 3,
    voice: int = 1,
    email: int = 5,
    exclusive: bool = True,
    at: float = T,
) -> None:
    profile = AgentProfile(
        aid, {}, ("q",), capacity={"voice": voice, "chat": chat, "email": email}, voice_exclusive=exclusive
    )
    assert acd.upsert_agent(profile, now=at - 60).ok
    assert acd.set_state(aid, "available", now=at).ok


def offers_to(acd: RealtimeACD, aid: str) -> dict[str, str]:
    """The agent's pending offers, task id → offer id."""
    return {o.call_sid: o.offer_id for o in acd.pending_offers() if o.agent_id == aid}


def chat_in(acd: RealtimeACD, aid: str, sid: str, now: float) -> None:
    """Enqueue a chat and have the agent accept it."""
    acd.enqueue(sid, "q", now=now)
    assert acd.accept(offers_to(acd, aid)[sid], aid, now=now + 1).ok


def test_a_web_chat_task_waits_in_the_chat_line(acd: RealtimeACD) -> None:
    out = acd.enqueue("chat-1", "q", now=T)
    assert [e.get("channel") for e in out.events if e["type"] == "call.updated"] == ["chat"]
    assert acd.redis.zcard(acd.key("q@chat:", "q")) == 1 and acd.redis.zcard(acd.key("q:", "q")) == 0


def test_a_named_channel_overrides_the_one_the_id_implies(acd: RealtimeACD) -> None:
    acd.enqueue("mail-7", "q", channel="email", now=T)
    assert acd.call_snapshot("mail-7", now=T).channel == "email"


def test_an_unknown_channel_is_refused(acd: RealtimeACD) -> None:
    with pytest.raises(ACDError, match="unknown channel"):
        acd.enqueue("x-1", "q", channel="fax", now=T)


def test_an_agent_is_offered_chats_up_to_its_chat_capacity(acd: RealtimeACD) -> None:
    agent(acd, "a1", chat=3)
    for n in range(4):
        acd.enqueue(f"chat-{n}", "q", now=T + 1 + n)
    assert set(offers_to(acd, "a1")) == {"chat-0", "chat-1", "chat-2"}
    assert acd.call_snapshot("chat-3", now=T + 5).state == "waiting"
    assert acd.agent_snapshot("a1", now=T + 5).load["chat"] == 3
    assert acd.audit(now=T + 5) == []


def test_each_chat_is_accepted_on_its_own(acd: RealtimeACD) -> None:
    agent(acd, "a1")
    acd.enqueue("chat-1", "q", now=T + 1)
    acd.enqueue("chat-2", "q", now=T + 2)
    assert acd.accept(offers_to(acd, "a1")["chat-2"], "a1", now=T + 3).ok
    assert acd.call_snapshot("chat-2", now=T + 3).state == "connected"
    assert acd.call_snapshot("chat-1", now=T + 3).state == "offered"
    assert acd.agent_snapshot("a1", now=T + 3).state == "on_call"


def test_a_completed_chat_frees_its_place_for_the_next_one(acd: RealtimeACD) -> None:
    agent(acd, "a1", chat=1)
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.enqueue("chat-2", "q", now=T + 3)
    assert "chat-2" not in offers_to(acd, "a1")
    assert acd.complete("chat-1", "a1", 0, now=T + 4).ok
    assert "chat-2" in offers_to(acd, "a1")


def test_a_chat_keeps_its_place_through_its_own_wrap_up(acd: RealtimeACD) -> None:
    agent(acd, "a1", chat=1)
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.enqueue("chat-2", "q", now=T + 3)
    acd.complete("chat-1", "a1", 30, now=T + 4)
    assert acd.agent_snapshot("a1", now=T + 5).state == "wrap_up"
    assert "chat-2" not in offers_to(acd, "a1")
    acd.tick(T + 34)
    assert "chat-2" in offers_to(acd, "a1")


def test_ending_wrap_up_by_hand_frees_the_wrapping_chats(acd: RealtimeACD) -> None:
    agent(acd, "a1", chat=1)
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.complete("chat-1", "a1", 30, now=T + 4)
    assert acd.end_wrap_up("a1", force=True, now=T + 5).ok
    snap = acd.agent_snapshot("a1", now=T + 5)
    assert (snap.state, snap.load["chat"]) == ("available", 0)
    assert acd.audit(now=T + 5) == []


def test_extending_wrap_up_extends_the_wrapping_chats(acd: RealtimeACD) -> None:
    agent(acd, "a1", chat=1)
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.enqueue("chat-2", "q", now=T + 3)
    acd.complete("chat-1", "a1", 30, now=T + 4)
    assert acd.extend_wrap_up("a1", 60, now=T + 5).ok
    acd.tick(T + 40)
    assert "chat-2" not in offers_to(acd, "a1")
    acd.tick(T + 95)
    assert "chat-2" in offers_to(acd, "a1")
    assert acd.audit(now=T + 95) == []


def test_a_lowered_capacity_offers_nothing_until_the_load_is_below_it(acd: RealtimeACD) -> None:
    agent(acd, "a1", chat=2, exclusive=False)
    chat_in(acd, "a1", "chat-1", T + 1)
    chat_in(acd, "a1", "chat-2", T + 3)
    acd.upsert_agent(AgentProfile("a1", {}, ("q",), capacity={"chat": 1}, voice_exclusive=False), now=T + 5)
    acd.enqueue("chat-3", "q", now=T + 6)
    acd.complete("chat-1", "a1", 0, now=T + 7)
    assert "chat-3" not in offers_to(acd, "a1")
    acd.complete("chat-2", "a1", 0, now=T + 8)
    assert "chat-3" in offers_to(acd, "a1")


def test_a_missed_chat_goes_back_in_line_and_the_agent_on_a_missed_break(acd: RealtimeACD) -> None:
    agent(acd, "a1")
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.enqueue("chat-2", "q", now=T + 3)
    assert acd.reject(offers_to(acd, "a1")["chat-2"], "a1", now=T + 4).ok
    snap = acd.agent_snapshot("a1", now=T + 4)
    assert (snap.state, snap.reason, snap.load["chat"]) == ("break", "missed", 1)
    assert acd.call_snapshot("chat-2", now=T + 4).state == "waiting"
    assert acd.call_snapshot("chat-1", now=T + 4).state == "connected"


def test_an_unanswered_chat_offer_times_out_on_its_own(acd: RealtimeACD) -> None:
    agent(acd, "a1")
    acd.enqueue("chat-1", "q", now=T + 1)
    acd.enqueue("chat-2", "q", now=T + 10)
    assert acd.accept(offers_to(acd, "a1")["chat-2"], "a1", now=T + 11).ok
    acd.tick(T + 16)
    assert acd.call_snapshot("chat-1", now=T + 16).state == "waiting"
    assert acd.call_snapshot("chat-2", now=T + 16).state == "connected"


def test_going_on_break_withdraws_offered_chats_and_keeps_connected_ones(acd: RealtimeACD) -> None:
    agent(acd, "a1", exclusive=False)
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.enqueue("chat-2", "q", now=T + 3)
    assert acd.set_state("a1", "break", "lunch", now=T + 4).ok
    assert acd.call_snapshot("chat-2", now=T + 4).state == "waiting"
    assert acd.call_snapshot("chat-1", now=T + 4).state == "connected"
    assert acd.audit(now=T + 4) == []


def test_voice_exclusive_keeps_voice_calls_away_from_an_agent_in_chats(acd: RealtimeACD) -> None:
    agent(acd, "a1", exclusive=True)
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.enqueue("CA1", "q", now=T + 3)
    assert acd.call_snapshot("CA1", now=T + 3).state == "waiting"
    assert acd.agent_snapshot("a1", now=T + 3).state == "on_call"


def test_voice_exclusive_keeps_chats_away_during_a_voice_call(acd: RealtimeACD) -> None:
    agent(acd, "a1", exclusive=True)
    acd.enqueue("CA1", "q", now=T + 1)
    acd.enqueue("chat-1", "q", now=T + 2)
    assert set(offers_to(acd, "a1")) == {"CA1"}
    assert acd.accept(offers_to(acd, "a1")["CA1"], "a1", now=T + 3).ok
    assert acd.call_snapshot("chat-1", now=T + 3).state == "waiting"


def test_a_voice_call_waits_until_the_last_chat_ends_under_voice_exclusive(acd: RealtimeACD) -> None:
    agent(acd, "a1", exclusive=True)
    chat_in(acd, "a1", "chat-1", T + 1)
    acd.enqueue("CA1", "q", now=T + 3)
    acd.complete("chat-1", "a1", 0, now=T + 4)
    assert set(offers_to(acd, "a1")) == {"CA1"}


def test_a_mixing_agent_in_chats_is_still_available_for_voice(acd: RealtimeACD) -> None:
    agent(acd, "a1", exclusive=False)
    chat_in(acd, "a1", "chat-1", T + 1)
    assert acd.agent_snapshot("a1", now=T + 3).state == "available"
    acd.enqueue("CA1", "q", now=T + 3)
    assert "CA1" in offers_to(acd, "a1")


def test_a_mixing_agent_on_a_voice_call_takes_chats_up_to_capacity(acd: RealtimeACD) -> None:
    agent(acd, "a1", exclusive=False, chat=2)
    acd.enqueue("CA1", "q", now=T + 1)
    assert acd.accept(offers_to(acd, "a1")["CA1"], "a1", now=T + 2).ok
    for n in range(3):
        acd.enqueue(f"chat-{n}", "q", now=T + 3 + n)
    assert set(offers_to(acd, "a1")) == {"chat-0", "chat-1"}
    assert acd.agent_snapshot("a1", now=T + 6).state == "on_call"
    assert acd.audit(now=T + 6) == []


def test_an_agent_with_no_voice_capacity_takes_no_calls(acd: RealtimeACD) -> None:
    agent(acd, "a1", voice=0)
    acd.enqueue("CA1", "q", now=T + 1)
    acd.enqueue("chat-1", "q", now=T + 2)
    assert set(offers_to(acd, "a1")) == {"chat-1"}


def test_the_next_chat_goes_to_the_least_loaded_agent(acd: RealtimeACD) -> None:
    agent(acd, "busy", at=T)
    chat_in(acd, "busy", "chat-1", T + 1)
    agent(acd, "fresh", at=T + 5)
    acd.enqueue("chat-2", "q", now=T + 6)
    assert "chat-2" in offers_to(acd, "fresh")


def test_a_higher_priority_chat_is_offered_before_an_older_ordinary_one(acd: RealtimeACD) -> None:
    agent(acd, "a1", chat=1)
    chat_in(acd, "a1", "chat-0", T + 1)
    acd.enqueue("chat-old", "q", now=T + 3)
    acd.enqueue("chat-vip", "q", priority=5, now=T + 4)
    acd.complete("chat-0", "a1", 0, now=T + 5)
    assert set(offers_to(acd, "a1")) == {"chat-vip"}


def test_channels_keep_their_own_order(acd: RealtimeACD) -> None:
    """A high-priority voice call the agent cannot take now does not hold back its chats."""
    agent(acd, "a1", exclusive=False)
    acd.enqueue("CA1", "q", now=T + 1)
    acd.accept(offers_to(acd, "a1")["CA1"], "a1", now=T + 2)
    acd.enqueue("CA2", "q", priority=9, now=T + 3)
    acd.enqueue("chat-1", "q", now=T + 4)
    assert "chat-1" in offers_to(acd, "a1")


def test_a_visitor_leaving_an_offered_chat_frees_the_place_without_penalty(acd: RealtimeACD) -> None:
    agent(acd, "a1")
    acd.enqueue("chat-1", "q", now=T + 1)
    assert acd.remove("chat-1", "abandoned", now=T + 2).ok
    snap = acd.agent_snapshot("a1", now=T + 2)
    assert (snap.state, snap.load["chat"]) == ("available", 0)


def test_rebuild_restores_each_agents_load_per_channel(acd: RealtimeACD) -> None:
    profile = AgentProfile("a1", {}, ("q",), capacity={"chat": 2}, voice_exclusive=True)
    acd.upsert_agent(profile, now=T)
    records = [
        CallRecord("chat-1", "q", T + 1, agent_id="a1", connected_at=T + 2, channel="chat"),
        CallRecord("chat-2", "q", T + 3, agent_id="a1", connected_at=T + 4, channel="chat"),
        CallRecord("chat-3", "q", T + 5, channel="chat"),
    ]
    assert acd.rebuild(records, [AgentRecord(profile, "available", since=T)], now=T + 10).ok
    acd.dispatch(T + 10)
    snap = acd.agent_snapshot("a1", now=T + 10)
    assert (snap.state, snap.load["chat"]) == ("on_call", 2)
    assert acd.call_snapshot("chat-3", now=T + 10).state == "waiting"
    assert acd.audit(now=T + 10) == []


def test_rebuild_leaves_a_mixing_agent_in_chats_available_for_voice(acd: RealtimeACD) -> None:
    profile = AgentProfile("a1", {}, ("q",), voice_exclusive=False)
    acd.upsert_agent(profile, now=T)
    records = [CallRecord("chat-1", "q", T + 1, agent_id="a1", connected_at=T + 2, channel="chat")]
    assert acd.rebuild(records, [AgentRecord(profile, "available", since=T)], now=T + 10).ok
    snap = acd.agent_snapshot("a1", now=T + 10)
    assert (snap.state, snap.load["chat"]) == ("available", 1)


@pytest.mark.parametrize(
    "capacity",
    [{"voice": 2}, {"chat": -1}, {"chat": 21}, {"email": "3"}, {"fax": 1}, {"chat": True}],
)
def test_capacities_out_of_range_are_refused(capacity: dict) -> None:
    with pytest.raises(ACDError):
        AgentProfile("a1", {}, ("q",), capacity=capacity)


def test_unset_capacities_take_the_defaults() -> None:
    assert AgentProfile("a1", capacity={"chat": 1}).capacity == {"voice": 1, "chat": 1, "email": 5, "sms": 5}


def test_a_missed_chat_withdraws_the_agents_other_chat_offers(acd: RealtimeACD) -> None:
    agent(acd, "a1")
    acd.enqueue("chat-1", "q", now=T + 1)
    acd.enqueue("chat-2", "q", now=T + 2)
    assert acd.reject(offers_to(acd, "a1")["chat-1"], "a1", now=T + 3).ok
    assert offers_to(acd, "a1") == {}
    assert acd.call_snapshot("chat-2", now=T + 3).state == "waiting"
    assert acd.audit(now=T + 3) == []
