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
  local o, n = nil, 0
  for _, chan in ipairs(CHANNELS) do
    for _, kind in ipairs({'q', 'qo'}) do
      local key = qkey(kind, chan, qn)
      local e = oldest(key)
      if e and (not o or e < o) then o = e end
      n = n + R('ZCARD', key)
    end
  end
  local longest = 0
  if o and NOW > o then longest = NOW - o end
  local aht = R('HGET', P .. 'aht:' .. qn, 'avg') or I(q.aht_ms)
  out[#out + 1] = {qn, I(n), I(offered[qn] or 0),
                   I(longest), I(counts.available), I(counts.reserved), I(counts.on_call), I(counts.wrap_up),
                   I(counts['break']), I(counts.offline), aht}
end
return {1, '', {}, {}, out}
