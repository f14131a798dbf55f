"""Routing decisions per second and their latency: the atomic Lua match against a naive baseline.

    python bench/acd_routing.py                      # 2,000 agents x 20 skills, 1,000 waiting calls
    python bench/acd_routing.py --decisions 20000 --json
    REDIS_URL=redis://host:6379/3 python bench/acd_routing.py

Uses REDIS_URL (default redis://127.0.0.1:6379/9) and touches only its own key namespace
({acd}:bench<random>:...), which it deletes at the start and at the end.

Phases (each decision is timed alone, client-side, round trip included):
- agent-frees-up: 1,000 calls wait in 20 queues (4 priority bands, escalation steps), every agent
  is busy; agents free up one at a time and `match_for_agent` finds each its best call (the offer
  is then declined so the backlog stays at 1,000).
- call-arrives: 1,000 agents are available; calls arrive one at a time into the 20 queues and
  `match_for_call` picks the agent by the queue's strategy (the caller then hangs up, which
  rescinds the offer). 1,000 calls are parked meanwhile in 5 specialist queues nobody free can take.
- dispatch: 1,000 calls waiting and 2,000 agents becoming available at once; one `dispatch`.
- concurrent: --clients processes, each with its own connection, place 1,000 new calls at once
  (match_for_call) against the same 1,000 available agents; decisions/s over the wall clock.
- naive baseline, same data: for a call, read every agent from Redis, scan them in Python, write
  the assignment (to scratch keys); for an agent, read every waiting call of its queues, scan, write.
  Neither read-then-write is atomic: that is the race the Lua scripts exist to avoid.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402

from contactcenter.acd import strategies  # noqa: E402
from contactcenter.acd.interfaces import (  # noqa: E402
    STRATEGIES,
    AgentProfile,
    AgentRecord,
    CallRecord,
    EscalationStep,
    QueueConfig,
)
from contactcenter.acd.realtime import RealtimeACD  # noqa: E402


def build_world(
    rng: random.Random, agents: int, skills: int, queues: int
) -> tuple[list[QueueConfig], list[AgentProfile]]:
    names = [f"s{i:02d}" for i in range(skills)]
    configs = []
    for i in range(queues):
        required = {s: rng.randint(3, 6) for s in rng.sample(names, 2)}
        configs.append(
            QueueConfig(
                f"q{i:02d}",
                priority=rng.choice([0, 0, 0, 1]),
                required_skills=required,
                strategy=STRATEGIES[i % len(STRATEGIES)],
                escalation=(
                    EscalationStep(60, relax_to=2),
                    EscalationStep(180, widen_to=(f"q{(i + 1) % queues:02d}",)),
                ),
            )
        )
    for i in range(5):  # specialists: three skills at level 10, no escalation
        configs.append(QueueConfig(f"expert{i}", required_skills={s: 10 for s in rng.sample(names, 3)}))
    profiles = []
    for i in range(agents):
        member_of = tuple(rng.sample([c.name for c in configs[:queues]], 3))
        profiles.append(AgentProfile(f"ag{i:05d}", {s: rng.randint(1, 10) for s in names}, member_of))
    return configs, profiles


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    total = sum(samples)
    return {
        "decisions": len(samples),
        "decisions_per_s": round(len(samples) / total, 1) if total else 0.0,
        "p50_ms": round(pct(50), 3),
        "p90_ms": round(pct(90), 3),
        "p99_ms": round(pct(99), 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def clear(client: redis.Redis, prefix: str) -> None:
    batch = []
    for key in client.scan_iter(match=prefix + "*", count=2000):
        batch.append(key)
        if len(batch) >= 1000:
            client.unlink(*batch)
            batch = []
    if batch:
        client.unlink(*batch)


# -- the naive baseline: read everything, decide in Python, write ----------------------------------


class Naive:
    def __init__(self, acd: RealtimeACD, configs: dict[str, QueueConfig]) -> None:
        self.acd = acd
        self.r = acd.redis
        self.configs = configs
        self.tiers = {name: strategies.compile_tiers(c.escalation) for name, c in configs.items()}
        self.scratch = acd.key("naive:")

    def _decode(self, raw: dict) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in raw.items()}

    def _write(self, call_sid: str, agent_id: str, now_ms: int) -> None:
        oid = f"n{secrets.token_hex(4)}"
        pipe = self.r.pipeline(transaction=False)
        pipe.hset(self.scratch + "offer:" + oid, mapping={"call": call_sid, "agent": agent_id, "created": now_ms})
        pipe.zadd(self.scratch + "offers", {oid: now_ms + 15000})
        pipe.hset(self.scratch + "call:" + call_sid, mapping={"state": "offered", "offer": oid, "agent": agent_id})
        pipe.hset(self.scratch + "agent:" + agent_id, mapping={"state": "reserved", "offer": oid, "call": call_sid})
        pipe.zrem(self.scratch + "avail", agent_id)
        pipe.execute()

    def match_for_call(self, call_sid: str) -> str | None:
        now_ms = int(time.time() * 1000)
        call = self._decode(self.r.hgetall(self.acd.key("call:", call_sid)))
        ids = [a.decode() for a in self.r.smembers(self.acd.key("agents"))]
        pipe = self.r.pipeline(transaction=False)
        for aid in ids:
            pipe.hgetall(self.acd.key("agent:", aid))
        cfg = self.configs[call["q"]]
        best: tuple[float, str] | None = None
        for aid, raw in zip(ids, pipe.execute(), strict=True):
            agent = self._decode(raw)
            if agent["state"] != "available" or call["q"] not in agent["queues"].split(","):
                continue
            skills = {k[2:]: int(v) for k, v in agent.items() if k.startswith("s:")}
            if not strategies.is_eligible(
                skills, [call["q"]], call["q"], self.tiers[call["q"]], cfg.required_skills, now_ms - int(call["enq"])
            ):
                continue
            score = strategies.agent_score(
                cfg.strategy,
                idle_since_ms=int(agent["idle"]),
                skills=skills,
                required=cfg.required_skills,
                calls_today=int(agent.get("calls") or 0),
                talk_ms_today=int(agent.get("talk") or 0),
                round_robin=int(agent.get(f"rr:{call['q']}") or 0),
            )
            if best is None or (score, aid) < best:
                best = (score, aid)
        if best is None:
            return None
        self._write(call_sid, best[1], now_ms)
        return best[1]

    def match_for_agent(self, agent_id: str) -> str | None:
        now_ms = int(time.time() * 1000)
        agent = self._decode(self.r.hgetall(self.acd.key("agent:", agent_id)))
        skills = {k[2:]: int(v) for k, v in agent.items() if k.startswith("s:")}
        queues = agent["queues"].split(",")
        pipe = self.r.pipeline(transaction=False)
        for q in queues:
            pipe.zrange(self.acd.key("q:", q), 0, -1, withscores=True)
        members = [(m.decode(), s) for rows in pipe.execute() for m, s in rows]
        pipe = self.r.pipeline(transaction=False)
        for member, _ in members:
            pipe.hgetall(self.acd.key("call:", member[16:]))
        best: tuple[float, str] | None = None
        for (member, score), raw in zip(members, pipe.execute(), strict=True):
            call = self._decode(raw)
            q = call["q"]
            if strategies.is_eligible(
                skills, queues, q, self.tiers[q], self.configs[q].required_skills, now_ms - int(call["enq"])
            ):
                if best is None or (score, member) < best:
                    best = (score, member)
        if best is None:
            return None
        self._write(best[1][16:], agent_id, now_ms)
        return best[1][16:]


# -- concurrent clients ---------------------------------------------------------------------------


def _client(url: str, namespace: str, sids: list[str], barrier: Any, out: Any) -> None:
    acd = RealtimeACD(redis.Redis.from_url(url), namespace, auto_match=False, publish=True)
    acd.redis.ping()
    barrier.wait(timeout=120)
    samples = []
    for sid in sids:
        _, dt = timed(lambda sid=sid: acd.match_for_call(sid))
        samples.append(dt)
    out.put((samples, time.perf_counter()))


def concurrent_phase(acd: RealtimeACD, url: str, sids: list[str], clients: int) -> dict[str, Any]:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(clients + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(url, acd.prefix[len("{acd}:") : -1], sids[i::clients], barrier, out))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    wall = max(end for _, end in results) - start
    samples = [dt for batch, _ in results for dt in batch]
    offers = len(acd.pending_offers())
    stats = percentiles(samples)
    stats["decisions_per_s"] = round(len(samples) / wall, 1)
    return stats | {"clients": clients, "offers": offers, "wall_ms": round(wall * 1000, 1)}


# -- phases ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9")
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--skills", type=int, default=20)
    parser.add_argument("--queues", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--decisions", type=int, default=5000, help="timed decisions per Lua phase")
    parser.add_argument("--naive-decisions", type=int, default=200, help="timed decisions per naive phase")
    parser.add_argument("--clients", type=int, default=2, help="processes in the concurrent phase (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    client = redis.Redis.from_url(args.redis_url)
    namespace = "bench" + secrets.token_hex(3)
    acd = RealtimeACD(client, namespace, auto_match=False, publish=True)
    clear(client, acd.prefix)
    configs, profiles = build_world(rng, args.agents, args.skills, args.queues)
    by_name = {c.name: c for c in configs}
    regular = [c.name for c in configs[: args.queues]]
    results: dict[str, Any] = {}
    try:
        now = time.time()
        backlog = [
            CallRecord(
                f"W{i:05d}", rng.choice(regular), enqueued_at=now - rng.uniform(0, 300), priority=rng.randint(0, 3)
            )
            for i in range(args.calls)
        ]
        busy = [AgentRecord(p, state="offline") for p in profiles]
        _, rebuild_s = timed(lambda: acd.rebuild(backlog, busy, configs))
        results["rebuild_ms"] = round(rebuild_s * 1000, 1)

        # agent frees up, 1,000 calls waiting
        samples = []
        order = [p.agent_id for p in profiles]
        rng.shuffle(order)
        matched = 0
        for i in range(args.decisions):
            aid = order[i % len(order)]
            acd.set_state(aid, "available")
            offer, dt = timed(lambda aid=aid: acd.match_for_agent(aid))
            samples.append(dt)
            if offer is not None:
                matched += 1
                acd.reject(offer.offer_id, aid)
            else:
                acd.set_state(aid, "offline")
        results["match_for_agent"] = percentiles(samples) | {"matched": matched}
        assert acd.audit() == [], "inconsistent state after the agent phase"

        naive = Naive(acd, by_name)
        samples = []
        for i in range(args.naive_decisions):
            aid = order[i % len(order)]
            _, dt = timed(lambda aid=aid: naive.match_for_agent(aid))
            samples.append(dt)
        results["naive_match_for_agent"] = percentiles(samples)
        clear(client, naive.scratch)

        # calls arrive, 1,000 agents available, 1,000 calls parked in specialist queues
        experts = [c.name for c in configs[args.queues :]]
        parked = [
            CallRecord(f"P{i:05d}", rng.choice(experts), enqueued_at=now - rng.uniform(0, 300))
            for i in range(args.calls)
        ]
        states = [
            AgentRecord(p, state="available" if i % 2 == 0 else "offline", idle_since=now - rng.uniform(0, 600))
            for i, p in enumerate(profiles)
        ]
        acd.rebuild(parked, states, configs)
        samples = []
        matched = 0
        for i in range(args.decisions):
            sid = f"B{i:06d}"
            acd.enqueue(sid, rng.choice(regular), priority=rng.randint(0, 3))
            offer, dt = timed(lambda sid=sid: acd.match_for_call(sid))
            samples.append(dt)
            if offer is not None:
                matched += 1
            acd.remove(sid)
        results["match_for_call"] = percentiles(samples) | {"matched": matched}
        assert acd.audit() == [], "inconsistent state after the call phase"

        samples = []
        for i in range(args.naive_decisions):
            sid = f"N{i:06d}"
            acd.enqueue(sid, rng.choice(regular))
            _, dt = timed(lambda sid=sid: naive.match_for_call(sid))
            samples.append(dt)
            acd.remove(sid)
        results["naive_match_for_call"] = percentiles(samples)
        clear(client, naive.scratch)

        # everyone becomes available at once with 1,000 calls waiting: one dispatch
        everyone = [AgentRecord(p, state="available", idle_since=now - rng.uniform(0, 600)) for p in profiles]
        acd.rebuild(backlog, everyone, configs)
        offers, dt = timed(lambda: acd.dispatch())
        results["dispatch"] = {
            "offers": len(offers),
            "ms": round(dt * 1000, 1),
            "decisions_per_s": round(len(offers) / dt, 1) if dt else 0.0,
        }
        assert acd.audit() == [], "inconsistent state after dispatch"

        if args.clients > 0:
            acd.rebuild(parked, states, configs)
            arriving = [f"C{i:06d}" for i in range(args.calls)]
            for sid in arriving:
                acd.enqueue(sid, rng.choice(regular), priority=rng.randint(0, 3))
            results["concurrent_match_for_call"] = concurrent_phase(acd, args.redis_url, arriving, args.clients)
            assert acd.audit() == [], "inconsistent state after the concurrent phase"
    finally:
        clear(client, acd.prefix)

    results["ratio_match_for_call"] = round(
        results["match_for_call"]["decisions_per_s"] / results["naive_match_for_call"]["decisions_per_s"], 1
    )
    results["ratio_match_for_agent"] = round(
        results["match_for_agent"]["decisions_per_s"] / results["naive_match_for_agent"]["decisions_per_s"], 1
    )
    results["setup"] = {
        "agents": args.agents,
        "skills": args.skills,
        "queues": args.queues,
        "waiting_calls": args.calls,
        "redis_url": args.redis_url,
        "redis_version": client.info("server").get("redis_version"),
    }
    if args.json:
        print(json.dumps(results))
        return 0
    s = results["setup"]
    print(
        f"ACD routing: {s['agents']} agents x {s['skills']} skills, {s['queues']} queues, "
        f"{s['waiting_calls']} waiting calls (Redis {s['redis_version']})"
    )
    print(f"rebuild (atomic, from plain data): {results['rebuild_ms']} ms")
    for name in ("match_for_agent", "naive_match_for_agent", "match_for_call", "naive_match_for_call"):
        r = results[name]
        print(
            f"{name:<22} {r['decisions_per_s']:>9.1f} decisions/s   p50 {r['p50_ms']:.3f} ms   "
            f"p99 {r['p99_ms']:.3f} ms   max {r['max_ms']:.3f} ms   (n={r['decisions']})"
        )
    d = results["dispatch"]
    print(
        f"dispatch               {d['offers']} offers in one pass, {d['ms']} ms "
        f"({d['decisions_per_s']:.0f} decisions/s)"
    )
    if "concurrent_match_for_call" in results:
        c = results["concurrent_match_for_call"]
        print(
            f"match_for_call x{c['clients']} clients {c['decisions_per_s']:>7.1f} decisions/s   "
            f"p50 {c['p50_ms']:.3f} ms   p99 {c['p99_ms']:.3f} ms   "
            f"({c['decisions']} calls placed at once, {c['offers']} offers, {c['wall_ms']} ms)"
        )
    print(
        f"speed-up over the naive scan: match_for_call x{results['ratio_match_for_call']}, "
        f"match_for_agent x{results['ratio_match_for_agent']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
