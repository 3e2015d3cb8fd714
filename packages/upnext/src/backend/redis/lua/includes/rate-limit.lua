-- Rate limiting with GCRA (a token bucket written as one timestamp per bucket: the
-- "theoretical arrival time"). `interval` = window / limit; `tolerance` is how much earlier than
-- its slot a request may pass (0: evenly spaced). Times come from the Redis server clock, so
-- workers with skewed clocks share one limiter correctly.
local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Reserves the next free slot; returns when that request may run (>= now).
local function gcra_reserve(key, now, interval, tolerance, ttl)
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local allowed = tat - tolerance
  if allowed < now then allowed = now end
  redis.call('SET', key, tat + interval, 'PX', ttl)
  return allowed
end

-- When the next request would be allowed, without reserving anything.
local function gcra_next(key, now, tolerance)
  local tat = tonumber(redis.call('GET', key)) or now
  local allowed = tat - tolerance
  if allowed < now then allowed = now end
  return allowed
end

-- How many requests may run right now, without reserving anything.
local function gcra_available(key, now, interval, tolerance)
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local available = math.floor((now + tolerance - tat) / interval) + 1
  if available < 0 then available = 0 end
  return available
end
