local due = R('ZRANGEBYSCORE', P .. 'offers', '-inf', I(NOW))
local calls = {}
for _, oid in ipairs(due) do
  local sid = rona(oid, 'expired')
  if sid then calls[#calls + 1] = sid end
end
if C.auto then
  for _, sid in ipairs(calls) do settle(sid, 0) end
end
return finish(true, '', {due, {}})
