local aid = ARGV[A + 1]
local a = load_agent(aid)
if a and a.h.busy == '1' and a.h.state == 'wrap_up' then
  -- the wrap-up shown is that of the agent's other tasks: ready means ready for all of them
  local force = ARGV[A + 2] == '1'
  if not force and NOW < (tonumber(a.h.wrap_until) or 0) then return finish(false, 'wrap_up_not_over') end
  end_task_wraps(a, true)
  task_view(a)
  if C.auto then match_agent(aid) end
  return finish(true, '')
end
local ok, why = end_wrap(aid, ARGV[A + 2] == '1')
if ok and C.auto then match_agent(aid) end
return finish(ok, why)
