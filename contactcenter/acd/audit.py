"""Consistency audit of the ACD's live state in Redis.

The Lua scripts keep many indexes of one truth (queue zsets, available sets, the offer and wrap-up
timers, each agent's candidate queues); a bug that lets one drift leaves an agent or a call stuck
without any error. The audit reads one atomic copy of the whole state (`RealtimeACD.dump`) and
checks every index against the records, recomputing what the scripts precompute, so that tests,
the simulator and the routing benchmark can assert that nothing is stuck after any sequence of
operations. It is a reader only: it never changes the state it checks.
"""

from __future__ import annotations

import json
import math
from typing import Any

from contactcenter.acd import strategies
from contactcenter.acd.interfaces import (
    AGENT_STATES,
    AVAILABLE,
    CALL_STATES,
    CHANNELS,
    CONNECTED,
    OFFERED,
    ON_CALL,
    RESERVED,
    TERMINAL_CALL_STATES,
    VOICE,
    WAITING,
    WRAP_UP,
)


def find_problems(d: dict[str, Any], now_ms: int, day_offset_ms: int = 0) -> list[str]:
    """The problems in one dump of the live state (none: []).

    Finds stuck agents and calls: a reserved agent without its pending offer, an offer whose
    call or agent moved on, an on_call agent without its connected call, a waiting call missing
    from its queue, an agent in an available set while not available, and so on. `now_ms` and
    `day_offset_ms` decide which day the day-based strategies' scores belong to.
    """
    problems: list[str] = []
    agents, calls, offers, queues = d["agents"], d["calls"], d["offers"], d["queues"]
    today = strategies.day_index(now_ms, day_offset_ms)

    offers_by_call: dict[str, list[str]] = {}
    offers_by_agent: dict[str, list[str]] = {}
    for oid, o in offers.items():
        if o.get("state") != "pending":
            problems.append(f"offer {oid} is indexed as pending but is {o.get('state')}")
            continue
        if float(o["expires"]) != d["pending"][oid]:
            problems.append(f"offer {oid} expiry index differs from its record")
        offers_by_call.setdefault(o["call"], []).append(oid)
        if o.get("chan", VOICE) == VOICE:  # an agent holds one voice offer; other tasks: see _task_problems
            offers_by_agent.setdefault(o["agent"], []).append(oid)
    for sid, ids in offers_by_call.items():
        if len(ids) > 1:
            problems.append(f"call {sid} is offered to several agents: {ids}")
    for aid, ids in offers_by_agent.items():
        if len(ids) > 1:
            problems.append(f"agent {aid} holds several offers: {ids}")

    connected_by_agent: dict[str, list[str]] = {}
    in_queue: dict[str, str] = {}
    for qn, q in queues.items():
        for kind in ("waiting", "waiting_own"):
            for member, score in q[kind]:
                sid = member[16:]
                if sid in in_queue:
                    problems.append(f"call {sid} is in two queues")
                in_queue[sid] = qn
                c = calls.get(sid)
                if c is None or c["state"] != WAITING:
                    problems.append(f"queue {qn} holds call {sid} which is {c and c['state']}")
                    continue
                if c["q"] != qn or c["m"] != member or float(c["score"]) != score:
                    problems.append(f"call {sid} is queued in {qn} with a record that disagrees")
                if (kind == "waiting_own") != (c["ov"] == "1"):
                    problems.append(f"call {sid} is in the wrong set of {qn}")
                expected = strategies.queue_score(int(c["eprio"]), int(c["enq"]))
                if expected != score:
                    problems.append(f"call {sid} has score {score}, expected {expected}")
        for aid, score in q["available"].items():
            a = agents.get(aid)
            if a is None or a["state"] != AVAILABLE:
                problems.append(f"agent {aid} is in the available set of {qn} but is {a and a['state']}")
            elif qn not in a.get("queues", "").split(","):
                problems.append(f"agent {aid} is available in {qn} without being a member")
            elif q["config"]["strategy"] not in ("fewest-calls", "least-talk-time") or a.get("day") == str(today):
                required = strategies.decode_skills(q["config"].get("req", ""))
                skills = {k[2:]: int(v) for k, v in a.items() if k.startswith("s:")}
                expected_score = strategies.agent_score(
                    q["config"]["strategy"],
                    idle_since_ms=int(a["idle"]),
                    skills=skills,
                    required=required,
                    calls_today=int(a.get("calls") or 0) if a.get("day") == str(today) else 0,
                    talk_ms_today=int(a.get("talk") or 0) if a.get("day") == str(today) else 0,
                    round_robin=int(a.get(f"rr:{qn}") or 0),
                )
                if not math.isclose(expected_score, score, rel_tol=0, abs_tol=1e-9 * max(1.0, abs(score))):
                    problems.append(f"agent {aid} has score {score} in {qn}, expected {expected_score}")

    for sid, c in calls.items():
        state = c["state"]
        if state not in CALL_STATES or state in TERMINAL_CALL_STATES:
            problems.append(f"call {sid} is live but {state}")
        if state == WAITING and sid not in in_queue:
            problems.append(f"waiting call {sid} is in no queue")
        if state != WAITING and sid in in_queue:
            problems.append(f"{state} call {sid} is still queued")
        if state == OFFERED and c.get("chan", VOICE) != VOICE:
            oid = c.get("offer", "")
            o = offers.get(oid)
            if o is None or o["call"] != sid or o["agent"] != c.get("agent"):
                problems.append(f"offered task {sid} has no matching pending offer")
            a = agents.get(c.get("agent", ""))
            if a is None or sid not in _held(a):
                problems.append(f"offered task {sid}: agent {c.get('agent')} does not hold it")
        elif state == OFFERED:
            oid = c.get("offer", "")
            o = offers.get(oid)
            if o is None or o["call"] != sid or o["agent"] != c.get("agent"):
                problems.append(f"offered call {sid} has no matching pending offer")
            a = agents.get(c.get("agent", ""))
            if a is None or a["state"] != RESERVED or a.get("offer") != oid:
                problems.append(f"offered call {sid}: agent {c.get('agent')} does not hold offer {oid}")
        elif sid in offers_by_call:
            problems.append(f"{state} call {sid} has a pending offer")
        if state == CONNECTED and c.get("chan", VOICE) == VOICE:
            connected_by_agent.setdefault(c.get("agent", ""), []).append(sid)

    for aid, a in agents.items():
        state = a["state"]
        if state not in AGENT_STATES:
            problems.append(f"agent {aid} has unknown state {state}")
        member_of = [qn for qn in a.get("queues", "").split(",") if qn in queues]
        # the available sets index who may take a voice call: an agent without a voice line is not in them
        is_available = state == AVAILABLE and a.get("cap:voice") != "0"
        if is_available != (aid in d["available"]):
            problems.append(
                f"agent {aid} is {state} but {'missing from' if is_available else 'in'} the available index"
            )
        for qn in member_of:
            if is_available != (aid in queues[qn]["available"]):
                problems.append(
                    f"agent {aid} is {state} but {'missing from' if is_available else 'in'} {qn}'s available set"
                )
            if aid not in queues[qn]["members"]:
                problems.append(f"agent {aid} is missing from {qn}'s members")
        busy = a.get("busy") == "1"  # the state shows the agent's other tasks (voice_exclusive)
        if state == RESERVED and busy:
            if a.get("offer") or aid in offers_by_agent:
                problems.append(f"agent {aid} holds a voice offer while its other tasks make it reserved")
        elif state == RESERVED:
            oid = a.get("offer", "")
            o = offers.get(oid)
            if o is None or o["agent"] != aid or o["call"] != a.get("call"):
                problems.append(f"reserved agent {aid} has no live offer (stuck)")
        else:
            if a.get("offer"):
                problems.append(f"{state} agent {aid} still points at offer {a.get('offer')}")
            if aid in offers_by_agent:
                problems.append(f"{state} agent {aid} has a pending offer")
        held = connected_by_agent.get(aid, [])
        if state == ON_CALL and busy:
            if held:
                problems.append(f"agent {aid} is connected to {held} while its other tasks make it on_call")
        elif state == ON_CALL:
            if held != [a.get("call")]:
                problems.append(f"on_call agent {aid} holds calls {held}, record says {a.get('call')}")
        elif held:
            problems.append(f"{state} agent {aid} is connected to {held}")
        if (state == WRAP_UP and not busy) != (aid in d["wrap"]):
            problems.append(
                f"agent {aid} is {state} but {'missing from' if state == WRAP_UP else 'in'} the wrap-up index"
            )
        if state == WRAP_UP and not busy and d["wrap"].get(aid) != float(a.get("wrap_until") or 0):
            problems.append(f"agent {aid} wrap-up index differs from wrap_until")
        if state == AVAILABLE and now_ms < int(a.get("wrap_until") or 0):
            problems.append(f"agent {aid} is available before its wrap-up ends")
    problems += _task_problems(d, calls, now_ms)
    problems += _candidate_problems(agents, queues)
    for aid in connected_by_agent:
        if aid not in agents:
            problems.append(f"calls {connected_by_agent[aid]} are connected to unknown agent {aid}")
    return problems


