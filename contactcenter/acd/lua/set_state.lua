local aid, target, reason, force = ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], ARGV[A + 4] == '1'
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
local cur = a.h.state
if cur == target then
  if target == 'break' and a.h.reason ~= reason then
    agent_state(a, 'break', reason)
    return finish(true, '')
  end
  return finish(true, 'unchanged')
end
local till = tonumber(a.h.wrap_until) or 0
if a.h.busy == '1' then
  -- the state shown is that of the agent's other tasks: connected ones carry on whatever the
  -- agent's state; offered ones go back to wait when the agent stops working
  if cur == 'on_call' and not force then return finish(false, 'on_call') end
  if target == 'available' and not force then return finish(false, cur) end
  local back = rescind_task_offers(a)
  if target == 'available' then end_task_wraps(a, true) end
  set_fields(a, 'busy', '', 'call', '')
  agent_state(a, target, reason, {forced = force or nil})
  if target == 'available' then enter_available(a, NOW); task_view(a) end
  if C.auto then
    for _, sid in ipairs(back) do settle(sid, 0) end
    if target == 'available' then match_agent(aid) end
  end
  return finish(true, '')
end
-- refusals first, before anything changes
if cur == 'on_call' and not force then return finish(false, 'on_call') end
if cur == 'reserved' and target == 'available' then return finish(false, 'reserved') end
if target == 'available' and NOW < till and not force then return finish(false, 'wrap_up') end
local requeued = nil
if cur == 'on_call' then
  -- a supervisor frees a stuck agent: the router's copy of the call ends here
  local ch = load_call(a.h.call or '')
  if ch and ch.state == 'connected' and ch.agent == aid then
    complete_call(ch, a, 0, 'forced')
  end
  set_fields(a, 'call', '', 'wrap_until', I(NOW))
elseif cur == 'reserved' then
  local oid = a.h.offer or ''
  local o = hgetall(P .. 'offer:' .. oid)
  if o.state == 'pending' then
    close_offer(oid, o, 'rescinded')
    local ch = load_call(o.call)
    if ch and ch.state == 'offered' and ch.offer == oid then requeue(ch); requeued = ch.sid end
  end
  set_fields(a, 'offer', '', 'call', '')
elseif cur == 'available' then
  leave_available(a)
elseif cur == 'wrap_up' then
  R('ZREM', P .. 'wrap', aid)
end
if target == 'available' and NOW < till then set_fields(a, 'wrap_until', I(NOW)) end
local back = {}
if target ~= 'available' then back = rescind_task_offers(a) end
agent_state(a, target, reason, {forced = force or nil})
if target == 'available' then enter_available(a, NOW); task_view(a) end
if C.auto then
  for _, sid in ipairs(back) do settle(sid, 0) end
  if requeued then settle(requeued, 0) end
  if target == 'available' then match_agent(aid) end
end
return finish(true, '')
