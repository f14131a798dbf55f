-- The Lua side of the in-process store: keys, hashes, sets and sorted sets, and `redis.call`.
--
-- Kept in Lua, next to the scripts, because a script makes dozens of `redis.call`s per decision:
-- answered inside the same Lua state they cost a table lookup, where a call out to Python would cost
-- more than the whole decision. The semantics follow Redis for exactly what the ACD's scripts use
-- (replies as Redis hands them to Lua: integers as numbers, missing values as false, arrays as
-- tables; numbers given as arguments stored as Redis formats them; sets in insertion order, as
-- Redis keeps small sets; sorted sets by score, then member). Keys expire on the store's clock,
-- which the Python side sets before every script from the process clock (the simulated time in a
-- simulation), and only between scripts, as in Redis.
--
-- The chunk is called with two Python callables, `make_list(*items)` and `extend_list(list, *items)`,
-- and returns the functions the Python side drives: compile, run, command, keys, flush.
local make_list, extend_list = ...
local fmt, floor, find, sub, upper = string.format, math.floor, string.find, string.sub, string.upper
local type, tonumber, select, unpack, error = type, tonumber, select, unpack, error

local DATA, TYPE, EXPIRES, HEAP = {}, {}, {}, {}
local NOW = 0
local WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
local TWO53 = 9007199254740992

-- Redis turns number arguments into strings: integers plainly, others at the shortest length
-- that reads back as the same double
local function numstr(n)
  if n == floor(n) and n >= -TWO53 and n <= TWO53 then return fmt('%d', n) end
  if n ~= n then return 'nan' end
  if n == math.huge then return 'inf' end
  if n == -math.huge then return '-inf' end
  for digits = 15, 16 do
    local s = fmt('%.' .. digits .. 'g', n)
    if tonumber(s) == n then return s end
  end
  return fmt('%.17g', n)
end

-- (not named `arg`: Lua 5.1 declares a local `arg` in every vararg function)
local function as_arg(v)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return numstr(v) end
  error('Lua redis lib command arguments must be strings or integers')
end

local function integer(v)
  local n = tonumber(v)
  if n == nil or n ~= floor(n) then error('ERR value is not an integer or out of range') end
  return n
end

-- expiry: a binary heap of {deadline, key}; a key's deadline in EXPIRES says which entry counts
local function heap_push(deadline, key)
  local h = HEAP
  local i = #h + 1
  h[i] = {deadline, key}
  while i > 1 do
    local p = floor(i / 2)
    if h[p][1] <= h[i][1] then break end
    h[p], h[i] = h[i], h[p]
    i = p
  end
end

local function heap_pop()
  local h = HEAP
  local n = #h
  local top = h[1]
  h[1] = h[n]
  h[n] = nil
  n = n - 1
  local i = 1
  while true do
    local l, r, m = 2 * i, 2 * i + 1, i
    if l <= n and h[l][1] < h[m][1] then m = l end
    if r <= n and h[r][1] < h[m][1] then m = r end
    if m == i then break end
    h[m], h[i] = h[i], h[m]
    i = m
  end
  return top
end

local function drop(key)
  if DATA[key] == nil then return 0 end
  DATA[key], TYPE[key], EXPIRES[key] = nil, nil, nil
  return 1
end

local function advance(now)
  NOW = now
  local h = HEAP
  while h[1] ~= nil and h[1][1] < now do
    local e = heap_pop()
    if EXPIRES[e[2]] == e[1] then drop(e[2]) end
  end
end

local function value(key, kind)
  local v = DATA[key]
  if v ~= nil and TYPE[key] ~= kind then error(WRONGTYPE) end
  return v
end

local function create(key, kind, v)
  DATA[key], TYPE[key] = v, kind
  return v
end

local C = {}

-- keys and strings -------------------------------------------------------------------------------

C.DEL = function(...)
  local n = 0
  for i = 1, select('#', ...) do n = n + drop(as_arg((select(i, ...)))) end
  return n
end

C.EXISTS = function(...)
  local n = 0
  for i = 1, select('#', ...) do
    if DATA[as_arg((select(i, ...)))] ~= nil then n = n + 1 end
  end
  return n
