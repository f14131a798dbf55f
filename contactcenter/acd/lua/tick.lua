roll_day()
local due = R('ZRANGEBYSCORE', P .. 'offers', '-inf', I(NOW))
for _, oid in ipairs(due) do rona(oid, 'expired') end
local wraps = R('ZRANGEBYSCORE', P .. 'wrap', '-inf', I(NOW))
for _, aid in ipairs(wraps) do end_wrap(aid, false) end
if C.auto then dispatch(tonumber(ARGV[A + 1])) end
return finish(true, '', {due, wraps})
