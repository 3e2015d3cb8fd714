-- claim: queued -> active for up to N jobs of one function, with a lease each.
-- KEYS[1] stream      function's stream of job ids
-- KEYS[2] leases      ZSET job id -> lease expiry (ms)
-- KEYS[3] job prefix  prefix of the function's job hashes (declared for the cluster slot)
-- ARGV[1] group       consumer group name
-- ARGV[2] consumer    worker id (also the consumer name)
-- ARGV[3] count       most jobs to claim
-- ARGV[4] now         ms
-- ARGV[5] lease       lease duration, ms
-- Returns JSON {jobs, bad, last}: last is the stream's last-generated id when it ran dry
--@include claim-jobs
local jobs, bad, last_id = claim_jobs(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5]))
return cjson.encode({jobs = jobs, bad = bad, last = last_id})
