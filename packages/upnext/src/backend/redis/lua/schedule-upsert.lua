-- schedule-upsert: creates a cron schedule, or replaces the definition of an existing one while
-- keeping its state (cursor, pause, counters, last run).
-- KEYS[1] schedule hash
-- ARGV[1] now (ms)
-- ARGV[2] number of state field/value pairs carried over from the schedule's previous hash (its
--         task changed, so its hash moved to the new task's slot), then those pairs
-- then the definition's field/value pairs (name, task, cron, timezone, missedRuns,
-- catchUpWindow, overlap, input, source)
-- A new schedule starts at now: nothing before its creation is ever run. A changed expression
-- or time zone moves the cursor to now (when that is later): the slots the new expression has
-- before the change were never due, so no missed-run policy may run them.
-- Returns the schedule's hash as a field/value list.
local key, now = KEYS[1], ARGV[1]
local carry_last = 2 + tonumber(ARGV[2]) * 2
local def, by_name = {}, {}
for i = carry_last + 1, #ARGV, 2 do
  def[#def + 1] = ARGV[i]
  def[#def + 1] = ARGV[i + 1]
  by_name[ARGV[i]] = ARGV[i + 1]
end
if redis.call('EXISTS', key) == 1 then
  local old = redis.call('HMGET', key, 'cron', 'timezone', 'cursor')
  if old[1] ~= by_name['cron'] or old[2] ~= by_name['timezone'] then
    if not old[3] or tonumber(old[3]) < tonumber(now) then redis.call('HSET', key, 'cursor', now) end
  end
  redis.call('HSET', key, 'updatedAt', now, unpack(def))
else
  -- Versions start at the creation time, so a schedule removed and created again under the same
  -- name never matches a version a scheduler cached for the old one.
  redis.call('HSET', key, 'cursor', now, 'paused', '0', 'skippedSlots', '0', 'runs', '0',
    'version', now, 'createdAt', now, 'updatedAt', now, unpack(def))
  if carry_last > 2 then redis.call('HSET', key, unpack(ARGV, 3, carry_last)) end
end
-- Every definition change invalidates passes computed from the old one (cron-fire checks it).
redis.call('HINCRBY', key, 'version', 1)
return redis.call('HGETALL', key)