end

C.EXPIRE = function(key, seconds)
  local s = integer(seconds)
  if DATA[key] == nil then return 0 end
  if s <= 0 then drop(key); return 1 end
  local deadline = NOW + s * 1000
  EXPIRES[key] = deadline
  heap_push(deadline, key)
  return 1
end

C.TTL = function(key)
  if DATA[key] == nil then return -2 end
  local deadline = EXPIRES[key]
  if deadline == nil then return -1 end
  return floor((deadline - NOW + 500) / 1000)
end

C.GET = function(key)
  local v = value(key, 'string')
  if v == nil then return false end
  return v
end

C.SET = function(key, v, ...)
  if select('#', ...) > 0 then error('ERR SET options are not supported here') end
  drop(key)
  create(key, 'string', as_arg(v))
  return {ok = 'OK'}
end

C.INCRBY = function(key, by)
  local cur = value(key, 'string')
  local n = integer(cur or 0) + integer(by)
  if cur == nil then create(key, 'string', numstr(n)) else DATA[key] = numstr(n) end
  return n
end

C.INCR = function(key) return C.INCRBY(key, 1) end

C.PUBLISH = function(channel, message) return 0 end  -- no subscribers inside one process

-- hashes -----------------------------------------------------------------------------------------

C.HSET = function(key, ...)
  local n = select('#', ...)
  if n == 0 or n % 2 == 1 then error("ERR wrong number of arguments for 'hset' command") end
  local h = value(key, 'hash') or create(key, 'hash', {})
  local args = {...}
  local added = 0
  for i = 1, n, 2 do
    local f = as_arg(args[i])
    if h[f] == nil then added = added + 1 end
    h[f] = as_arg(args[i + 1])
  end
  return added
end

C.HGET = function(key, field)
  local h = value(key, 'hash')
  if h == nil then return false end
  local v = h[as_arg(field)]
  if v == nil then return false end
  return v
end

C.HMGET = function(key, ...)
  local h = value(key, 'hash')
  local out = {...}
  for i = 1, #out do
    local v = h and h[as_arg(out[i])]
    if v == nil then v = false end
    out[i] = v
  end
  return out
end

C.HGETALL = function(key)
  local h = value(key, 'hash')
  local out = {}
  if h == nil then return out end
  local n = 0
  for f, v in pairs(h) do
    out[n + 1], out[n + 2] = f, v
    n = n + 2
  end
  return out
end

C.HDEL = function(key, ...)
  local h = value(key, 'hash')
  if h == nil then return 0 end
  local n = 0
  for i = 1, select('#', ...) do
    local f = as_arg((select(i, ...)))
    if h[f] ~= nil then h[f] = nil; n = n + 1 end
  end
  if next(h) == nil then drop(key) end
  return n
end

C.HINCRBY = function(key, field, by)
  local h = value(key, 'hash') or create(key, 'hash', {})
  field = as_arg(field)
  local n = integer(h[field] or 0) + integer(by)
  h[field] = numstr(n)
  return n
end

-- sets: members in insertion order, as Redis keeps small sets --------------------------------------

