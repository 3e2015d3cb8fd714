-- scheduled | retrying -> queued for due jobs of one function (promote.lua, sweep.lua). The head
-- of the scheduled set is read first, so a set with nothing due costs one command.
-- k: scheduled, stream, prefix (job hashes), prio. Returns moved, next_due (score or false);
-- moved = {id, previousStatus, attempt, parentId, rootId, deferred}... `deferred` (1|0) marks a
-- job that was only put off by a rate limit: its return to the queue is not news, so callers
-- publish no event for it.
--@include requeue
local function scheduled_head(scheduled)
  local head = redis.call('ZRANGE', scheduled, 0, 0, 'WITHSCORES')
  return head[2] or false
end

local function promote_due(k, now, limit)
  local moved = {}
  local head = scheduled_head(k.scheduled)
  if not head or tonumber(head) > now then return moved, head end
  local due = redis.call('ZRANGEBYSCORE', k.scheduled, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(due) do
    redis.call('ZREM', k.scheduled, id)
    local key = k.prefix .. id
    local state = redis.call('HMGET', key, 'status', 'attempt', 'parentId', 'rootId', 'deferredReason')
    -- Members whose job was cancelled or expired are simply dropped.
    if state[1] and upnext_can(state[1], 'queued') and (state[1] == 'scheduled' or state[1] == 'retrying') then
      redis.call('HSET', key, 'status', 'queued')
      local deferred = 0
      if state[5] then
        redis.call('HDEL', key, 'deferredReason')
        deferred = 1
      end
      requeue(k.stream, k.prio, key, id)
      moved[#moved + 1] = {id, state[1], tonumber(state[2]) or 0, state[3], state[4], deferred}
    end
  end
  return moved, scheduled_head(k.scheduled)
end
