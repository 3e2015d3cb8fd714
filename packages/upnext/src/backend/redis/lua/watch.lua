-- watch: marks a job as awaited (so its terminal transition is published on the done
-- channel) and returns its status in the same step, so a finish can never slip between
-- the check and the subscription.
-- KEYS[1] job hash
-- Returns the status, or false when the job does not exist.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
redis.call('HSET', KEYS[1], 'waited', '1')
return status
