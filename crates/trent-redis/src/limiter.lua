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
-- ARGV[3]  ring size (window.rs RING)
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
-- changes no decision), and moved forward by a whole number of ring laps
-- when a bucket stays busy past ARGV[2], which keeps every slot number,
-- ring position and comparison as it was.
--
-- Hash fields: k kind, w window, T total, h head, n newest, L latest,
-- bs/bo origin, tat (token bucket); c<pos>/l<pos> count and last admission
-- of ring slot pos.

local explicit = ARGV[1] ~= ""
local sec, frac
if explicit then
  sec, frac = 0, tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  sec, frac = tonumber(t[1]), tonumber(t[2]) * 1000
end
local REBASE = tonumber(ARGV[2])
local RING = tonumber(ARGV[3])
local NS = 1000000000

-- floor(a / b) for non-negative integers below 2^53, exact.
local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end

local function pos(s) return s - idiv(s, RING) * RING end

local function num(v, d) if v then return tonumber(v) end return d end

local states = {}

-- Bucket state of KEYS[i], read once per call.
local function state(i)
  local b = states[i]
  if b then return b end
  b = { key = KEYS[i], c = {}, l = {}, dirty = {} }
  local v = redis.call('HMGET', b.key, 'k', 'w', 'T', 'h', 'n', 'L', 'bs', 'bo', 'tat')
  b.loaded_kind = v[1]
  b.skind = v[1]
  if v[1] then
    b.window, b.total, b.head, b.newest, b.latest = num(v[2], 0), num(v[3], 0), num(v[4], 1), num(v[5], 0), num(v[6], 0)
    b.bs, b.bo, b.tat = num(v[7], sec), num(v[8], 0), num(v[9], 0)
  else
    b.window, b.total, b.head, b.newest, b.latest, b.bs, b.bo, b.tat = 0, 0, 1, 0, 0, sec, 0, 0
  end
  -- As stored, to write back only what changed.
  b.stored = { b.window, b.head, b.newest, b.bs, b.bo }
  states[i] = b
  return b
end

-- Slot p's count and last admission, read once per call; a value already
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
  b.window, b.total, b.head, b.newest, b.latest, b.bs, b.bo, b.tat = 0, 0, 1, 0, 0, sec, 0, 0
  b.c, b.l, b.dirty = {}, {}, {}
  b.reset = true
end

-- Moves the origin forward by d ns (a whole number of ring laps for a window).
local function rebase(b, t)
  local d
  if b.kind == 't' then
    d = idiv(t, NS) * NS
    b.tat = b.tat - d
  else
    local lap = b.slot_width * RING
    d = idiv(math.max(t - b.window, 0), lap) * lap
    if d == 0 then return end
    local k = d / b.slot_width
    b.latest = b.latest - d
    for s = b.head, b.newest do
      local p = pos(s)
      local _, l = slot(b, p)
      b.l[p] = l - d
      b.dirty[p] = true
    end
    b.head, b.newest = b.head - k, b.newest - k
  end
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
    local p = pos(b.head)
    local c, l = slot(b, p)
    if c > 0 and l + window > t then break end
    b.total = b.total - c
    set_count(b, p, 0)
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
  b.slot_width = math.max(idiv(window + RING - 2, RING - 1), 1)
  if cost > capacity then return false, -1 end
  if b.window == window and idle(b, t) then fresh(b); t = local_time(b) end
  if b.window == window and t > REBASE then rebase(b, t); t = local_time(b) end
  t = math.max(t, b.latest)
  b.now = t
  expire(b, t, window)
  if b.total + cost <= capacity then return true, 0 end
  local need = b.total + cost - capacity
  local freed = 0
  for s = b.head, b.newest do
    local c, l = slot(b, pos(s))
    freed = freed + c
    if freed >= need then return false, math.max(l + window - t, 0) end
  end
  return false, window
end

-- window.rs WindowState::record, at the time check used.
local function record(b)
  local t, cost = b.now, b.cost
  if cost == 0 then return end
  local s = idiv(t, b.slot_width)
  local at = pos(s)
  if b.total == 0 then
    b.head, b.newest = s, s
    set_count(b, at, cost)
  elseif s > b.newest then
    for k = b.newest + 1, s - 1 do set_count(b, pos(k), 0) end
    b.newest = s
    set_count(b, at, cost)
  else
    local c = slot(b, at)
    set_count(b, at, c + cost)
  end
  b.l[at] = t
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
      -- A new slot opened: push the expiry out. Admissions within the same
      -- slot are at most one slot width (< 1 s margin) later.
      ttl = b.latest + b.window - b.now + b.slot_width
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
  -- Gone a second after it would be idle: nothing it holds still counts.
  if ttl then redis.call('PEXPIRE', b.key, math.floor(ttl / 1000000) + 1000) end
  end
end
return results
