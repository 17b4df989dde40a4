-- Trent's shared quota decision: one atomic call covers every bucket of a
-- request, all or nothing. The same steps as trent-core's window.rs
-- (WindowState::check / record) and gcra.rs, over the same layout, so the
-- decisions are the ones the in-memory limiter makes.
--
-- One call decides a batch of requests, one after another, each atomically
-- (all its buckets or none), all at the same instant.
--
-- KEYS[i]  one hash per distinct bucket of the batch
-- ARGV[1]  "" to read the clock with TIME, else an explicit time in ns (tests)
-- ARGV[2]  re-base a busy bucket once its local time passes this many ns
-- ARGV[3]  record positions: twice window.rs MAX_RECORDS (the most a
--          bucket can hold with any costs)
-- ARGV[4]  number of requests; then per request: its number of buckets, and
--          per bucket: key index (into KEYS), kind ("w" window | "t" token
--          bucket), p1 (window ns | emission interval ns), p2 (capacity |
--          burst tolerance ns), cost. A request names each bucket once.
--
-- Returns, per request, 1, 0 when every bucket admitted it (and all were
-- charged), else 0, retry_after_ns with -1 for "never" (cost above capacity).
--
-- Lua numbers are doubles: integers are exact only below 2^53 ns (104 days),
-- and Unix time in ns is ~2^60. So each bucket keeps its own origin
-- (bs seconds + bo ns) and all its times are ns since that origin: set to
-- the current second whenever the bucket is idle (forgetting an idle bucket
-- changes no decision), and moved forward by whole seconds when a bucket
-- stays busy past ARGV[2], which keeps every comparison as it was.
--
-- Hash fields: k kind, w window, T total, h head and n newest record
-- number, L latest, x local time the key is kept until, bs/bo origin, tat
-- (token bucket); c<pos>/l<pos> count and last admission of the record
-- numbered r, pos = r mod ARGV[3].

local explicit = ARGV[1] ~= ""
local sec, frac
if explicit then
  sec, frac = 0, tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  sec, frac = tonumber(t[1]), tonumber(t[2]) * 1000
end
local REBASE = tonumber(ARGV[2])
local POSITIONS = tonumber(ARGV[3])
local NS = 1000000000
-- How far past its last record a bucket's key lives. The expiry runs on
-- Redis's own clock; explicit times (tests) may move slower than it, so
-- they get a minute.
local MARGIN = NS
if explicit then MARGIN = 60 * NS end

-- floor(a / b) for non-negative integers below 2^53, exact.
local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end

local function pos(r) return r - idiv(r, POSITIONS) * POSITIONS end

local function num(v, d) if v then return tonumber(v) end return d end

local states = {}

-- Bucket state of KEYS[i], read once per call.
local function state(i)
  local b = states[i]
  if b then return b end
  b = { key = KEYS[i], c = {}, l = {}, dirty = {} }
  local v = redis.call('HMGET', b.key, 'k', 'w', 'T', 'h', 'n', 'L', 'bs', 'bo', 'tat', 'x')
  b.loaded_kind = v[1]
  b.skind = v[1]
  if v[1] then
    b.window, b.total, b.head, b.newest, b.latest = num(v[2], 0), num(v[3], 0), num(v[4], 1), num(v[5], 0), num(v[6], 0)
    b.bs, b.bo, b.tat, b.kept = num(v[7], sec), num(v[8], 0), num(v[9], 0), num(v[10], 0)
  else
    b.window, b.total, b.head, b.newest, b.latest, b.bs, b.bo, b.tat, b.kept = 0, 0, 1, 0, 0, sec, 0, 0, 0
  end
  -- As stored, to write back only what changed.
  b.stored = { b.window, b.head, b.newest, b.bs, b.bo }
  states[i] = b
  return b
end

