-- finish: active -> complete | failed | retrying | queued for a batch of jobs of one function,
-- then (optionally) claims the next jobs for the freed slots in the same call.
-- Every finish is a compare-and-set on (status = active, token = the claim's token): a job
-- cancelled while running stays cancelled, and a late finish after a lost lease is discarded.
-- KEYS[1] leases       ZSET job id -> lease expiry
-- KEYS[2] dead letter  ZSET job id -> time it died (ms)
-- KEYS[3] scheduled    ZSET of retrying jobs by due time
-- KEYS[4] stream       function's stream (immediate retries, claim of the next jobs)
-- KEYS[5] job prefix
-- KEYS[6] priority     ZSET of queued jobs with a priority
-- KEYS[7] config       HASH of the function's settings
-- KEYS[8] rate prefix
-- ARGV[1] now (ms)
-- ARGV[2] retention of finished jobs (ms)
-- ARGV[3] retention of dead-lettered jobs (ms)
-- ARGV[4] done channel
-- ARGV[5] group
-- ARGV[6] consumer (worker id)
-- ARGV[7] claim count (0 = claim nothing)
-- ARGV[8] lease (ms)
-- ARGV[9] runnable (free running slots on the worker)
-- ARGV[10] namespace prefix "<ns>:"
-- ARGV[11] traced: "1" to return the trace fields of the jobs claimed (see docs/decisions/0014)
-- ARGV[12] number of outcomes, then 7 values per outcome:
--   id, token, kind (complete|failed|retry), payload (result or error JSON), reason, retry-at (ms),
--   first-attempt span context ("" for none; kept once, on a retry, as `traceFirst`)
-- Returns JSON {results, dependents, jobs, bad, last, blocked, reason, deferred}; results[i] = 'ok'
-- or the job's current status ('gone' when the hash no longer exists) when the finish was
-- discarded; dependents lists {parentId, outcome, "<fn>|<id>"} of DAG children to resolve.
--@include settle
--@include requeue
--@include claim-jobs
local now, retention, dead_retention = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local channel = ARGV[4]
local n = tonumber(ARGV[12])
local results = {}
local dependents = {}
local settled = {}
for i = 0, n - 1 do
  local base = 13 + i * 7
  local id, token, kind = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  local payload, reason, retry_at = ARGV[base + 3], ARGV[base + 4], tonumber(ARGV[base + 5])
  local first_span = ARGV[base + 6]
  local key = KEYS[5] .. id
  local state = redis.call('HMGET', key, 'status', 'token', 'waited', 'reason', 'hasDependents')
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
      if first_span ~= '' then redis.call('HSETNX', key, 'traceFirst', first_span) end
      if retry_at > now then
        redis.call('HSET', key, 'status', 'retrying', 'error', payload, 'reason', reason, 'scheduledAt', retry_at)
        redis.call('ZADD', KEYS[3], retry_at, id)
      else
        redis.call('HSET', key, 'status', 'queued', 'error', payload, 'reason', reason, 'scheduledAt', now)
        requeue(KEYS[4], KEYS[6], key, id)
      end
    end
    if kind ~= 'retry' and state[5] == '1' then
      for _, child in ipairs(dependents_of(key)) do dependents[#dependents + 1] = {id, kind, child} end
      redis.call('PEXPIRE', key .. ':dependents', kind == 'failed' and dead_retention or retention)
    end
    results[#results + 1] = 'ok'
  end
end
if #settled > 0 then redis.call('ZREM', KEYS[1], unpack(settled)) end
local out = claim_jobs(
  {stream = KEYS[4], leases = KEYS[1], prefix = KEYS[5], prio = KEYS[6], scheduled = KEYS[3], config = KEYS[7],
    rate_prefix = KEYS[8], ns = ARGV[10]},
  {group = ARGV[5], consumer = ARGV[6], count = tonumber(ARGV[7]), now = now, lease_ms = tonumber(ARGV[8]),
    runnable = tonumber(ARGV[9]), traced = ARGV[11] == '1'})
out.results = results
out.dependents = dependents
return cjson.encode(out)
