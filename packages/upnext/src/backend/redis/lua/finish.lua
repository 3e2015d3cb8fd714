-- finish: active -> complete | failed | retrying | queued for a batch of jobs of one function,
-- then (optionally) claims the next jobs for the freed slots in the same call.
-- Every finish is a compare-and-set on (status = active, token = the claim's token): a job
-- cancelled while running stays cancelled, and a late finish after a lost lease is discarded.
-- KEYS[1] leases       ZSET job id -> lease expiry
-- KEYS[2] dead letter  ZSET job id -> time it died (ms)
-- KEYS[3] scheduled    ZSET of retrying jobs by due time
-- KEYS[4] stream       function's stream (immediate retries, claim of the next jobs)
-- KEYS[5] job prefix
-- ARGV[1] now (ms)
-- ARGV[2] retention of finished jobs (ms)
-- ARGV[3] retention of dead-lettered jobs (ms)
-- ARGV[4] done channel
-- ARGV[5] group
-- ARGV[6] consumer (worker id)
-- ARGV[7] claim count (0 = claim nothing)
-- ARGV[8] lease (ms)
-- ARGV[9] number of outcomes, then 6 values per outcome:
--   id, token, kind (complete|failed|retry), payload (result or error JSON), reason, retry-at (ms)
-- Returns JSON {results, jobs, bad, last}; results[i] = 'ok' or the job's current status
-- ('gone' when the hash no longer exists) when the finish was discarded.
--@include settle
--@include claim-jobs
local now, retention, dead_retention = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local channel = ARGV[4]
local n = tonumber(ARGV[9])
local results = {}
local settled = {}
for i = 0, n - 1 do
  local base = 10 + i * 6
  local id, token, kind = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  local payload, reason, retry_at = ARGV[base + 3], ARGV[base + 4], tonumber(ARGV[base + 5])
  local key = KEYS[5] .. id
  local state = redis.call('HMGET', key, 'status', 'token', 'waited', 'reason')
  if not state[1] then
    results[#results + 1] = 'gone'
  elseif state[1] ~= 'active' or state[2] ~= token then
    results[#results + 1] = state[1]
  else
    settled[#settled + 1] = id
    if kind == 'complete' then
      redis.call('HSET', key, 'status', 'complete', 'result', payload, 'finishedAt', now)
      -- An earlier attempt's error must not make a completed job look failed.
      if state[4] then redis.call('HDEL', key, 'error', 'reason') end
      expire_terminal(key, retention)
      if state[3] == '1' then redis.call('PUBLISH', channel, id .. ' complete') end
    elseif kind == 'failed' then
      redis.call('HSET', key, 'status', 'failed', 'error', payload, 'reason', reason, 'finishedAt', now)
      redis.call('ZADD', KEYS[2], now, id)
      expire_terminal(key, dead_retention)
      if state[3] == '1' then redis.call('PUBLISH', channel, id .. ' failed') end
    else
      -- retry: the failed attempt's error stays on the job until the next one ends.
      if retry_at > now then
        redis.call('HSET', key, 'status', 'retrying', 'error', payload, 'reason', reason, 'scheduledAt', retry_at)
        redis.call('ZADD', KEYS[3], retry_at, id)
      else
        redis.call('HSET', key, 'status', 'queued', 'error', payload, 'reason', reason, 'scheduledAt', now)
        redis.call('XADD', KEYS[4], '*', 'i', id)
      end
    end
    results[#results + 1] = 'ok'
  end
end
if #settled > 0 then redis.call('ZREM', KEYS[1], unpack(settled)) end
local jobs, bad, last_id = claim_jobs(KEYS[4], KEYS[1], KEYS[5], ARGV[5], ARGV[6], tonumber(ARGV[7]), now,
  tonumber(ARGV[8]))
return cjson.encode({results = results, jobs = jobs, bad = bad, last = last_id})
