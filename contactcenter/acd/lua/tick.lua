roll_day()
local due = R('ZRANGEBYSCORE', P .. 'offers', '-inf', I(NOW))
for _, oid in ipairs(due) do rona(oid, 'expired') end
local wraps = R('ZRANGEBYSCORE', P .. 'wrap', '-inf', I(NOW))
for _, aid in ipairs(wraps) do end_wrap(aid, false) end
local twraps = R('ZRANGEBYSCORE', P .. 'twrap', '-inf', I(NOW))
local touched = {}
for _, mem in ipairs(twraps) do
  local aid = string.sub(mem, 1, string.find(mem, '|', 1, true) - 1)
  if not touched[aid] then
    touched[aid] = true
    local a = load_agent(aid)
    if a then end_task_wraps(a, false); task_view(a) else R('ZREM', P .. 'twrap', mem) end
  end
end
if C.auto then dispatch(tonumber(ARGV[A + 1])) end
return finish(true, '', {due, wraps})
