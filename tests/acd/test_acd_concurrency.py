"""Several processes, each with its own Redis connection, matching against the same Redis at once.

Every process loops over the things web and worker processes do concurrently: an agent becomes
free (match_for_agent), a call arrives (match_for_call), the ticker dispatches, agents answer
offers (several processes answer the same offer at the same moment, and wrong agents try too),
calls end, agents come back from a missed break. At the end: no call was answered twice, no
offer was accepted twice, no agent ever held two calls, and the state is consistent.
"""

from __future__ import annotations

import multiprocessing
import random
import secrets
import time
from typing import Any

import pytest
import redis

from contactcenter.acd.interfaces import AgentProfile, QueueConfig
from contactcenter.acd.realtime import RealtimeACD

AGENTS = 30
CALLS = 240
PROCESSES = 6
SECONDS = 3.0


def _url(client: redis.Redis) -> str:
    kw = client.connection_pool.connection_kwargs
    return f"redis://{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


def _worker(url: str, namespace: str, seed: int, barrier: Any, results: Any) -> None:
    rng = random.Random(seed)
    client = redis.Redis.from_url(url)
    acd = RealtimeACD(client, namespace, auto_match=False, publish=False)
    accepted: list[tuple[str, str, str]] = []
    completed: list[tuple[str, str]] = []
    refused: dict[str, int] = {}
    barrier.wait(timeout=60)  # all processes start together
    deadline = time.time() + SECONDS
    while time.time() < deadline:
        roll = rng.random()
        if roll < 0.25:
            acd.match_for_agent(f"ag{rng.randrange(AGENTS)}")
        elif roll < 0.45:
            acd.match_for_call(f"CA{rng.randrange(CALLS):04d}")
        elif roll < 0.5:
            acd.dispatch()
        elif roll < 0.8:
            offers = acd.pending_offers()
            if offers:
                # usually the oldest offer, the one every process sees: answers collide on it
                offer = min(offers, key=lambda o: o.created_at) if rng.random() < 0.6 else rng.choice(offers)
                agent = offer.agent_id if rng.random() < 0.9 else f"ag{rng.randrange(AGENTS)}"
                out = acd.accept(offer.offer_id, agent)
                if out.ok:
                    accepted.append((offer.offer_id, offer.call_sid, agent))
                else:
                    refused[out.reason or ""] = refused.get(out.reason or "", 0) + 1
        elif roll < 0.95:
            aid = f"ag{rng.randrange(AGENTS)}"
            snap = acd.agent_snapshot(aid)
            if snap is not None and snap.state == "on_call" and snap.call_sid:
                if acd.complete(snap.call_sid, aid, 0).ok:
                    completed.append((snap.call_sid, aid))
        else:
            aid = f"ag{rng.randrange(AGENTS)}"
            acd.set_state(aid, "available")  # back from a missed break (refused while busy)
    results.put({"accepted": accepted, "completed": completed, "refused": refused})
    client.close()


@pytest.mark.slow
def test_processes_matching_at_once_never_double_assign(redis_client: redis.Redis) -> None:
    namespace = "conc" + secrets.token_hex(3)
    acd = RealtimeACD(redis_client, namespace, auto_match=False, publish=False)
    acd.register_queue(QueueConfig("general", required_skills={"en": 2}))
    acd.register_queue(QueueConfig("priority", priority=2, strategy="round-robin"))
    for i in range(AGENTS):
        acd.upsert_agent(AgentProfile(f"ag{i}", {"en": 2 + i % 8}, ("general", "priority") if i % 3 else ("general",)))
        acd.set_state(f"ag{i}", "available")
    for i in range(CALLS):
        assert acd.enqueue(f"CA{i:04d}", "priority" if i % 5 == 0 else "general", priority=i % 2).ok

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    barrier = ctx.Barrier(PROCESSES + 1)
    procs = [
        ctx.Process(target=_worker, args=(_url(redis_client), namespace, seed, barrier, results))
        for seed in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=60)
    # meanwhile this process audits: each audit reads the whole state in one atomic step
    audits, problems = 0, []
    deadline = time.time() + SECONDS
    while time.time() < deadline:
        problems += acd.audit()
        audits += 1
    assert audits > 10 and problems == []
    outputs = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0

    accepted = [a for out in outputs for a in out["accepted"]]
    completed = [c for out in outputs for c in out["completed"]]
    refused: dict[str, int] = {}
    for out in outputs:
        for reason, n in out["refused"].items():
            refused[reason] = refused.get(reason, 0) + n

    # real contention happened: many answers, and processes lost races on the same offers
    assert len(accepted) >= AGENTS
    assert refused.get("already_accepted", 0) + refused.get("unknown_offer", 0) > 0
    offer_ids = [a[0] for a in accepted]
    call_sids = [a[1] for a in accepted]
    assert len(set(offer_ids)) == len(offer_ids), "an offer was accepted twice"
    assert len(set(call_sids)) == len(call_sids), "a call was answered twice"
    assert len({c for c, _ in completed}) == len(completed), "a call was completed twice"

    # the agent that answered is the agent the call is connected to, or was when it ended
    answered_by = {sid: agent for _, sid, agent in accepted}
    for sid, agent in answered_by.items():
        snap = acd.call_snapshot(sid)
        assert snap is not None and snap.agent_id == agent and snap.state in ("connected", "completed")
    # no agent holds two calls
    on_call = [a for a in acd.agents() if a.state == "on_call"]
    connected = [sid for sid in answered_by if acd.call_snapshot(sid).state == "connected"]
    assert len(connected) == len(on_call) == len({a.call_sid for a in on_call})
    # each agent's calls followed one another: answered only after the previous one ended
    per_agent: dict[str, list[str]] = {}
    for _, sid, agent in accepted:
        per_agent.setdefault(agent, []).append(sid)
    for agent, sids in per_agent.items():
        open_calls = [s for s in sids if acd.call_snapshot(s).state == "connected"]
        assert len(open_calls) <= 1, f"{agent} holds {open_calls}"
    assert acd.audit() == []
