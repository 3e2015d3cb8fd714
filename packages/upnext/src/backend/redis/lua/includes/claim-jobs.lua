-- Claims up to `count` queued jobs from a function's stream for one consumer.
-- Entries are acknowledged and deleted at once: from here on the lease ZSET, not the
-- consumer group's pending list, records who holds the job, so the stream stays small and
-- no consumer ever owns entries.
-- Returns: jobs (array of arrays, see CLAIM_FIELDS), bad entries, and the stream's
-- last-generated id when fewer jobs than asked were available (for the idle XREAD wait).
local CLAIM_FIELDS = {'input', 'maxAttempts', 'parentId', 'rootId', 'tags', 'metadata', 'timeout',
  'createdAt', 'scheduledAt', 'checkpoint', 'checkpointVersion', 'priority', 'idem'}

local function read_group(stream, group, consumer, count)
  local res = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, '>')
  if type(res) == 'table' and res.err then
    if string.find(res.err, 'NOGROUP', 1, true) then
      -- Created at 0: the stream only ever holds unclaimed job ids (claimed entries are
      -- deleted), so reading from the start never replays history and never misses a job.
      redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
      res = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, '>')
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
  local jobs, bad, entry_ids = {}, {}, {}
  if count <= 0 then return jobs, bad, false end
  local entries = read_group(stream, group, consumer, count)
  for _, entry in ipairs(entries) do
    local entry_id, fields = entry[1], entry[2]
    entry_ids[#entry_ids + 1] = entry_id
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
      local status = redis.call('HGET', key, 'status')
      if not status then
        bad[#bad + 1] = {entry_id, 'missing', id}
      elseif status == 'queued' and upnext_can(status, 'active') then
        local token = redis.call('HINCRBY', key, 'token', 1)
        local attempt, deliveries
        if redis.call('HGET', key, 'redeliver') == '1' then
          -- A re-delivery after a lost lease continues the same attempt.
          redis.call('HDEL', key, 'redeliver')
          deliveries = redis.call('HINCRBY', key, 'deliveries', 1)
          attempt = tonumber(redis.call('HGET', key, 'attempt'))
        else
          attempt = redis.call('HINCRBY', key, 'attempt', 1)
          deliveries = 1
          redis.call('HSET', key, 'deliveries', 1)
        end
        redis.call('HSET', key, 'status', 'active', 'workerId', consumer, 'startedAt', now)
        redis.call('ZADD', leases, now + lease_ms, id)
        local job = {id, token, attempt, deliveries}
        local values = redis.call('HMGET', key, unpack(CLAIM_FIELDS))
        for i = 1, #CLAIM_FIELDS do job[4 + i] = values[i] or false end
        jobs[#jobs + 1] = job
      end
      -- Any other status (cancelled while queued, a duplicate entry): nothing to run.
    end
  end
  if #entry_ids > 0 then
    redis.call('XACK', stream, group, unpack(entry_ids))
    redis.call('XDEL', stream, unpack(entry_ids))
  end
  local last_id = false
  if #entry_ids < count then last_id = last_generated_id(stream) end
  return jobs, bad, last_id
end
