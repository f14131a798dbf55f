local aid = ARGV[A + 1]
local a = load_agent(aid)
if not a then return finish(false, 'unknown_agent') end
if a.h.state ~= 'available' then return finish(false, a.h.state) end
match_agent(aid, a)
return finish(true, '')