C.SADD = function(key, ...)
  local s = value(key, 'set') or create(key, 'set', {list = {}, index = {}})
  local list, index = s.list, s.index
  local added = 0
  for i = 1, select('#', ...) do
    local m = as_arg((select(i, ...)))
    if index[m] == nil then
      list[#list + 1] = m
      index[m] = #list
      added = added + 1
    end
  end
  return added
end

C.SREM = function(key, ...)
  local s = value(key, 'set')
  if s == nil then return 0 end
  local list, index = s.list, s.index
  local removed = 0
  for i = 1, select('#', ...) do
    local m = as_arg((select(i, ...)))
    local at = index[m]
    if at ~= nil then
      table.remove(list, at)
      index[m] = nil
      for j = at, #list do index[list[j]] = j end
      removed = removed + 1
    end
  end
  if #list == 0 then drop(key) end
  return removed
end

C.SMEMBERS = function(key)
  local s = value(key, 'set')
  local out = {}
  if s == nil then return out end
  for i, m in ipairs(s.list) do out[i] = m end
  return out
end

C.SISMEMBER = function(key, member)
  local s = value(key, 'set')
  if s ~= nil and s.index[as_arg(member)] ~= nil then return 1 end
  return 0
end

C.SCARD = function(key)
  local s = value(key, 'set')
  return s and #s.list or 0
end

-- sorted sets: members in an array ordered by (score, member), scores in a map ---------------------

local function score_of(v)
  local n = tonumber(v)
  if n == nil or n ~= n then error('ERR value is not a valid float') end
  return n
end

-- the first position whose entry is not before (score, member)
local function zpos(z, score, member)
  local list, scores = z.list, z.score
  local lo, hi = 1, #list + 1
  while lo < hi do
    local mid = floor((lo + hi) / 2)
    local m = list[mid]
    local s = scores[m]
    if s < score or (s == score and m < member) then lo = mid + 1 else hi = mid end
  end
  return lo
end

-- the first position whose score is not below `score` (exclusive: not at or below it)
local function zfirst(z, score, exclusive)
  local list, scores = z.list, z.score
  local lo, hi = 1, #list + 1
  while lo < hi do
    local mid = floor((lo + hi) / 2)
    local s = scores[list[mid]]
    if s < score or (exclusive and s == score) then lo = mid + 1 else hi = mid end
  end
  return lo
end

local function bound(v)
  v = as_arg(v)
  local exclusive = sub(v, 1, 1) == '('
  if exclusive then v = sub(v, 2) end
  local lv = string.lower(v)
  local n
  if lv == '-inf' then n = -math.huge
  elseif lv == '+inf' or lv == 'inf' then n = math.huge
  else n = tonumber(v) end
  if n == nil or n ~= n then error('ERR min or max is not a float') end
  return n, exclusive
end

C.ZADD = function(key, ...)
  local n = select('#', ...)
  if n == 0 or n % 2 == 1 then error('ERR syntax error') end
  local args = {...}
  local z = value(key, 'zset') or create(key, 'zset', {list = {}, score = {}})
  local list, scores = z.list, z.score
  local added = 0
  for i = 1, n, 2 do
    local s, m = score_of(args[i]), as_arg(args[i + 1])
    local old = scores[m]
    if old == nil then
      added = added + 1
      table.insert(list, zpos(z, s, m), m)
      scores[m] = s
    elseif old ~= s then
      table.remove(list, zpos(z, old, m))
      table.insert(list, zpos(z, s, m), m)
      scores[m] = s
    end
  end
  return added
end

C.ZREM = function(key, ...)
  local z = value(key, 'zset')
  if z == nil then return 0 end
  local removed = 0
  for i = 1, select('#', ...) do
    local m = as_arg((select(i, ...)))
    local old = z.score[m]
    if old ~= nil then
      table.remove(z.list, zpos(z, old, m))
      z.score[m] = nil
      removed = removed + 1
    end
  end
  if #z.list == 0 then drop(key) end
  return removed
end

C.ZCARD = function(key)
  local z = value(key, 'zset')
  return z and #z.list or 0
end

C.ZSCORE = function(key, member)
  local z = value(key, 'zset')
  local s = z and z.score[as_arg(member)]
  if s == nil then return false end
  return numstr(s)
end

C.ZRANK = function(key, member)
  local z = value(key, 'zset')
  local m = as_arg(member)
  local s = z and z.score[m]
  if s == nil then return false end
  return zpos(z, s, m) - 1
end

local function withscores(opt)
  if opt == nil then return false end
  if upper(as_arg(opt)) == 'WITHSCORES' then return true end
  error('ERR syntax error')
end

C.ZRANGE = function(key, start, stop, opt, ...)
  if select('#', ...) > 0 then error('ERR ZRANGE options other than WITHSCORES are not supported here') end
  local ws = withscores(opt)
  local out = {}
  local z = value(key, 'zset')
  if z == nil then return out end
  local list, scores = z.list, z.score
  local n = #list
  start, stop = integer(start), integer(stop)
  if start < 0 then start = n + start end
  if stop < 0 then stop = n + stop end
  if start < 0 then start = 0 end
  if stop >= n then stop = n - 1 end
  for i = start + 1, stop + 1 do
    local m = list[i]
    out[#out + 1] = m
    if ws then out[#out + 1] = numstr(scores[m]) end
  end
  return out
end

C.ZRANGEBYSCORE = function(key, min, max, ...)
  local lo, lo_ex = bound(min)
  local hi, hi_ex = bound(max)
  local ws, offset, count = false, 0, -1
  local i, n = 1, select('#', ...)
  while i <= n do
    local opt = upper(as_arg((select(i, ...))))
    if opt == 'WITHSCORES' then ws = true; i = i + 1
    elseif opt == 'LIMIT' and i + 2 <= n then
      offset, count = integer((select(i + 1, ...))), integer((select(i + 2, ...)))
      i = i + 3
    else error('ERR syntax error') end
  end
  local out = {}
  local z = value(key, 'zset')
  if z == nil or offset < 0 then return out end
  local list, scores = z.list, z.score
  local taken = 0
  for j = zfirst(z, lo, lo_ex) + offset, #list do
    if count >= 0 and taken >= count then break end
    local m = list[j]
    local s = scores[m]
    if s > hi or (hi_ex and s == hi) then break end
    out[#out + 1] = m
    if ws then out[#out + 1] = numstr(s) end
    taken = taken + 1
  end
  return out
end

C.ZCOUNT = function(key, min, max)
  local lo, lo_ex = bound(min)
  local hi, hi_ex = bound(max)
  local z = value(key, 'zset')
  if z == nil then return 0 end
  local first = zfirst(z, lo, lo_ex)
  local after = zfirst(z, hi, not hi_ex)
  if after < first then return 0 end
  return after - first
end

-- the scripts' view ------------------------------------------------------------------------------

local function call(cmd, ...)
  local f = C[cmd]
  if f == nil then
    f = C[upper(as_arg(cmd))]
    if f == nil then error('ERR unknown command ' .. tostring(cmd)) end
  end
  return f(...)
end

redis = {
  call = call,
  pcall = function(...)
    local ok, res = pcall(call, ...)
    if ok then return res end
    return {err = res}
  end,
  error_reply = function(msg) return {err = msg} end,
  status_reply = function(msg) return {ok = msg} end,
  log = function() end,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
}

-- a script's return value as Redis replies it: numbers truncated to integers, true as 1, false
-- as nil, arrays up to their first nil; a Lua error becomes the caller's exception
local function reply(v)
  local t = type(v)
  if t == 'number' then
    if v >= 0 then return floor(v) end
    return -floor(-v)
  end
  if t == 'table' then
    if v.err ~= nil then error(v.err, 0) end
    if v.ok ~= nil then return v.ok end
    local out, n = {}, 0
    while v[n + 1] ~= nil do
      n = n + 1
      local x = v[n]
      if type(x) == 'string' then out[n] = x else out[n] = reply(x) end
    end
    if n <= 100 then return make_list(unpack(out, 1, n)) end
    local list = make_list()
    for i = 1, n, 100 do
      local j = i + 99
      if j > n then j = n end
      extend_list(list, unpack(out, i, j))
    end
    return list
  end
  if t == 'boolean' then
    if v then return 1 end
    return nil
  end
  return v
end

local function compile(body, name)
  local chunk, err = loadstring('return function(KEYS, ARGV) ' .. body .. '\nend', '=' .. name)
  if chunk == nil then error('ERR Error compiling script ' .. name .. ': ' .. err, 0) end
  return chunk()
end

local function run(fn, now, nkeys, ...)
  advance(now)
  local keys, argv = {}, {}
  local n = select('#', ...)
  local all = {...}
  for i = 1, nkeys do keys[i] = all[i] end
  for i = nkeys + 1, n do argv[i - nkeys] = all[i] end
  return reply(fn(keys, argv))
end

local function command(now, ...)
  advance(now)
  return reply(call(...))
end

local function keys(now)
  advance(now)
  local out, n = {}, 0
  for k in pairs(DATA) do n = n + 1; out[n] = k end
  table.sort(out)
  return reply(out)
end

local function flush()
  DATA, TYPE, EXPIRES, HEAP = {}, {}, {}, {}
end

return compile, run, command, keys, flush
