local sid, reason = ARGV[A + 1], ARGV[A + 2]
local ch = load_call(sid)
if not ch then return finish(false, 'unknown_call') end
if ch.state == 'waiting' then
  R('ZREM', zkey(ch), ch.m)
  finish_call(ch, 'abandoned', reason)
  return finish(true, '')
end
if ch.state == 'offered' and channel_of(ch) ~= 'voice' then
  local oid = ch.offer
  local o = hgetall(P .. 'offer:' .. oid)
  if o.state == 'pending' then close_offer(oid, o, 'rescinded') end
  R('ZREM', P .. 'offers', oid)
  finish_call(ch, 'abandoned', reason)
  local a = load_agent(ch.agent)
  if a then
    release_task(a, sid, channel_of(ch))
    task_view(a)
    if C.auto then match_agent(a.id) end
  end
  return finish(true, '')
end
if ch.state == 'connected' and channel_of(ch) ~= 'voice' then
  complete_task(ch, ch.agent, -1, 'completed')
  return finish(true, 'completed')
end
if ch.state == 'offered' then
  -- the caller hung up while an agent was being offered the call: the offer is withdrawn and
  -- the agent is available again, keeping its place (no penalty)
  local oid = ch.offer
  local o = hgetall(P .. 'offer:' .. oid)
  if o.state == 'pending' then close_offer(oid, o, 'rescinded') end
  R('ZREM', P .. 'offers', oid)
  finish_call(ch, 'abandoned', reason)
  local a = load_agent(ch.agent)
  if a and a.h.state == 'reserved' and a.h.offer == oid then
    set_fields(a, 'offer', '', 'call', '')
    agent_state(a, 'available', '')
    enter_available(a, tonumber(a.h.idle) or NOW)
    if C.auto then match_agent(a.id) end
  end
  return finish(true, '')
end
if ch.state == 'connected' then
  -- the call ended while connected: an ordinary completion with the queue's wrap-up
  local a = load_agent(ch.agent)
  if a and not (a.h.state == 'on_call' and a.h.call == sid) then a = nil end
  local wrap = complete_call(ch, a, -1, 'completed')
  if a then
    if wrap > 0 then
      R('ZADD', P .. 'wrap', I(NOW + wrap), a.id)
      agent_state(a, 'wrap_up', '', {wrap_until = (NOW + wrap) / 1000})
    else
      agent_state(a, 'available', '')
      enter_available(a, NOW)
      if C.auto then match_agent(a.id) end
    end
  end
  return finish(true, 'completed')
end
return finish(false, 'already_' .. ch.state)
