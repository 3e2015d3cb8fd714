-- Shared by every script that ends or re-queues a job.

-- Tells a process waiting on the job (JobRef.result) that it reached a terminal state.
-- Only jobs somebody waits on are published, so un-awaited jobs cost no PUBLISH.
local function notify_done(key, id, status, channel)
  if redis.call('HGET', key, 'waited') == '1' then
    redis.call('PUBLISH', channel, id .. ' ' .. status)
  end
end

-- A terminal job keeps its hash (result, error) for the retention period.
local function expire_terminal(key, retention_ms)
  redis.call('PEXPIRE', key, retention_ms)
end

-- DAG children registered on a job (see add-dependent.lua), as "<fn>|<id>" strings. Read when the
-- job reaches a terminal state, so the caller can resolve them.
local function dependents_of(key)
  return redis.call('SMEMBERS', key .. ':dependents')
end
