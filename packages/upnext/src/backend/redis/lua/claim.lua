-- claim: queued -> active for up to N jobs of one function, with a lease each (see
-- includes/claim-jobs.lua for the order, caps and rate limits applied).
-- KEYS[1] stream       function's stream of job ids (and wake markers)
-- KEYS[2] leases       ZSET job id -> lease expiry (ms)
-- KEYS[3] job prefix   prefix of the function's job hashes (declared for the cluster slot)
-- KEYS[4] priority     ZSET of queued jobs with a priority, by effective submit time
-- KEYS[5] scheduled    ZSET of delayed jobs (rate-limited jobs are deferred there)
-- KEYS[6] config       HASH of the function's settings (paused, caps, rate limit)
-- KEYS[7] rate prefix  prefix of the function's rate-limit buckets
-- ARGV[1] group        consumer group name
-- ARGV[2] consumer     worker id (also the consumer name)
-- ARGV[3] count        most jobs to claim
-- ARGV[4] now          ms
-- ARGV[5] lease        lease duration, ms
-- ARGV[6] runnable     free running slots on the worker (caps capped functions' claims)
-- ARGV[7] namespace    "<ns>:" (routing-group keys span functions; see docs/decisions/0008)
-- ARGV[8] traced       "1": also return each job's trace fields (see docs/decisions/0014)
-- Returns JSON {jobs, bad, last, blocked, reason, deferred}
--@include claim-jobs
return cjson.encode(claim_jobs(
  {stream = KEYS[1], leases = KEYS[2], prefix = KEYS[3], prio = KEYS[4], scheduled = KEYS[5], config = KEYS[6],
    rate_prefix = KEYS[7], ns = ARGV[7]},
  {group = ARGV[1], consumer = ARGV[2], count = tonumber(ARGV[3]), now = tonumber(ARGV[4]),
    lease_ms = tonumber(ARGV[5]), runnable = tonumber(ARGV[6]), traced = ARGV[8] == '1'}))
