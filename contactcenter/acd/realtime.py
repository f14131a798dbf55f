"""The ACD's real-time core: waiting calls, agent states and offers, shared by every process in Redis.

Every state change is one Lua script, so matching is atomic however many web and worker processes
run: a call is offered to one agent at a time, an agent holds at most one offer or one call, and
two agents answering at once cannot both win. The rules themselves (queue order, escalation tiers,
strategies) are stated in `contactcenter.acd.strategies`; the scripts apply them.

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
import math
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import redis

from contactcenter import clock
from contactcenter.acd import strategies
from contactcenter.acd.interfaces import (
    AGENT_STATES,
    AVAILABLE,
    BREAK,
    BREAK_REASONS,
    CALL_STATES,
    CONNECTED,
    OFFERED,
    ON_CALL,
    RESERVED,
    SETTABLE_STATES,
    TERMINAL_CALL_STATES,
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
# Lua. One library shared by every script; each script is the library plus a short entry point.
# Written for Lua 5.1 as Redis embeds it (and as fakeredis runs it): no globals, no goto,
# numbers handed to Redis as formatted strings so no precision is lost.
# ---------------------------------------------------------------------------------------------

_LUA_LIBRARY = r"""
local R = redis.call
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local C = {
  nonce = ARGV[3], publish = ARGV[4] == '1', auto = ARGV[5] == '1',
  offer_ms = tonumber(ARGV[6]), day_offset = tonumber(ARGV[7]), ttl = tonumber(ARGV[8]),
  alpha = tonumber(ARGV[9]),
}
local A = 9
local BAND = 1e13
local MAXP = 899
local EV = {}
local OFFERS = {}
local QC = {}

local function I(x) return string.format('%d', x) end
local function F(x) return string.format('%.17g', x) end

