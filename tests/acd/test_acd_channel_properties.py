"""Random mixed-channel sequences against the real-time ACD, invariants checked after every step.

Voice calls, chats, e-mails and texts arrive in random order at queues with priorities and skill
requirements; agents with random capacities per channel, with or without voice_exclusive, go
available, on break and offline; offers are accepted (also by the wrong agent), rejected or left
to time out; tasks end with or without wrap-up, callers hang up, time passes, the ticker runs.
After every step, reading the whole state at once:
- the audit finds nothing stuck (RealtimeACD.audit, which checks every agent's load per channel
  against the tasks it holds);
- no agent holds more tasks of a channel than its capacity (voice: offered or connected calls);
- voice_exclusive: an agent never has a voice call and another task offered or connected at once;
- no priority inversion per channel: for every offer the step made, no task of the same channel
  that the agent could also take waits ahead of it (priority, then time waiting);
- nothing lost: every task is waiting, offered, connected or ended, and once the sequence drains
  a task is only left waiting when no agent could ever take it.
"""

from __future__ import annotations

import secrets

import redis
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from contactcenter.acd.interfaces import CHANNELS, VOICE, AgentProfile, Offer, Outcome, QueueConfig
from contactcenter.acd.realtime import RealtimeACD

T0 = 1_767_603_600.0  # 2026-01-05 09:00 UTC
QUEUES = ("q0", "q1")
AGENTS = ("a0", "a1", "a2", "a3")
SKILLS = ("en", "tech")
LIVE = ("offered", "connected")


