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
  for _, kind in ipairs({'q', 'qo'}) do
    local key = qkey(kind, channel_of(ch), qn)
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
