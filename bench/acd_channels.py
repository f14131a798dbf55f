"""Chat decisions per second when agents hold several chats at once.

    python bench/acd_channels.py                    # 2,000 chats, 50 agents, chat capacity 3
    python bench/acd_channels.py --agents 200 --json
    python bench/acd_channels.py --redis-url redis://host:6379/5

A chat decision (`match_for_call` on a `chat-` task, the real Lua, one round trip) looks at every
working agent of the queue for the one with the fewest chats for its capacity, so unlike a voice
decision its cost grows with the agents in the queue: this prints it next to a no-op EVALSHA
round trip. Between decisions, untimed, the floor is kept half full: each agent holds about
half its chats (accepted), so the search meets agents at every load. Every decision is followed
by the audit at the end (nothing over capacity, nothing stuck).

Uses --redis-url (default redis://127.0.0.1:6379/5) and only its own key namespace
({acd}:channels<random>:...), deleted at the start and at the end.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402

from contactcenter.acd.interfaces import AgentProfile, QueueConfig  # noqa: E402
from contactcenter.acd.realtime import RealtimeACD  # noqa: E402

NOOP = "return 0"
CAPACITY = 3


def _delete(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=prefix + "*", count=2000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i : i + 500])


def run(redis_url: str, agents: int, decisions: int) -> dict[str, Any]:
    client = redis.Redis.from_url(redis_url)
    client.ping()
    acd = RealtimeACD(client, "channels" + secrets.token_hex(4), auto_match=False, publish=False)
    _delete(client, acd.prefix)
    noop = client.register_script(NOOP)
    noop_key = acd.key("noop")
    noop(keys=[noop_key])
    held: deque[tuple[str, str]] = deque()
    target = agents * CAPACITY // 2
    noops, matches = [], []
    try:
        assert acd.register_queue(QueueConfig("support", wrap_up_seconds=0)).ok
        for n in range(agents):
            profile = AgentProfile(f"a{n}", {}, ("support",), capacity={"chat": CAPACITY})
            assert acd.upsert_agent(profile).ok
            assert acd.set_state(f"a{n}", "available").ok
        for i in range(decisions):
            sid = f"chat-{i}"
            assert acd.enqueue(sid, "support").ok
            start = time.perf_counter()
            noop(keys=[noop_key])
            noops.append(time.perf_counter() - start)
            start = time.perf_counter()
            offer = acd.match_for_call(sid)
            matches.append(time.perf_counter() - start)
            assert offer is not None, "the floor is never full"
            assert acd.accept(offer.offer_id, offer.agent_id).ok
            held.append((sid, offer.agent_id))
            while len(held) > target:
                done, agent = held.popleft()
                assert acd.complete(done, agent, 0).ok
        problems = acd.audit()
        assert problems == [], problems
    finally:
        _delete(client, acd.prefix)
    match_ms = sorted(v * 1000 for v in matches)
    match_rate = len(matches) / sum(matches)
    noop_rate = len(noops) / sum(noops)
    return {
        "agents": agents,
        "chat_capacity": CAPACITY,
        "decisions": decisions,
        "chat_decisions_per_s": round(match_rate, 1),
        "noop_evalsha_per_s": round(noop_rate, 1),
        "ratio": round(match_rate / noop_rate, 3),
        "decision_ms": {
            "p50": round(statistics.median(match_ms), 3),
            "p99": round(match_ms[min(len(match_ms) - 1, int(0.99 * (len(match_ms) - 1)))], 3),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if min(args.agents, args.decisions) < 1:
        parser.error("--agents and --decisions must be at least 1")
    result = run(args.redis_url, args.agents, args.decisions)
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"chat decisions (match):     {result['chat_decisions_per_s']:>10,.1f} /s   "
        f"p50 {result['decision_ms']['p50']} ms  p99 {result['decision_ms']['p99']} ms   "
        f"({result['agents']} agents, {result['chat_capacity']} chats each, half full)"
    )
    print(f"no-op EVALSHA round trips:  {result['noop_evalsha_per_s']:>10,.1f} /s")
    print(f"ratio: {result['ratio']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
