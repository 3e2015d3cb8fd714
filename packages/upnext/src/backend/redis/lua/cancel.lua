-- cancel: waiting | scheduled | queued | active | retrying -> cancelled.
-- A queued or scheduled job never runs (its stream entry is skipped when claimed); an active
-- job's worker is signalled on the cancel channel and its late finish is discarded.
-- KEYS[1] job hash
-- KEYS[2] leases
-- KEYS[3] scheduled
-- KEYS[4] priority     ZSET of queued jobs with a priority
-- KEYS[5] waiting      ZSET of jobs waiting for DAG parents
-- ARGV[1] job id
-- ARGV[2] now (ms)
-- ARGV[3] reason ('' for none)
-- ARGV[4] retention of finished jobs (ms)
-- ARGV[5] done channel
-- ARGV[6] cancel channel
-- Returns {outcome, previousStatus, attempt, parentId, rootId, workerId, fn, dependents}; outcome
-- is 'cancelled', 'missing' or 'terminal' (then previousStatus is the terminal status).
--@include settle
local id = ARGV[1]
local state = redis.call('HMGET', KEYS[1], 'status', 'attempt', 'parentId', 'rootId', 'workerId', 'fn',
  'hasDependents')
local status = state[1]
if not status then return {'missing', false, 0, false, false, false, false, {}} end
if not upnext_can(status, 'cancelled') then
  return {'terminal', status, tonumber(state[2]) or 0, state[3], state[4], state[5], state[6], {}}
end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'reason', 'cancelled', 'finishedAt', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'cancelReason', ARGV[3]) end
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
expire_terminal(KEYS[1], ARGV[4])
if status == 'active' then redis.call('PUBLISH', ARGV[6], id) end
notify_done(KEYS[1], id, 'cancelled', ARGV[5])
local children = {}
if state[7] == '1' then
  children = dependents_of(KEYS[1])
  redis.call('PEXPIRE', KEYS[1] .. ':dependents', ARGV[4])
end
return {'cancelled', status, tonumber(state[2]) or 0, state[3], state[4], state[5], state[6], children}
