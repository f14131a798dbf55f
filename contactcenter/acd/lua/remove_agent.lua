local aid = ARGV[A + 1]
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
if a.h.state ~= 'offline' then return finish(false, 'not_offline') end
for _, qn in ipairs(a.queues) do R('SREM', P .. 'members:' .. qn, aid) end
R('SREM', P .. 'agents', aid)
R('ZREM', P .. 'wrap', aid)
R('DEL', P .. 'agent:' .. aid, held_key(aid))
emit({type = 'agent.removed', agent_id = aid})
return finish(true, '')