def _held(a: dict[str, str]) -> list[str]:
    return [sid for sid in a.get("held", "").split(",") if sid]


def _task_problems(d: dict[str, Any], calls: dict[str, dict[str, str]], now_ms: int) -> list[str]:
    """The tasks of channels other than voice: each agent's load per channel matches the tasks it
    holds, voice_exclusive keeps voice and other tasks apart, the
    state an agent's tasks give it agrees with them, and working agents are indexed."""
    problems = []
    wrapping = {member.split("|", 2)[2]: member.split("|", 1)[0] for member in d["task_wrap"]}
    for aid, a in d["agents"].items():
        held = _held(a)
        counts: dict[str, int] = {}
        states = set()
        for sid in held:
            c = calls.get(sid)
            if c is not None and c["state"] in (OFFERED, CONNECTED):
                if c.get("agent") != aid:
                    problems.append(f"agent {aid} holds task {sid} of agent {c.get('agent')}")
                states.add(c["state"])
            elif wrapping.get(sid) != aid:
                problems.append(f"agent {aid} holds task {sid} that is neither live nor wrapping up")
            chan = (c or {}).get("chan") or next((m.split("|")[1] for m in d["task_wrap"] if m.endswith("|" + sid)), "")
            counts[chan] = counts.get(chan, 0) + 1
        for chan in CHANNELS[1:]:
            load = int(a.get(f"load:{chan}") or 0)
            if load != counts.get(chan, 0):
                problems.append(f"agent {aid} has load {load} on {chan} but holds {counts.get(chan, 0)}")
            # (a load above capacity is no fault here: an admin may lower a capacity while the
            # agent holds more; the router simply offers no more until it is below)
        voice_busy = bool(a.get("offer")) or (a["state"] in (RESERVED, ON_CALL) and a.get("busy") != "1")
        if a.get("excl", "1") != "0" and voice_busy and states:
            problems.append(f"agent {aid} mixes a voice call with other tasks under voice_exclusive")
        if a.get("busy") == "1":
            expected = ON_CALL if CONNECTED in states else RESERVED if OFFERED in states else WRAP_UP
            if not held or a["state"] != expected:
                problems.append(f"agent {aid} is {a['state']} by its tasks, which make it {expected}")
        if (a["state"] in (AVAILABLE, RESERVED, ON_CALL, WRAP_UP)) != (aid in d["working"]):
            problems.append(f"agent {aid} is {a['state']} but {'not ' if aid not in d['working'] else ''}working")
    for member in d["task_wrap"]:
        aid, _, sid = member.split("|", 2)
        if sid not in _held(d["agents"].get(aid, {})):
            problems.append(f"task {sid} wraps up for agent {aid} who does not hold it")
    return problems


