"""Single ACD decisions per second against the cost of one Redis script round trip.

    python bench/acd_decisions.py                  # 5,000 decisions, 50 agents in one queue
    python bench/acd_decisions.py --decisions 20000 --json
    python bench/acd_decisions.py --redis-url redis://host:6379/5

A decision is what the router does for one call when an agent is free: the offer
(`match_for_call`, the real Lua) and the agent's accept (`accept`, the real Lua), one after the
other from one client, round trips included. Between decisions, untimed, the call is enqueued
beforehand and completed afterwards (no wrap-up), so every decision meets the same state: one
call waiting, every agent available.

The reference is a no-op script (`return 0`, one key) run by EVALSHA from the same client in the
same run, in blocks alternating with the decisions' (so load from elsewhere on the machine
weighs on both alike): the fastest a script-per-step design can go on this
machine. The ratio decisions/s ÷ no-op round trips/s says how much of a decision is the ACD's
own work (an offer and an accept are two round trips, so 0.5 is the ceiling when the scripts
themselves cost nothing).

Uses --redis-url (default redis://127.0.0.1:6379/5, a database no test or other benchmark
uses) and touches only its own key namespace ({acd}:decisions<random>:...), which it deletes at
the start and at the end.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402

from contactcenter.acd.interfaces import AgentProfile, QueueConfig  # noqa: E402
from contactcenter.acd.realtime import RealtimeACD  # noqa: E402

NOOP = "return 0"


def _delete(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=prefix + "*", count=2000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i : i + 500])


def noop_times(client: redis.Redis, key: str, count: int) -> list[float]:
    """Each of `count` no-op EVALSHA round trips, timed alone like a decision (seconds)."""
    script = client.register_script(NOOP)
    script(keys=[key])  # loads it: every timed call is an EVALSHA
    times = []
    for _ in range(count):
        start = time.perf_counter()
        script(keys=[key])
        times.append(time.perf_counter() - start)
    return times


def decision_times(acd: RealtimeACD, count: int, first: int = 0) -> list[float]:
    """Each of `count` decisions (offer + accept), timed alone (seconds)."""
    latencies = []
    for i in range(first, first + count):
        sid = f"CA{i:032x}"
        assert acd.enqueue(sid, "support").ok
        start = time.perf_counter()
        offer = acd.match_for_call(sid)
        assert offer is not None, "an agent is always free"
        accepted = acd.accept(offer.offer_id, offer.agent_id)
        latencies.append(time.perf_counter() - start)
        assert accepted.ok, accepted.reason
        assert acd.complete(sid, offer.agent_id, 0).ok
    return latencies


def run(redis_url: str, agents: int, decisions: int, warmup: int, rounds: int) -> dict[str, Any]:
    client = redis.Redis.from_url(redis_url)
    client.ping()
    namespace = "decisions" + secrets.token_hex(4)
    acd = RealtimeACD(client, namespace, auto_match=False, publish=False)
    _delete(client, acd.prefix)
    try:
        assert acd.register_queue(QueueConfig("support", required_skills={"en": 3}, wrap_up_seconds=0)).ok
        for n in range(agents):
            assert acd.upsert_agent(AgentProfile(f"a{n}", {"en": 3 + n % 3}, ("support",))).ok
            assert acd.set_state(f"a{n}", "available").ok
        noop_key = acd.key("noop")
        noop_times(client, noop_key, warmup)
        decision_times(acd, warmup, first=decisions)
        noops: list[float] = []
        latencies: list[float] = []
        block = max(1, decisions // rounds)
        while len(latencies) < decisions:
            size = min(block, decisions - len(latencies))
            noops += noop_times(client, noop_key, size)
            latencies += decision_times(acd, size, first=len(latencies))
        problems = acd.audit()
        assert problems == [], problems
    finally:
        _delete(client, acd.prefix)
    rate = len(latencies) / sum(latencies)
    noop = len(noops) / sum(noops)
    ms = sorted(v * 1000 for v in latencies)
    return {
        "redis_url": redis_url,
        "agents": agents,
        "decisions": decisions,
        "decisions_per_s": round(rate, 1),
        "noop_evalsha_per_s": round(noop, 1),
        "rounds": rounds,
        "ratio": round(rate / noop, 3),
        "goal_ratio": 0.5,
        "decision_ms": {
            "p50": round(statistics.median(ms), 3),
            "p99": round(ms[min(len(ms) - 1, int(0.99 * (len(ms) - 1)))], 3),
            "max": round(ms[-1], 3),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=10, help="alternating blocks of no-ops and decisions")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if min(args.agents, args.decisions, args.warmup, args.rounds) < 1:
        parser.error("--agents, --decisions, --warmup and --rounds must be at least 1")
    result = run(args.redis_url, args.agents, args.decisions, args.warmup, args.rounds)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"decisions (offer + accept): {result['decisions_per_s']:>10,.1f} /s   "
          f"p50 {result['decision_ms']['p50']} ms  p99 {result['decision_ms']['p99']} ms")
    print(f"no-op EVALSHA round trips:  {result['noop_evalsha_per_s']:>10,.1f} /s")
    print(f"ratio: {result['ratio']:.3f} (goal >= {result['goal_ratio']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
