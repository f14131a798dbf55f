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
