-- the agent's wrap-up runs `ms` longer (the wrap zset drives the timer, so the ticker follows)
local aid, ms = ARGV[A + 1], tonumber(ARGV[A + 2])
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
if a.h.state ~= 'wrap_up' then return finish(false, 'not_in_wrap_up') end
local till = (tonumber(a.h.wrap_until) or NOW) + ms
set_fields(a, 'wrap_until', I(till))
if a.h.busy == '1' then
  -- the wrap-up shown is that of the agent's other tasks: each of them runs `ms` longer
  for _, w in ipairs(task_wraps_of(aid)) do R('ZADD', P .. 'twrap', I(w.till + ms), w.mem) end
else
  R('ZADD', P .. 'wrap', I(till), aid)
end
emit({type = 'agent.wrap_extended', agent_id = aid, wrap_until = till / 1000})
return finish(true, '')
