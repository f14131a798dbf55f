local aid = ARGV[A + 1]
local ok, why = end_wrap(aid, ARGV[A + 2] == '1')
if ok and C.auto then match_agent(aid) end
return finish(ok, why)
