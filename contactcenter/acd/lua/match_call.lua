local sid = ARGV[A + 1]
local oid, why = settle(sid, 0)
return finish(oid ~= nil, why or '')
