-- promote: scheduled | retrying -> queued for due jobs of one function. Atomic per function,
-- so any number of workers may call it at once without a lock: each due job moves once.
-- KEYS[1] scheduled
-- KEYS[2] stream
-- KEYS[3] job prefix
-- KEYS[4] priority     ZSET of queued jobs with a priority
-- ARGV[1] now (ms)
-- ARGV[2] most jobs to move
-- Returns {moved, nextDue|false}; moved = {id, previousStatus, attempt, parentId, rootId, deferred}...
-- `deferred` (1|0) marks a job that was only put off by a rate limit: its return to the queue is
-- not news, so callers publish no event for it.
--@include requeue
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local moved = {}
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  local key = KEYS[3] .. id
  local state = redis.call('HMGET', key, 'status', 'attempt', 'parentId', 'rootId', 'deferredReason')
  -- Members whose job was cancelled or expired are simply dropped.
  if state[1] and upnext_can(state[1], 'queued') and (state[1] == 'scheduled' or state[1] == 'retrying') then
    redis.call('HSET', key, 'status', 'queued')
    local deferred = 0
    if state[5] then
      redis.call('HDEL', key, 'deferredReason')
      deferred = 1
    end
    requeue(KEYS[2], KEYS[4], key, id)
    moved[#moved + 1] = {id, state[1], tonumber(state[2]) or 0, state[3], state[4], deferred}
  end
end
local next_due = false
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if head[2] then next_due = head[2] end
return {moved, next_due}
