-- Claims up to `count` queued jobs from a function's stream for one consumer.
-- The group reads with NOACK and consumed entries are trimmed at once: the lease ZSET, not the
-- consumer group's pending list, records who holds a job, so the stream stays small and no
-- consumer ever owns entries.
-- Returns: jobs (array of arrays, see CLAIM_FIELDS), bad entries, and the stream's
-- last-generated id when fewer jobs than asked were available (for the idle XREAD wait).
-- Scripts reply with one cjson-encoded document: decoding a single JSON string in Node is far
-- cheaper than decoding a deep RESP array.
local CLAIM_STATE = {'status', 'redeliver', 'attempt', 'token', 'deliveries'}
local CLAIM_FIELDS = {'input', 'maxAttempts', 'parentId', 'rootId', 'tags', 'metadata', 'timeout',
  'createdAt', 'scheduledAt', 'checkpoint', 'checkpointVersion', 'priority', 'idem', 'origin'}
local CLAIM_READ = {}
for i = 1, #CLAIM_STATE do CLAIM_READ[#CLAIM_READ + 1] = CLAIM_STATE[i] end
for i = 1, #CLAIM_FIELDS do CLAIM_READ[#CLAIM_READ + 1] = CLAIM_FIELDS[i] end

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

local function claim_jobs(stream, leases, prefix, group, consumer, count, now, lease_ms)
  local jobs, bad = {}, {}
  if count <= 0 then return jobs, bad, false end
  local entries = read_group(stream, group, consumer, count)
  local lease_args = {}
  local expiry = now + lease_ms
  for _, entry in ipairs(entries) do
    local entry_id, fields = entry[1], entry[2]
    local id = nil
    if fields then
      for i = 1, #fields, 2 do
        if fields[i] == 'i' then id = fields[i + 1] end
      end
    end
    if not id then
      bad[#bad + 1] = {entry_id, 'malformed', cjson.encode(fields or {})}
    else
      local key = prefix .. id
      local values = redis.call('HMGET', key, unpack(CLAIM_READ))
      local status = values[1]
      if not status then
        bad[#bad + 1] = {entry_id, 'missing', id}
      elseif status == 'queued' and upnext_can(status, 'active') then
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
        redis.call('HSET', key, 'status', 'active', 'workerId', consumer, 'startedAt', now, 'token', token,
          'attempt', attempt, 'deliveries', deliveries)
        lease_args[#lease_args + 1] = expiry
        lease_args[#lease_args + 1] = id
        local job = {id, token, attempt, deliveries}
        -- cjson.null keeps positions in the JSON array for absent fields.
        for i = 1, #CLAIM_FIELDS do job[4 + i] = values[#CLAIM_STATE + i] or cjson.null end
        jobs[#jobs + 1] = job
      end
      -- Any other status (cancelled while queued, a duplicate entry): nothing to run.
    end
  end
  if #lease_args > 0 then redis.call('ZADD', leases, unpack(lease_args)) end
  if #entries > 0 then
    -- Everything up to the last entry read has been delivered: drop it from the stream.
    local last = entries[#entries][1]
    redis.call('XTRIM', stream, 'MINID', last)
    redis.call('XDEL', stream, last)
  end
  local last_id = false
  if #entries < count then last_id = last_generated_id(stream) end
  return jobs, bad, last_id
end
