-- Claims up to `count` runnable jobs of one function for one consumer, honouring the function's
-- settings (paused, concurrency cap, routing-group cap, rate limit) and job priorities.
--
-- Order: jobs with a priority wait in a ZSET scored by effective submit time; the others in the
-- stream (whose entry ids are submit times). The two are merged by time, so a priority-p job is
-- served as if it had been submitted p × step earlier: high priorities jump the line, and a
-- low-priority job still reaches the front once it has waited long enough.
--
-- The group reads with NOACK and consumed entries are trimmed at once: the lease ZSET, not the
-- consumer group's pending list, records who holds a job, and its size is the function's exact
-- count of claimed-but-unfinished jobs (what the concurrency caps compare against).
--
-- Replies with one cjson document {jobs, bad, last, blocked, reason, deferred}: decoding a JSON
-- string in Node is far cheaper than decoding a deep RESP array.
--@include rate-limit
local CLAIM_STATE = {'status', 'redeliver', 'attempt', 'token', 'deliveries', 'rateKey', 'rateReserved'}
local CLAIM_FIELDS = {'input', 'maxAttempts', 'parentId', 'rootId', 'tags', 'metadata', 'timeout',
  'createdAt', 'scheduledAt', 'checkpoint', 'checkpointVersion', 'priority', 'idem', 'origin', 'parents'}
-- Read only when the worker traces (an OpenTelemetry SDK is registered): the submit span's context
-- and, for retries, the first attempt's span context.
local TRACE_FIELDS = {'trace', 'traceFirst'}
local CLAIM_READ, CLAIM_READ_TRACED = {}, {}
for i = 1, #CLAIM_STATE do CLAIM_READ[#CLAIM_READ + 1] = CLAIM_STATE[i] end
for i = 1, #CLAIM_FIELDS do CLAIM_READ[#CLAIM_READ + 1] = CLAIM_FIELDS[i] end
for i = 1, #CLAIM_READ do CLAIM_READ_TRACED[i] = CLAIM_READ[i] end
for i = 1, #TRACE_FIELDS do CLAIM_READ_TRACED[#CLAIM_READ_TRACED + 1] = TRACE_FIELDS[i] end
local CONFIG_FIELDS = {'paused', 'concurrency', 'group', 'groupMax', 'rateLimit', 'rateWindow', 'rateOnEnqueue'}

local function read_group(stream, group, consumer, count)
  local res = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'NOACK', 'STREAMS', stream, '>')
  if type(res) == 'table' and res.err then
    if string.find(res.err, 'NOGROUP', 1, true) then
      -- Created at 0: the stream only ever holds unclaimed job ids (claimed entries are
      -- trimmed), so reading from the start never replays history and never misses a job.
      redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
      res = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'NOACK', 'STREAMS', stream, '>')
    else
      return redis.error_reply(res.err)
    end
  end
  if not res then return {} end
  return res[1][2]
end

local function last_generated_id(stream)
  local info = redis.pcall('XINFO', 'STREAM', stream)
  if type(info) ~= 'table' or info.err then return '0-0' end
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return info[i + 1] end
  end
  return '0-0'
end

local function entry_job_id(fields)
  if not fields then return nil, false end
  local id, marker = nil, false
  for i = 1, #fields, 2 do
    if fields[i] == 'i' then id = fields[i + 1] elseif fields[i] == 'w' then marker = true end
  end
  return id, marker
end

local function entry_time(entry_id)
  return tonumber(string.match(entry_id, '^(%d+)'))
end

