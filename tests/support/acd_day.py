"""A random day of ACD operations, seeded: the same day run against two stores must log the same
results (the real Redis, fakeredis, the in-process store)."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from contactcenter.acd.interfaces import AgentProfile, EscalationStep, QueueConfig
from contactcenter.acd.realtime import RealtimeACD

T = 1_767_603_600.0


def _normalize(value: Any) -> Any:
    """Offer ids carry a random suffix per script run; everything else must match exactly."""
    text = json.dumps(value, sort_keys=True, default=lambda o: o.__dict__)
    return re.sub(r'"(o\d+)-[0-9a-f]{6}"', r'"\1"', text)


def random_day(acd: RealtimeACD, seed: int) -> list[str]:
    rng = random.Random(seed)
    log: list[Any] = []
    acd.register_queue(QueueConfig("a", required_skills={"en": 4}, escalation=(EscalationStep(20, relax_to=2),)), now=T)
    acd.register_queue(
        QueueConfig("b", priority=1, strategy="round-robin", escalation=(EscalationStep(30, widen_to=("a",)),)), now=T
    )
    acd.register_queue(QueueConfig("c", strategy="least-talk-time", required_skills={"tech": 3}), now=T)
    for i in range(8):
        profile = AgentProfile(
            f"ag{i}",
            {"en": rng.randint(1, 10), "tech": rng.randint(1, 10)},
            tuple(rng.sample("abc", rng.randint(1, 2))),
        )
        log.append(acd.upsert_agent(profile, now=T))
        log.append(acd.set_state(profile.agent_id, "available", now=T))
    now = T
    for i in range(150):
        now += rng.choice([0, 0.5, 2, 7])
        roll = rng.random()
        if roll < 0.3:
            log.append(acd.enqueue(f"c{i}", rng.choice("abc"), priority=rng.randint(0, 2), now=now))
        elif roll < 0.45:
            log.append(
                acd.set_state(f"ag{rng.randrange(8)}", rng.choice(["available"] * 5 + ["break", "offline"]), now=now)
            )
        elif roll < 0.6:
            for offer in acd.pending_offers():
                if rng.random() < 0.85:
                    log.append(acd.accept(offer.offer_id, offer.agent_id, now=now))
                else:
                    log.append(acd.reject(offer.offer_id, offer.agent_id, now=now))
        elif roll < 0.75:
            for agent in acd.agents(now=now):
                if agent.state == "on_call":
                    log.append(acd.complete(agent.call_sid, agent.agent_id, rng.choice([0, 5]), now=now))
        elif roll < 0.85:
            log.append(acd.remove(f"c{rng.randrange(i + 1)}", now=now))
        else:
            log.append(acd.tick(now))
        log.append([acd.position(f"c{j}", now=now) for j in range(max(0, i - 3), i)])
        log.append(acd.queue_stats(now=now))
        log.append(acd.agents(now=now))
        assert acd.audit(now=now) == []
    return [_normalize(entry) for entry in log]
