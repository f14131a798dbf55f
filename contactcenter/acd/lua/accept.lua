local oid, aid = ARGV[A + 1], ARGV[A + 2]
local o = hgetall(P .. 'offer:' .. oid)
if not o.state then return finish(false, 'unknown_offer') end
if o.agent ~= aid then return finish(false, 'not_your_offer') end
if o.state ~= 'pending' then
  if o.state == 'accepted' then return finish(false, 'already_accepted') end
  return finish(false, o.state)
end
if NOW >= tonumber(o.expires) then
  local sid = rona(oid, 'expired')
  if sid and C.auto then settle(sid, 0) end
  return finish(false, 'expired')
end
local ch = load_call(o.call)
local a = load_agent(aid)
if o.chan and o.chan ~= 'voice' then
  if not ch or ch.state ~= 'offered' or ch.offer ~= oid or not a or R('SISMEMBER', held_key(aid), ch.sid) ~= 1 then
    close_offer(oid, o, 'rescinded')
    return finish(false, 'inconsistent')
  end
  set_fields(a, 'rr:' .. ch.q, I(connect_offer(oid, o, ch, a)))
  task_view(a)
  return finish(true, '')
end
if not ch or ch.state ~= 'offered' or ch.offer ~= oid or not a or a.h.offer ~= oid then
  -- cannot happen while every change goes through these scripts; closed rather than left stuck
  close_offer(oid, o, 'rescinded')
  return finish(false, 'inconsistent')
end
set_fields(a, 'rr:' .. ch.q, I(connect_offer(oid, o, ch, a)), 'offer', '', 'call', ch.sid)
agent_state(a, 'on_call', '', {call_sid = ch.sid})
return finish(true, '')
