"""The ACD's real-time core: waiting calls, agent states and offers, shared by every process in Redis.

Every state change is one Lua script (`contactcenter/acd/lua/`), so matching is atomic however
many web and worker processes run: a call is offered to one agent at a time, an agent holds at
most one offer or one call, and two agents answering at once cannot both win. The rules themselves
(queue order, escalation tiers, strategies) are stated in `contactcenter.acd.strategies`; the
scripts apply them.

Redis layout (P = "{acd}:" or "{acd}:<namespace>:"; one hash tag, so one cluster slot):
    P seq                 counter: queue sequence numbers and offer ids (kept across rebuilds)
    P queues              set of queue names
    P qcfg:<queue>        hash: cfg (compiled configuration, JSON) prio strategy req rr
    P widened:<queue>     set of queues whose escalation lets <queue>'s members take their calls
    P members:<queue>     set of agent ids serving <queue>
    P q:<queue>           zset of waiting calls (queue requirements), score = queue score
    P qo:<queue>          zset of waiting calls carrying their own skill requirements
    P avail:<queue>       zset of available members, score = the queue strategy's agent score
    P avail               zset of all available agents by idle_since_ms
    P agents              set of agent ids
    P agent:<id>          hash: state since reason idle wrap_until offer call queues day calls talk
                          cands (queues it may serve, with the wait after which it qualifies),
                          rr:<queue> (round-robin position) and s:<skill> (levels)
    P calls               set of live (not yet ended) call sids
    P call:<sid>          hash: q prio eprio score m enq ov req state since attrs offer agent conn ...
                          (kept for `ended_ttl_seconds` after the call ends, for late webhooks)
    P offer:<id>          hash: call agent queue created expires state prio (kept a while once closed)
    P offers              zset of pending offer ids by expires_ms
    P wrap                zset of agents in wrap-up by wrap_until_ms
    P aht:<queue>         hash: avg (moving average handle time, ms), n
    P day                 day index the day-based strategies were last scored for
    P events              pub/sub channel: one JSON event per message

The scripts derive every key from P, so each script declares one key, P.."seq", which routes it to
the slot every other key hashes to as well (Redis Cluster runs them on that slot's node).

Complexity (n_q waiting calls in a queue, A_q available members, k queues per agent, b priority
bands present in a queue, o calls with their own requirements, s skills per requirement):
- match_for_agent: for each of the agent's queues (and queues that overflow into them) one tier
  check, then O(b log n_q) to find the oldest call of the best band the agent may take, plus
  O(o) for calls with their own requirements: O(k (b log n + o + s)), independent of the number of
  agents. A queue whose head cannot beat the best call found so far costs one O(log n) read.
  The call found is then placed with its queue's strategy (see match_for_call).
- match_for_call: walks the queue's available set in strategy order, checking s skill levels per
  candidate, stopping at the first eligible agent: O(log A_q + c s) for c candidates looked at
  (c = 1 when the queue's members all meet its requirements; at worst A_q). Then one
  match_for_agent check for that agent, so that it never takes this call while a better one waits.
- dispatch: reads the waiting calls of queues that have available agents, merges them by score,
  and places each; a failed placement marks its escalation tier dead for the rest of the pass
  (the available set only shrinks during a pass), so at most (queues x tiers + o) placements fail.
- enqueue, accept, reject, remove, complete, set_state: O(k log A + log n).
- expire_offers / tick: O(e) for e due offers and wrap-ups, plus a dispatch.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import redis

from contactcenter import clock
from contactcenter.acd import strategies
from contactcenter.acd.audit import find_problems
from contactcenter.acd.interfaces import (
    AGENT_STATES,
    AVAILABLE,
    BREAK,
    BREAK_REASONS,
    CHANNELS,
    CHAT,
    CHAT_PREFIX,
    CONNECTED,
    OFFERED,
    ON_CALL,
    RESERVED,
    SETTABLE_STATES,
    TERMINAL_CALL_STATES,
    VOICE,
    WAITING,
    WRAP_UP,
    ACDError,
    AgentProfile,
    AgentRecord,
    AgentSnapshot,
    CallPosition,
    CallRecord,
    CallSnapshot,
    Offer,
    Outcome,
    QueueConfig,
    QueueStats,
    TickReport,
    check_name,
    check_priority,
    check_skills,
)

HASH_TAG = "{acd}"

# ---------------------------------------------------------------------------------------------
# Lua. One library shared by every script (lua/library.lua); each script is the library plus a
# short entry point (lua/<name>.lua). Read once at import; registered once per RealtimeACD.
# ---------------------------------------------------------------------------------------------

_LUA_DIR = "lua"
_LUA_LIBRARY_NAME = "library"


def _load_lua() -> tuple[str, dict[str, str]]:
    """The library and the scripts' entry points, from the package data (so an installed
    package reads the same files as a checkout)."""
    folder = resources.files("contactcenter.acd") / _LUA_DIR
    texts = {
        entry.name[: -len(".lua")]: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".lua")
    }
    library = texts.pop(_LUA_LIBRARY_NAME)
    return library, dict(sorted(texts.items()))


_LUA_LIBRARY, _LUA = _load_lua()


def channel_of(task_id: str) -> str:
    """The channel a task id implies when the caller names none: web chats are chat, the rest voice."""
    return CHAT if task_id.startswith(CHAT_PREFIX) else VOICE


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ACDError(f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
    return channel


def _s(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _pairs(flat: Sequence[Any]) -> dict[str, str]:
    return {_s(flat[i]): _s(flat[i + 1]) for i in range(0, len(flat), 2)}


def _scored(flat: Sequence[Any]) -> list[tuple[str, float]]:
    return [(_s(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2)]


def _opt_float(value: str | None) -> float | None:
    return None if value in (None, "") else int(value) / 1000


@dataclass(frozen=True)
class _Reply:
    ok: bool
    reason: str | None
    events: tuple[dict[str, Any], ...]
    offers: tuple[Offer, ...]
    extra: Any


class RealtimeACD:
    """Skill-based matching of waiting calls and agents, atomic in Redis.

    `now` (Unix seconds) may be passed to every method so that simulations drive time; it defaults
    to `contactcenter.clock.timestamp()`.

    With `auto_match` (the default) every change that frees an agent or puts a call (back) in a
    queue also tries to place it in the same atomic step, so nothing waits for the ticker; `tick`
    covers offer timeouts, wrap-up ends and anything else, and should run about once a second.
    """

    def __init__(
        self,
        client: redis.Redis,
        namespace: str = "",
        *,
        offer_timeout_seconds: float = 15.0,
        auto_match: bool = True,
        publish: bool = True,
        day_offset_seconds: int = 0,
        ended_ttl_seconds: int = 3600,
        handle_time_smoothing: float = 0.1,
        listeners: Iterable[Callable[[dict[str, Any]], None]] = (),
    ) -> None:
        if namespace and ("{" in namespace or "}" in namespace or not namespace.strip()):
            raise ACDError("the namespace may not contain braces: the hash tag is always {acd}")
        if offer_timeout_seconds <= 0:
            raise ACDError("offer_timeout_seconds must be positive")
        if not 0 < handle_time_smoothing <= 1:
            raise ACDError("handle_time_smoothing must be in (0, 1]")
        self.redis = client
        self.prefix = f"{HASH_TAG}:{namespace}:" if namespace else f"{HASH_TAG}:"
        self.offer_timeout_seconds = offer_timeout_seconds
        self.auto_match = auto_match
        self.publish = publish
        self.day_offset_seconds = day_offset_seconds
        self.ended_ttl_seconds = ended_ttl_seconds
        self.handle_time_smoothing = handle_time_smoothing
        self.listeners = list(listeners)
        self._scripts = {name: client.register_script(_LUA_LIBRARY + body) for name, body in _LUA.items()}

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def events_channel(self) -> str:
        return self.prefix + "events"

    def key(self, *parts: str) -> str:
        return self.prefix + "".join(parts)

    @staticmethod
    def _ms(now: float | None) -> int:
        return int(round((clock.timestamp() if now is None else now) * 1000))

    def _run(self, name: str, now: float | None, *args: Any, auto: bool | None = None, events: bool = True) -> _Reply:
        """Run one script. With events=False (and no listeners) the events are published but
        not decoded here, which keeps the hot matching path short."""
        header: list[str | int] = [
            self.prefix,
            self._ms(now),
            secrets.token_hex(3),
            int(self.publish),
            int(self.auto_match if auto is None else auto),
            int(round(self.offer_timeout_seconds * 1000)),
            int(self.day_offset_seconds * 1000),
            int(self.ended_ttl_seconds),
            repr(float(self.handle_time_smoothing)),
        ]
        raw = self._scripts[name](keys=[self.prefix + "seq"], args=header + [_s(a) for a in args])
        ok, reason, raw_events, offers, extra = raw
        decoded: tuple[dict[str, Any], ...] = ()
        if events or self.listeners:
            decoded = tuple(json.loads(_s(e)) for e in raw_events)
        for listener in self.listeners:
            for event in decoded:
                listener(event)
        return _Reply(
            ok=bool(ok),
            reason=_s(reason) or None,
            events=decoded,
            offers=tuple(self._offer(o) for o in offers),
            extra=extra,
        )

    @staticmethod
    def _offer(row: Sequence[Any]) -> Offer:
        oid, sid, aid, queue, created, expires, prio = (_s(v) for v in row)
        return Offer(oid, sid, aid, queue, int(created) / 1000, int(expires) / 1000, int(prio))

    @staticmethod
    def _outcome(reply: _Reply) -> Outcome:
        return Outcome(reply.ok, reply.reason, reply.events, reply.offers)

    # -- configuration ----------------------------------------------------------------------------

    @staticmethod
    def _queue_args(config: QueueConfig) -> list[str]:
        """[name, compiled configuration (JSON, what the scripts read), priority, strategy, skills]."""
        offer_ms = 0 if config.offer_timeout_seconds is None else int(round(config.offer_timeout_seconds * 1000))
        base = sorted(config.required_skills.items())
        tiers = [
            {
                "after": t.after_ms,
                "cap": 99 if t.cap_all is None else t.cap_all,
                "caps": dict(t.caps),
                "drop": {skill: True for skill in sorted(t.dropped)},
                "pools": list(t.pools),
                "req": [[s, lvl] for s, lvl in sorted(strategies.requirements_at(dict(base), t).items())],
            }
            for t in strategies.compile_tiers(config.escalation)
        ]
        compiled = {
            "name": config.name,
            "prio": config.priority,
            "strategy": config.strategy,
            "maxlen": config.max_length or 0,
            "offer_ms": offer_ms,
            "wrap_ms": int(round(config.wrap_up_seconds * 1000)),
            "aht_ms": int(round(config.default_handle_seconds * 1000)),
            "req": [[s, lvl] for s, lvl in base],
            "tiers": tiers,
        }
        return [
            config.name,
            json.dumps(compiled, separators=(",", ":")),
            str(config.priority),
            config.strategy,
            strategies.encode_skills(config.required_skills),
        ]

    def register_queue(self, config: QueueConfig, *, now: float | None = None) -> Outcome:
        """Create or update a queue (strategy, skills, priority, escalation); takes effect at once."""
        return self._outcome(self._run("register_queue", now, *self._queue_args(config)))

    def upsert_agent(self, profile: AgentProfile, *, now: float | None = None) -> Outcome:
        """Create an agent (offline) or change its skills and queues, keeping its state."""
        return self._outcome(
            self._run(
                "upsert_agent",
                now,
                profile.agent_id,
                strategies.encode_skills(profile.skills),
                ",".join(profile.queues),
                strategies.encode_skills(profile.capacity),
                int(profile.voice_exclusive),
            )
        )

    def remove_agent(self, agent_id: str, *, now: float | None = None) -> Outcome:
        return self._outcome(self._run("remove_agent", now, check_name("agent id", str(agent_id))))

    # -- agents -----------------------------------------------------------------------------------

    def set_state(
        self,
        agent_id: str,
        state: str,
        reason: str | None = None,
        *,
        force: bool = False,
        now: float | None = None,
    ) -> Outcome:
        """Move an agent to offline, available or break (with a reason code).

        Refused (ok False) while on a call, for a reserved agent asking to be available, and for
        `available` before wrap-up ends; `force` (a supervisor) overrides those. Going offline or
        on break while holding an offer withdraws it and puts the call back in its place.
        """
        if state not in SETTABLE_STATES:
            raise ACDError(f"an agent can be set to {', '.join(SETTABLE_STATES)}, not {state!r}")
        if state == BREAK:
            reason = reason or "other"
            if reason not in BREAK_REASONS:
                raise ACDError(f"break reason must be one of {', '.join(BREAK_REASONS)}, not {reason!r}")
        else:
            reason = ""
        return self._outcome(
            self._run("set_state", now, check_name("agent id", str(agent_id)), state, reason, int(force))
        )

    def end_wrap_up(self, agent_id: str, *, force: bool = False, now: float | None = None) -> Outcome:
        """Wrap-up over: the agent becomes available. Refused before wrap_until unless forced."""
        return self._outcome(self._run("end_wrap", now, str(agent_id), int(force)))

    def extend_wrap_up(self, agent_id: str, seconds: float, *, now: float | None = None) -> Outcome:
        """Push the end of the agent's wrap-up `seconds` later; refused unless they are in wrap-up.

        How often an agent may extend is the caller's rule (`calls.wrapup` allows once a call).
        """
        if not 0 < seconds <= 3600:
            raise ACDError("a wrap-up extension is between 0 and 3600 seconds")
        return self._outcome(self._run("extend_wrap", now, str(agent_id), int(round(seconds * 1000))))

    # -- calls ------------------------------------------------------------------------------------

    def enqueue(
        self,
        call_sid: str,
        queue: str,
        priority: int = 0,
        skills_override: Mapping[str, int] | None = None,
        enqueued_at: float | None = None,
        attributes: Mapping[str, Any] | None = None,
        *,
        channel: str | None = None,
        now: float | None = None,
    ) -> Outcome:
        """Put a call in a queue: priority first, then time waiting (FIFO among equals).

        `channel` (default: chat for `chat-` ids, else voice) picks the waiting line within the
        queue and the agent capacity the task takes.

        `skills_override` replaces the queue's required skills for this call (escalation still
        applies). Enqueuing a call that is already waiting, offered or connected changes nothing
        (reason "duplicate"); a full queue refuses with "queue_full".
        """
        check_name("call sid", call_sid)
        check_priority(priority)
        override = check_skills(skills_override) if skills_override is not None else None
        now_ms = self._ms(now)
        enq_ms = now_ms if enqueued_at is None else self._ms(enqueued_at)
        return self._outcome(
            self._run(
                "enqueue",
                now_ms / 1000,
                call_sid,
                queue,
                priority,
                int(override is not None),
                strategies.encode_skills(override or {}),
                enq_ms,
                json.dumps(dict(attributes or {}), separators=(",", ":"), default=str),
                check_channel(channel or channel_of(call_sid)),
            )
        )

    def remove(self, call_sid: str, reason: str = "abandoned", *, now: float | None = None) -> Outcome:
        """The caller hung up (or the call left the queue otherwise).

        Waiting: abandoned. Offered: the offer is rescinded and the agent is available again
        without penalty. Connected: completed, with the queue's wrap-up for the agent.
        """
        return self._outcome(self._run("remove", now, call_sid, reason))

    def complete(
        self,
        call_sid: str,
        agent_id: str,
        wrap_up_seconds: float | None = None,
        *,
        now: float | None = None,
    ) -> Outcome:
        """The conversation ended: the agent goes to wrap-up until now + wrap_up_seconds
        (the queue's wrap-up when None; straight to available when 0)."""
        wrap_ms = -1 if wrap_up_seconds is None else int(round(wrap_up_seconds * 1000))
        if wrap_up_seconds is not None and wrap_up_seconds < 0:
            raise ACDError("wrap_up_seconds cannot be negative")
        return self._outcome(self._run("complete", now, call_sid, str(agent_id), wrap_ms))

    def consult(self, agent_id: str, call_sid: str, *, now: float | None = None) -> Outcome:
        """Hold an available agent for a warm-transfer consult on `call_sid`: a break with reason
        "consult", so the router offers them nothing until the transfer completes or is cancelled
        (cancel: `set_state(agent, "available")`). Refused unless the agent is available."""
        return self._outcome(self._run("consult", now, check_name("agent id", str(agent_id)), call_sid))

    def transfer(
        self,
        call_sid: str,
        from_agent: str,
        to_agent: str,
        wrap_up_seconds: float | None = None,
        *,
        now: float | None = None,
    ) -> Outcome:
        """Hand a connected call to another agent in one step: `to_agent` (available, or held in
        a consult on this call) goes on the call; `from_agent` to wrap-up (the queue's when None)."""
        if wrap_up_seconds is not None and wrap_up_seconds < 0:
            raise ACDError("wrap_up_seconds cannot be negative")
        wrap_ms = -1 if wrap_up_seconds is None else int(round(wrap_up_seconds * 1000))
        return self._outcome(
            self._run("transfer", now, call_sid, str(from_agent), check_name("agent id", str(to_agent)), wrap_ms)
        )

    # -- matching ---------------------------------------------------------------------------------

    def match_for_agent(self, agent_id: str, *, now: float | None = None) -> Offer | None:
        """The agent is available: offer it the best call it may take (or None).

        The call found goes to whichever available agent its queue's strategy prefers, so other
        agents may get offers too (published as events); the return value is this agent's offer.
        """
        agent_id = str(agent_id)
        reply = self._run("match_agent", now, agent_id, events=False)
        return next((o for o in reply.offers if o.agent_id == agent_id), None)

    def match_for_call(self, call_sid: str, *, now: float | None = None) -> Offer | None:
        """The call is waiting: offer it to the best available eligible agent (or None).

        If that agent may take a better call that is waiting, that call is placed first and this
        one tries the next agent; such offers are published as events.
        """
        reply = self._run("match_call", now, call_sid, events=False)
        return next((o for o in reply.offers if o.call_sid == call_sid), None)

    def dispatch(self, now: float | None = None, *, limit: int = 10_000) -> list[Offer]:
        """Match as many waiting calls as possible, best calls first."""
        return list(self._run("dispatch", now, limit, events=False).offers)

    def accept(self, offer_id: str, agent_id: str, *, now: float | None = None) -> Outcome:
        """The agent answers: call connected, agent on_call. Only the agent holding a pending,
        unexpired offer succeeds; otherwise the reason says why (unknown_offer, not_your_offer,
        already_accepted, rejected, expired, rescinded)."""
        return self._outcome(self._run("accept", now, offer_id, str(agent_id)))

    def reject(self, offer_id: str, agent_id: str, *, now: float | None = None) -> Outcome:
        """The agent declines: it goes on a "missed" break; the call returns to its place."""
        return self._outcome(self._run("reject", now, offer_id, str(agent_id)))

    def expire_offers(self, now: float | None = None) -> Outcome:
        """Offers past their expiry: RONA (agent on a "missed" break, call back in its place)."""
        return self._outcome(self._run("expire", now))

    def tick(self, now: float | None = None, *, limit: int = 10_000) -> TickReport:
        """The ticker's pass: expire offers (RONA), end the wrap-ups that are due, rescore the
        day-based strategies when the day turns, then (with auto_match) dispatch."""
        reply = self._run("tick", now, limit)
        expired, wraps = reply.extra
        return TickReport(
            expired=tuple(_s(o) for o in expired),
            wrap_ups_ended=tuple(_s(a) for a in wraps),
            offers=reply.offers,
            events=reply.events,
        )

    # -- rebuild ----------------------------------------------------------------------------------

    def rebuild(
        self,
        waiting_calls: Iterable[CallRecord],
        agent_states: Iterable[AgentRecord],
        queues: Iterable[QueueConfig] | None = None,
        *,
        now: float | None = None,
    ) -> Outcome:
        """Recreate the live state from the SQL store's data, atomically.

        Pending offers are dropped (their calls wait again, their agents are available); queue
        order is rebuilt from each call's original enqueue time and priority. With `queues`, the
        queue configuration is replaced too; without it, the registered queues are kept.
        `reason` of the outcome lists nothing; `offers` is empty (run `tick` or `dispatch` next).
        """
        now_ms = self._ms(now)
        agents = list(agent_states)
        calls = sorted(enumerate(waiting_calls), key=lambda pair: (pair[1].enqueued_at, pair[0]))
        on_call = {a.profile.agent_id for a in agents if a.state == ON_CALL}
        voice = [c for _, c in calls if c.agent_id and c.channel == VOICE]
        connected = {c.agent_id: c.call_sid for c in voice}
        holding = {c.agent_id for _, c in calls if c.agent_id and c.channel != VOICE}
        if not set(connected) <= on_call or not on_call <= set(connected) | holding:
            raise ACDError("every on_call agent needs exactly one connected call record and vice versa")
        if len(connected) != len(voice):
            raise ACDError("an agent cannot have two connected calls")
        agent_rows = []
        for rec in agents:
            if rec.state not in AGENT_STATES:
                raise ACDError(f"unknown agent state {rec.state!r}")
            state = AVAILABLE if rec.state == RESERVED else rec.state
            since = self._ms(rec.since) if rec.since is not None else now_ms
            idle = self._ms(rec.idle_since) if rec.idle_since is not None else since
            if state == WRAP_UP and rec.wrap_until is None:
                raise ACDError(f"agent {rec.profile.agent_id} is in wrap-up without wrap_until")
            wrap_until = self._ms(rec.wrap_until) if rec.wrap_until is not None else 0
            reason = (rec.reason or "other") if state == BREAK else ""
            agent_rows.append(
                [
                    rec.profile.agent_id,
                    strategies.encode_skills(rec.profile.skills),
                    ",".join(rec.profile.queues),
                    state,
                    reason,
                    str(since),
                    str(idle),
                    str(wrap_until),
                    str(int(rec.calls_today)),
                    str(int(round(rec.talk_seconds_today * 1000))),
                    strategies.encode_skills(rec.profile.capacity),
                    "1" if rec.profile.voice_exclusive else "0",
                ]
            )
        call_rows = []
        for _, c in calls:
            check_name("call sid", c.call_sid)
            check_priority(c.priority)
            override = check_skills(c.skills_override) if c.skills_override is not None else None
            call_rows.append(
                [
                    c.call_sid,
                    c.queue,
                    str(c.priority),
                    "1" if override is not None else "0",
                    strategies.encode_skills(override or {}),
                    str(self._ms(c.enqueued_at)),
                    json.dumps(dict(c.attributes or {}), separators=(",", ":"), default=str),
                    str(c.agent_id or ""),
                    str(self._ms(c.connected_at if c.connected_at is not None else now_ms / 1000)),
                    check_channel(c.channel),
                ]
            )
        payload: dict[str, Any] = {"agents": agent_rows, "calls": call_rows, "replace_queues": queues is not None}
        payload["queues"] = [self._queue_args(q) for q in queues] if queues is not None else []
        reply = self._run("rebuild", now_ms / 1000, json.dumps(payload))
        skipped = [_s(s) for s in reply.extra]
        return Outcome(
            ok=not skipped,
            reason=("unknown_queue: " + ",".join(skipped)) if skipped else None,
            events=reply.events,
        )

    # -- reading ----------------------------------------------------------------------------------

    def agent_snapshot(self, agent_id: str, *, now: float | None = None) -> AgentSnapshot | None:
        raw = self.redis.hgetall(self.key("agent:", str(agent_id)))
        if not raw:
            return None
        return self._agent_from(str(agent_id), {_s(k): _s(v) for k, v in raw.items()}, self._ms(now))

    def agent_snapshots(self, agent_ids: Iterable[str], *, now: float | None = None) -> dict[str, AgentSnapshot]:
        """Several agents in one pipelined round trip (those the router does not know are left out)."""
        ids = sorted({str(a) for a in agent_ids})
        pipe = self.redis.pipeline(transaction=False)
        for aid in ids:
            pipe.hgetall(self.key("agent:", aid))
        now_ms = self._ms(now)
        return {
            aid: self._agent_from(aid, {_s(k): _s(v) for k, v in raw.items()}, now_ms)
            for aid, raw in zip(ids, pipe.execute(), strict=True)
            if raw
        }

    def agents(self, *, now: float | None = None) -> list[AgentSnapshot]:
        ids = sorted(_s(a) for a in self.redis.smembers(self.key("agents")))
        pipe = self.redis.pipeline(transaction=False)
        for aid in ids:
            pipe.hgetall(self.key("agent:", aid))
        now_ms = self._ms(now)
        return [
            self._agent_from(aid, {_s(k): _s(v) for k, v in raw.items()}, now_ms)
            for aid, raw in zip(ids, pipe.execute(), strict=True)
            if raw
        ]

    def _agent_from(self, agent_id: str, h: dict[str, str], now_ms: int) -> AgentSnapshot:
        day = strategies.day_index(now_ms, self.day_offset_seconds * 1000)
        fresh = h.get("day") == str(day)
        since = int(h.get("since") or now_ms)
        wrap_until = int(h.get("wrap_until") or 0)
        return AgentSnapshot(
            agent_id=agent_id,
            state=h["state"],
            reason=h.get("reason") or None,
            since=since / 1000,
            time_in_state=max(0, now_ms - since) / 1000,
            idle_since=_opt_float(h.get("idle")),
            wrap_until=wrap_until / 1000 if h["state"] == WRAP_UP else None,
            offer_id=h.get("offer") or None,
            call_sid=h.get("call") or None,
            queues=tuple(filter(None, h.get("queues", "").split(","))),
            skills={k[2:]: int(v) for k, v in h.items() if k.startswith("s:")},
            calls_today=int(h.get("calls") or 0) if fresh else 0,
            talk_seconds_today=int(h.get("talk") or 0) / 1000 if fresh else 0.0,
            load={c: int(h.get(f"load:{c}") or 0) for c in CHANNELS if c != VOICE},
        )

    def call_snapshot(self, call_sid: str, *, now: float | None = None) -> CallSnapshot | None:
        raw = self.redis.hgetall(self.key("call:", call_sid))
        if not raw:
            return None
        h = {_s(k): _s(v) for k, v in raw.items()}
        now_ms = self._ms(now)
        enq = int(h["enq"])
        end = now_ms
        if h["state"] in TERMINAL_CALL_STATES or h["state"] == CONNECTED:
            end = int(h.get("conn") or h.get("ended") or now_ms)
        return CallSnapshot(
            call_sid=call_sid,
            queue=h["q"],
            state=h["state"],
            priority=int(h["prio"]),
            effective_priority=int(h["eprio"]),
            enqueued_at=enq / 1000,
            wait_seconds=max(0, end - enq) / 1000,
            skills_override=strategies.decode_skills(h.get("req", "")) if h.get("ov") == "1" else None,
            attributes=json.loads(h.get("attrs") or "{}"),
            agent_id=h.get("agent") or None,
            offer_id=h.get("offer") or None,
            connected_at=_opt_float(h.get("conn")),
            reason=h.get("reason") or None,
            channel=h.get("chan") or VOICE,
        )

    def held_tasks(self, agent_id: str, *, now: float | None = None) -> list[CallSnapshot]:
        """The agent's tasks of channels other than voice still offered or connected, oldest first
        (the desktop lists each with its own timer)."""
        sids = sorted(_s(s) for s in self.redis.smembers(self.key("held:", str(agent_id))))
        snaps = [self.call_snapshot(sid, now=now) for sid in sids]
        live = [s for s in snaps if s is not None and s.state in (OFFERED, CONNECTED)]
        return sorted(live, key=lambda s: (s.connected_at or s.enqueued_at, s.call_sid))

    def wrap_ups_ending_by(self, until: float) -> list[str]:
        """Agents in wrap-up whose wrap-up ends at or before `until` (Unix seconds), soonest first."""
        due = self.redis.zrangebyscore(self.key("wrap"), "-inf", int(until * 1000))
        return [_s(a) for a in due]

    def pending_offers(self) -> list[Offer]:
        ids = [_s(o) for o in self.redis.zrange(self.key("offers"), 0, -1)]
        pipe = self.redis.pipeline(transaction=False)
        for oid in ids:
            pipe.hgetall(self.key("offer:", oid))
        out = []
        for oid, raw in zip(ids, pipe.execute(), strict=True):
            h = {_s(k): _s(v) for k, v in raw.items()}
            if h.get("state") == "pending":
                out.append(
                    Offer(
                        oid,
                        h["call"],
                        h["agent"],
                        h["queue"],
                        int(h["created"]) / 1000,
                        int(h["expires"]) / 1000,
                        int(h["prio"]),
                    )
                )
        return out

    def queue_stats(self, *, now: float | None = None) -> list[QueueStats]:
        rows = self._run("stats", now).extra
        out = []
        for row in rows:
            v = [_s(x) for x in row]
            out.append(
                QueueStats(
                    queue=v[0],
                    waiting=int(v[1]),
                    offered=int(v[2]),
                    longest_wait_seconds=int(v[3]) / 1000,
                    agents_available=int(v[4]),
                    agents_reserved=int(v[5]),
                    agents_on_call=int(v[6]),
                    agents_wrap_up=int(v[7]),
                    agents_break=int(v[8]),
                    agents_offline=int(v[9]),
                    average_handle_seconds=float(v[10]) / 1000,
                )
            )
        return sorted(out, key=lambda s: s.queue)

    def position(self, call_sid: str, *, now: float | None = None) -> CallPosition | None:
        """Position and estimated wait for a waiting call (position 0 once it left the queue).

        EWT = max(0, position - available eligible agents) x average handle time / eligible agents
        logged in (not offline, not on break); None when no eligible agent is logged in.
        """
        reply = self._run("position", now, call_sid)
        if not reply.ok:
            return None
        v = [_s(x) for x in reply.extra]
        if v[0] != WAITING:
            return CallPosition(call_sid, v[0], 0, 0, 0, 0.0, None)
        ewt = float(v[5])
        return CallPosition(
            call_sid=call_sid,
            state=v[0],
            position=int(v[1]),
            eligible_agents=int(v[2]),
            available_agents=int(v[3]),
            average_handle_seconds=float(v[4]) / 1000,
            ewt_seconds=None if ewt < 0 else ewt / 1000,
        )

    # -- audit ------------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """One atomic copy of the whole live state (for audits and tests)."""
        agents, calls, offers, queues, avail, wrap, pending, day, task_wrap, working = self._run("dump", None).extra
        return {
            "agents": {_s(a): _pairs(h) for a, h in agents},
            "calls": {_s(c): _pairs(h) for c, h in calls},
            "offers": {_s(o): _pairs(h) for o, h in offers},
            "queues": {
                _s(q): {
                    "config": _pairs(cfg),
                    "waiting": _scored(z),
                    "waiting_own": _scored(zo),
                    "available": dict(_scored(av)),
                    "members": {_s(m) for m in members},
                    "working": {_s(m) for m, _ in _scored(mav)},
                }
                for q, cfg, z, zo, av, members, mav in queues
            },
            "available": dict(_scored(avail)),
            "wrap": dict(_scored(wrap)),
            "pending": dict(_scored(pending)),
            "day": _s(day),
            "task_wrap": dict(_scored(task_wrap)),
            "working": {_s(m) for m, _ in _scored(working)},
        }

    def audit(self, *, now: float | None = None) -> list[str]:
        """Check that the live state is consistent; returns the problems found (none: []).

        The checks are in `contactcenter.acd.audit`; this reads one atomic dump for them.
        """
        return find_problems(self.dump(), self._ms(now), self.day_offset_seconds * 1000)


__all__ = ["HASH_TAG", "RealtimeACD"]
