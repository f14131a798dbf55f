"""Random event sequences against the real-time ACD, with the invariants checked after every step.

The state machine drives a small random world (queues with priorities, strategies and escalation,
agents with skills and memberships) through random events: calls arriving and hanging up, agents
going available / on break / offline (sometimes forced by a supervisor), matching from either
side, accepting (also with the wrong agent and twice), rejecting, offers timing out, calls ending
with wrap-up, the ticker, and time passing. After every step it reads the whole state atomically
and checks:
- consistency (RealtimeACD.audit): no call offered to two agents, no agent holding two offers or
  two calls, every reserved agent has a live offer and every offer a reserved agent, waiting calls
  sit in their queue with the right score, available agents (and only they) are indexed;
- for every offer the step made: the agent may take the call; no call the agent may take waits
  ahead of it (priority, then FIFO); no available agent the queue's strategy prefers was passed
  over; the agent was not in wrap-up (wrap-up honoured);
- and once the sequence drains, every call is completed or abandoned, and a call is only left
  unanswered when no agent at all may take it.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from contactcenter.acd import strategies as rules
from contactcenter.acd.interfaces import (
    BREAK_REASONS,
    STRATEGIES,
    AgentProfile,
    EscalationStep,
    QueueConfig,
)
from contactcenter.acd.realtime import RealtimeACD

T0 = 1_767_603_600.0  # 2026-01-05 09:00 UTC
SKILLS = ("en", "es", "tech")
QUEUES = ("q0", "q1", "q2")
AGENTS = ("a0", "a1", "a2", "a3", "a4")


def _skills_map(draw: Any, low: int, high: int, min_size: int = 0) -> dict[str, int]:
    names = draw(st.lists(st.sampled_from(SKILLS), unique=True, min_size=min_size, max_size=len(SKILLS)))
    return {n: draw(st.integers(low, high)) for n in names}


class ACDMachine(RuleBasedStateMachine):
    client: redis.Redis

    def __init__(self) -> None:
        super().__init__()
        self.namespace = "prop" + secrets.token_hex(4)
        self.now = T0
        self.sids: list[str] = []
        self.serial = 0
        self.queues: dict[str, QueueConfig] = {}
        self.tiers: dict[str, list[rules.Tier]] = {}
        self.wrap_floor: dict[str, int] = {}
        self.acd: RealtimeACD | None = None

    # -- world --------------------------------------------------------------------------------

    @initialize(data=st.data())
    def world(self, data: st.DataObject) -> None:
        draw = data.draw
        for name in QUEUES:
            cfg = self.draw_queue(draw, name)
            self.queues[name] = cfg
            self.tiers[name] = rules.compile_tiers(cfg.escalation)
        self.acd = RealtimeACD(
            self.client,
            self.namespace,
            auto_match=draw(st.booleans()),
            offer_timeout_seconds=15,
            publish=False,
        )
        for cfg in self.queues.values():
            assert self.acd.register_queue(cfg, now=self.now).ok
        for aid in AGENTS:
            assert self.acd.upsert_agent(self.draw_profile(draw, aid), now=self.now).ok
            if draw(st.booleans()):
                assert self.acd.set_state(aid, "available", now=self.now).ok

    @staticmethod
    def draw_profile(draw: Any, aid: str) -> AgentProfile:
        queues = draw(st.lists(st.sampled_from(QUEUES), unique=True, min_size=1, max_size=3))
        return AgentProfile(aid, _skills_map(draw, 2, 10, min_size=2), tuple(queues))

    @staticmethod
    def draw_queue(draw: Any, name: str) -> QueueConfig:
        steps = []
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(("relax_to", "relax", "drop", "widen")))
            after = draw(st.sampled_from((5, 20, 45)))
            if kind == "relax_to":
                steps.append(EscalationStep(after, relax_to=draw(st.integers(1, 6))))
            elif kind == "relax":
                steps.append(EscalationStep(after, relax={draw(st.sampled_from(SKILLS)): draw(st.integers(1, 5))}))
            elif kind == "drop":
                steps.append(EscalationStep(after, drop=(draw(st.sampled_from(SKILLS)),)))
            else:
                steps.append(EscalationStep(after, widen_to=(draw(st.sampled_from([q for q in QUEUES if q != name])),)))
        return QueueConfig(
            name,
            priority=draw(st.integers(0, 3)),
            required_skills=_skills_map(draw, 1, 7),
            strategy=draw(st.sampled_from(STRATEGIES)),
            escalation=tuple(steps),
            wrap_up_seconds=draw(st.sampled_from((0, 5, 12))),
            max_length=draw(st.sampled_from((None, None, 6))),
        )

    # -- helpers ------------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        return int(round(self.now * 1000))

    def eligible(self, agent: dict[str, str], call: dict[str, str]) -> bool:
        cfg = self.queues[call["q"]]
        base = rules.decode_skills(call["req"]) if call["ov"] == "1" else cfg.required_skills
        skills = {k[2:]: int(v) for k, v in agent.items() if k.startswith("s:")}
        wait = self.now_ms - int(call["enq"])
        return rules.is_eligible(skills, agent["queues"].split(","), call["q"], self.tiers[call["q"]], base, wait)

    def agent_rank(self, queue: str, aid: str, agent: dict[str, str]) -> tuple[float, str]:
        cfg = self.queues[queue]
        today = str(rules.day_index(self.now_ms))
        fresh = agent.get("day") == today
        score = rules.agent_score(
            cfg.strategy,
            idle_since_ms=int(agent["idle"]),
            skills={k[2:]: int(v) for k, v in agent.items() if k.startswith("s:")},
            required=cfg.required_skills,
            calls_today=int(agent.get("calls") or 0) if fresh else 0,
            talk_ms_today=int(agent.get("talk") or 0) if fresh else 0,
            round_robin=int(agent.get(f"rr:{queue}") or 0),
        )
        return (score, aid)

    def call_record(self, sid: str) -> dict[str, str]:
        raw = self.client.hgetall(self.acd.key("call:", sid))  # type: ignore[union-attr]
        return {k.decode(): v.decode() for k, v in raw.items()}

    def step(self, action: Any) -> Any:
        """Run one action and check every offer it made against the routing rules."""
        before = self.acd.dump()  # type: ignore[union-attr]
        result = action()
        after = self.acd.dump()  # type: ignore[union-attr]
        new = [oid for oid in after["offers"] if oid not in before["offers"]]
        new.sort(key=lambda oid: int(oid[1:].split("-")[0]))
        calls = after["calls"]
        agents = after["agents"]
        for i, oid in enumerate(new):
            offer = after["offers"][oid]
            aid, sid = offer["agent"], offer["call"]
            agent, call = agents[aid], calls[sid]
            assert self.eligible(agent, call), f"{aid} offered {sid} it may not take"
            assert int(offer["created"]) >= self.wrap_floor.get(aid, 0), f"{aid} offered a call during wrap-up"
            key = (float(call["score"]), call["m"])
            # calls that were waiting when this offer was made: still waiting, or offered later
            rivals = [c for c in calls.values() if c["state"] == "waiting"]
            rivals += [calls[after["offers"][o]["call"]] for o in new[i + 1 :]]
            for other in rivals:
                if (float(other["score"]), other["m"]) < key and self.eligible(agent, other):
                    raise AssertionError(f"priority inversion: {aid} got {sid} while {other['m']} waits")
            members = [b for b, h in agents.items() if call["q"] in h["queues"].split(",")]
            for b in members:
                h = agents[b]
                if b == aid or h["state"] != "available" or not self.eligible(h, call):
                    continue
                if aid not in members:
                    raise AssertionError(f"overflow agent {aid} got {sid} while member {b} was free")
                if self.agent_rank(call["q"], b, h) < self.agent_rank(call["q"], aid, agent):
                    raise AssertionError(f"strategy {self.queues[call['q']].strategy}: {b} should have had {sid}")
        for aid, h in agents.items():
            if h["state"] == "wrap_up":
                self.wrap_floor[aid] = int(h["wrap_until"])
        return result

    def pending(self) -> dict[str, dict[str, str]]:
        return self.acd.dump()["offers"]  # type: ignore[union-attr]

    def live(self, *states: str) -> list[str]:
        calls = self.acd.dump()["calls"]  # type: ignore[union-attr]
        return sorted(sid for sid, c in calls.items() if c["state"] in states)

    def pick(self, data: st.DataObject, *states: str) -> str:
        """Mostly a call in one of `states`, sometimes any call ever made (ended ones too)."""
        live = self.live(*states)
        if live and data.draw(st.integers(0, 4)) > 0:
            return data.draw(st.sampled_from(live))
        return data.draw(st.sampled_from(self.sids))

    # -- rules --------------------------------------------------------------------------------

    # The menu of events, weighted so that calls really flow: arrive, get offered, answered,
    # finished, wrapped up, while agents come and go, offers time out and time passes.
    MENU = (
        ["enqueue"] * 4
        + ["burst"]
        + ["available"] * 3
        + ["take_break", "offline"]
        + ["match_agent"] * 2
        + ["match_call"] * 2
        + ["dispatch"]
        + ["accept"] * 4
        + ["answer_all"] * 2
        + ["reject"]
        + ["hang_up"] * 2
        + ["complete"] * 3
        + ["end_calls", "end_wrap"]
        + ["advance"] * 3
        + ["tick"] * 2
        + ["expire"]
        + ["reconfigure", "reprofile"]
    )

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(self.MENU), label="event")
        getattr(self, "do_" + kind)(data)

    def do_reconfigure(self, data: st.DataObject) -> None:
        """A supervisor edits a queue while calls wait and agents work."""
        name = data.draw(st.sampled_from(QUEUES), label="queue")
        cfg = self.draw_queue(data.draw, name)
        self.queues[name] = cfg
        self.tiers[name] = rules.compile_tiers(cfg.escalation)
        assert self.step(lambda: self.acd.register_queue(cfg, now=self.now)).ok

    def do_reprofile(self, data: st.DataObject) -> None:
        """An agent's skills and queues change, whatever it is doing."""
        profile = self.draw_profile(data.draw, data.draw(st.sampled_from(AGENTS), label="agent"))
        before = self.acd.agent_snapshot(profile.agent_id, now=self.now)
        assert self.step(lambda: self.acd.upsert_agent(profile, now=self.now)).ok
        after = self.acd.agent_snapshot(profile.agent_id, now=self.now)
        assert after.skills == dict(profile.skills) and after.queues == profile.queues
        assert after.state in (before.state, "reserved")
        assert before.state != "available" or after.idle_since == before.idle_since

    def do_enqueue(self, data: st.DataObject) -> None:
        queue = data.draw(st.sampled_from(QUEUES), label="queue")
        priority = data.draw(st.integers(0, 2), label="priority")
        override = data.draw(
            st.one_of(st.none(), st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=2)),
            label="skills_override",
        )
        earlier = data.draw(st.sampled_from((0, 0, 0, 3, 30)), label="enqueued seconds ago")
        self.enqueue(queue, priority, override, earlier)

    def enqueue(self, queue: str, priority: int, override: dict[str, int] | None, earlier: int) -> None:
        self.serial += 1
        sid = f"CA{self.serial:04d}"
        out = self.step(
            lambda: self.acd.enqueue(sid, queue, priority, override, enqueued_at=self.now - earlier, now=self.now)
        )
        if out.ok:
            self.sids.append(sid)
        else:
            assert out.reason == "queue_full"

    def do_burst(self, data: st.DataObject) -> None:
        queues = data.draw(st.lists(st.sampled_from(QUEUES), min_size=2, max_size=4), label="queues")
        priority = data.draw(st.integers(0, 2), label="priority")
        for queue in queues:
            self.enqueue(queue, priority, None, 0)

    def do_available(self, data: st.DataObject) -> None:
        agent = data.draw(st.sampled_from(AGENTS), label="agent")
        force = data.draw(st.booleans(), label="force")
        before = self.acd.agent_snapshot(agent, now=self.now)
        floor = self.wrap_floor.pop(agent, 0) if force else None  # a supervisor may cut wrap-up short
        out = self.step(lambda: self.acd.set_state(agent, "available", force=force, now=self.now))
        if floor is not None and not out.ok:
            self.wrap_floor[agent] = floor
        if before.state == "on_call" and not force:
            assert not out.ok and out.reason == "on_call"
        if before.state == "wrap_up" and before.wrap_until > self.now and not force:
            assert not out.ok and out.reason == "wrap_up"
        if before.state == "reserved":
            assert not out.ok and out.reason == "reserved"

    def do_take_break(self, data: st.DataObject) -> None:
        agent = data.draw(st.sampled_from(AGENTS), label="agent")
        reason = data.draw(st.sampled_from(BREAK_REASONS), label="reason")
        force = data.draw(st.booleans(), label="force")
        before = self.acd.agent_snapshot(agent, now=self.now)
        out = self.step(lambda: self.acd.set_state(agent, "break", reason, force=force, now=self.now))
        assert out.ok == (before.state != "on_call" or force)
        if out.ok:
            assert self.acd.agent_snapshot(agent, now=self.now).state == "break"

    def do_offline(self, data: st.DataObject) -> None:
        agent = data.draw(st.sampled_from(AGENTS), label="agent")
        before = self.acd.agent_snapshot(agent, now=self.now)
        out = self.step(lambda: self.acd.set_state(agent, "offline", now=self.now))
        assert out.ok == (before.state != "on_call")

    def do_match_agent(self, data: st.DataObject) -> None:
        agent = data.draw(st.sampled_from(AGENTS), label="agent")
        offer = self.step(lambda: self.acd.match_for_agent(agent, now=self.now))
        if offer is not None:
            assert offer.agent_id == agent

    def do_match_call(self, data: st.DataObject) -> None:
        if not self.sids:
            return
        sid = self.pick(data, "waiting")
        offer = self.step(lambda: self.acd.match_for_call(sid, now=self.now))
        if offer is not None:
            assert offer.call_sid == sid

    def do_dispatch(self, data: st.DataObject) -> None:
        self.step(lambda: self.acd.dispatch(self.now))
        # after a full dispatch no available agent may take any waiting call
        d = self.acd.dump()
        for aid, agent in d["agents"].items():
            if agent["state"] != "available":
                continue
            for sid, call in d["calls"].items():
                if call["state"] == "waiting":
                    assert not self.eligible(agent, call), f"dispatch left {sid} waiting while {aid} is free"

    def do_accept(self, data: st.DataObject) -> None:
        offers = self.pending()
        if not offers:
            return
        oid = data.draw(st.sampled_from(sorted(offers)), label="offer")
        owner = offers[oid]["agent"]
        holder = data.draw(st.integers(0, 3), label="holder") > 0
        agent = owner if holder else data.draw(st.sampled_from([a for a in AGENTS if a != owner]), label="agent")
        out = self.step(lambda: self.acd.accept(oid, agent, now=self.now))
        expired = self.now_ms >= int(offers[oid]["expires"])
        if not holder:
            assert not out.ok and out.reason == "not_your_offer"
        elif expired:
            assert not out.ok and out.reason == "expired"
        else:
            assert out.ok
            call = self.acd.call_snapshot(offers[oid]["call"], now=self.now)
            assert call.state == "connected" and call.agent_id == owner
            assert self.acd.agent_snapshot(owner, now=self.now).state == "on_call"
            if data.draw(st.booleans(), label="answer twice"):
                again = self.step(lambda: self.acd.accept(oid, owner, now=self.now))
                assert not again.ok and again.reason == "already_accepted"

    def do_answer_all(self, data: st.DataObject) -> None:
        for oid, offer in sorted(self.pending().items()):
            out = self.step(lambda oid=oid, offer=offer: self.acd.accept(oid, offer["agent"], now=self.now))
            assert out.ok == (self.now_ms < int(offer["expires"]))

    def do_end_calls(self, data: st.DataObject) -> None:
        wrap = data.draw(st.sampled_from((0, 4, 20)), label="wrap")
        hang_up = data.draw(st.booleans(), label="caller hangs up")
        for sid in self.live("connected"):
            record = self.call_record(sid)
            if record["state"] != "connected":
                continue
            if hang_up:
                out = self.step(lambda sid=sid: self.acd.remove(sid, "hangup", now=self.now))
            else:
                out = self.step(
                    lambda sid=sid, agent=record["agent"]: self.acd.complete(sid, agent, wrap, now=self.now)
                )
            assert out.ok
            assert self.call_record(sid)["state"] == "completed"

    def do_reject(self, data: st.DataObject) -> None:
        offers = self.pending()
        if not offers:
            return
        oid = data.draw(st.sampled_from(sorted(offers)), label="offer")
        owner, sid = offers[oid]["agent"], offers[oid]["call"]
        score = self.call_record(sid)["score"]
        out = self.step(lambda: self.acd.reject(oid, owner, now=self.now))
        assert out.ok == (self.now_ms < int(offers[oid]["expires"]))
        snap = self.acd.agent_snapshot(owner, now=self.now)
        assert snap.state == "break" and snap.reason == "missed"
        # back in its place: same score (or already offered again)
        record = self.call_record(sid)
        assert record["score"] == score and record["state"] in ("waiting", "offered")

    def do_hang_up(self, data: st.DataObject) -> None:
        if not self.sids:
            return
        sid = self.pick(data, "waiting", "offered", "connected")
        before = self.call_record(sid)
        out = self.step(lambda: self.acd.remove(sid, "abandoned", now=self.now))
        after = self.call_record(sid)
        if before["state"] in ("waiting", "offered"):
            assert out.ok and after["state"] == "abandoned"
        if before["state"] == "offered":
            agent = self.acd.agent_snapshot(before["agent"], now=self.now)
            assert agent.state in ("available", "reserved")  # reserved: given another call at once
            assert agent.offer_id != before["offer"]
        if before["state"] == "connected":
            assert out.ok and after["state"] == "completed"
        if before["state"] in ("completed", "abandoned"):
            assert not out.ok and after["state"] == before["state"]

    def do_complete(self, data: st.DataObject) -> None:
        if not self.sids:
            return
        sid = self.pick(data, "connected")
        wrap = data.draw(st.sampled_from((0, 4, 20)), label="wrap")
        right_agent = data.draw(st.integers(0, 3), label="right agent") > 0
        record = self.call_record(sid)
        agent = record.get("agent") or "a0"
        if not right_agent:
            agent = data.draw(st.sampled_from([a for a in AGENTS if a != agent]), label="agent")
        out = self.step(lambda: self.acd.complete(sid, agent, wrap, now=self.now))
        assert out.ok == (record["state"] == "connected" and right_agent)
        if out.ok:
            snap = self.acd.agent_snapshot(agent, now=self.now)
            if wrap:
                assert snap.state == "wrap_up" and snap.wrap_until == pytest.approx(self.now + wrap)
            else:
                assert snap.state in ("available", "reserved")

    def do_end_wrap(self, data: st.DataObject) -> None:
        in_wrap = [a.agent_id for a in self.acd.agents(now=self.now) if a.state == "wrap_up"]
        agent = data.draw(st.sampled_from(in_wrap or list(AGENTS)), label="agent")
        force = data.draw(st.booleans(), label="force")
        before = self.acd.agent_snapshot(agent, now=self.now)
        floor = self.wrap_floor.pop(agent, 0) if force else None
        out = self.step(lambda: self.acd.end_wrap_up(agent, force=force, now=self.now))
        if floor is not None and not out.ok:
            self.wrap_floor[agent] = floor
        if before.state != "wrap_up":
            assert not out.ok
        elif before.wrap_until > self.now and not force:
            assert not out.ok and out.reason == "wrap_up_not_over"
        else:
            assert out.ok

    def do_advance(self, data: st.DataObject) -> None:
        self.now += data.draw(st.sampled_from((0.5, 2, 5, 9, 16, 31)), label="seconds")

    def do_tick(self, data: st.DataObject) -> None:
        due = {oid for oid, o in self.pending().items() if int(o["expires"]) <= self.now_ms}
        report = self.step(lambda: self.acd.tick(self.now))
        assert set(report.expired) == due
        for agent in report.wrap_ups_ended:
            assert self.now_ms >= self.wrap_floor.get(agent, 0)

    def do_expire(self, data: st.DataObject) -> None:
        offers = self.pending()
        due = {oid for oid, o in offers.items() if int(o["expires"]) <= self.now_ms}
        self.step(lambda: self.acd.expire_offers(self.now))
        for oid in due:
            snap = self.acd.agent_snapshot(offers[oid]["agent"], now=self.now)
            assert snap.state == "break" and snap.reason == "missed"
        assert not {oid for oid, o in self.pending().items() if int(o["expires"]) <= self.now_ms}

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        if self.acd is not None:
            assert self.acd.audit(now=self.now) == []

    # -- drain --------------------------------------------------------------------------------

    def drain(self) -> None:
        """Serve everything that can be served, then hang up what nobody may ever take."""
        acd = self.acd
        assert acd is not None
        for _ in range(100):
            self.now += 120  # past every escalation step, offer timeout and wrap-up
            self.step(lambda: acd.tick(self.now))
            for sid, call in acd.dump()["calls"].items():
                if call["state"] == "connected":
                    assert self.step(lambda sid=sid, call=call: acd.complete(sid, call["agent"], 0, now=self.now)).ok
            for aid in AGENTS:
                if acd.agent_snapshot(aid, now=self.now).state in ("offline", "break", "wrap_up"):
                    self.wrap_floor[aid] = 0
                    self.step(lambda aid=aid: acd.set_state(aid, "available", force=True, now=self.now))
            self.step(lambda: acd.dispatch(self.now))
            for offer in acd.pending_offers():
                assert acd.accept(offer.offer_id, offer.agent_id, now=self.now).ok
            assert acd.audit(now=self.now) == []
            d = acd.dump()
            if all(c["state"] == "waiting" for c in d["calls"].values()) and all(
                a["state"] == "available" for a in d["agents"].values()
            ):
                break
        else:
            raise AssertionError("the calls never drained")
        for sid, call in d["calls"].items():
            # every agent is available: a call still waiting must be one nobody may take
            assert not any(self.eligible(agent, call) for agent in d["agents"].values()), f"{sid} is stuck"
            assert acd.remove(sid, "abandoned", now=self.now).ok
        for sid in self.sids:
            assert self.call_record(sid)["state"] in ("completed", "abandoned")
        d = acd.dump()
        assert not d["calls"] and not d["offers"]
        assert acd.audit(now=self.now) == []

    def teardown(self) -> None:
        try:
            if self.acd is not None:
                self.drain()
        finally:
            keys = list(self.client.scan_iter(match=f"{{acd}}:{self.namespace}:*", count=1000))
            if keys:
                self.client.delete(*keys)


def test_random_event_sequences_keep_the_invariants(redis_client: redis.Redis) -> None:
    ACDMachine.client = redis_client
    run_state_machine_as_test(
        ACDMachine,
        settings=settings(
            max_examples=80,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
