-- Call controls (contactcenter.calls.controls): an available agent held for a warm-transfer
-- consult (a break with reason "consult", so no offer reaches them); transfer.lua hands a
-- connected call from one agent to another in one step (the first goes to wrap-up).
local aid, sid = ARGV[A + 1], ARGV[A + 2]
local b = load_agent(aid)
if not b then return finish(false, 'unknown_agent') end
if b.h.state ~= 'available' then return finish(false, 'agent_unavailable') end
leave_available(b)
R('HSET', P .. 'agent:' .. aid, 'consult', sid)
agent_state(b, 'break', 'consult', {call_sid = sid})
return finish(true, '')
