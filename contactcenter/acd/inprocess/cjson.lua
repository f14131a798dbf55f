-- `cjson` for the in-process store, in Lua: Redis embeds the C library, plain Lua 5.1 has none.
--
-- It covers what the ACD's scripts exchange: they decode the queue configurations Python wrote with
-- `json.dumps` and encode the events Python reads with `json.loads`. Encoding follows the C
-- library's choices where Python could tell them apart: numbers with 14 significant digits, "/"
-- escaped, an empty table as {}, a table with only positive integer keys as an array. Decoded
-- `null` is `cjson.null`. Both sides remember recent work, because the scripts repeat it on every
-- call: decoding the documents it parsed, encoding the strings it escaped.
local fmt, find, sub, byte, char, concat = string.format, string.find, string.sub, string.byte, string.char, table.concat
local floor, huge, type, pairs, next, tonumber, error = math.floor, math.huge, type, pairs, next, tonumber, error

local null = setmetatable({}, {__tostring = function() return 'null' end})

local ESCAPE = {['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f',
                ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
for i = 0, 31 do
  local c = char(i)
  if ESCAPE[c] == nil then ESCAPE[c] = fmt('\\u%04x', i) end
end
ESCAPE[char(127)] = '\\u007f'

-- events repeat the same names and values (types, states, queue and agent ids): each string is
-- escaped once and remembered, up to a bound past which the memory starts afresh
local QUOTED, quoted_count = {}, 0

local function encode_string(s)
  local q = QUOTED[s]
  if q ~= nil then return q end
  if find(s, '[%c"\\/]') == nil then q = '"' .. s .. '"'
  else q = '"' .. (string.gsub(s, '[%c"\\/]', ESCAPE)) .. '"' end
  if quoted_count >= 4096 then QUOTED, quoted_count = {}, 0 end
  QUOTED[s] = q
  quoted_count = quoted_count + 1
  return q
end

local function encode_number(n)
  if n ~= n or n == huge or n == -huge then
    error('Cannot serialise number: must not be NaN or Inf')
  end
  return fmt('%.14g', n)
end

local encode_value

local function encode_array(t, depth)
  local max, count = 0, 0
  for k in pairs(t) do
    if type(k) ~= 'number' or k <= 0 or k ~= floor(k) then return nil end
    count = count + 1
    if k > max then max = k end
  end
  if max > count * 2 and max > 10 then error('Cannot serialise table: excessively sparse array') end
  local out = {}
  for i = 1, max do
    local v = t[i]
    if v == nil then out[i] = 'null' else out[i] = encode_value(v, depth + 1) end
  end
  return '[' .. concat(out, ',') .. ']'
end

-- the scripts encode small flat tables (events) all the time: one pass into one buffer, with each
-- key's '"key":' and each string value remembered (encode_string)
local KEYS_DONE, keys_count = {}, 0

local function encode_table(t, depth)
  if depth > 1000 then error('Cannot serialise, excessive nesting (1001)') end
  local first = next(t)
  if first == nil then return '{}' end
  if type(first) == 'number' then
    local array = encode_array(t, depth)
    if array ~= nil then return array end
  end
  local buf, n = {'{'}, 1
  for k, v in pairs(t) do
    local key = KEYS_DONE[k]
    if key == nil then
      local tk = type(k)
      if tk == 'string' then key = encode_string(k) .. ':'
      elseif tk == 'number' then key = '"' .. encode_number(k) .. '":'
      else error('Cannot serialise ' .. tk .. ': table key must be a number or string') end
      if keys_count >= 1024 then KEYS_DONE, keys_count = {}, 0 end
      KEYS_DONE[k] = key
      keys_count = keys_count + 1
    end
    local tv = type(v)
    if tv == 'string' then v = encode_string(v)
    elseif tv == 'number' then v = encode_number(v)
    else v = encode_value(v, depth + 1) end
    if n > 1 then n = n + 1; buf[n] = ',' end
    buf[n + 1], buf[n + 2] = key, v
    n = n + 2
  end
  buf[n + 1] = '}'
  return concat(buf)
end

encode_value = function(v, depth)
  local t = type(v)
  if t == 'string' then return encode_string(v) end
  if t == 'number' then return encode_number(v) end
  if t == 'boolean' then return v and 'true' or 'false' end
  if v == null then return 'null' end
  if t == 'table' then return encode_table(v, depth) end
  if t == 'nil' then return 'null' end
  error('Cannot serialise ' .. t .. ': type not supported')
end

local UNESCAPE = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'}

local function utf8(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return char(0xF0 + floor(cp / 0x40000), 0x80 + floor(cp / 0x1000) % 0x40,
              0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local function fail(s, i, what)
  error(fmt('Expected %s but found invalid token at character %d', what, i))
end

local function skip(s, i)
  return find(s, '[^ \t\r\n]', i) or #s + 1
end

local decode_value

local function decode_string(s, i)
  local parts, n, j = {}, 0, i + 1
  while true do
    local a = find(s, '["\\]', j)
    if a == nil then fail(s, i, 'string end') end
    n = n + 1
    parts[n] = sub(s, j, a - 1)
    if byte(s, a) == 34 then return concat(parts), a + 1 end
    local c = sub(s, a + 1, a + 1)
    if c == 'u' then
      local cp = tonumber(sub(s, a + 2, a + 5), 16)
      if cp == nil then fail(s, a, 'unicode escape') end
      j = a + 6
      if cp >= 0xD800 and cp <= 0xDBFF and sub(s, j, j + 1) == '\\u' then
        local low = tonumber(sub(s, j + 2, j + 5), 16)
        if low and low >= 0xDC00 and low <= 0xDFFF then
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (low - 0xDC00)
          j = j + 6
        end
      end
      n = n + 1
      parts[n] = utf8(cp)
    else
      local u = UNESCAPE[c]
      if u == nil then fail(s, a, 'escape') end
      n = n + 1
      parts[n] = u
      j = a + 2
    end
  end
end

local function decode_array(s, i)
  local out, n = {}, 0
  i = skip(s, i + 1)
  if sub(s, i, i) == ']' then return out, i + 1 end
  while true do
    local v
    v, i = decode_value(s, i)
    n = n + 1
    out[n] = v
    i = skip(s, i)
    local c = sub(s, i, i)
    if c == ']' then return out, i + 1 end
    if c ~= ',' then fail(s, i, "comma or array end") end
    i = skip(s, i + 1)
  end
end

local function decode_object(s, i)
  local out = {}
  i = skip(s, i + 1)
  if sub(s, i, i) == '}' then return out, i + 1 end
  while true do
    if sub(s, i, i) ~= '"' then fail(s, i, 'object key string') end
    local k
    k, i = decode_string(s, i)
    i = skip(s, i)
    if sub(s, i, i) ~= ':' then fail(s, i, 'colon') end
    local v
    v, i = decode_value(s, skip(s, i + 1))
    out[k] = v
    i = skip(s, i)
    local c = sub(s, i, i)
    if c == '}' then return out, i + 1 end
    if c ~= ',' then fail(s, i, 'comma or object end') end
    i = skip(s, i + 1)
  end
end

decode_value = function(s, i)
  local c = sub(s, i, i)
  if c == '"' then return decode_string(s, i) end
  if c == '{' then return decode_object(s, i) end
  if c == '[' then return decode_array(s, i) end
  if sub(s, i, i + 3) == 'true' then return true, i + 4 end
  if sub(s, i, i + 4) == 'false' then return false, i + 5 end
  if sub(s, i, i + 3) == 'null' then return null, i + 4 end
  local a, b = find(s, '^-?%d+%.?%d*[eE]?[-+]?%d*', i)
  if a ~= nil then
    local n = tonumber(sub(s, a, b))
    if n ~= nil then return n, b + 1 end
  end
  fail(s, i, 'value')
end

-- Scripts decode the same few documents (queue configurations) over and over: each is parsed
-- once and handed out as a fresh copy, so a script may change what it decoded.
local function copy(v)
  if type(v) ~= 'table' or v == null then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end

local PARSED, parsed_count = {}, 0

local function decode(s)
  if type(s) ~= 'string' then error("bad argument #1 to 'decode' (string expected)") end
  local v = PARSED[s]
  if v == nil then
    local i
    v, i = decode_value(s, skip(s, 1))
    if skip(s, i) <= #s then fail(s, i, 'the end') end
    if parsed_count >= 256 then PARSED, parsed_count = {}, 0 end
    PARSED[s] = v
    parsed_count = parsed_count + 1
  end
  return copy(v)
end

cjson = {
  null = null,
  encode = function(v) return encode_value(v, 0) end,
  decode = decode,
}
