"""The routing rules in plain Python: escalation tiers, eligibility, queue order, agent order.

The Lua scripts in `contactcenter.acd.realtime` apply exactly these rules inside Redis; this module
states them once in readable form, encodes queue configuration for the scripts, and lets tests,
audits and the benchmark's baseline check decisions against the rules.

Queue order. A waiting call's score is (MAX_PRIORITY - effective priority) * 10**13 + enqueued_ms,
effective priority = queue priority + call priority (clamped to 0..MAX_PRIORITY). Lower scores go
first: higher priority, then longer wait. Every score stays below 2**53, so doubles hold it exactly
and scores from different queues compare directly. Calls with equal scores keep arrival order: the
sorted-set member is "<15-digit sequence>:<call sid>", and Redis orders equal scores by member.

Escalation tiers. Tier 0 is the queue as configured; tier k applies escalation steps 1..k
cumulatively (caps only ever lower a minimum, dropped skills stay dropped, overflow pools only
grow). A call that has waited w uses the highest tier whose `after` is <= w, so eligibility only
widens as a call waits; the scripts rely on that to skip whole bands of younger calls.

Agent order (per queue strategy; lower score first, equal scores by agent id):
- longest-idle: idle_since_ms.
- most-skilled: (MAX_PRIORITY - sum of the agent's levels in the queue's required skills) * 10**13
  + idle_since_ms: the most skilled first, then the longest idle.
- round-robin: the queue's counter value when the agent last took one of its calls (0 = never),
  + idle_since_ms / 10**13 as a tie-break: the agent served longest ago goes next.
- fewest-calls: calls answered today + idle_since_ms / 10**13.
- least-talk-time: whole seconds talked today + idle_since_ms / 10**13.
"Today" is the UTC day shifted by the engine's `day_offset_seconds`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contactcenter.acd.interfaces import MAX_PRIORITY, EscalationStep

BAND = 10**13
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Tier:
    after_ms: int
    cap_all: int | None
    caps: Mapping[str, int]
    dropped: frozenset[str]
    pools: tuple[str, ...]


def compile_tiers(steps: Iterable[EscalationStep]) -> list[Tier]:
    """Tier 0 (as configured) followed by one cumulative tier per escalation step."""
    tiers = [Tier(0, None, {}, frozenset(), ())]
    cap_all: int | None = None
    caps: dict[str, int] = {}
    dropped: set[str] = set()
    pools: list[str] = []
    for step in sorted(steps, key=lambda s: s.after_seconds):
        if step.relax_to is not None:
            cap_all = step.relax_to if cap_all is None else min(cap_all, step.relax_to)
        for skill, level in step.relax.items():
            caps[skill] = min(caps.get(skill, level), level)
        dropped.update(step.drop)
        for queue in step.widen_to:
            if queue not in pools:
                pools.append(queue)
        tiers.append(Tier(int(round(step.after_seconds * 1000)), cap_all, dict(caps), frozenset(dropped), tuple(pools)))
    return tiers


def encode_skills(skills: Mapping[str, int]) -> str:
    return ",".join(f"{name}={level}" for name, level in sorted(skills.items()))


def decode_skills(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in filter(None, text.split(",")):
        name, _, level = item.partition("=")
        out[name] = int(level)
    return out


def requirements_at(base: Mapping[str, int], tier: Tier) -> dict[str, int]:
    out: dict[str, int] = {}
    for skill, level in base.items():
        if skill in tier.dropped:
            continue
        if tier.cap_all is not None:
            level = min(level, tier.cap_all)
        if skill in tier.caps:
            level = min(level, tier.caps[skill])
        out[skill] = level
    return out


def tier_index(tiers: list[Tier], wait_ms: float) -> int:
    index = 0
    for i, tier in enumerate(tiers):
        if tier.after_ms <= wait_ms:
            index = i
    return index


def meets(agent_skills: Mapping[str, int], required: Mapping[str, int]) -> bool:
    return all(agent_skills.get(skill, 0) >= level for skill, level in required.items())


def is_eligible(
    agent_skills: Mapping[str, int],
    agent_queues: Iterable[str],
    queue: str,
    tiers: list[Tier],
    base: Mapping[str, int],
    wait_ms: float,
) -> bool:
    """May this agent take a call of `queue` (requirements `base`) that has waited `wait_ms`?"""
    tier = tiers[tier_index(tiers, wait_ms)]
    queues = set(agent_queues)
    if queue not in queues and not queues.intersection(tier.pools):
        return False
    return meets(agent_skills, requirements_at(base, tier))


def effective_priority(queue_priority: int, call_priority: int) -> int:
    return max(0, min(MAX_PRIORITY, queue_priority + call_priority))


def queue_score(priority: int, enqueued_ms: int) -> int:
    return (MAX_PRIORITY - priority) * BAND + enqueued_ms


def queue_member(sequence: int, call_sid: str) -> str:
    return f"{sequence:015d}:{call_sid}"


def day_index(now_ms: float, day_offset_ms: int = 0) -> int:
    return math.floor((now_ms + day_offset_ms) / DAY_MS)


def agent_score(
    strategy: str,
    *,
    idle_since_ms: float,
    skills: Mapping[str, int],
    required: Mapping[str, int],
    calls_today: int = 0,
    talk_ms_today: float = 0,
    round_robin: int = 0,
) -> float:
    """The score an available agent has in a queue's available set (lower goes first)."""
    if strategy == "longest-idle":
        return float(idle_since_ms)
    if strategy == "most-skilled":
        total = min(sum(skills.get(skill, 0) for skill in required), MAX_PRIORITY)
        return float((MAX_PRIORITY - total) * BAND + idle_since_ms)
    if strategy == "round-robin":
        return round_robin + idle_since_ms / BAND
    if strategy == "fewest-calls":
        return calls_today + idle_since_ms / BAND
    if strategy == "least-talk-time":
        return math.floor(talk_ms_today / 1000) + idle_since_ms / BAND
    raise ValueError(f"unknown strategy {strategy!r}")
