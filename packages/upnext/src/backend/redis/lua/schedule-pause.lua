-- schedule-pause: pauses or resumes a cron schedule. The cursor stays where it is, so the slots
-- that pass during a pause are missed slots on resume and follow the missed-run policy;
-- `resumedAt` marks them missed even when the pause was shorter than the grace.
-- KEYS[1] schedule hash
-- ARGV[1] '1' to pause, '0' to resume
-- ARGV[2] now (ms)
-- Returns 1, or 0 when the schedule does not exist.
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return 0 end
if ARGV[1] == '1' then
  if redis.call('HGET', key, 'paused') ~= '1' then redis.call('HSET', key, 'pausedAt', ARGV[2]) end
  redis.call('HSET', key, 'paused', '1', 'updatedAt', ARGV[2])
else
  if redis.call('HGET', key, 'paused') == '1' then redis.call('HSET', key, 'resumedAt', ARGV[2]) end
  redis.call('HSET', key, 'paused', '0', 'updatedAt', ARGV[2])
  redis.call('HDEL', key, 'pausedAt')
end
-- A pass computed before the change must not fire (cron-fire compares the version).
redis.call('HINCRBY', key, 'version', 1)
return 1
