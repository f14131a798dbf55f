"""Whether an agent's desktop is connected, and what happens when it is gone for good.

A desktop whose socket drops (a closed lid, a lost network, a crashed tab) cannot answer an
offer. Waiting for the offer's own timeout (RONA) would hold the caller for its full length,
and an available agent with no desktop would keep receiving offers. So each web process records
the agent's sockets in Redis; when the last one closes, a grace period starts (a reconnect
within it changes nothing); when it ends, the heartbeat's leader puts the agent offline, which
withdraws an offer they held and gives the call, in its place, to the next agent.

The grace timer is a score in one sorted set read by the heartbeat (no timer thread per socket),
measured on `contactcenter.clock`, so simulated and frozen time drive it too.

A web process that dies hard (kill -9, a lost host) never sees its sockets close, so each socket
is recorded under the process that holds it, and each such process keeps a short lease in Redis
(`ProcessLease`, renewed by a thread of its own). When a lease runs out, the heartbeat's leader
drops that process's sockets; an agent left with none is treated as disconnected from then on.
The lease is real time, as the heartbeat's own leader lease is: it says whether a process is
alive, not anything about a call.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import weakref

import redis

from contactcenter import clock
from contactcenter.app.runtime import Runtime
from contactcenter.app.services import Services
from contactcenter.db import transaction

log = logging.getLogger("contactcenter.app.presence")
SOCKETS_PREFIX = "{acd}:presence:sockets:"  # + agent id: "<process id>/<socket id>" connected now
GONE_KEY = "{acd}:presence:gone"  # agent id -> when their grace period ends (Unix seconds)
PROCESSES_KEY = "{acd}:presence:processes"  # ids of the web processes that hold sockets
ALIVE_PREFIX = "{acd}:presence:alive:"  # + process id: its lease (expires with the process)
PROCESS_AGENTS_PREFIX = "{acd}:presence:process-agents:"  # + process id: agents with sockets there
LEASE_S = 15.0
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

# Drops one dead process's sockets from an agent's set; starts the agent's grace period when
# none is left (and only when this removed one: an agent already gone keeps their own timer).
_FORGET_PROCESS = """
local removed = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if string.sub(member, 1, #ARGV[1]) == ARGV[1] then
    redis.call('SREM', KEYS[1], member)
    removed = removed + 1
  end
end
if removed > 0 and redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  return 1
end
return 0
"""


def sockets_key(agent_id: object) -> str:
    return f"{SOCKETS_PREFIX}{agent_id}"


def _member(process: str, sid: str) -> str:
    return f"{process}/{sid}"


class ProcessLease:
    """This web process's lease: while it is renewed, the sockets recorded under it are trusted.

    Started by the first agent socket a process opens, so a process with none holds no lease.
    A process that stops cleanly lets its lease run out too: its agents' desktops reconnect to
    another process meanwhile and keep their state.
    """

    def __init__(self, client: redis.Redis, lease_s: float = LEASE_S) -> None:
        self.client = client
        self.lease_s = lease_s
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def renew(self) -> None:
        pipe = self.client.pipeline()
        pipe.set(ALIVE_PREFIX + self.process_id, "1", px=int(self.lease_s * 1000))
        pipe.sadd(PROCESSES_KEY, self.process_id)
        pipe.execute()

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self.renew()
            # The thread holds the lease weakly: an app thrown away (tests make many) ends it.
            self._thread = threading.Thread(
                target=_keep_renewing, args=(weakref.ref(self), self.lease_s / 3), name="presence-lease", daemon=True
            )
            self._thread.start()


def _keep_renewing(ref: weakref.ref[ProcessLease], every_s: float) -> None:
    while True:
        time.sleep(every_s)
        lease = ref()
        if lease is None:
            return
        try:
            lease.renew()
        except redis.exceptions.RedisError:  # Redis away: renewed on the next round
            log.warning("presence lease not renewed (Redis did not answer)")
        del lease


def connected(client: redis.Redis, agent_id: object, sid: str, process: str) -> None:
    """A desktop socket of the agent opened on `process`: any grace period for them is over."""
    pipe = client.pipeline()
    pipe.sadd(sockets_key(agent_id), _member(process, sid))
    pipe.sadd(PROCESS_AGENTS_PREFIX + process, str(agent_id))
    pipe.zrem(GONE_KEY, str(agent_id))
    pipe.execute()


def disconnected(client: redis.Redis, agent_id: object, sid: str, grace_s: float, process: str) -> bool:
    """A socket closed; True when it was the agent's last one (their grace period starts)."""
    due = clock.timestamp() + grace_s
    started = client.eval(
        _DISCONNECT, 2, sockets_key(agent_id), GONE_KEY, _member(process, sid), str(agent_id), repr(due)
    )
    return bool(started)


def forget_dead_processes(client: redis.Redis) -> int:
    """Sockets of web processes whose lease ran out are dropped; returns the agents left with none.

    Their grace period is over at once: the lease ran out after the process had been silent for
    longer than a grace period would have lasted.
    """
    left = 0
    for raw in client.smembers(PROCESSES_KEY):
        process = raw.decode() if isinstance(raw, bytes) else str(raw)
        if client.exists(ALIVE_PREFIX + process):
            continue
        now = repr(clock.timestamp())
        for agent in client.smembers(PROCESS_AGENTS_PREFIX + process):
            agent = agent.decode() if isinstance(agent, bytes) else str(agent)
            left += int(client.eval(_FORGET_PROCESS, 2, sockets_key(agent), GONE_KEY, process + "/", agent, now))
        client.delete(PROCESS_AGENTS_PREFIX + process)
        client.srem(PROCESSES_KEY, process)
        log.warning("web process %s stopped renewing its lease: its desktop sockets are forgotten", process)
    return left


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
            outcome = Services(runtime, session).acd.set_state(int(agent), "offline")
        if outcome.ok:
            done += 1
            log.warning("agent %s disconnected past the grace period: offline (was %s)", agent, snapshot.state)
    return done
