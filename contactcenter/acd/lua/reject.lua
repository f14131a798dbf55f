local oid, aid = ARGV[A + 1], ARGV[A + 2]
local o = hgetall(P .. 'offer:' .. oid)
if not o.state then return finish(false, 'unknown_offer') end
if o.agent ~= aid then return finish(false, 'not_your_offer') end
if o.state ~= 'pending' then return finish(false, o.state) end
local outcome = 'rejected'
if NOW >= tonumber(o.expires) then outcome = 'expired' end
local sid = rona(oid, outcome)
if sid and C.auto then settle(sid, 0) end
if outcome == 'expired' then return finish(false, 'expired') end
return finish(true, '')
