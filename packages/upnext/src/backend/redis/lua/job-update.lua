-- job-update: field writes a running job makes about itself (progress, checkpoint). Applied
-- only while the job is still active under the same claim token, so a late update can never
-- touch a finished, cancelled or re-delivered job, and never re-creates an expired hash.
-- KEYS[1] job hash
-- ARGV[1] token
-- ARGV[2..] field, value pairs
-- Returns 1 when written, 0 when the job is no longer this claim's.
local state = redis.call('HMGET', KEYS[1], 'status', 'token')
if state[1] ~= 'active' or state[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
