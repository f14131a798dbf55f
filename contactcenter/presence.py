"""Whether an agent's desktop is connected, and what happens when it is gone for good.

A desktop whose socket drops (a closed lid, a lost network, a crashed tab) cannot answer an
offer. Waiting for the offer's own timeout (RONA) would hold the caller for its full length,
and an available agent with no desktop would keep receiving offers. So each web process records
the agent's sockets in Redis; when the last one closes, a grace period starts (a reconnect
within it changes nothing); when it ends, the heartbeat's leader puts the agent offline, which
withdraws an offer they held and gives the call, in its place, to the next agent.

The grace timer is a score in one sorted set read by the heartbeat (no timer thread per socket),
measured on `contactcenter.clock`, so simulated and frozen time drive it too.
"""

from __future__ import annotations

import logging

import redis

from contactcenter import clock
from contactcenter.acd.services import AcdService
from contactcenter.db import transaction
from contactcenter.runtime import Runtime

log = logging.getLogger("contactcenter.presence")
SOCKETS_PREFIX = "{acd}:presence:sockets:"  # + agent id: set of socket ids connected now
GONE_KEY = "{acd}:presence:gone"  # agent id -> when their grace period ends (Unix seconds)
# Agents in these states are taken offline when their desktop is gone; an agent on a call keeps
# talking (the audio leg is not the socket) and is looked at again after another grace period.
NOT_READY_FROM = ("available", "reserved", "wrap_up")

_DISCONNECT = """
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  return 1
end
return 0
"""


def sockets_key(agent_id: object) -> str:
    return f"{SOCKETS_PREFIX}{agent_id}"


def connected(client: redis.Redis, agent_id: object, sid: str) -> None:
    """A desktop socket of the agent opened: any grace period running for them is over."""
    pipe = client.pipeline()
    pipe.sadd(sockets_key(agent_id), sid)
    pipe.zrem(GONE_KEY, str(agent_id))
    pipe.execute()


def disconnected(client: redis.Redis, agent_id: object, sid: str, grace_s: float) -> bool:
    """A socket closed; True when it was the agent's last one (their grace period starts)."""
    due = clock.timestamp() + grace_s
    started = client.eval(_DISCONNECT, 2, sockets_key(agent_id), GONE_KEY, sid, str(agent_id), repr(due))
    return bool(started)


def is_connected(client: redis.Redis, agent_id: object) -> bool:
    return bool(client.scard(sockets_key(agent_id)))


def expire_due(runtime: Runtime) -> int:
    """Agents whose grace period ended without a reconnect go offline; returns how many.

    An agent is claimed with ZREM, so with several leaders in a handover only one acts.
    """
    client = runtime.redis
    now = clock.timestamp()
    due = [m.decode() if isinstance(m, bytes) else str(m) for m in client.zrangebyscore(GONE_KEY, "-inf", now)]
    done = 0
    for agent in due:
        if not client.zrem(GONE_KEY, agent) or is_connected(client, agent) or not agent.isdigit():
            continue
        snapshot = runtime.acd.agent_snapshot(agent)
        if snapshot is None:
            continue
        if snapshot.state == "on_call":
            client.zadd(GONE_KEY, {agent: now + runtime.settings.presence_grace_s})
            continue
        if snapshot.state not in NOT_READY_FROM:
            continue
        with transaction(runtime.session_factory) as session:
            outcome = AcdService(session, runtime.acd, lambda: runtime.telephony).set_state(int(agent), "offline")
        if outcome.ok:
            done += 1
            log.warning("agent %s disconnected past the grace period: offline (was %s)", agent, snapshot.state)
    return done
