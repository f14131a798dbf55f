local data = cjson.decode(ARGV[A + 1])
local replace_queues = data.replace_queues
-- clear the live state (the sequence and the handle-time averages are kept)
local queues = R('SMEMBERS', P .. 'queues')
for _, aid in ipairs(R('SMEMBERS', P .. 'agents')) do
  for _, qn in ipairs(split(R('HGET', P .. 'agent:' .. aid, 'queues'), ',')) do queues[#queues + 1] = qn end
  R('DEL', P .. 'agent:' .. aid, held_key(aid))
end
for _, qn in ipairs(queues) do
  R('DEL', P .. 'avail:' .. qn, P .. 'mavail:' .. qn, P .. 'members:' .. qn)
  for _, chan in ipairs(CHANNELS) do R('DEL', qkey('q', chan, qn), qkey('qo', chan, qn)) end
  if replace_queues then R('DEL', P .. 'qcfg:' .. qn, P .. 'widened:' .. qn) end
end
for _, sid in ipairs(R('SMEMBERS', P .. 'calls')) do R('DEL', P .. 'call:' .. sid) end
for _, oid in ipairs(R('ZRANGE', P .. 'offers', 0, -1)) do R('DEL', P .. 'offer:' .. oid) end
R('DEL', P .. 'agents', P .. 'calls', P .. 'offers', P .. 'wrap', P .. 'avail', P .. 'mavail', P .. 'twrap')
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
-- agents: id, skills, queues, state, reason, since, idle, wrap_until, calls, talk, capacities,
-- voice_exclusive
for _, r in ipairs(data.agents) do
  local key = P .. 'agent:' .. r[1]
  R('HSET', key, 'state', r[4], 'reason', r[5], 'since', r[6], 'idle', r[7], 'wrap_until', r[8],
    'calls', r[9], 'talk', r[10], 'day', d, 'queues', r[3], 'offer', '', 'call', '', 'excl', r[12] or '1',
    'busy', '')
  for _, cl in ipairs(parse_skills(r[11] or '')) do R('HSET', key, 'cap:' .. cl[1], I(cl[2])) end
  for _, sl in ipairs(parse_skills(r[2])) do R('HSET', key, 's:' .. sl[1], I(sl[2])) end
  for _, qn in ipairs(split(r[3], ',')) do R('SADD', P .. 'members:' .. qn, r[1]) end
  R('SADD', P .. 'agents', r[1])
end
-- calls, already in queue order: sid, queue, prio, ov, req, enq, attrs, agent, connected, channel
-- (a connected task of another channel takes its room on the agent again)
local skipped = {}
for _, c in ipairs(data.calls) do
  local q = getq(c[2])
  if not q then
    skipped[#skipped + 1] = c[1]
  else
    local chan = c[10] or 'voice'
    enqueue_call(c[1], q, tonumber(c[3]), c[4] == '1', c[5], tonumber(c[6]), c[7], false, chan)
    if c[8] ~= '' then
      local ch = load_call(c[1])
      R('ZREM', zkey(ch), ch.m)
      R('HSET', P .. 'call:' .. c[1], 'state', 'connected', 'agent', c[8], 'conn', c[9])
      if chan == 'voice' then
        R('HSET', P .. 'agent:' .. c[8], 'call', c[1])
      elseif R('SADD', held_key(c[8]), c[1]) == 1 then
        R('HINCRBY', P .. 'agent:' .. c[8], 'load:' .. chan, 1)
      end
    end
  end
end
for _, r in ipairs(data.agents) do
  compute_cands(load_agent(r[1]))
end
for _, r in ipairs(data.agents) do
  local a = load_agent(r[1])
  if r[4] == 'available' then enter_available(a, tonumber(r[7])) end
  if r[4] == 'wrap_up' then R('ZADD', P .. 'wrap', r[8], r[1]) end
  mark_working(a)
  if R('SCARD', held_key(r[1])) > 0 then task_view(a) end
end
R('SET', P .. 'day', d)
EV = {}
emit({type = 'acd.rebuilt', agents = #data.agents, calls = #data.calls})
return finish(true, '', skipped)
