local sid, aid, wrap = ARGV[A + 1], ARGV[A + 2], tonumber(ARGV[A + 3])
local ch = load_call(sid)
if not ch then return finish(false, 'unknown_call') end
if ch.state ~= 'connected' then
  if ch.state == 'completed' then return finish(false, 'already_completed') end
  return finish(false, 'not_connected')
end
if ch.agent ~= aid then return finish(false, 'not_your_call') end
if channel_of(ch) ~= 'voice' then
  complete_task(ch, aid, wrap, 'completed')
  return finish(true, '')
end
local a = load_agent(aid)
if a and not (a.h.state == 'on_call' and a.h.call == sid) then a = nil end
wrap = complete_call(ch, a, wrap, 'completed')
if a then
  if wrap > 0 then
    R('ZADD', P .. 'wrap', I(NOW + wrap), aid)
    agent_state(a, 'wrap_up', '', {wrap_until = (NOW + wrap) / 1000})
  else
    agent_state(a, 'available', '')
    enter_available(a, NOW)
    if C.auto then match_agent(aid) end
  end
end
return finish(true, '')