class MixedChannels(RuleBasedStateMachine):
    client: redis.Redis

    def __init__(self) -> None:
        super().__init__()
        self.namespace = "mix" + secrets.token_hex(4)
        self.now = T0
        self.serial = 0
        self.tasks: dict[str, str] = {}  # id → channel
        self.queues: dict[str, QueueConfig] = {}
        self.profiles: dict[str, AgentProfile] = {}
        self.acd: RealtimeACD | None = None

    @initialize(data=st.data())
    def world(self, data: st.DataObject) -> None:
        draw = data.draw
        self.acd = RealtimeACD(
            self.client, self.namespace, auto_match=draw(st.booleans()), offer_timeout_seconds=15, publish=False
        )
        for name in QUEUES:
            req = {s: draw(st.integers(1, 6)) for s in draw(st.lists(st.sampled_from(SKILLS), unique=True))}
            cfg = QueueConfig(
                name,
                priority=draw(st.integers(0, 2)),
                required_skills=req,
                wrap_up_seconds=draw(st.sampled_from((0, 5))),
            )
            self.queues[name] = cfg
            assert self.acd.register_queue(cfg, now=self.now).ok
        for aid in AGENTS:
            capacity = {
                "voice": draw(st.integers(0, 1)),
                "chat": draw(st.integers(0, 3)),
                "email": draw(st.integers(0, 2)),
                "sms": draw(st.integers(0, 2)),
            }
            profile = AgentProfile(
                aid,
                {s: draw(st.integers(1, 10)) for s in SKILLS},
                tuple(draw(st.lists(st.sampled_from(QUEUES), unique=True, min_size=1))),
                capacity=capacity,
                voice_exclusive=draw(st.booleans()),
            )
            self.profiles[aid] = profile
            assert self.acd.upsert_agent(profile, now=self.now).ok
            if draw(st.booleans()):
                self.check_offers(self.acd.set_state(aid, "available", now=self.now))

    # -- helpers ------------------------------------------------------------------------------

    @property
    def live(self) -> RealtimeACD:
        assert self.acd is not None
        return self.acd

    def could_take(self, aid: str, queue: str) -> bool:
        profile = self.profiles[aid]
        required = self.queues[queue].required_skills
        return queue in profile.queues and all(profile.skills.get(s, 0) >= lv for s, lv in required.items())

    def check_offers(self, made: Outcome | list[Offer] | Offer | None) -> None:
        """No task of the offer's channel that the agent could take waits ahead of the offered one."""
        if made is None:
            return
        offers = [made] if isinstance(made, Offer) else list(made.offers if isinstance(made, Outcome) else made)
        if not offers:
            return
        calls = self.live.dump()["calls"]
        for offer in offers:
            mine = calls.get(offer.call_sid)
            if mine is None or mine.get("agent") != offer.agent_id:
                continue  # already gone on within the step (e.g. the caller hung up)
            chan = mine.get("chan") or VOICE
            rank = (-int(mine["eprio"]), int(mine["enq"]))
            for sid, c in calls.items():
                same = c["state"] == "waiting" and (c.get("chan") or VOICE) == chan
                if same and self.could_take(offer.agent_id, c["q"]):
                    assert (-int(c["eprio"]), int(c["enq"])) >= rank, (
                        f"{sid} waits ahead of {offer.call_sid} offered to {offer.agent_id}"
                    )

    def pending(self) -> list[Offer]:
        return sorted(self.live.pending_offers(), key=lambda o: o.offer_id)

    def connected(self) -> list[tuple[str, str]]:
        calls = self.live.dump()["calls"]
        return sorted((sid, c["agent"]) for sid, c in calls.items() if c["state"] == "connected")

    # -- rules --------------------------------------------------------------------------------

    @rule(channel=st.sampled_from(CHANNELS), queue=st.sampled_from(QUEUES), priority=st.integers(0, 3))
    def arrive(self, channel: str, queue: str, priority: int) -> None:
        self.serial += 1
        sid = f"{channel}-{self.serial}"
        self.tasks[sid] = channel
        self.check_offers(self.live.enqueue(sid, queue, priority, channel=channel, now=self.now))

    @rule(aid=st.sampled_from(AGENTS), state=st.sampled_from(("available", "break", "offline")), force=st.booleans())
    def presence(self, aid: str, state: str, force: bool) -> None:
        reason = "lunch" if state == "break" else None
        self.check_offers(self.live.set_state(aid, state, reason, force=force, now=self.now))

    @rule(aid=st.sampled_from(AGENTS))
    def agent_looks(self, aid: str) -> None:
        self.check_offers(self.live.match_for_agent(aid, now=self.now))

    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        offers = self.pending()
        if offers:
            offer = data.draw(st.sampled_from(offers))
            wrong = data.draw(st.sampled_from(AGENTS))
            if wrong != offer.agent_id:
                assert not self.live.accept(offer.offer_id, wrong, now=self.now).ok
            self.check_offers(self.live.accept(offer.offer_id, offer.agent_id, now=self.now))

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        offers = self.pending()
        if offers:
            offer = data.draw(st.sampled_from(offers))
            self.check_offers(self.live.reject(offer.offer_id, offer.agent_id, now=self.now))

    @rule(data=st.data(), wrap=st.sampled_from((-1, 0, 4)))
    def complete(self, data: st.DataObject, wrap: int) -> None:
        done = self.connected()
        if done:
            sid, aid = data.draw(st.sampled_from(done))
            self.check_offers(self.live.complete(sid, aid, None if wrap < 0 else wrap, now=self.now))

    @rule(data=st.data())
    def hang_up(self, data: st.DataObject) -> None:
        if self.tasks:
            sid = data.draw(st.sampled_from(sorted(self.tasks)))
            self.check_offers(self.live.remove(sid, "abandoned", now=self.now))

    @rule(aid=st.sampled_from(AGENTS), force=st.booleans())
    def ready(self, aid: str, force: bool) -> None:
        self.check_offers(self.live.end_wrap_up(aid, force=force, now=self.now))

    @rule(seconds=st.sampled_from((1, 6, 16)))
    def time_passes(self, seconds: int) -> None:
        self.now += seconds
        report = self.live.tick(self.now)
        self.check_offers(list(report.offers))

    @rule()
    def dispatch(self) -> None:
        self.check_offers(self.live.dispatch(self.now))

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        if self.acd is not None:
            problems = self.live.audit(now=self.now)
            assert not problems, (problems, self.live.dump()["agents"], self.live.dump()["wrap"])

    @invariant()
    def within_capacity_and_mixing_rule(self) -> None:
        if self.acd is None:
            return
        d = self.live.dump()
        for aid, profile in self.profiles.items():
            live = [c for c in d["calls"].values() if c.get("agent") == aid and c["state"] in LIVE]
            per: dict[str, int] = {}
            for c in live:
                per[c.get("chan") or VOICE] = per.get(c.get("chan") or VOICE, 0) + 1
            held = [s for s in d["agents"][aid].get("held", "").split(",") if s]
            for chan in CHANNELS:
                count = per.get(chan, 0) if chan == VOICE else sum(1 for s in held if self.tasks.get(s) == chan)
                assert count <= profile.capacity[chan], f"{aid} holds {count} {chan} tasks"
            if profile.voice_exclusive and per.get(VOICE):
                assert len(per) == 1, f"{aid} mixes voice with {per} under voice_exclusive"

    @invariant()
    def nothing_lost(self) -> None:
        if self.acd is None:
            return
        for sid in self.tasks:
            snap = self.live.call_snapshot(sid, now=self.now)
            assert snap is not None and snap.state in ("waiting", "offered", "connected", "completed", "abandoned"), sid

    # -- the end ------------------------------------------------------------------------------

    def drain(self) -> None:
        """Everyone works until nothing they could take is left."""
        acd = self.live
        for aid in AGENTS:
            acd.set_state(aid, "available", force=True, now=self.now)
        for _ in range(400):
            self.now += 6  # past any wrap-up, well within an offer's time
            acd.tick(self.now)
            for aid in AGENTS:
                acd.set_state(aid, "available", force=True, now=self.now)
            acd.dispatch(self.now)
            for offer in self.pending():
                got = acd.accept(offer.offer_id, offer.agent_id, now=self.now)
                assert got.ok, (offer, got.reason)
            for sid, aid in self.connected():
                acd.complete(sid, aid, 0, now=self.now)  # may offer the agent its next task
            if not self.pending() and not self.connected() and not acd.dispatch(self.now):
                break
        left = acd.dump()
        for sid, c in left["calls"].items():
            assert c["state"] == "waiting", (sid, c, left["agents"].get(c.get("agent", "")), self.now - T0)
            chan = c.get("chan") or VOICE
            takers = [a for a in AGENTS if self.could_take(a, c["q"]) and self.profiles[a].capacity[chan] > 0]
            assert not takers, (sid, c, {a: left["agents"][a] for a in takers}, left["queues"][c["q"]])
        assert acd.audit(now=self.now) == []

    def teardown(self) -> None:
        try:
            if self.acd is not None:
                self.drain()
        finally:
            keys = list(self.client.scan_iter(match=f"{{acd}}:{self.namespace}:*", count=1000))
            if keys:
                self.client.delete(*keys)


def test_mixed_channel_sequences_keep_the_invariants(redis_client: redis.Redis) -> None:
    MixedChannels.client = redis_client
    run_state_machine_as_test(
        MixedChannels,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
