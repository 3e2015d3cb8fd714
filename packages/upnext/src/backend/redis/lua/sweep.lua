-- sweep: promote.lua and recover.lua in one call, what a worker's maintenance pass runs for each
-- function it sweeps (see docs/decisions/0016-sweeps-shared-by-rendezvous-hashing.md). With
-- nothing due and no lease expired it costs two reads.
-- KEYS[1] scheduled
-- KEYS[2] stream
-- KEYS[3] job prefix
-- KEYS[4] priority     ZSET of queued jobs with a priority
-- KEYS[5] leases
-- KEYS[6] dead letter
-- ARGV[1] now (ms)
-- ARGV[2] most jobs to move, and most to recover
-- ARGV[3] default max deliveries per attempt (a job's own `maxDeliveries` field wins)
-- ARGV[4] retention of dead-lettered jobs (ms)
-- ARGV[5] done channel
-- ARGV[6] error JSON recorded on a lost job
-- Returns {moved, nextDue|false, recovered} (see includes/promote-due.lua, recover-expired.lua).
--@include promote-due
--@include recover-expired
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local moved, next_due = promote_due({scheduled = KEYS[1], stream = KEYS[2], prefix = KEYS[3], prio = KEYS[4]},
  now, limit)
local recovered = recover_expired({leases = KEYS[5], stream = KEYS[2], dead = KEYS[6], prefix = KEYS[3], prio = KEYS[4]},
  {now = now, default_max = tonumber(ARGV[3]), limit = limit, dead_retention = ARGV[4], channel = ARGV[5],
    lost_error = ARGV[6]})
return {moved, next_due, recovered}
