local function zflat(key) return R('ZRANGE', key, 0, -1, 'WITHSCORES') end
local agents, calls, offers, queues = {}, {}, {}, {}
-- an agent's tasks of the other channels appear as its field 'held' (ids, comma-separated)
for _, aid in ipairs(R('SMEMBERS', P .. 'agents')) do
  local flat = R('HGETALL', P .. 'agent:' .. aid)
  local held = R('SMEMBERS', held_key(aid))
  table.sort(held)
  flat[#flat + 1] = 'held'
  flat[#flat + 1] = table.concat(held, ',')
  agents[#agents + 1] = {aid, flat}
end
-- every channel's waiting lines of a queue, together
local function lines(kind, qn)
  local out = {}
  for _, chan in ipairs(CHANNELS) do
    for _, x in ipairs(zflat(qkey(kind, chan, qn))) do out[#out + 1] = x end
  end
  return out
end
for _, sid in ipairs(R('SMEMBERS', P .. 'calls')) do calls[#calls + 1] = {sid, R('HGETALL', P .. 'call:' .. sid)} end
local pending = zflat(P .. 'offers')
for i = 1, #pending, 2 do offers[#offers + 1] = {pending[i], R('HGETALL', P .. 'offer:' .. pending[i])} end
for _, qn in ipairs(R('SMEMBERS', P .. 'queues')) do
  queues[#queues + 1] = {qn, R('HGETALL', P .. 'qcfg:' .. qn), lines('q', qn), lines('qo', qn),
                         zflat(P .. 'avail:' .. qn), R('SMEMBERS', P .. 'members:' .. qn), zflat(P .. 'mavail:' .. qn)}
end
return {1, '', {}, {}, {agents, calls, offers, queues, zflat(P .. 'avail'), zflat(P .. 'wrap'), pending,
        R('GET', P .. 'day') or '', zflat(P .. 'twrap'), zflat(P .. 'mavail')}}