def _candidate_problems(agents: dict[str, dict[str, str]], queues: dict[str, Any]) -> list[str]:
    """Each agent's precomputed candidate queues, recomputed here from the queue configs."""
    configs = {qn: json.loads(q["config"]["cfg"]) for qn, q in queues.items() if q["config"].get("cfg")}
    widened: dict[str, set[str]] = {}
    for qn, cfg in configs.items():
        for tier in cfg["tiers"]:
            for pool in tier["pools"]:
                widened.setdefault(pool, set()).add(qn)
    problems = []
    for aid, a in agents.items():
        own = [q for q in a.get("queues", "").split(",") if q]
        skills = {k[2:]: int(v) for k, v in a.items() if k.startswith("s:")}
        reachable = set(own).union(*(widened.get(q, set()) for q in own))
        expected = {}
        for qn in reachable & set(configs):
            after = "-"
            for tier in configs[qn]["tiers"]:
                pooled = qn in own or bool(set(tier["pools"]) & set(own))
                if pooled and all(skills.get(skill, 0) >= level for skill, level in tier["req"]):
                    after = str(tier["after"])
                    break
            expected[qn] = after
        stored = dict(item.split("=", 1) for item in a.get("cands", "").split(",") if item)
        if stored != expected:
            problems.append(f"agent {aid} has candidate queues {stored}, expected {expected}")
    return problems


__all__ = ["find_problems"]
