-- The least Redis work a batch of jobs needs between "queued" and "complete" (redis-ceiling.ts):
-- per job, the claim's write (status active, worker, start time, fencing token) under a lease,
-- and the finish's compare-and-set (status complete, result, finish time) with the hash kept for
-- its retention; with ARGV[2] = 1, also the two status events a job writes while it runs
-- (started, completed). One call per batch, as UpNext's claim and finish scripts are.
-- KEYS[1] key prefix
-- ARGV[1] jobs in the batch
-- ARGV[2] "1": write the status events
-- ARGV[3] the job's input; ARGV[4] a status event's JSON
local p, n, events = KEYS[1], tonumber(ARGV[1]), ARGV[2] == '1'
local now = tonumber(redis.call('TIME')[1]) * 1000
local first = redis.call('INCRBY', p .. 'seq', n) - n
local lease = {}
for i = 1, n do
  local id = first + i
  redis.call('HSET', p .. 'job:' .. id, 'status', 'active', 'input', ARGV[3], 'workerId', 'w', 'startedAt', now,
    'token', 1)
  lease[#lease + 1] = now + 30000
  lease[#lease + 1] = id
  if events then redis.call('XADD', p .. 'events', '*', 'e', ARGV[4]) end
end
redis.call('ZADD', p .. 'leases', unpack(lease))
local ids = {}
for i = 1, n do
  local id = first + i
  local key = p .. 'job:' .. id
  if redis.call('HGET', key, 'status') == 'active' then
    redis.call('HSET', key, 'status', 'complete', 'result', 'null', 'finishedAt', now)
    redis.call('PEXPIRE', key, 86400000)
  end
  ids[#ids + 1] = id
  if events then redis.call('XADD', p .. 'events', '*', 'e', ARGV[4]) end
end
redis.call('ZREM', p .. 'leases', unpack(ids))
if events then redis.call('XTRIM', p .. 'events', 'MAXLEN', '~', 100000) end
return n
