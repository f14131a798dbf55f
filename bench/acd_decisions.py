"""Single ACD decisions per second against the cost of one Redis script round trip.

    python bench/acd_decisions.py                  # 5,000 decisions, 50 agents in one queue
    python bench/acd_decisions.py --decisions 20000 --json
    python bench/acd_decisions.py --redis-url redis://host:6379/5

A decision is what the router decides for one call when agents are free: which agent gets it,
reserved atomically (`match_for_call`, the real Lua, one round trip). The agent's accept that
follows (`accept`, the real Lua) is the agent's act, not the router's; it is timed too and
reported as "offer + accept", two round trips. Between decisions, untimed, the call is enqueued
beforehand and completed afterwards (no wrap-up), so every decision meets the same state: one
call waiting, every agent available.

The reference is a no-op script (`return 0`, one key) run by EVALSHA from the same client in the
same run: one in every iteration, timed just before that iteration's decision, so both meet the
same conditions (caches, scheduling, load from elsewhere on the machine). A tight loop of no-ops
alone is faster still (nothing runs between them); it is printed too, with the ratio to it, but
is not the reference. The ratio decisions/s / no-op round trips/s is the share of a decision
that is bare round trip (1.0 when the matching script and the client's work around it cost
nothing); for offer + accept, two round trips, it is at most 0.5.

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


def measure(acd: RealtimeACD, noop: Any, count: int, first: int = 0) -> tuple[list[float], list[float], list[float]]:
    """`count` iterations, each timing one no-op EVALSHA, then the decision (the match) and the
    accept that follows; returns the no-op, match and match + accept durations (seconds)."""
    noop_key = acd.key("noop")
    noops, matches, decisions = [], [], []
    for i in range(first, first + count):
        sid = f"CA{i:032x}"
        assert acd.enqueue(sid, "support").ok
        start = time.perf_counter()
        noop(keys=[noop_key])
        noops.append(time.perf_counter() - start)
        start = time.perf_counter()
        offer = acd.match_for_call(sid)
        matched = time.perf_counter()
        assert offer is not None, "an agent is always free"
        accepted = acd.accept(offer.offer_id, offer.agent_id)
        decisions.append(time.perf_counter() - start)
        matches.append(matched - start)
        assert accepted.ok, accepted.reason
        assert acd.complete(sid, offer.agent_id, 0).ok
    return noops, matches, decisions


def back_to_back(acd: RealtimeACD, noop: Any, count: int) -> list[float]:
    """`count` no-op EVALSHAs in a tight loop, each timed alone (seconds): the best case."""
    noop_key = acd.key("noop")
    times = []
    for _ in range(count):
        start = time.perf_counter()
        noop(keys=[noop_key])
        times.append(time.perf_counter() - start)
    return times


def run(redis_url: str, agents: int, decisions: int, warmup: int) -> dict[str, Any]:
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
        noop = client.register_script(NOOP)
        noop(keys=[acd.key("noop")])  # loaded: every timed call is an EVALSHA
        measure(acd, noop, warmup, first=decisions)
        noops, match_times, latencies = measure(acd, noop, decisions)
        tight = back_to_back(acd, noop, decisions)
        problems = acd.audit()
        assert problems == [], problems
    finally:
        _delete(client, acd.prefix)
    rate = len(latencies) / sum(latencies)
    match_rate = len(match_times) / sum(match_times)
    noop_rate = len(noops) / sum(noops)
    match_ms = sorted(v * 1000 for v in match_times)
    tight_rate = len(tight) / sum(tight)
    ms = sorted(v * 1000 for v in latencies)
    return {
        "redis_url": redis_url,
        "agents": agents,
        "decisions": decisions,
        "decisions_per_s": round(match_rate, 1),
        "noop_evalsha_per_s": round(noop_rate, 1),
        "ratio": round(match_rate / noop_rate, 3),
        "decision_ms": {
            "p50": round(statistics.median(match_ms), 3),
            "p99": round(match_ms[min(len(match_ms) - 1, int(0.99 * (len(match_ms) - 1)))], 3),
        },
        "offer_and_accept_per_s": round(rate, 1),
        "offer_and_accept_ratio": round(rate / noop_rate, 3),
        "noop_evalsha_back_to_back_per_s": round(tight_rate, 1),
        "ratio_to_back_to_back": round(match_rate / tight_rate, 3),
        "goal_ratio": 0.5,
        "offer_and_accept_ms": {
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
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if min(args.agents, args.decisions, args.warmup) < 1:
        parser.error("--agents, --decisions and --warmup must be at least 1")
    result = run(args.redis_url, args.agents, args.decisions, args.warmup)
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"decisions (match):          {result['decisions_per_s']:>10,.1f} /s   "
        f"p50 {result['decision_ms']['p50']} ms  p99 {result['decision_ms']['p99']} ms"
    )
    print(
        f"no-op EVALSHA round trips:  {result['noop_evalsha_per_s']:>10,.1f} /s   (one per decision, same iterations)"
    )
    print(f"ratio: {result['ratio']:.3f} (goal >= {result['goal_ratio']})")
    print(
        f"offer + accept:             {result['offer_and_accept_per_s']:>10,.1f} /s   "
        f"p50 {result['offer_and_accept_ms']['p50']} ms  p99 {result['offer_and_accept_ms']['p99']} ms   "
        f"ratio {result['offer_and_accept_ratio']:.3f} (two round trips: at most 0.5)"
    )
    print(
        f"no-op EVALSHA back to back: {result['noop_evalsha_back_to_back_per_s']:>10,.1f} /s   "
        f"(ratio to it {result['ratio_to_back_to_back']:.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
