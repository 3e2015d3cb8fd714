-- dead-letter-purge: deletes up to N of a function's dead-lettered jobs that died in a time
-- range, oldest first: the dead-letter entry, the job hash and its list of DAG children (those
-- were resolved when the job failed). Callers loop until it returns fewer than N, so a large
-- purge is many short calls and never blocks Redis for long.
-- KEYS[1] dead letter  ZSET job id -> time it died (ms)
-- KEYS[2] job prefix
-- ARGV[1] oldest time included (ms, or '-inf'), or 'ids' to delete the entries named in ARGV[2..]
--         (those still in the set: a purge filtered on what the job hashes hold)
-- ARGV[2] newest time: a number, '(<number>' (exclusive) or '+inf'
-- ARGV[3] most entries
-- Returns the ids removed, so the caller can drop their id -> function index entries.
local ids
if ARGV[1] == 'ids' then
  ids = {}
  for i = 2, #ARGV do
    if redis.call('ZSCORE', KEYS[1], ARGV[i]) then ids[#ids + 1] = ARGV[i] end
  end
else
  ids = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
end
for _, id in ipairs(ids) do
  local key = KEYS[2] .. id
  -- A failed job is terminal: only a dead job's own hash is ever deleted here.
  if redis.call('HGET', key, 'status') == 'failed' then redis.call('DEL', key, key .. ':dependents') end
end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return ids
