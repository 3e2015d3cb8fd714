-- enqueue: (new) -> queued | scheduled, with an optional idempotency key.
-- KEYS[1] job hash
-- KEYS[2] stream        function's stream of job ids
-- KEYS[3] scheduled     ZSET of delayed jobs by due time (ms)
-- KEYS[4] job prefix    to look up the job an idempotency key points at
-- KEYS[5] idempotency   (optional) key -> job id
-- ARGV[1] job id
-- ARGV[2] now (ms)
-- ARGV[3] run at (ms); <= now means run now
-- ARGV[4] idempotency TTL (ms)
-- ARGV[5..] field, value pairs of the job hash (without status)
-- Returns {1, id, status} when created, {0, existingId, existingStatus} for a duplicate key.
-- Ids are ULIDs made by the submitter (80 random bits per millisecond), so no existence check.
local id, now, run_at = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if KEYS[5] then
  local existing = redis.call('GET', KEYS[5])
  if existing then
    local status = redis.call('HGET', KEYS[4] .. existing, 'status')
    -- A key that outlived its job (retention shorter than the key's TTL) is reused.
    if status then return {0, existing, status} end
  end
end
if KEYS[5] then redis.call('SET', KEYS[5], id, 'PX', ARGV[4]) end
local status = 'queued'
if run_at > now then status = 'scheduled' end
redis.call('HSET', KEYS[1], 'status', status, unpack(ARGV, 5))
if status == 'scheduled' then
  redis.call('ZADD', KEYS[3], run_at, id)
else
  redis.call('XADD', KEYS[2], '*', 'i', id)
end
return {1, id, status}
