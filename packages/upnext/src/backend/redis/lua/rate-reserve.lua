-- rate-reserve: enqueue-time rate limiting. Reserves `count` consecutive slots of one bucket for
-- jobs about to be submitted, all or none.
-- KEYS[1] rate bucket   the function's shared bucket, or the bucket of one rate key
-- ARGV[1] count         jobs to reserve slots for
-- ARGV[2] interval      window / limit (ms)
-- ARGV[3] tolerance     window - interval (ms): how many may pass at once
-- ARGV[4] mode          'reject' (all must fit now, else nothing is reserved) | 'delay'
-- Returns {1, t1, t2, ...} with the time (server clock, ms) each job may run, or {0, retryAt}
-- when 'reject' found no room now.
--@include rate-limit
local count, interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = server_now()
local ttl = math.ceil((interval + tolerance) * 2 + interval * count) + 1000
if ARGV[4] == 'reject' and gcra_available(KEYS[1], now, interval, tolerance) < count then
  return {0, gcra_next(KEYS[1], now, tolerance)}
end
local out = {1}
for _ = 1, count do out[#out + 1] = gcra_reserve(KEYS[1], now, interval, tolerance, ttl) end
return out
