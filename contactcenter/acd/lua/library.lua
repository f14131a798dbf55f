-- The library every ACD script starts with (the loader prepends it to each script in this folder).
-- Written for Lua 5.1 as Redis embeds it (and as fakeredis runs it): no globals, no goto,
-- numbers handed to Redis as formatted strings so no precision is lost.
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

-- channels -------------------------------------------------------------------------------------

-- A task's channel decides which waiting line it joins and which of its agent's capacities it
-- takes. Voice is the agent's one state machine (offered, on call, wrap-up); every other channel
-- is held alongside it, task by task, up to the agent's capacity for that channel.
local CHANNELS = {'voice', 'chat', 'email', 'sms'}
local DEFAULT_CAP = {voice = 1, chat = 3, email = 5, sms = 5}
local WORKING = {available = true, reserved = true, on_call = true, wrap_up = true}

local function channel_of(ch) return (ch.chan and ch.chan ~= '') and ch.chan or 'voice' end

-- the waiting line of a queue for one channel ('q' plain, 'qo' with the task's own requirements);
-- voice keeps the historical key names
local function qkey(kind, chan, qn)
  if chan == 'voice' then return P .. kind .. ':' .. qn end
  return P .. kind .. '@' .. chan .. ':' .. qn
end

local function held_key(aid) return P .. 'held:' .. aid end


-- an agent with the fields routing reads on every decision; `full` adds skills and the rest
local CORE = {'state', 'since', 'reason', 'idle', 'wrap_until', 'offer', 'call', 'queues', 'cands', 'day', 'calls', 'talk',
              'excl', 'busy', 'cap:voice', 'cap:chat', 'cap:email', 'cap:sms', 'load:chat', 'load:email', 'load:sms'}

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

local function cap_of(a, chan)
  local c = tonumber(a.h['cap:' .. chan])
  if c == nil then return DEFAULT_CAP[chan] or 0 end
  return c
end

local function load_of(a, chan) return tonumber(a.h['load:' .. chan]) or 0 end

-- voice_exclusive (the default): a voice call and any other task never overlap
local function exclusive(a) return a.h.excl ~= '0' end

local function takes_voice(a) return a.h.state == 'available' and cap_of(a, 'voice') > 0 end

-- may a task of this (non-voice) channel be offered now? The agent works (not on break or
-- offline), has room on the channel, and no voice work stands in the way when mixing is off
-- ('busy' marks a state that only the agent's other tasks give it)
local function takes_task(a, chan)
  local st = a.h.state
  if not WORKING[st] then return false end
  if st ~= 'available' and a.h.busy ~= '1' and exclusive(a) then return false end
  return load_of(a, chan) < cap_of(a, chan)
end

local function open_channels(a)
  local out = {}
  if takes_voice(a) then out[#out + 1] = 'voice' end
  for i = 2, #CHANNELS do
    if takes_task(a, CHANNELS[i]) then out[#out + 1] = CHANNELS[i] end
  end
  return out
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

-- working agents (whatever their voice state) are where tasks of the other channels look
local function mark_working(a)
  local working = WORKING[a.h.state]
  for _, qn in ipairs(a.queues) do
    if working then R('ZADD', P .. 'mavail:' .. qn, I(NOW), a.id) else R('ZREM', P .. 'mavail:' .. qn, a.id) end
  end
  if working then R('ZADD', P .. 'mavail', I(NOW), a.id) else R('ZREM', P .. 'mavail', a.id) end
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
  if WORKING[new] ~= WORKING[prev] then mark_working(a) end
end

local function enter_available(a, idle)
  R('HSET', P .. 'agent:' .. a.id, 'idle', I(idle))
  a.h.idle = I(idle)
  if cap_of(a, 'voice') <= 0 then return end
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
  return qkey((ch.ov == '1') and 'qo' or 'q', channel_of(ch), ch.q)
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

local function enqueue_call(sid, q, prio, ov, req, enq, attrs, check_len, chan)
  local key = P .. 'call:' .. sid
  local st = R('HGET', key, 'state')
  if st and st ~= 'completed' and st ~= 'abandoned' then return nil, 'duplicate' end
  if check_len and q.maxlen > 0 and
     R('ZCARD', qkey('q', chan, q.name)) + R('ZCARD', qkey('qo', chan, q.name)) >= q.maxlen then
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
    'offer', '', 'agent', '', 'reason', '', 'offers', '0', 'chan', chan)
  R('ZADD', qkey(ov and 'qo' or 'q', chan, q.name), F(score), m)
  R('SADD', P .. 'calls', sid)
  emit({type = 'call.updated', call_sid = sid, queue = q.name, state = 'waiting', priority = e,
        enqueued_at = enq / 1000, channel = chan})
  return m
end

-- tasks of the other channels ---------------------------------------------------------------------

local function add_load(a, chan, delta)
  a.h['load:' .. chan] = I(R('HINCRBY', P .. 'agent:' .. a.id, 'load:' .. chan, I(delta)))
end

-- the task-wrap index ('twrap', due time in ms) names a task wrapping up as 'agent|channel|task'
local function twrap_member(aid, chan, sid) return aid .. '|' .. chan .. '|' .. sid end

-- the agent's entries in the task-wrap index, each {mem, till, chan, sid}
local function task_wraps_of(aid)
  local out = {}
  local prefix = aid .. '|'
  local flat = R('ZRANGE', P .. 'twrap', 0, -1, 'WITHSCORES')
  for i = 1, #flat, 2 do
    local mem = flat[i]
    if string.sub(mem, 1, #prefix) == prefix then
      local rest = string.sub(mem, #prefix + 1)
      local bar = string.find(rest, '|', 1, true)
      out[#out + 1] = {mem = mem, till = tonumber(flat[i + 1]), chan = string.sub(rest, 1, bar - 1),
                       sid = string.sub(rest, bar + 1)}
    end
  end
  return out
end

-- a task ends its hold on the agent (declined, withdrawn, or its wrap-up over)
local function release_task(a, sid, chan)
  R('ZREM', P .. 'twrap', twrap_member(a.id, chan, sid))
  if R('SREM', held_key(a.id), sid) == 1 then add_load(a, chan, -1) end
end

-- Under voice_exclusive the agent's one state also shows its other tasks (reserved while they
-- are only offered, on a call while one is connected, in wrap-up while they only wrap up), which
-- is what keeps voice calls away; a mixing agent keeps the state its voice work gives it.
local function task_view(a)
  if not exclusive(a) then return end
  local st = a.h.state
  if st ~= 'available' and a.h.busy ~= '1' then return end
  local held = R('SMEMBERS', held_key(a.id))
  table.sort(held)
  local conn, offered, wrapping, till = nil, nil, nil, 0
  for _, sid in ipairs(held) do
    local s = R('HGET', P .. 'call:' .. sid, 'state')
    if s == 'connected' then conn = conn or sid
    elseif s == 'offered' then offered = offered or sid
    else
      wrapping = wrapping or sid
      local chan = R('HGET', P .. 'call:' .. sid, 'chan') or 'chat'
      local u = tonumber(R('ZSCORE', P .. 'twrap', twrap_member(a.id, chan, sid))) or NOW
      if u > till then till = u end
    end
  end
  local target, call = 'available', ''
  if conn then target, call = 'on_call', conn
  elseif offered then target = 'reserved'
  elseif wrapping then target = 'wrap_up' end
  set_fields(a, 'busy', (target ~= 'available') and '1' or '', 'call', call)
  if target == 'wrap_up' then set_fields(a, 'wrap_until', I(till))
  elseif st == 'wrap_up' and (tonumber(a.h.wrap_until) or 0) > NOW then set_fields(a, 'wrap_until', I(NOW)) end
  if target == st then return end
  if st == 'available' then leave_available(a) end
  local extra = nil
  if call ~= '' then extra = {call_sid = call} end
  if target == 'wrap_up' then extra = {wrap_until = till / 1000} end
  agent_state(a, target, '', extra)
  if target == 'available' then enter_available(a, NOW) end
end

-- the agent's tasks whose wrap-up is over (all of them when forced) let go of it
local function end_task_wraps(a, force)
  local n = 0
  for _, w in ipairs(task_wraps_of(a.id)) do
    if force or w.till <= NOW then
      release_task(a, w.sid, w.chan)
      n = n + 1
    end
  end
  return n
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
  local chan = channel_of(ch)
  if chan == 'voice' then
    leave_available(a)
    set_fields(a, 'offer', oid, 'call', ch.sid)
    agent_state(a, 'reserved', '', {offer_id = oid, call_sid = ch.sid})
  else
    R('HSET', P .. 'offer:' .. oid, 'chan', chan)
    R('SADD', held_key(a.id), ch.sid)
    add_load(a, chan, 1)
  end
  emit({type = 'offer.created', offer_id = oid, call_sid = ch.sid, agent_id = a.id, queue = ch.q,
        expires_at = exp / 1000, priority = tonumber(ch.eprio), channel = chan})
  call_event(ch, 'offered', {agent_id = a.id, offer_id = oid})
  if chan ~= 'voice' then task_view(a) end
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

-- the agent's tasks still only offered are withdrawn and wait again in their place (the agent
-- leaves work); returns their ids
local function rescind_task_offers(a)
  local out = {}
  for _, sid in ipairs(R('SMEMBERS', held_key(a.id))) do
    local ch = load_call(sid)
    if ch and ch.state == 'offered' and ch.agent == a.id then
      local o = hgetall(P .. 'offer:' .. ch.offer)
      if o.state == 'pending' then close_offer(ch.offer, o, 'rescinded') end
      requeue(ch)
      release_task(a, sid, channel_of(ch))
      out[#out + 1] = sid
    end
  end
  return out
end

-- RONA: the offer was rejected or timed out; the agent goes on a "missed" break
local function rona(oid, outcome)
  local o = hgetall(P .. 'offer:' .. oid)
  if o.state ~= 'pending' then R('ZREM', P .. 'offers', oid); return nil end
  close_offer(oid, o, outcome)
  local ch = load_call(o.call)
  if ch and ch.state == 'offered' and ch.offer == oid then requeue(ch) end
  local a = load_agent(o.agent)
  if o.chan and o.chan ~= 'voice' then
    if a then
      release_task(a, o.call, o.chan)
      -- a missed task sends the agent on the same break as a missed call, unless its voice
      -- work owns its state (a mixing agent on a call keeps the call)
      if a.h.state == 'available' or a.h.busy == '1' then
        if a.h.state == 'available' then leave_available(a) end
        set_fields(a, 'busy', '', 'call', '')
        agent_state(a, 'break', 'missed')
        rescind_task_offers(a)  -- its other offers wait again (the ticker offers them on)
      end
    end
    return o.call
  end
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

-- the agent a waiting task of a channel other than voice goes to: among the working agents of
-- its queue (and the pools its escalation reaches) with room on the channel and the skills, the
-- least loaded for that channel, then the one working longest
local function find_task_agent(ch, q)
  local chan = channel_of(ch)
  local t = q.tiers[tier_of(q, NOW - tonumber(ch.enq))]
  local reqs = t.req
  if ch.ov == '1' then reqs = reqs_at(parse_skills(ch.req), t) end
  local pools = {q.name}
  for _, p in ipairs(t.pools) do pools[#pools + 1] = p end
  local best, best_load = nil, nil
  local seen = {}
  for _, p in ipairs(pools) do
    for _, aid in ipairs(R('ZRANGE', P .. 'mavail:' .. p, 0, -1)) do
      if not seen[aid] then
        seen[aid] = true
        local a = load_agent(aid)
        if a and takes_task(a, chan) then
          local l = load_of(a, chan) / cap_of(a, chan)
          if (best_load == nil or l < best_load) and meets(full(a).skills, reqs) then best, best_load = a, l end
        end
      end
    end
  end
  return best
end

-- the task an agent should take first: highest priority, then longest wait, across the agent's
-- queues and the queues that overflow into them, among the tasks of the given channels (those
-- it has room for) that it is eligible for
local function best_call(a, chans)
  local bs, bm = nil, nil
  for _, chan in ipairs(chans) do
    for _, item in ipairs(split(a.h.cands, ',')) do
      local eq = string.find(item, '=', 1, true)
      local qn, after = string.sub(item, 1, eq - 1), tonumber(string.sub(item, eq + 1))
      -- calls on the queue's requirements: eligibility depends on wait alone and only widens,
      -- so the agent may take exactly the calls that have waited `after` or longer
      if after then
        local cutoff = NOW - after
        local key = qkey('q', chan, qn)
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
      local okey = qkey('qo', chan, qn)
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
  end
  if not bm then return nil end
  return string.sub(bm, 17)
end

-- a waiting task of another channel: offered to the agent find_task_agent picks, unless that
-- agent has a better task of the channel waiting (then that one is offered first)
local function settle_task(sid)
  for _ = 1, 32 do
    local ch = load_call(sid)
    if not ch or ch.state ~= 'waiting' then return nil, 'not_waiting' end
    local q = getq(ch.q)
    if not q then return nil, 'unknown_queue' end
    local a = find_task_agent(ch, q)
    if not a then return nil, 'no_agent' end
    local better = best_call(a, {channel_of(ch)})
    if better == nil or better == sid then return create_offer(a, ch) end
    create_offer(a, load_call(better))
  end
  return nil, 'busy'
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
    if channel_of(ch) ~= 'voice' then return settle_task(sid) end
    local q = getq(ch.q)
    if not q then return nil, 'unknown_queue' end
    local aid = find_agent(ch, q)
    if not aid then return nil, 'no_agent' end
    if known and known.id == aid and known.h.state == 'available' then return create_offer(known, ch) end
    local a = load_agent(aid)
    local better = best_call(a, {'voice'})
    if better == nil or better == sid then return create_offer(a, ch) end
    local placed = nil
    if depth < 16 then placed = settle(better, depth + 1) end
    if not placed then create_offer(a, load_call(better)) end
  end
  return nil, 'busy'
end

-- an agent with room (a free voice line, or room on another channel) takes the best tasks of
-- the channels it has room for, one at a time, until it has no room or nothing suits it
local function match_agent(aid, a)
  a = a or load_agent(aid)
  for _ = 1, 32 do
    if not a then break end
    local chans = open_channels(a)
    if #chans == 0 then break end
    local sid = best_call(a, chans)
    if not sid then break end
    local ch = load_call(sid)
    if channel_of(ch) == 'voice' then
      -- the call may go to an agent the strategy prefers: then this one looks again
      if not settle(sid, 0, a) then create_offer(a, ch) end
    else
      create_offer(a, ch)
    end
    a = load_agent(aid)
  end
end

local function dispatch(limit)
  local function nobody() return R('ZCARD', P .. 'avail') == 0 and R('ZCARD', P .. 'mavail') == 0 end
  if nobody() then return end
  local streams = {}
  for _, qn in ipairs(R('SMEMBERS', P .. 'queues')) do
    local q = getq(qn)
    if q then
      for _, chan in ipairs(CHANNELS) do
        local pool = (chan == 'voice') and 'avail:' or 'mavail:'
        local any = R('ZCARD', P .. pool .. qn) > 0
        if not any then
          for _, p in ipairs(q.tiers[#q.tiers].pools) do
            if R('ZCARD', P .. pool .. p) > 0 then any = true; break end
          end
        end
        if any then
          for _, kind in ipairs({'q', 'qo'}) do
            local list = R('ZRANGE', qkey(kind, chan, qn), 0, -1, 'WITHSCORES')
            if #list > 0 then
              local st = {q = q, list = list, i = 1, plain = (kind == 'q'), dead = 0, maxtier = #q.tiers,
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
      if nobody() then break end
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

-- a task of another channel ends: its agent keeps it through its own wrap-up (the slot stays
-- taken until then), and whatever room it frees is offered again
local function complete_task(ch, aid, wrap_ms, reason)
  local a = load_agent(aid)
  local chan = channel_of(ch)
  local q = getq(ch.q)
  if wrap_ms < 0 then wrap_ms = (q and q.wrap_ms) or 0 end
  local talk = NOW - (tonumber(ch.conn) or NOW)
  R('HSET', P .. 'call:' .. ch.sid, 'talk', I(talk))
  finish_call(ch, 'completed', reason)
  if not a then return wrap_ms end
  roll_agent_day(a)
  bump(a, 'talk', talk)
  if wrap_ms > 0 and R('SISMEMBER', held_key(aid), ch.sid) == 1 then
    R('ZADD', P .. 'twrap', I(NOW + wrap_ms), twrap_member(aid, chan, ch.sid))
  else
    release_task(a, ch.sid, chan)
  end
  task_view(a)
  if C.auto then match_agent(aid) end
  return wrap_ms
end

-- an accepted offer connects its task, whatever the channel: the offer closes, the task is
-- connected, and the agent's day counts it; returns the queue's next round-robin turn
local function connect_offer(oid, o, ch, a)
  close_offer(oid, o, 'accepted')
  R('HSET', P .. 'call:' .. ch.sid, 'state', 'connected', 'conn', I(NOW), 'since', I(NOW), 'offer', '')
  call_event(ch, 'connected', {agent_id = a.id, offer_id = oid})
  roll_agent_day(a)
  bump(a, 'calls', 1)
  return R('HINCRBY', P .. 'qcfg:' .. ch.q, 'rr', 1)
end
