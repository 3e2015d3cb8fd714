-- enqueue: (new) -> queued | scheduled | waiting for a batch of jobs of one function, each with
-- an optional idempotency key. A batch is one call, so a bulk submit costs one round trip and
-- one script invocation, not one per job.
-- KEYS[1] stream        function's stream of job ids
-- KEYS[2] scheduled     ZSET of delayed jobs by due time (ms)
-- KEYS[3] job prefix    to look up the job an idempotency key points at
-- KEYS[4] priority      ZSET of queued jobs with a priority, by effective submit time
-- KEYS[5] waiting       ZSET of jobs waiting for DAG parents, by creation time
-- KEYS[6..] per job: its job hash, then its idempotency key when it has one
-- ARGV[1] now (ms)
-- ARGV[2] idempotency TTL (ms)
-- ARGV[3] number of jobs, then per job:
--   id, run at (ms; <= now means run now), has idempotency key (1|0), waits for parents (1|0),
--   priority score ('' for none; also among the hash fields, passed here so it is not read back),
--   number of hash arguments, then that many field/value arguments of the job hash (without status)
-- Returns one {created (1|0), id, status} per job; a duplicate key gives {0, existingId, status}.
-- Ids are ULIDs made by the submitter (80 random bits per millisecond), so no existence check.
--@include requeue
local now, idem_ttl = tonumber(ARGV[1]), ARGV[2]
local out = {}
local arg, key = 4, 6
for _ = 1, tonumber(ARGV[3]) do
  local id, run_at, has_idem = ARGV[arg], tonumber(ARGV[arg + 1]), ARGV[arg + 2]
  local waits, score, nfields = ARGV[arg + 3], ARGV[arg + 4], tonumber(ARGV[arg + 5])
  if score == '' then score = nil end
  local first_field = arg + 6
  arg = first_field + nfields
  local job_key = KEYS[key]
  local idem_key = nil
  if has_idem == '1' then idem_key = KEYS[key + 1]; key = key + 2 else key = key + 1 end
  local existing, existing_status = nil, nil
  if idem_key then
    existing = redis.call('GET', idem_key)
    -- A key that outlived its job (retention shorter than the key's TTL) is reused.
    if existing then existing_status = redis.call('HGET', KEYS[3] .. existing, 'status') end
  end
  if existing_status then
    out[#out + 1] = {0, existing, existing_status}
  else
    if idem_key then redis.call('SET', idem_key, id, 'PX', idem_ttl) end
    local status = 'queued'
    if waits == '1' then status = 'waiting' elseif run_at > now then status = 'scheduled' end
    redis.call('HSET', job_key, 'status', status, unpack(ARGV, first_field, arg - 1))
    if status == 'waiting' then
      -- The job's run time, if any, is applied once its parents are done.
      redis.call('ZADD', KEYS[5], now, id)
    elseif status == 'scheduled' then
      redis.call('ZADD', KEYS[2], run_at, id)
    else
      enqueue_in_line(KEYS[1], KEYS[4], id, score)
    end
    out[#out + 1] = {1, id, status}
  end
end
return out
