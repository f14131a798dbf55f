local sid, qn = ARGV[A + 1], ARGV[A + 2]
local q = getq(qn)
if not q then return finish(false, 'unknown_queue') end
local m, why = enqueue_call(sid, q, tonumber(ARGV[A + 3]), ARGV[A + 4] == '1', ARGV[A + 5],
                            tonumber(ARGV[A + 6]), ARGV[A + 7], true, ARGV[A + 8])
if not m then return finish(false, why) end
if C.auto then settle(sid, 0) end
return finish(true, '')
