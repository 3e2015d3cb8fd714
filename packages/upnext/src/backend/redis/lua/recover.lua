-- recover: active -> queued (re-delivery) or active -> failed('lost') for jobs whose lease
-- expired because their worker died or stalled. Atomic per function; no lock needed.
-- KEYS[1] leases
-- KEYS[2] stream
-- KEYS[3] dead letter
-- KEYS[4] job prefix
-- KEYS[5] priority     ZSET of queued jobs with a priority
-- ARGV[1] now (ms)
-- ARGV[2] default max deliveries per attempt (a job's own `maxDeliveries` field wins)
-- ARGV[3] most jobs to recover
-- ARGV[4] retention of dead-lettered jobs (ms)
-- ARGV[5] done channel
-- ARGV[6] error JSON recorded on a lost job
-- Returns the recovered jobs (see includes/recover-expired.lua).
--@include recover-expired
return recover_expired({leases = KEYS[1], stream = KEYS[2], dead = KEYS[3], prefix = KEYS[4], prio = KEYS[5]},
  {now = tonumber(ARGV[1]), default_max = tonumber(ARGV[2]), limit = tonumber(ARGV[3]), dead_retention = ARGV[4],
    channel = ARGV[5], lost_error = ARGV[6]})
