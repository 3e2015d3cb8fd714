-- release: active -> queued for jobs a worker hands back (prefetched jobs at shutdown, and
-- in-flight jobs that did not finish within the shutdown timeout). The attempt is given back
-- too, so a hand-back never uses up one of the job's retries.
-- KEYS[1] leases
-- KEYS[2] stream
-- KEYS[3] job prefix
-- KEYS[4] priority     ZSET of queued jobs with a priority
-- ARGV[1] now (ms)
-- ARGV[2] number of jobs, then per job: id, token
-- Returns one entry per job: 'ok' or the job's current status ('gone' when missing).
--@include requeue
local results = {}
for i = 0, tonumber(ARGV[2]) - 1 do
  local id, token = ARGV[3 + i * 2], ARGV[4 + i * 2]
  local key = KEYS[3] .. id
  local state = redis.call('HMGET', key, 'status', 'token', 'deliveries')
  if not state[1] then
    results[#results + 1] = 'gone'
  elseif state[1] ~= 'active' or state[2] ~= token or not upnext_can('active', 'queued') then
    results[#results + 1] = state[1]
  else
    redis.call('ZREM', KEYS[1], id)
    redis.call('HINCRBY', key, 'attempt', -1)
    redis.call('HSET', key, 'status', 'queued', 'scheduledAt', ARGV[1])
    redis.call('HDEL', key, 'workerId')
    requeue(KEYS[2], KEYS[4], key, id)
    results[#results + 1] = 'ok'
  end
end
return results
