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
  for _, qn in ipairs(a.queues) do
    R('SREM', P .. 'members:' .. qn, aid)
    R('ZREM', P .. 'mavail:' .. qn, aid)
  end
else
  R('HSET', key, 'state', 'offline', 'since', I(NOW), 'idle', I(NOW), 'reason', '', 'offer', '', 'call', '')
end
for _, sl in ipairs(parse_skills(ARGV[A + 2])) do R('HSET', key, 's:' .. sl[1], I(sl[2])) end
R('HSET', key, 'queues', ARGV[A + 3], 'excl', ARGV[A + 5])
for _, cl in ipairs(parse_skills(ARGV[A + 4])) do R('HSET', key, 'cap:' .. cl[1], I(cl[2])) end
for _, qn in ipairs(split(ARGV[A + 3], ',')) do R('SADD', P .. 'members:' .. qn, aid) end
R('SADD', P .. 'agents', aid)
a = load_agent(aid)
compute_cands(a)
mark_working(a)
if was_available then enter_available(a, tonumber(a.h.idle) or NOW) end
emit({type = 'agent.updated', agent_id = aid, state = a.h.state})
if a.h.state ~= 'offline' and C.auto then match_agent(aid) end
return finish(true, '')
