-- recover: active -> queued (re-delivery) or active -> failed('lost') for jobs whose lease
-- expired because their worker died or stalled. Atomic per function; no lock needed.
-- KEYS[1] leases
-- KEYS[2] stream
-- KEYS[3] dead letter
-- KEYS[4] job prefix
-- KEYS[5] priority     ZSET of queued jobs with a priority
-- ARGV[1] now (ms)
-- ARGV[2] default max deliveries per attempt (a job's own `maxDeliveries` field wins)
-- ARGV[3] most jobs to recover
-- ARGV[4] retention of dead-lettered jobs (ms)
-- ARGV[5] done channel
-- ARGV[6] error JSON recorded on a lost job
-- Returns {id, outcome ('requeued'|'lost'), attempt, deliveries, parentId, rootId, workerId,
-- dependents}...; dependents ("<fn>|<id>" of DAG children) only for a lost job.
--@include settle
--@include requeue
local now = tonumber(ARGV[1])
local default_max = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[1], id)
  local key = KEYS[4] .. id
  local state = redis.call('HMGET', key, 'status', 'attempt', 'deliveries', 'parentId', 'rootId', 'workerId',
    'maxDeliveries', 'hasDependents')
  if state[1] == 'active' then
    local deliveries = tonumber(state[3]) or 1
    local max_deliveries = tonumber(state[7]) or default_max
    if deliveries >= max_deliveries and upnext_can('active', 'failed') then
      redis.call('HSET', key, 'status', 'failed', 'reason', 'lost', 'error', ARGV[6], 'finishedAt', now)
      redis.call('ZADD', KEYS[3], now, id)
      expire_terminal(key, ARGV[4])
      notify_done(key, id, 'failed', ARGV[5])
      local children = {}
      if state[8] == '1' then
        children = dependents_of(key)
        redis.call('PEXPIRE', key .. ':dependents', ARGV[4])
      end
      out[#out + 1] = {id, 'lost', tonumber(state[2]) or 0, deliveries, state[4], state[5], state[6], children}
    elseif upnext_can('active', 'queued') then
      redis.call('HSET', key, 'status', 'queued', 'redeliver', '1', 'scheduledAt', now)
      requeue(KEYS[2], KEYS[5], key, id)
      out[#out + 1] = {id, 'requeued', tonumber(state[2]) or 0, deliveries, state[4], state[5], state[6]}
    end
  end
end
return out
