-- active -> queued (re-delivery) or active -> failed('lost') for jobs of one function whose lease
-- expired because their worker died or stalled (recover.lua, sweep.lua).
-- k: leases, stream, dead (dead-letter ZSET), prefix (job hashes), prio.
-- a: now, default_max (max deliveries for jobs without their own), limit, dead_retention (ms),
--    channel (done channel), lost_error (error JSON recorded on a lost job).
-- Returns {id, outcome ('requeued'|'lost'), attempt, deliveries, parentId, rootId, workerId,
-- dependents}...; dependents ("<fn>|<id>" of DAG children) only for a lost job.
--@include settle
--@include requeue
local function recover_expired(k, a)
  local now = a.now
  local expired = redis.call('ZRANGEBYSCORE', k.leases, '-inf', now, 'LIMIT', 0, a.limit)
  local out = {}
  for _, id in ipairs(expired) do
    redis.call('ZREM', k.leases, id)
    local key = k.prefix .. id
    local state = redis.call('HMGET', key, 'status', 'attempt', 'deliveries', 'parentId', 'rootId', 'workerId',
      'maxDeliveries', 'hasDependents')
    if state[1] == 'active' then
      local deliveries = tonumber(state[3]) or 1
      local max_deliveries = tonumber(state[7]) or a.default_max
      if deliveries >= max_deliveries and upnext_can('active', 'failed') then
        redis.call('HSET', key, 'status', 'failed', 'reason', 'lost', 'error', a.lost_error, 'finishedAt', now)
        redis.call('ZADD', k.dead, now, id)
        expire_terminal(key, a.dead_retention)
        notify_done(key, id, 'failed', a.channel)
        local children = {}
        if state[8] == '1' then
          children = dependents_of(key)
          redis.call('PEXPIRE', key .. ':dependents', a.dead_retention)
        end
        out[#out + 1] = {id, 'lost', tonumber(state[2]) or 0, deliveries, state[4], state[5], state[6], children}
      elseif upnext_can('active', 'queued') then
        redis.call('HSET', key, 'status', 'queued', 'redeliver', '1', 'scheduledAt', now)
        requeue(k.stream, k.prio, key, id)
        out[#out + 1] = {id, 'requeued', tonumber(state[2]) or 0, deliveries, state[4], state[5], state[6]}
      end
    end
  end
  return out
end