-- Record position p's count and last admission, read once per call; a value already
-- changed in this call is kept.
local function slot(b, p)
  if b.c[p] == nil or b.l[p] == nil then
    local v = redis.call('HMGET', b.key, 'c' .. p, 'l' .. p)
    if b.c[p] == nil then b.c[p] = num(v[1], 0) end
    if b.l[p] == nil then b.l[p] = num(v[2], 0) end
  end
  return b.c[p], b.l[p]
end

local function set_count(b, p, c) b.c[p] = c; b.dirty[p] = true end

-- Time since the bucket's origin.
local function local_time(b) return (sec - b.bs) * NS + frac - b.bo end

-- An idle bucket starts afresh at the current second (no decision changes).
local function idle(b, t)
  if b.kind == 't' then return b.tat <= t end
  return b.total == 0 or b.latest + b.window <= t
end

local function fresh(b)
  b.window, b.total, b.head, b.newest, b.latest, b.bs, b.bo, b.tat, b.kept = 0, 0, 1, 0, 0, sec, 0, 0, 0
  b.c, b.l, b.dirty = {}, {}, {}
  b.reset = true
end

-- Moves the origin forward by d ns, whole seconds; for a window no further
-- than the start of the window, so every live time stays positive.
local function rebase(b, t)
  local d
  if b.kind == 't' then
    d = idiv(t, NS) * NS
    b.tat = b.tat - d
  else
    d = idiv(math.max(t - b.window, 0), NS) * NS
    if d == 0 then return end
    b.latest = b.latest - d
    for r = b.head, b.newest do
      local p = pos(r)
      local _, l = slot(b, p)
      b.l[p] = l - d
      b.dirty[p] = true
    end
  end
  b.kept = math.max(b.kept - d, 0)
  local o = b.bo + d
  b.bs = b.bs + idiv(o, NS)
  b.bo = o - idiv(o, NS) * NS
end

-- window.rs WindowState::expire.
local function expire(b, t, window)
  if b.window ~= window then
    b.window, b.total, b.head, b.newest, b.latest = window, 0, 1, 0, 0
    return
  end
  if b.total == 0 then return end
  if b.latest + window <= t then
    b.total = 0
    b.head = b.newest + 1
    return
  end
  while b.head <= b.newest do
    local c, l = slot(b, pos(b.head))
    if l + window > t then break end
    b.total = b.total - c
    b.head = b.head + 1
  end
end

-- One bucket's check: allowed?, retry_after (-1: never). Charges nothing.
local function check(b)
  if b.skind ~= b.kind then
    -- Last used by the other algorithm (or never): empty.
    fresh(b)
    b.skind = b.kind
  end
  local t = local_time(b)
  if b.kind == 't' then
    if idle(b, t) then fresh(b); t = local_time(b) end
    if t > REBASE then rebase(b, t); t = local_time(b) end
    b.now = t
    -- gcra.rs gcra().
    local T, tau, cost = b.p1, b.p2, b.cost
    if cost == 0 then b.new_tat = b.tat; return true, 0 end
    local inc = T * cost
    if inc - T > tau then return false, -1 end
    local new_tat = math.max(b.tat, t) + inc
    local allow_at = new_tat - T - tau
    if allow_at <= t then b.new_tat = new_tat; return true, 0 end
    return false, allow_at - t
  end
  local window, capacity, cost = b.p1, b.p2, b.cost
  -- window.rs WindowParams::quantum.
  b.quantum = idiv(capacity + POSITIONS / 2 - 1, POSITIONS / 2)
  if cost > capacity then return false, -1 end
  if b.window == window and idle(b, t) then fresh(b); t = local_time(b) end
  if b.window == window and t > REBASE then rebase(b, t); t = local_time(b) end
  t = math.max(t, b.latest)
  b.now = t
  expire(b, t, window)
  if b.total + cost <= capacity then return true, 0 end
  local need = b.total + cost - capacity
  local freed = 0
  for r = b.head, b.newest do
    local c, l = slot(b, pos(r))
    freed = freed + c
    if freed >= need then return false, math.max(l + window - t, 0) end
  end
  return false, window