-- k: stream, leases, prefix, prio, scheduled, config, rate_prefix, ns (namespace prefix "ns:")
-- a: group, consumer, count, now, lease_ms, runnable (free local slots, for capped functions),
--    traced (also return the trace fields)
local function claim_jobs(k, a)
  local out = {jobs = {}, bad = {}, last = false, deferred = 0}
  local count, now = a.count, a.now
  if count <= 0 then return out end

  local cfg = redis.call('HMGET', k.config, unpack(CONFIG_FIELDS))
  if cfg[1] == '1' then
    out.blocked, out.reason = now + 1000, 'paused'
    return out
  end
  -- Capped functions are never prefetched beyond the slots that can run now: a prefetched job
  -- would hold a share of the cap while it waits.
  if cfg[2] then
    local free = tonumber(cfg[2]) - redis.call('ZCARD', k.leases)
    count = math.min(count, free, a.runnable)
  end
  if cfg[3] and cfg[4] then
    local active = 0
    for _, member in ipairs(redis.call('SMEMBERS', k.ns .. 'group:' .. cfg[3] .. ':members')) do
      active = active + redis.call('ZCARD', k.ns .. '{' .. member .. '}:leases')
    end
    count = math.min(count, tonumber(cfg[4]) - active, a.runnable)
  end
  if count <= 0 then
    out.blocked, out.reason = now + 100, 'concurrency'
    return out
  end
  local rate = nil
  if cfg[5] and cfg[7] ~= 'reject' and cfg[7] ~= 'delay' then
    local limit, window = tonumber(cfg[5]), tonumber(cfg[6])
    -- No burst (tolerance 0): starts are spaced evenly, so no window of `window` ms ever holds
    -- more than `limit` of them — what an external API's quota needs.
    rate = {interval = window / limit, tolerance = 0, ttl = math.ceil(window * 2) + 1000, now = server_now()}
    -- The function-wide bucket bounds how many to read; per-key buckets are checked per job.
    local available = gcra_available(k.rate_prefix, rate.now, rate.interval, rate.tolerance)
    if available <= 0 then
      out.blocked, out.reason = now + (gcra_next(k.rate_prefix, rate.now, rate.tolerance) - rate.now), 'rate'
      return out
    end
    count = math.min(count, available)
  end

  -- Merge the priority ZSET and the stream by effective submit time.
  local from_prio, read_stream = {}, 0
  local stream_entries = nil
  local stream_dry = false
  if redis.call('ZCARD', k.prio) > 0 then
    local heads = redis.call('ZRANGE', k.prio, 0, count - 1, 'WITHSCORES')
    local entries = redis.call('XRANGE', k.stream, '-', '+', 'COUNT', count)
    stream_dry = #entries < count
    local i, j, picked = 1, 1, 0
    while picked < count do
      local prio_score = heads[i * 2] and tonumber(heads[i * 2]) or nil
      -- Skip wake markers when comparing: they hold no job.
      while entries[j] and select(2, entry_job_id(entries[j][2])) do j = j + 1 end
      local stream_time = entries[j] and entry_time(entries[j][1]) or nil
      if prio_score and (not stream_time or prio_score <= stream_time) then
        from_prio[#from_prio + 1] = heads[i * 2 - 1]
        i = i + 1
      elseif stream_time then
        read_stream = j
        j = j + 1
      else
        break
      end
      picked = picked + 1
    end
    if #from_prio > 0 then redis.call('ZREM', k.prio, unpack(from_prio)) end
  else
    read_stream = count
  end

  local candidates = {}
  for _, id in ipairs(from_prio) do candidates[#candidates + 1] = {id, ''} end
  local entries = {}
  if read_stream > 0 then
    entries = read_group(k.stream, a.group, a.consumer, read_stream)
    if #entries < read_stream then stream_dry = true end
    for _, entry in ipairs(entries) do
      local id, marker = entry_job_id(entry[2])
      if id then
        candidates[#candidates + 1] = {id, entry[1]}
      elseif not marker then
        out.bad[#out.bad + 1] = {entry[1], 'malformed', cjson.encode(entry[2] or {})}
      end
    end
  end

  local lease_args = {}
  local expiry = now + a.lease_ms
  local read = a.traced and CLAIM_READ_TRACED or CLAIM_READ
  local returned = a.traced and (#CLAIM_FIELDS + #TRACE_FIELDS) or #CLAIM_FIELDS
  for _, candidate in ipairs(candidates) do
    local id = candidate[1]
    local key = k.prefix .. id
    local values = redis.call('HMGET', key, unpack(read))
    local status = values[1]
    if not status then
      out.bad[#out.bad + 1] = {candidate[2], 'missing', id}
    elseif status == 'queued' and upnext_can(status, 'active') then
      local run_at = now
      if rate and values[7] ~= '1' then
        local bucket = k.rate_prefix
        if values[6] then bucket = bucket .. values[6] end
        run_at = gcra_reserve(bucket, rate.now, rate.interval, rate.tolerance, rate.ttl)
        if run_at > rate.now then
          -- Deferred once, to the slot just reserved for it: one record on the job, no new
          -- history entry per attempt, and no second check when it comes back.
          redis.call('HSET', key, 'status', 'scheduled', 'scheduledAt', run_at, 'rateReserved', '1',
            'deferredReason', 'rate_limited')
          redis.call('HINCRBY', key, 'deferrals', 1)
          redis.call('ZADD', k.scheduled, run_at, id)
          out.deferred = out.deferred + 1
        end
      end
      if run_at <= (rate and rate.now or now) then
        if values[7] == '1' then redis.call('HDEL', key, 'rateReserved') end
        local token = (tonumber(values[4]) or 0) + 1
        local attempt, deliveries
        if values[2] == '1' then
          -- A re-delivery after a lost lease continues the same attempt.
          redis.call('HDEL', key, 'redeliver')
          attempt = tonumber(values[3]) or 1
          deliveries = (tonumber(values[5]) or 1) + 1
        else
          attempt = (tonumber(values[3]) or 0) + 1
          deliveries = 1
        end
        redis.call('HSET', key, 'status', 'active', 'workerId', a.consumer, 'startedAt', now, 'token', token,
          'attempt', attempt, 'deliveries', deliveries)
        lease_args[#lease_args + 1] = expiry
        lease_args[#lease_args + 1] = id
        local job = {id, token, attempt, deliveries}
        -- cjson.null keeps positions in the JSON array for absent fields.
        for i = 1, returned do job[4 + i] = values[#CLAIM_STATE + i] or cjson.null end
        out.jobs[#out.jobs + 1] = job
      end
    end
    -- Any other status (cancelled while queued, a duplicate entry): nothing to run.
  end
  if #lease_args > 0 then redis.call('ZADD', k.leases, unpack(lease_args)) end
  if #entries > 0 then
    -- Everything up to the last entry read has been delivered: drop it from the stream.
    local last = entries[#entries][1]
    redis.call('XTRIM', k.stream, 'MINID', last)
    redis.call('XDEL', k.stream, last)
  end
  if stream_dry and redis.call('ZCARD', k.prio) == 0 then out.last = last_generated_id(k.stream) end
  return out
end