local function split(s, sep)
  local out = {}
  if not s or s == '' then return out end
  for item in string.gmatch(s, '([^' .. sep .. ']+)') do out[#out + 1] = item end
  return out
end

local function hgetall(key)
  local flat = R('HGETALL', key)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function parse_skills(s)
  local out = {}
  for _, item in ipairs(split(s, ',')) do
    local eq = string.find(item, '=', 1, true)
    out[#out + 1] = {string.sub(item, 1, eq - 1), tonumber(string.sub(item, eq + 1))}
  end
  return out
end

local function today() return math.floor((NOW + C.day_offset) / 86400000) end

local function emit(t)
  t.at = NOW / 1000
  EV[#EV + 1] = cjson.encode(t)
end

local function finish(ok, reason, extra)
  if C.publish then
    for _, e in ipairs(EV) do R('PUBLISH', P .. 'events', e) end
  end
  return {ok and 1 or 0, reason or '', EV, OFFERS, extra or {}}
end

-- queues ---------------------------------------------------------------------------------------

-- a queue's configuration, compiled by Python into one JSON document (see `_queue_config`):
-- {name, prio, strategy, maxlen, offer_ms, wrap_ms, aht_ms, req = {{skill, level}...},
--  tiers = {{after, cap, caps = {skill = level}, drop = {skill = true}, pools = {...}, req = {...}}...}}
-- tier 1 is the queue as configured; tier.req is the queue's own requirement at that tier
local function getq(name)
  local q = QC[name]
  if q ~= nil then return q or nil end
  local raw = R('HGET', P .. 'qcfg:' .. name, 'cfg')
  if not raw then QC[name] = false; return nil end
  q = cjson.decode(raw)
  if q.offer_ms <= 0 then q.offer_ms = C.offer_ms end
  QC[name] = q
  return q
end

local function tier_of(q, wait)
  local idx = 1
  for i = 2, #q.tiers do
    if q.tiers[i].after <= wait then idx = i end
  end
  return idx
end

local function reqs_at(base, t)
  local out = {}
  for _, sl in ipairs(base) do
    local s, l = sl[1], sl[2]
    if not t.drop[s] then
      if t.cap < l then l = t.cap end
      local c = t.caps[s]
      if c and c < l then l = c end
      out[#out + 1] = {s, l}
    end
  end
  return out
end

local function meets(skills, reqs)
  for _, sl in ipairs(reqs) do
    if (skills[sl[1]] or 0) < sl[2] then return false end
  end
  return true
end

local function enq_of(score) return score - math.floor(score / BAND) * BAND end

-- is (s1, m1) ahead of (s2, m2) in queue order? (nil s2: nothing to beat)
local function ahead(s1, m1, s2, m2)
  if s2 == nil then return true end
  if s1 ~= s2 then return s1 < s2 end
  return m1 < m2
end

-- agents ---------------------------------------------------------------------------------------

-- an agent with the fields routing reads on every decision; `full` adds skills and the rest
local CORE = {'state', 'since', 'reason', 'idle', 'wrap_until', 'offer', 'call', 'queues', 'cands', 'day', 'calls', 'talk'}

local function load_agent(aid)
  local v = R('HMGET', P .. 'agent:' .. aid, unpack(CORE))
  if not v[1] then return nil end
  local h = {}
  for i, f in ipairs(CORE) do
    if v[i] then h[f] = v[i] end
  end
  local a = {id = aid, h = h, queues = split(h.queues, ','), qset = {}}
  for _, qn in ipairs(a.queues) do a.qset[qn] = true end
  return a
end

local function full(a)
  if a.skills then return a end
  a.skills = {}
  for k, v in pairs(hgetall(P .. 'agent:' .. a.id)) do
    a.h[k] = v
    if string.sub(k, 1, 2) == 's:' then a.skills[string.sub(k, 3)] = tonumber(v) end
  end
  return a
end

local function pooled(a, q, t)
  if a.qset[q.name] then return true end
  for _, p in ipairs(t.pools) do
    if a.qset[p] then return true end
  end
  return false
end

-- The queues whose calls the agent may be offered (its own, and those whose escalation widens to
-- them), each with the wait after which it qualifies for the queue's own requirements ('-':
-- never, though calls with their own requirements may still suit it). Kept in the agent's
-- 'cands' field and recomputed whenever the agent's profile or one of these queues changes, so
-- that a routing decision reads no queue configuration.
local function compute_cands(a)
  full(a)
  local seen, out = {}, {}
  local function consider(qn)
    if seen[qn] then return end
    seen[qn] = true
    local q = getq(qn)
    if not q then return end
    local after = '-'
    for _, t in ipairs(q.tiers) do
      if pooled(a, q, t) and meets(a.skills, t.req) then after = I(t.after); break end
    end
    out[#out + 1] = qn .. '=' .. after
  end
  for _, qn in ipairs(a.queues) do consider(qn) end
  for _, qn in ipairs(a.queues) do
    for _, x in ipairs(R('SMEMBERS', P .. 'widened:' .. qn)) do consider(x) end
  end
  local cands = table.concat(out, ',')
  R('HSET', P .. 'agent:' .. a.id, 'cands', cands)
  a.h.cands = cands
end

local function agent_score(q, a)
  full(a)
  local h = a.h
  local idle = tonumber(h.idle) or NOW
  local st = q.strategy
  if st == 'longest-idle' then return idle end
  if st == 'most-skilled' then
    local sum = 0
    for _, sl in ipairs(q.req) do sum = sum + (a.skills[sl[1]] or 0) end
    if sum > MAXP then sum = MAXP end
    return (MAXP - sum) * BAND + idle
  end
  local frac = idle / BAND
  if st == 'round-robin' then return (tonumber(h['rr:' .. q.name]) or 0) + frac end
  local fresh = tonumber(h.day) == today()
  if st == 'fewest-calls' then
    return (fresh and tonumber(h.calls) or 0) + frac
  end
  return (fresh and math.floor((tonumber(h.talk) or 0) / 1000) or 0) + frac
end

local function agent_state(a, new, reason, extra)
  local prev = a.h.state
  reason = reason or ''
  R('HSET', P .. 'agent:' .. a.id, 'state', new, 'since', I(NOW), 'reason', reason)
  a.h.state, a.h.since, a.h.reason = new, I(NOW), reason
  local ev = {type = 'agent.state', agent_id = a.id, state = new, previous = prev, since = NOW / 1000}
  if reason ~= '' then ev.reason = reason end
  if extra then for k, v in pairs(extra) do ev[k] = v end end
  emit(ev)
end

local function enter_available(a, idle)
  R('HSET', P .. 'agent:' .. a.id, 'idle', I(idle))
  a.h.idle = I(idle)
  for _, qn in ipairs(a.queues) do
    local q = getq(qn)
    if q then R('ZADD', P .. 'avail:' .. qn, F(agent_score(q, a)), a.id) end
  end
  R('ZADD', P .. 'avail', I(idle), a.id)
end

local function leave_available(a)
  for _, qn in ipairs(a.queues) do R('ZREM', P .. 'avail:' .. qn, a.id) end
  R('ZREM', P .. 'avail', a.id)
end

local function set_fields(a, ...)
  local args = {...}
  R('HSET', P .. 'agent:' .. a.id, unpack(args))
  for i = 1, #args, 2 do a.h[args[i]] = args[i + 1] end
end

local function roll_agent_day(a)
  local d = I(today())
  if a.h.day ~= d then set_fields(a, 'day', d, 'calls', '0', 'talk', '0') end
end

local function bump(a, field, delta)
  a.h[field] = I(R('HINCRBY', P .. 'agent:' .. a.id, field, I(delta)))
end

-- calls ----------------------------------------------------------------------------------------

local function load_call(sid)
  local h = hgetall(P .. 'call:' .. sid)
  if not h.state then return nil end
  h.sid = sid
  return h
end

local function zkey(ch)
  return P .. ((ch.ov == '1') and 'qo:' or 'q:') .. ch.q
end

local function call_event(ch, new, extra)
  local ev = {type = 'call.updated', call_sid = ch.sid, queue = ch.q, state = new, previous = ch.state}
  if extra then for k, v in pairs(extra) do ev[k] = v end end
  ch.state = new
  emit(ev)
end

local function finish_call(ch, state, reason)
  local key = P .. 'call:' .. ch.sid
  R('HSET', key, 'state', state, 'reason', reason, 'since', I(NOW), 'offer', '', 'ended', I(NOW))
  R('SREM', P .. 'calls', ch.sid)
  if C.ttl > 0 then R('EXPIRE', key, I(C.ttl)) end
  call_event(ch, state, {reason = reason, agent_id = (ch.agent ~= '' and ch.agent) or nil})
end

local function enqueue_call(sid, q, prio, ov, req, enq, attrs, check_len)
  local key = P .. 'call:' .. sid
  local st = R('HGET', key, 'state')
  if st and st ~= 'completed' and st ~= 'abandoned' then return nil, 'duplicate' end
  if check_len and q.maxlen > 0 and
     R('ZCARD', P .. 'q:' .. q.name) + R('ZCARD', P .. 'qo:' .. q.name) >= q.maxlen then
    return nil, 'queue_full'
  end
  local e = q.prio + prio
  if e > MAXP then e = MAXP end
  if e < 0 then e = 0 end
  local m = string.format('%015d', R('INCR', P .. 'seq')) .. ':' .. sid
  local score = (MAXP - e) * BAND + enq
  R('DEL', key)
  R('HSET', key, 'q', q.name, 'prio', I(prio), 'eprio', I(e), 'score', F(score), 'm', m, 'enq', I(enq),
    'ov', ov and '1' or '0', 'req', req, 'state', 'waiting', 'since', I(NOW), 'attrs', attrs,
    'offer', '', 'agent', '', 'reason', '', 'offers', '0')
  R('ZADD', P .. (ov and 'qo:' or 'q:') .. q.name, F(score), m)
  R('SADD', P .. 'calls', sid)
  emit({type = 'call.updated', call_sid = sid, queue = q.name, state = 'waiting', priority = e,
        enqueued_at = enq / 1000})
  return m
end

-- offers ---------------------------------------------------------------------------------------

local function create_offer(a, ch)
  local q = getq(ch.q)
  local oid = 'o' .. I(R('INCR', P .. 'seq')) .. '-' .. C.nonce
  local exp = NOW + ((q and q.offer_ms) or C.offer_ms)
  R('HSET', P .. 'offer:' .. oid, 'call', ch.sid, 'agent', a.id, 'queue', ch.q, 'created', I(NOW),
    'expires', I(exp), 'state', 'pending', 'prio', ch.eprio)
  R('ZADD', P .. 'offers', I(exp), oid)
  R('ZREM', zkey(ch), ch.m)
  R('HSET', P .. 'call:' .. ch.sid, 'state', 'offered', 'offer', oid, 'agent', a.id, 'since', I(NOW))
  R('HINCRBY', P .. 'call:' .. ch.sid, 'offers', 1)
  leave_available(a)
  set_fields(a, 'offer', oid, 'call', ch.sid)
  agent_state(a, 'reserved', '', {offer_id = oid, call_sid = ch.sid})
  emit({type = 'offer.created', offer_id = oid, call_sid = ch.sid, agent_id = a.id, queue = ch.q,
        expires_at = exp / 1000, priority = tonumber(ch.eprio)})
  call_event(ch, 'offered', {agent_id = a.id, offer_id = oid})
  OFFERS[#OFFERS + 1] = {oid, ch.sid, a.id, ch.q, I(NOW), I(exp), ch.eprio}
  return oid
end

local function close_offer(oid, o, outcome)
  R('HSET', P .. 'offer:' .. oid, 'state', outcome, 'closed', I(NOW))
  R('ZREM', P .. 'offers', oid)
  if C.ttl > 0 then R('EXPIRE', P .. 'offer:' .. oid, I(C.ttl)) end
  emit({type = 'offer.' .. outcome, offer_id = oid, call_sid = o.call, agent_id = o.agent, queue = o.queue})
end

-- an offered call goes back to its queue with the score it had: its place is kept
local function requeue(ch)
  R('HSET', P .. 'call:' .. ch.sid, 'state', 'waiting', 'offer', '', 'agent', '', 'since', I(NOW))
  R('ZADD', zkey(ch), ch.score, ch.m)
  call_event(ch, 'waiting')
end

-- RONA: the offer was rejected or timed out; the agent goes on a "missed" break
local function rona(oid, outcome)
  local o = hgetall(P .. 'offer:' .. oid)
  if o.state ~= 'pending' then R('ZREM', P .. 'offers', oid); return nil end
  close_offer(oid, o, outcome)
  local ch = load_call(o.call)
  if ch and ch.state == 'offered' and ch.offer == oid then requeue(ch) end
  local a = load_agent(o.agent)
  if a and a.h.state == 'reserved' and a.h.offer == oid then
    set_fields(a, 'offer', '', 'call', '')
    agent_state(a, 'break', 'missed')
  end
  return o.call
end

-- matching -------------------------------------------------------------------------------------

-- the best available agent for a waiting call, in its queue's strategy order
local function find_agent(ch, q)
  local t = q.tiers[tier_of(q, NOW - tonumber(ch.enq))]
  local reqs = t.req
  if ch.ov == '1' then reqs = reqs_at(parse_skills(ch.req), t) end
  local names = {}
  for i, sl in ipairs(reqs) do names[i] = 's:' .. sl[1] end
  local pools = {q.name}
  for _, p in ipairs(t.pools) do pools[#pools + 1] = p end
  for _, p in ipairs(pools) do
    local key = P .. 'avail:' .. p
    local start, size = 0, 8
    while true do
      local batch = R('ZRANGE', key, start, start + size - 1)
      for _, aid in ipairs(batch) do
        if #names == 0 then return aid end
        local vals = R('HMGET', P .. 'agent:' .. aid, unpack(names))
        local ok = true
        for i, sl in ipairs(reqs) do
          if (tonumber(vals[i]) or 0) < sl[2] then ok = false; break end
        end
        if ok then return aid end
      end
      if #batch < size then break end
      start = start + size
      if size < 128 then size = size * 2 end
    end
  end
  return nil
end

-- the call an available agent should take first: highest priority, then longest wait, across
-- the agent's queues and the queues that overflow into them, among calls it is eligible for
local function best_call(a)
  local bs, bm = nil, nil
  for _, item in ipairs(split(a.h.cands, ',')) do
    local eq = string.find(item, '=', 1, true)
    local qn, after = string.sub(item, 1, eq - 1), tonumber(string.sub(item, eq + 1))
    -- calls on the queue's requirements: eligibility depends on wait alone and only widens,
    -- so the agent may take exactly the calls that have waited `after` or longer
    if after then
      local cutoff = NOW - after
      local key = P .. 'q:' .. qn
      local r = R('ZRANGEBYSCORE', key, '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      while #r > 0 do
        local s = tonumber(r[2])
        if not ahead(s, r[1], bs, bm) then break end
        local band = math.floor(s / BAND)
        if s - band * BAND <= cutoff then bs, bm = s, r[1]; break end
        -- the head of a band is its oldest call: nothing in this band is old enough
        r = R('ZRANGEBYSCORE', key, F((band + 1) * BAND), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      end
    end
    -- calls with their own requirements, in queue order, while they could still win
    local okey = P .. 'qo:' .. qn
    local start, size = 0, 8
    local done = false
    while not done do
      local ov = R('ZRANGE', okey, start, start + size - 1, 'WITHSCORES')
      if #ov == 0 then break end
      local q = getq(qn)
      if not q then break end
      full(a)
      for i = 1, #ov, 2 do
        local m, s = ov[i], tonumber(ov[i + 1])
        if not ahead(s, m, bs, bm) then done = true; break end
        local t = q.tiers[tier_of(q, NOW - enq_of(s))]
        if pooled(a, q, t) then
          local req = R('HGET', P .. 'call:' .. string.sub(m, 17), 'req')
          if meets(a.skills, reqs_at(parse_skills(req or ''), t)) then bs, bm = s, m; done = true; break end
        end
      end
      start = start + size
      if size < 128 then size = size * 2 end
    end
  end
  if not bm then return nil end
  return string.sub(bm, 17)
end

-- offer a waiting call to the agent its queue's strategy picks, unless that agent has a better
-- call waiting: then that call is placed first (so no agent ever takes a call while a better one
-- it may take waits), and this call tries again
-- (`known`, when given, is an agent whose best call is known to be this one)
local settle
settle = function(sid, depth, known)
  for _ = 1, 32 do
    local ch = load_call(sid)
    if not ch or ch.state ~= 'waiting' then return nil, 'not_waiting' end
    local q = getq(ch.q)
    if not q then return nil, 'unknown_queue' end
    local aid = find_agent(ch, q)
    if not aid then return nil, 'no_agent' end
    if known and known.id == aid and known.h.state == 'available' then return create_offer(known, ch) end
    local a = load_agent(aid)
    local better = best_call(a)
    if better == nil or better == sid then return create_offer(a, ch) end
    local placed = nil
    if depth < 16 then placed = settle(better, depth + 1) end
    if not placed then create_offer(a, load_call(better)) end
  end
  return nil, 'busy'
end

local function match_agent(aid, a)
  a = a or load_agent(aid)
  for _ = 1, 32 do
    if not a or a.h.state ~= 'available' then break end
    local sid = best_call(a)
    if not sid then break end
    if not settle(sid, 0, a) then create_offer(a, load_call(sid)) end
    -- the call may have gone to an agent the strategy prefers: then this one looks again
    if a.h.state ~= 'available' or R('HGET', P .. 'agent:' .. aid, 'state') ~= 'available' then break end
  end
end

local function dispatch(limit)
  if R('ZCARD', P .. 'avail') == 0 then return end
  local streams = {}
  for _, qn in ipairs(R('SMEMBERS', P .. 'queues')) do
    local q = getq(qn)
    if q then
      local any = R('ZCARD', P .. 'avail:' .. qn) > 0
      if not any then
        for _, p in ipairs(q.tiers[#q.tiers].pools) do
          if R('ZCARD', P .. 'avail:' .. p) > 0 then any = true; break end
        end
      end
      if any then
        for _, kind in ipairs({'q:', 'qo:'}) do
          local list = R('ZRANGE', P .. kind .. qn, 0, -1, 'WITHSCORES')
          if #list > 0 then
            local st = {q = q, list = list, i = 1, plain = (kind == 'q:'), dead = 0, maxtier = #q.tiers,
                        hs = tonumber(list[2])}
            if st.plain then
              local oldest = nil
              for i = 2, #list, 2 do
                local e = enq_of(tonumber(list[i]))
                if not oldest or e < oldest then oldest = e end
              end
              st.maxtier = tier_of(q, NOW - oldest)
            end
            streams[#streams + 1] = st
          end
        end
      end
    end
  end
  local made = 0
  while made < limit do
    local best = nil
    for _, st in ipairs(streams) do
      if st.i <= #st.list and (best == nil or ahead(st.hs, st.list[st.i], best.hs, best.list[best.i])) then
        best = st
      end
    end
    if not best then break end
    local m, s = best.list[best.i], best.hs
    best.i = best.i + 2
    best.hs = tonumber(best.list[best.i + 1])
    local j = nil
    if best.plain then j = tier_of(best.q, NOW - enq_of(s)) end
    if not j or j > best.dead then
      local before = #OFFERS
      local oid, why = settle(string.sub(m, 17), 0)
      made = made + (#OFFERS - before)
      if not oid and why == 'no_agent' and j then
        best.dead = j
        if j >= best.maxtier then best.i = #best.list + 1 end
      end
      if R('ZCARD', P .. 'avail') == 0 then break end
    end
  end
end

-- day-based strategies (fewest calls, least talk time today) are rescored when the day turns
local function roll_day()
  local d = today()
  local cur = tonumber(R('GET', P .. 'day'))
  if cur == d then return end
  R('SET', P .. 'day', I(d))
  for _, qn in ipairs(R('SMEMBERS', P .. 'queues')) do
    local q = getq(qn)
    if q and (q.strategy == 'fewest-calls' or q.strategy == 'least-talk-time') then
      for _, aid in ipairs(R('ZRANGE', P .. 'avail:' .. qn, 0, -1)) do
        local a = load_agent(aid)
        if a then R('ZADD', P .. 'avail:' .. qn, F(agent_score(q, a)), aid) end
      end
    end
  end
end

-- wrap-up ends: never before wrap_until unless forced
local function end_wrap(aid, force)
  local a = load_agent(aid)
  if not a then R('ZREM', P .. 'wrap', aid); return false, 'unknown_agent' end
  if a.h.state ~= 'wrap_up' then R('ZREM', P .. 'wrap', aid); return false, 'not_in_wrap_up' end
  local till = tonumber(a.h.wrap_until) or 0
  if NOW < till and not force then return false, 'wrap_up_not_over' end
  R('ZREM', P .. 'wrap', aid)
  local idle = NOW
  if till < NOW then idle = till end
  if NOW < till then set_fields(a, 'wrap_until', I(NOW)) end
  agent_state(a, 'available', '', {forced = (NOW < till) or nil})
  enter_available(a, idle)
  return true, ''
end

local function complete_call(ch, a, wrap_ms, reason)
  local q = getq(ch.q)
  if wrap_ms < 0 then wrap_ms = (q and q.wrap_ms) or 0 end
  local talk = NOW - (tonumber(ch.conn) or NOW)
  R('HSET', P .. 'call:' .. ch.sid, 'talk', I(talk))
  finish_call(ch, 'completed', reason)
  local ah = P .. 'aht:' .. ch.q
  local avg = tonumber(R('HGET', ah, 'avg'))
  local h = talk + wrap_ms
  if avg then avg = avg + C.alpha * (h - avg) else avg = h end
  R('HSET', ah, 'avg', F(avg))
  R('HINCRBY', ah, 'n', 1)
  if a then
    roll_agent_day(a)
    bump(a, 'talk', talk)
    set_fields(a, 'call', '', 'wrap_until', I(NOW + wrap_ms))
  end
  return wrap_ms
end
"""

_LUA = {
    "register_queue": r"""
local name = ARGV[A + 1]
local key = P .. 'qcfg:' .. name
local old = getq(name)
if old then
  for _, t in ipairs(old.tiers) do
    for _, p in ipairs(t.pools) do R('SREM', P .. 'widened:' .. p, name) end
  end
end
local rr = R('HGET', key, 'rr') or '0'
R('DEL', key)
R('HSET', key, 'cfg', ARGV[A + 2], 'prio', ARGV[A + 3], 'strategy', ARGV[A + 4], 'req', ARGV[A + 5], 'rr', rr)
R('SADD', P .. 'queues', name)
QC[name] = nil
local q = getq(name)
for _, t in ipairs(q.tiers) do
  for _, p in ipairs(t.pools) do R('SADD', P .. 'widened:' .. p, name) end
end
-- the agents who may take this queue's calls (members, and members of overflow queues, before
-- and after the change) see it again in their candidates
local concerned, pools = {}, {name}
for _, cfg in ipairs({old, q}) do
  if cfg then
    for _, t in ipairs(cfg.tiers) do
      for _, p in ipairs(t.pools) do pools[#pools + 1] = p end
    end
  end
end
for _, p in ipairs(pools) do
  for _, aid in ipairs(R('SMEMBERS', P .. 'members:' .. p)) do
    if not concerned[aid] then
      concerned[aid] = true
      local a = load_agent(aid)
      if a then compute_cands(a) end
    end
  end
end
-- the strategy or the required skills may have changed: score the available members again
R('DEL', P .. 'avail:' .. name)
for _, aid in ipairs(R('SMEMBERS', P .. 'members:' .. name)) do
  local a = load_agent(aid)
  if a and a.h.state == 'available' then R('ZADD', P .. 'avail:' .. name, F(agent_score(q, a)), aid) end
end
-- a new queue priority moves its calls (waiting ones, and offered ones for when they come back)
if old and old.prio ~= q.prio then
  local function rescore(ch)
    local e = q.prio + tonumber(ch.prio)
    if e > MAXP then e = MAXP end
    if e < 0 then e = 0 end
    local score = F((MAXP - e) * BAND + tonumber(ch.enq))
    R('HSET', P .. 'call:' .. ch.sid, 'eprio', I(e), 'score', score)
    return score
  end
  for _, kind in ipairs({'q:', 'qo:'}) do
    for _, m in ipairs(R('ZRANGE', P .. kind .. name, 0, -1)) do
      local ch = load_call(string.sub(m, 17))
      if ch then R('ZADD', P .. kind .. name, rescore(ch), m) end
    end
  end
  for _, oid in ipairs(R('ZRANGE', P .. 'offers', 0, -1)) do
    local ch = load_call(R('HGET', P .. 'offer:' .. oid, 'call') or '')
    if ch and ch.q == name then rescore(ch) end
  end
end
emit({type = 'queue.updated', queue = name})
if C.auto then dispatch(1000000) end
return finish(true, '')
""",
    "upsert_agent": r"""
local aid = ARGV[A + 1]
local key = P .. 'agent:' .. aid
local a = load_agent(aid)
local was_available = a and a.h.state == 'available'
if a then
  if was_available then leave_available(a) end
  full(a)
  for k in pairs(a.h) do
    if string.sub(k, 1, 2) == 's:' then R('HDEL', key, k) end
  end
  for _, qn in ipairs(a.queues) do R('SREM', P .. 'members:' .. qn, aid) end
else
  R('HSET', key, 'state', 'offline', 'since', I(NOW), 'idle', I(NOW), 'reason', '', 'offer', '', 'call', '')
end
for _, sl in ipairs(parse_skills(ARGV[A + 2])) do R('HSET', key, 's:' .. sl[1], I(sl[2])) end
R('HSET', key, 'queues', ARGV[A + 3])
for _, qn in ipairs(split(ARGV[A + 3], ',')) do R('SADD', P .. 'members:' .. qn, aid) end
R('SADD', P .. 'agents', aid)
a = load_agent(aid)
compute_cands(a)
if was_available then enter_available(a, tonumber(a.h.idle) or NOW) end
emit({type = 'agent.updated', agent_id = aid, state = a.h.state})
if was_available and C.auto then match_agent(aid) end
return finish(true, '')
""",
    "remove_agent": r"""
local aid = ARGV[A + 1]
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
if a.h.state ~= 'offline' then return finish(false, 'not_offline') end
for _, qn in ipairs(a.queues) do R('SREM', P .. 'members:' .. qn, aid) end
R('SREM', P .. 'agents', aid)
R('ZREM', P .. 'wrap', aid)
R('DEL', P .. 'agent:' .. aid)
emit({type = 'agent.removed', agent_id = aid})
return finish(true, '')
""",
    "set_state": r"""
local aid, target, reason, force = ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], ARGV[A + 4] == '1'
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
local cur = a.h.state
if cur == target then
  if target == 'break' and a.h.reason ~= reason then
    agent_state(a, 'break', reason)
    return finish(true, '')
  end
  return finish(true, 'unchanged')
end
local till = tonumber(a.h.wrap_until) or 0
-- refusals first, before anything changes
if cur == 'on_call' and not force then return finish(false, 'on_call') end
if cur == 'reserved' and target == 'available' then return finish(false, 'reserved') end
if target == 'available' and NOW < till and not force then return finish(false, 'wrap_up') end
local requeued = nil
if cur == 'on_call' then
  -- a supervisor frees a stuck agent: the router's copy of the call ends here
  local ch = load_call(a.h.call or '')
  if ch and ch.state == 'connected' and ch.agent == aid then
    complete_call(ch, a, 0, 'forced')
  end
  set_fields(a, 'call', '', 'wrap_until', I(NOW))
elseif cur == 'reserved' then
  local oid = a.h.offer or ''
  local o = hgetall(P .. 'offer:' .. oid)
  if o.state == 'pending' then
    close_offer(oid, o, 'rescinded')
    local ch = load_call(o.call)
    if ch and ch.state == 'offered' and ch.offer == oid then requeue(ch); requeued = ch.sid end
  end
  set_fields(a, 'offer', '', 'call', '')
elseif cur == 'available' then
  leave_available(a)
elseif cur == 'wrap_up' then
  R('ZREM', P .. 'wrap', aid)
end
if target == 'available' and NOW < till then set_fields(a, 'wrap_until', I(NOW)) end
agent_state(a, target, reason, {forced = force or nil})
if target == 'available' then enter_available(a, NOW) end
if C.auto then
  if requeued then settle(requeued, 0) end
  if target == 'available' then match_agent(aid) end
end
return finish(true, '')
""",
    "enqueue": r"""
local sid, qn = ARGV[A + 1], ARGV[A + 2]
local q = getq(qn)
if not q then return finish(false, 'unknown_queue') end
local m, why = enqueue_call(sid, q, tonumber(ARGV[A + 3]), ARGV[A + 4] == '1', ARGV[A + 5],
                            tonumber(ARGV[A + 6]), ARGV[A + 7], true)
if not m then return finish(false, why) end
if C.auto then settle(sid, 0) end
return finish(true, '')
""",
    "remove": r"""
local sid, reason = ARGV[A + 1], ARGV[A + 2]
local ch = load_call(sid)
if not ch then return finish(false, 'unknown_call') end
if ch.state == 'waiting' then
  R('ZREM', zkey(ch), ch.m)
  finish_call(ch, 'abandoned', reason)
  return finish(true, '')
end
if ch.state == 'offered' then
  -- the caller hung up while an agent was being offered the call: the offer is withdrawn and
  -- the agent is available again, keeping its place (no penalty)
  local oid = ch.offer
  local o = hgetall(P .. 'offer:' .. oid)
  if o.state == 'pending' then close_offer(oid, o, 'rescinded') end
  R('ZREM', P .. 'offers', oid)
  finish_call(ch, 'abandoned', reason)
  local a = load_agent(ch.agent)
  if a and a.h.state == 'reserved' and a.h.offer == oid then
    set_fields(a, 'offer', '', 'call', '')
    agent_state(a, 'available', '')
    enter_available(a, tonumber(a.h.idle) or NOW)
    if C.auto then match_agent(a.id) end
  end
  return finish(true, '')
end
if ch.state == 'connected' then
  -- the call ended while connected: an ordinary completion with the queue's wrap-up
  local a = load_agent(ch.agent)
  if a and not (a.h.state == 'on_call' and a.h.call == sid) then a = nil end
  local wrap = complete_call(ch, a, -1, 'completed')
  if a then
    if wrap > 0 then
      R('ZADD', P .. 'wrap', I(NOW + wrap), a.id)
      agent_state(a, 'wrap_up', '', {wrap_until = (NOW + wrap) / 1000})
    else
      agent_state(a, 'available', '')
      enter_available(a, NOW)
      if C.auto then match_agent(a.id) end
    end
  end
  return finish(true, 'completed')
end
return finish(false, 'already_' .. ch.state)
""",
    "match_agent": r"""
local aid = ARGV[A + 1]
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
if a.h.state ~= 'available' then return finish(false, a.h.state) end
match_agent(aid, a)
return finish(true, '')
""",
    "match_call": r"""
local sid = ARGV[A + 1]
local oid, why = settle(sid, 0)
return finish(oid ~= nil, why or '')
""",
    "dispatch": r"""
roll_day()
dispatch(tonumber(ARGV[A + 1]))
return finish(true, '')
""",
    "accept": r"""
local oid, aid = ARGV[A + 1], ARGV[A + 2]
local o = hgetall(P .. 'offer:' .. oid)
if not o.state then return finish(false, 'unknown_offer') end
if o.agent ~= aid then return finish(false, 'not_your_offer') end
if o.state ~= 'pending' then
  if o.state == 'accepted' then return finish(false, 'already_accepted') end
  return finish(false, o.state)
end
if NOW >= tonumber(o.expires) then
  local sid = rona(oid, 'expired')
  if sid and C.auto then settle(sid, 0) end
  return finish(false, 'expired')
end
local ch = load_call(o.call)
local a = load_agent(aid)
if not ch or ch.state ~= 'offered' or ch.offer ~= oid or not a or a.h.offer ~= oid then
  -- cannot happen while every change goes through these scripts; closed rather than left stuck
  close_offer(oid, o, 'rescinded')
  return finish(false, 'inconsistent')
end
close_offer(oid, o, 'accepted')
R('HSET', P .. 'call:' .. ch.sid, 'state', 'connected', 'conn', I(NOW), 'since', I(NOW), 'offer', '')
call_event(ch, 'connected', {agent_id = aid, offer_id = oid})
roll_agent_day(a)
bump(a, 'calls', 1)
local rr = R('HINCRBY', P .. 'qcfg:' .. ch.q, 'rr', 1)
set_fields(a, 'rr:' .. ch.q, I(rr), 'offer', '', 'call', ch.sid)
agent_state(a, 'on_call', '', {call_sid = ch.sid})
return finish(true, '')
""",
    "reject": r"""
local oid, aid = ARGV[A + 1], ARGV[A + 2]
local o = hgetall(P .. 'offer:' .. oid)
if not o.state then return finish(false, 'unknown_offer') end
if o.agent ~= aid then return finish(false, 'not_your_offer') end
if o.state ~= 'pending' then return finish(false, o.state) end
local outcome = 'rejected'
if NOW >= tonumber(o.expires) then outcome = 'expired' end
local sid = rona(oid, outcome)
if sid and C.auto then settle(sid, 0) end
if outcome == 'expired' then return finish(false, 'expired') end
return finish(true, '')
""",
    "complete": r"""
local sid, aid, wrap = ARGV[A + 1], ARGV[A + 2], tonumber(ARGV[A + 3])
local ch = load_call(sid)
if not ch then return finish(false, 'unknown_call') end
if ch.state ~= 'connected' then
  if ch.state == 'completed' then return finish(false, 'already_completed') end
  return finish(false, 'not_connected')
end
if ch.agent ~= aid then return finish(false, 'not_your_call') end
local a = load_agent(aid)
if a and not (a.h.state == 'on_call' and a.h.call == sid) then a = nil end
wrap = complete_call(ch, a, wrap, 'completed')
if a then
  if wrap > 0 then
    R('ZADD', P .. 'wrap', I(NOW + wrap), aid)
    agent_state(a, 'wrap_up', '', {wrap_until = (NOW + wrap) / 1000})
  else
    agent_state(a, 'available', '')
    enter_available(a, NOW)
    if C.auto then match_agent(aid) end
  end
end
return finish(true, '')
""",
    # Call controls (contactcenter.calls.controls): an available agent held for a warm-transfer
    # consult (a break with reason "consult", so no offer reaches them), and a connected call
    # handed from one agent to another in one step (the first goes to wrap-up).
    "consult": r"""
local aid, sid = ARGV[A + 1], ARGV[A + 2]
local b = load_agent(aid)
if not b then return finish(false, 'unknown_agent') end
if b.h.state ~= 'available' then return finish(false, 'agent_unavailable') end
leave_available(b)
R('HSET', P .. 'agent:' .. aid, 'consult', sid)
agent_state(b, 'break', 'consult', {call_sid = sid})
return finish(true, '')
""",
    "transfer": r"""
local sid, from, to, wrap = ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], tonumber(ARGV[A + 4])
local ch = load_call(sid)
if not ch then return finish(false, 'unknown_call') end
if ch.state ~= 'connected' then return finish(false, 'not_connected') end
if ch.agent ~= from then return finish(false, 'not_your_call') end
if from == to then return finish(false, 'same_agent') end
local b = load_agent(to)
if not b then return finish(false, 'unknown_agent') end
local consulting = b.h.state == 'break' and b.h.reason == 'consult' and
                   R('HGET', P .. 'agent:' .. to, 'consult') == sid
if b.h.state ~= 'available' and not consulting then return finish(false, 'agent_unavailable') end
local a = load_agent(from)
if a and not (a.h.state == 'on_call' and a.h.call == sid) then a = nil end
if wrap < 0 then
  local q = getq(ch.q)
  wrap = (q and q.wrap_ms) or 0
end
local talk = NOW - (tonumber(ch.conn) or NOW)
if b.h.state == 'available' then leave_available(b) end
R('HSET', P .. 'call:' .. sid, 'agent', to, 'conn', I(NOW), 'since', I(NOW))
R('HDEL', P .. 'agent:' .. to, 'consult')
roll_agent_day(b)
bump(b, 'calls', 1)
set_fields(b, 'offer', '', 'call', sid)
agent_state(b, 'on_call', '', {call_sid = sid, transferred_from = from})
call_event(ch, 'connected', {agent_id = to, transferred_from = from})
if a then
  roll_agent_day(a)
  bump(a, 'talk', talk)
  set_fields(a, 'call', '', 'wrap_until', I(NOW + wrap))
  if wrap > 0 then
    R('ZADD', P .. 'wrap', I(NOW + wrap), from)
    agent_state(a, 'wrap_up', '', {wrap_until = (NOW + wrap) / 1000, call_sid = sid})
  else
    agent_state(a, 'available', '')
    enter_available(a, NOW)
    if C.auto then match_agent(from) end
  end
end
return finish(true, '')
""",
    "end_wrap": r"""
local aid = ARGV[A + 1]
local ok, why = end_wrap(aid, ARGV[A + 2] == '1')
if ok and C.auto then match_agent(aid) end
return finish(ok, why)
""",
    "extend_wrap": r"""
-- the agent's wrap-up runs `ms` longer (the wrap zset drives the timer, so the ticker follows)
local aid, ms = ARGV[A + 1], tonumber(ARGV[A + 2])
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
if a.h.state ~= 'wrap_up' then return finish(false, 'not_in_wrap_up') end
local till = (tonumber(a.h.wrap_until) or NOW) + ms
set_fields(a, 'wrap_until', I(till))
R('ZADD', P .. 'wrap', I(till), aid)
emit({type = 'agent.wrap_extended', agent_id = aid, wrap_until = till / 1000})
return finish(true, '')
""",
    "expire": r"""
local due = R('ZRANGEBYSCORE', P .. 'offers', '-inf', I(NOW))
local calls = {}
for _, oid in ipairs(due) do
  local sid = rona(oid, 'expired')
  if sid then calls[#calls + 1] = sid end
end
if C.auto then
  for _, sid in ipairs(calls) do settle(sid, 0) end
end
return finish(true, '', {due, {}})
""",
    "tick": r"""
roll_day()
local due = R('ZRANGEBYSCORE', P .. 'offers', '-inf', I(NOW))
for _, oid in ipairs(due) do rona(oid, 'expired') end
local wraps = R('ZRANGEBYSCORE', P .. 'wrap', '-inf', I(NOW))
for _, aid in ipairs(wraps) do end_wrap(aid, false) end
if C.auto then dispatch(tonumber(ARGV[A + 1])) end
return finish(true, '', {due, wraps})
""",
    "rebuild": r"""
local data = cjson.decode(ARGV[A + 1])
local replace_queues = data.replace_queues
-- clear the live state (the sequence and the handle-time averages are kept)
local queues = R('SMEMBERS', P .. 'queues')
for _, aid in ipairs(R('SMEMBERS', P .. 'agents')) do
  for _, qn in ipairs(split(R('HGET', P .. 'agent:' .. aid, 'queues'), ',')) do queues[#queues + 1] = qn end
  R('DEL', P .. 'agent:' .. aid)
end
for _, qn in ipairs(queues) do
  R('DEL', P .. 'q:' .. qn, P .. 'qo:' .. qn, P .. 'avail:' .. qn, P .. 'members:' .. qn)
  if replace_queues then R('DEL', P .. 'qcfg:' .. qn, P .. 'widened:' .. qn) end
end
for _, sid in ipairs(R('SMEMBERS', P .. 'calls')) do R('DEL', P .. 'call:' .. sid) end
for _, oid in ipairs(R('ZRANGE', P .. 'offers', 0, -1)) do R('DEL', P .. 'offer:' .. oid) end
R('DEL', P .. 'agents', P .. 'calls', P .. 'offers', P .. 'wrap', P .. 'avail')
if replace_queues then
  R('DEL', P .. 'queues')
  for _, row in ipairs(data.queues) do
    R('HSET', P .. 'qcfg:' .. row[1], 'cfg', row[2], 'prio', row[3], 'strategy', row[4], 'req', row[5], 'rr', '0')
    for _, t in ipairs(cjson.decode(row[2]).tiers) do
      for _, p in ipairs(t.pools) do R('SADD', P .. 'widened:' .. p, row[1]) end
    end
    R('SADD', P .. 'queues', row[1])
  end
end
QC = {}
local d = I(today())
-- agents: id, skills, queues, state, reason, since, idle, wrap_until, calls, talk
for _, r in ipairs(data.agents) do
  local key = P .. 'agent:' .. r[1]
  R('HSET', key, 'state', r[4], 'reason', r[5], 'since', r[6], 'idle', r[7], 'wrap_until', r[8],
    'calls', r[9], 'talk', r[10], 'day', d, 'queues', r[3], 'offer', '', 'call', '')
  for _, sl in ipairs(parse_skills(r[2])) do R('HSET', key, 's:' .. sl[1], I(sl[2])) end
  for _, qn in ipairs(split(r[3], ',')) do R('SADD', P .. 'members:' .. qn, r[1]) end
  R('SADD', P .. 'agents', r[1])
end
-- calls, already in queue order: sid, queue, prio, ov, req, enq, attrs, agent, connected
local skipped = {}
for _, c in ipairs(data.calls) do
  local q = getq(c[2])
  if not q then
    skipped[#skipped + 1] = c[1]
  else
    local m = enqueue_call(c[1], q, tonumber(c[3]), c[4] == '1', c[5], tonumber(c[6]), c[7], false)
    if c[8] ~= '' then
      local ch = load_call(c[1])
      R('ZREM', zkey(ch), ch.m)
      R('HSET', P .. 'call:' .. c[1], 'state', 'connected', 'agent', c[8], 'conn', c[9])
      R('HSET', P .. 'agent:' .. c[8], 'call', c[1])
    end
  end
end
for _, r in ipairs(data.agents) do
  compute_cands(load_agent(r[1]))
end
for _, r in ipairs(data.agents) do
  if r[4] == 'available' then enter_available(load_agent(r[1]), tonumber(r[7])) end
  if r[4] == 'wrap_up' then R('ZADD', P .. 'wrap', r[8], r[1]) end
end
R('SET', P .. 'day', d)
EV = {}
emit({type = 'acd.rebuilt', agents = #data.agents, calls = #data.calls})
return finish(true, '', skipped)
""",
    "stats": r"""
local out = {}
local offered = {}
for _, oid in ipairs(R('ZRANGE', P .. 'offers', 0, -1)) do
  local qn = R('HGET', P .. 'offer:' .. oid, 'queue')
  if qn then offered[qn] = (offered[qn] or 0) + 1 end
end
local function oldest(key)
  local lo, best = '-inf', nil
  while true do
    local r = R('ZRANGEBYSCORE', key, lo, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if #r == 0 then return best end
    local s = tonumber(r[2])
    local band = math.floor(s / BAND)
    local e = s - band * BAND
    if not best or e < best then best = e end
    lo = F((band + 1) * BAND)
  end
end
for _, qn in ipairs(R('SMEMBERS', P .. 'queues')) do
  local q = getq(qn)
  local counts = {available = 0, reserved = 0, on_call = 0, wrap_up = 0, ['break'] = 0, offline = 0}
  for _, aid in ipairs(R('SMEMBERS', P .. 'members:' .. qn)) do
    local st = R('HGET', P .. 'agent:' .. aid, 'state')
    if st and counts[st] then counts[st] = counts[st] + 1 end
  end
  local o1, o2 = oldest(P .. 'q:' .. qn), oldest(P .. 'qo:' .. qn)
  local o = o1
  if o2 and (not o or o2 < o) then o = o2 end
  local longest = 0
  if o and NOW > o then longest = NOW - o end
  local aht = R('HGET', P .. 'aht:' .. qn, 'avg') or I(q.aht_ms)
  out[#out + 1] = {qn, I(R('ZCARD', P .. 'q:' .. qn) + R('ZCARD', P .. 'qo:' .. qn)), I(offered[qn] or 0),
                   I(longest), I(counts.available), I(counts.reserved), I(counts.on_call), I(counts.wrap_up),
                   I(counts['break']), I(counts.offline), aht}
end
return {1, '', {}, {}, out}
""",
    "position": r"""
local sid = ARGV[A + 1]
local ch = load_call(sid)
if not ch then return {0, 'unknown_call', {}, {}, {}} end
local q = getq(ch.q)
if ch.state ~= 'waiting' or not q then return {1, '', {}, {}, {ch.state, '0', '0', '0', '0', '-1'}} end
local t = q.tiers[tier_of(q, NOW - tonumber(ch.enq))]
local reqs = t.req
if ch.ov == '1' then reqs = reqs_at(parse_skills(ch.req), t) end
local names = {'state', 'queues'}
for _, sl in ipairs(reqs) do names[#names + 1] = 's:' .. sl[1] end
local pools = {q.name}
for _, p in ipairs(t.pools) do pools[#pools + 1] = p end
local seen, related, rel = {}, {}, {}
local eligible, available = 0, 0
local function relate(qn) if not related[qn] then related[qn] = true; rel[#rel + 1] = qn end end
relate(q.name)
for _, p in ipairs(pools) do
  for _, aid in ipairs(R('SMEMBERS', P .. 'members:' .. p)) do
    if not seen[aid] then
      seen[aid] = true
      local v = R('HMGET', P .. 'agent:' .. aid, unpack(names))
      local st = v[1]
      if st and st ~= 'offline' and st ~= 'break' then
        local ok = true
        for i, sl in ipairs(reqs) do
          if (tonumber(v[i + 2]) or 0) < sl[2] then ok = false; break end
        end
        if ok then
          eligible = eligible + 1
          if st == 'available' then available = available + 1 end
          for _, qn in ipairs(split(v[2], ',')) do relate(qn) end
        end
      end
    end
  end
end
local before = 0
local own = zkey(ch)
for _, qn in ipairs(rel) do
  for _, kind in ipairs({'q:', 'qo:'}) do
    local key = P .. kind .. qn
    if key == own then
      before = before + (R('ZRANK', key, ch.m) or 0)
    else
      before = before + R('ZCOUNT', key, '-inf', '(' .. ch.score)
    end
  end
end
local aht = tonumber(R('HGET', P .. 'aht:' .. q.name, 'avg')) or q.aht_ms
local ewt = -1
if eligible > 0 then
  local ahead_of_free = before + 1 - available
  if ahead_of_free < 0 then ahead_of_free = 0 end
  ewt = ahead_of_free * aht / eligible
end
return {1, '', {}, {}, {ch.state, I(before + 1), I(eligible), I(available), F(aht), F(ewt)}}
""",
    "dump": r"""
local function zflat(key) return R('ZRANGE', key, 0, -1, 'WITHSCORES') end
local agents, calls, offers, queues = {}, {}, {}, {}
for _, aid in ipairs(R('SMEMBERS', P .. 'agents')) do agents[#agents + 1] = {aid, R('HGETALL', P .. 'agent:' .. aid)} end
for _, sid in ipairs(R('SMEMBERS', P .. 'calls')) do calls[#calls + 1] = {sid, R('HGETALL', P .. 'call:' .. sid)} end
local pending = zflat(P .. 'offers')
for i = 1, #pending, 2 do offers[#offers + 1] = {pending[i], R('HGETALL', P .. 'offer:' .. pending[i])} end
for _, qn in ipairs(R('SMEMBERS', P .. 'queues')) do
  queues[#queues + 1] = {qn, R('HGETALL', P .. 'qcfg:' .. qn), zflat(P .. 'q:' .. qn), zflat(P .. 'qo:' .. qn),
                         zflat(P .. 'avail:' .. qn), R('SMEMBERS', P .. 'members:' .. qn)}
end
return {1, '', {}, {}, {agents, calls, offers, queues, zflat(P .. 'avail'), zflat(P .. 'wrap'), pending,
        R('GET', P .. 'day') or ''}}
""",
}


def _s(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _pairs(flat: Sequence[Any]) -> dict[str, str]:
    return {_s(flat[i]): _s(flat[i + 1]) for i in range(0, len(flat), 2)}


def _scored(flat: Sequence[Any]) -> list[tuple[str, float]]:
    return [(_s(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2)]


def _opt_float(value: str | None) -> float | None:
    return None if value in (None, "") else int(value) / 1000  # type: ignore[arg-type]


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
        header = [
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
            self._run("upsert_agent", now, profile.agent_id, strategies.encode_skills(profile.skills), ",".join(profile.queues))
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
        now: float | None = None,
    ) -> Outcome:
        """Put a call in a queue: priority first, then time waiting (FIFO among equals).

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
        return self._outcome(self._run("transfer", now, call_sid, str(from_agent),
                                       check_name("agent id", str(to_agent)), wrap_ms))

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
        connected = {c.agent_id: c.call_sid for _, c in calls if c.agent_id}
        if set(connected) != on_call:
            raise ACDError("every on_call agent needs exactly one connected call record and vice versa")
        if len(connected) != sum(1 for _, c in calls if c.agent_id):
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

    def agents(self, *, now: float | None = None) -> list[AgentSnapshot]:
        ids = sorted(_s(a) for a in self.redis.smembers(self.key("agents")))
        pipe = self.redis.pipeline(transaction=False)
        for aid in ids:
            pipe.hgetall(self.key("agent:", aid))
        now_ms = self._ms(now)
        return [
            self._agent_from(aid, {_s(k): _s(v) for k, v in raw.items()}, now_ms)
            for aid, raw in zip(ids, pipe.execute())
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
        )

    def pending_offers(self) -> list[Offer]:
        ids = [_s(o) for o in self.redis.zrange(self.key("offers"), 0, -1)]
        pipe = self.redis.pipeline(transaction=False)
        for oid in ids:
            pipe.hgetall(self.key("offer:", oid))
        out = []
        for oid, raw in zip(ids, pipe.execute()):
            h = {_s(k): _s(v) for k, v in raw.items()}
            if h.get("state") == "pending":
                out.append(
                    Offer(oid, h["call"], h["agent"], h["queue"], int(h["created"]) / 1000, int(h["expires"]) / 1000, int(h["prio"]))
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
        agents, calls, offers, queues, avail, wrap, pending, day = self._run("dump", None).extra
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
                }
                for q, cfg, z, zo, av, members in queues
            },
            "available": dict(_scored(avail)),
            "wrap": dict(_scored(wrap)),
            "pending": dict(_scored(pending)),
            "day": _s(day),
        }

    def audit(self, *, now: float | None = None) -> list[str]:
        """Check that the live state is consistent; returns the problems found (none: []).

        Finds stuck agents and calls: a reserved agent without its pending offer, an offer whose
        call or agent moved on, an on_call agent without its connected call, a waiting call missing
        from its queue, an agent in an available set while not available, and so on.
        """
        d = self.dump()
        problems: list[str] = []
        agents, calls, offers, queues = d["agents"], d["calls"], d["offers"], d["queues"]
        now_ms = self._ms(now)
        today = strategies.day_index(now_ms, self.day_offset_seconds * 1000)

        offers_by_call: dict[str, list[str]] = {}
        offers_by_agent: dict[str, list[str]] = {}
        for oid, o in offers.items():
            if o.get("state") != "pending":
                problems.append(f"offer {oid} is indexed as pending but is {o.get('state')}")
                continue
            if float(o["expires"]) != d["pending"][oid]:
                problems.append(f"offer {oid} expiry index differs from its record")
            offers_by_call.setdefault(o["call"], []).append(oid)
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
            if state == OFFERED:
                oid = c.get("offer", "")
                o = offers.get(oid)
                if o is None or o["call"] != sid or o["agent"] != c.get("agent"):
                    problems.append(f"offered call {sid} has no matching pending offer")
                a = agents.get(c.get("agent", ""))
                if a is None or a["state"] != RESERVED or a.get("offer") != oid:
                    problems.append(f"offered call {sid}: agent {c.get('agent')} does not hold offer {oid}")
            elif sid in offers_by_call:
                problems.append(f"{state} call {sid} has a pending offer")
            if state == CONNECTED:
                connected_by_agent.setdefault(c.get("agent", ""), []).append(sid)

        for aid, a in agents.items():
            state = a["state"]
            if state not in AGENT_STATES:
                problems.append(f"agent {aid} has unknown state {state}")
            member_of = [qn for qn in a.get("queues", "").split(",") if qn in queues]
            is_available = state == AVAILABLE
            if is_available != (aid in d["available"]):
                problems.append(f"agent {aid} is {state} but {'missing from' if is_available else 'in'} the available index")
            for qn in member_of:
                if is_available != (aid in queues[qn]["available"]):
                    problems.append(f"agent {aid} is {state} but {'missing from' if is_available else 'in'} {qn}'s available set")
                if aid not in queues[qn]["members"]:
                    problems.append(f"agent {aid} is missing from {qn}'s members")
            if state == RESERVED:
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
            if state == ON_CALL:
                if held != [a.get("call")]:
                    problems.append(f"on_call agent {aid} holds calls {held}, record says {a.get('call')}")
            elif held:
                problems.append(f"{state} agent {aid} is connected to {held}")
            if (state == WRAP_UP) != (aid in d["wrap"]):
                problems.append(f"agent {aid} is {state} but {'missing from' if state == WRAP_UP else 'in'} the wrap-up index")
            if state == WRAP_UP and d["wrap"].get(aid) != float(a.get("wrap_until") or 0):
                problems.append(f"agent {aid} wrap-up index differs from wrap_until")
            if state == AVAILABLE and now_ms < int(a.get("wrap_until") or 0):
                problems.append(f"agent {aid} is available before its wrap-up ends")
        problems += self._audit_candidates(agents, queues)
        for aid in connected_by_agent:
            if aid not in agents:
                problems.append(f"calls {connected_by_agent[aid]} are connected to unknown agent {aid}")
        return problems

    @staticmethod
    def _audit_candidates(agents: dict[str, dict[str, str]], queues: dict[str, Any]) -> list[str]:
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


__all__ = ["HASH_TAG", "RealtimeACD"]