end

-- window.rs WindowState::record, at the time check used.
local function record(b)
  local t, cost = b.now, b.cost
  if cost == 0 then return end
  local merged = false
  if b.head <= b.newest then
    local at = pos(b.newest)
    local c, l = slot(b, at)
    if l == t or c + cost <= b.quantum then
      set_count(b, at, c + cost)
      b.l[at] = t
      merged = true
    end
  end
  if not merged then
    if b.total == 0 then b.head = b.newest + 1 end
    b.newest = b.newest + 1
    local at = pos(b.newest)
    set_count(b, at, cost)
    b.l[at] = t
  end
  b.latest = t
  b.total = b.total + cost
end

local results = {}
local a = 5
for _ = 1, tonumber(ARGV[4]) do
  local n = tonumber(ARGV[a])
  local draws = {}
  for j = 1, n do
    local o = a + (j - 1) * 5
    local b = state(tonumber(ARGV[o + 1]))
    b.kind, b.p1, b.p2, b.cost = ARGV[o + 2], tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
    draws[j] = b
  end
  a = a + 1 + n * 5
  local refused, wait = false, 0
  for j = 1, n do
    local ok, retry = check(draws[j])
    if not ok then
      if not refused or retry == -1 or (wait ~= -1 and retry > wait) then wait = retry end
      refused = true
    end
  end
  if refused then
    results[#results + 1] = 0
    results[#results + 1] = wait
  else
    for j = 1, n do
      local b = draws[j]
      if b.kind == 't' then b.tat = b.new_tat else record(b) end
      b.touched = true
    end
    results[#results + 1] = 1
    results[#results + 1] = 0
  end
end

for _, b in pairs(states) do
  if b.touched then
  if b.reset then redis.call('DEL', b.key) end
  -- Only what changed is written, and the TTL only when it moves by more
  -- than the one-second margin allows: these calls are most of the cost.
  local ttl
  if b.kind == 't' then
    redis.call('HSET', b.key, 'k', 't', 'tat', b.tat, 'bs', b.bs, 'bo', b.bo)
    ttl = b.tat - b.now
  else
    local before = b.stored
    local fields = { 'T', b.total, 'L', b.latest }
    if b.reset or b.loaded_kind ~= 'w' or before[1] ~= b.window or before[4] ~= b.bs or before[5] ~= b.bo then
      for _, f in ipairs({ 'k', 'w', 'w', b.window, 'bs', b.bs, 'bo', b.bo }) do fields[#fields + 1] = f end
    end
    if before[2] ~= b.head or before[3] ~= b.newest or b.reset then
      for _, f in ipairs({ 'h', b.head, 'n', b.newest }) do fields[#fields + 1] = f end
    end
    -- The key must outlive every record; pushed a second further at a
    -- time, so most calls leave the TTL alone (these calls are most of
    -- the cost).
    if b.reset or b.latest + b.window > b.kept or before[4] ~= b.bs or before[5] ~= b.bo then
      b.kept = b.latest + b.window + MARGIN
      fields[#fields + 1] = 'x'
      fields[#fields + 1] = b.kept
      ttl = b.kept - b.now
    end
    for p, _ in pairs(b.dirty) do
      fields[#fields + 1] = 'c' .. p
      fields[#fields + 1] = b.c[p]
      if b.l[p] ~= nil then
        fields[#fields + 1] = 'l' .. p
        fields[#fields + 1] = b.l[p]
      end
    end
    redis.call('HSET', b.key, unpack(fields))
  end
  -- Gone once nothing it holds still counts (a token bucket: a second
  -- after it would be full again).
  if ttl then
    if b.kind == 't' then ttl = ttl + NS end
    redis.call('PEXPIRE', b.key, math.floor(ttl / 1000000) + 1)
  end
  end
end
return results
