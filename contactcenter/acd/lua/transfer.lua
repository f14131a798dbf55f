local sid, from, to, wrap = ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], tonumber(ARGV[A + 4])
local ch = load_call(sid)
if not ch then return finish(false, 'unknown_call') end
if ch.state ~= 'connected' then return finish(false, 'not_connected') end
if ch.agent ~= from then return finish(false, 'not_your_call') end
if from == to then return finish(false, 'same_agent') end
local b = load_agent(to)
if not b then return finish(false, 'unknown_agent') end
local consulting = b.h.state == 'break' and b.h.reason == 'consult' and
                   R('HGET', P .. 'agent:' .. to, 'consult') == sid
if b.h.state ~= 'available' and not consulting then return finish(false, 'agent_unavailable') end
local a = load_agent(from)
if a and not (a.h.state == 'on_call' and a.h.call == sid) then a = nil end
if wrap < 0 then
  local q = getq(ch.q)
  wrap = (q and q.wrap_ms) or 0
end
local talk = NOW - (tonumber(ch.conn) or NOW)
if b.h.state == 'available' then leave_available(b) end
R('HSET', P .. 'call:' .. sid, 'agent', to, 'conn', I(NOW), 'since', I(NOW))
R('HDEL', P .. 'agent:' .. to, 'consult')
roll_agent_day(b)
bump(b, 'calls', 1)
set_fields(b, 'offer', '', 'call', sid)
agent_state(b, 'on_call', '', {call_sid = sid, transferred_from = from})
call_event(ch, 'connected', {agent_id = to, transferred_from = from})
if a then
  roll_agent_day(a)
  bump(a, 'talk', talk)
  set_fields(a, 'call', '', 'wrap_until', I(NOW + wrap))
  if wrap > 0 then
    R('ZADD', P .. 'wrap', I(NOW + wrap), from)
    agent_state(a, 'wrap_up', '', {wrap_until = (NOW + wrap) / 1000, call_sid = sid})
  else
    agent_state(a, 'available', '')
    enter_available(a, NOW)
    if C.auto then match_agent(from) end
  end
end
return finish(true, '')
