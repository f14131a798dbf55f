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
  if a and takes_voice(a) then R('ZADD', P .. 'avail:' .. name, F(agent_score(q, a)), aid) end
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
  for _, chan in ipairs(CHANNELS) do
    for _, kind in ipairs({'q', 'qo'}) do
      local key = qkey(kind, chan, name)
      for _, m in ipairs(R('ZRANGE', key, 0, -1)) do
        local ch = load_call(string.sub(m, 17))
        if ch then R('ZADD', key, rescore(ch), m) end
      end
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
