-- resolve-dependent: records that one parent of a waiting DAG child has ended and, when that
-- settles the child, moves it: waiting -> queued | scheduled once every parent is done, or
-- waiting -> failed ('dependency_failed') / cancelled (skipped) when a parent failed and the
-- child's onParentFailure policy says so. Idempotent per (child, parent).
-- KEYS[1] child job hash
-- KEYS[2] stream        child function's stream
-- KEYS[3] priority      child function's priority ZSET
-- KEYS[4] scheduled     child function's scheduled ZSET
-- KEYS[5] waiting       child function's waiting ZSET
-- ARGV[1] child id
-- ARGV[2] parent id
-- ARGV[3] parent outcome: complete | failed | cancelled | missing
-- ARGV[4] now (ms)
-- ARGV[5] retention of finished jobs (ms)
-- ARGV[6] done channel
-- Returns {outcome, attempt, parentId, rootId, dependents}; outcome is 'pending', 'queued',
-- 'scheduled', 'failed', 'cancelled' or 'ignored' (not waiting, or this parent already counted).
--@include settle
--@include requeue
local key, id, parent, parent_status = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'status', 'onParentFailure', 'scheduledAt', 'hasDependents', 'attempt',
  'parentId', 'rootId')
if state[1] ~= 'waiting' then return {'ignored', 0, false, false, {}} end
if redis.call('HSETNX', key, 'p:' .. parent, parent_status) == 0 then
  return {'ignored', 0, false, false, {}}
end
local pending = redis.call('HINCRBY', key, 'pendingParents', -1)
local policy = state[2] or 'fail'
local outcome = 'pending'
if parent_status ~= 'complete' and policy ~= 'continue' then
  redis.call('ZREM', KEYS[5], id)
  if policy == 'fail' and upnext_can('waiting', 'failed') then
    local err = cjson.encode({name = 'DependencyFailedError', code = 'dependency_failed',
      message = 'Parent job ' .. parent .. ' ended ' .. parent_status .. ' and this job fails with it (onParentFailure: "fail").'})
    redis.call('HSET', key, 'status', 'failed', 'reason', 'dependency_failed', 'error', err, 'finishedAt', now)
    outcome = 'failed'
  else
    redis.call('HSET', key, 'status', 'cancelled', 'reason', 'cancelled', 'finishedAt', now,
      'cancelReason', 'skipped: parent ' .. parent .. ' ended ' .. parent_status)
    outcome = 'cancelled'
  end
  expire_terminal(key, ARGV[5])
  notify_done(key, id, outcome, ARGV[6])
elseif pending <= 0 then
  redis.call('ZREM', KEYS[5], id)
  local run_at = tonumber(state[3])
  if run_at and run_at > now then
    redis.call('HSET', key, 'status', 'scheduled')
    redis.call('ZADD', KEYS[4], run_at, id)
    outcome = 'scheduled'
  else
    redis.call('HSET', key, 'status', 'queued')
    requeue(KEYS[2], KEYS[3], key, id)
    outcome = 'queued'
  end
end
local children = {}
if (outcome == 'failed' or outcome == 'cancelled') and state[4] == '1' then
  children = dependents_of(key)
  redis.call('PEXPIRE', key .. ':dependents', ARGV[5])
end
return {outcome, tonumber(state[5]) or 0, state[6], state[7], children}
