-- cron-fire: one scheduler pass over one cron schedule, atomically. Notices whether the last
-- run ended, creates the runs the overlap policy allows (first the run a "queue-one" schedule
-- kept pending, then the due slots, oldest first) and advances the cursor. It is a
-- compare-and-set on the schedule's version and cursor, so any number of workers may run the
-- same pass at once: one changes the schedule and the others change nothing, and a slot never
-- gets a second job. The jobs have the same hash layout and go in line the same way as enqueue's.
-- KEYS[1] schedule hash
-- KEYS[2] stream       the task's stream of job ids
-- KEYS[3] priority     the task's ZSET of queued jobs with a priority
-- KEYS[4] job prefix   to read the last run's status (its id is found in the schedule)
-- KEYS[5..] one job hash per candidate run, in ARGV order
-- ARGV[1] expected version
-- ARGV[2] expected cursor ('' when the pass only watches the last run and advances nothing)
-- ARGV[3] new cursor
-- ARGV[4] missed slots the missed-run policy dropped (a count to add to skippedSlots)
-- ARGV[5] number of candidate runs, then per candidate:
--   slot (ms), catch-up (1|0), pending (1: the slot a "queue-one" schedule kept; 0: a due slot),
--   job id, number of hash arguments, then that many field/value arguments (without status)
-- Returns a JSON document {r = "ok" | "conflict" | "missing", created = {{id, slot, catchUp}...},
--   overlapSkipped = n, queued = slot | false, state = {field = value...}}.
--@include requeue
local key = KEYS[1]
local STATE = {'cursor', 'version', 'paused', 'overlap', 'lastRunId', 'lastRunSlot', 'lastRunDone',
  'lastRunStatus', 'lastCompletedSlot', 'lastScheduledSlot', 'queuedSlot', 'queuedCatchUp',
  'skippedSlots', 'runs'}

local function read_state()
  local values = redis.call('HMGET', key, unpack(STATE))
  local state = {}
  for i = 1, #STATE do state[STATE[i]] = values[i] or cjson.null end
  return state
end

local function terminal(status)
  local targets = UPNEXT_TRANSITIONS[status]
  return targets ~= nil and next(targets) == nil
end

if redis.call('EXISTS', key) == 0 then return cjson.encode({r = 'missing'}) end
local state = read_state()
local advance = ARGV[2] ~= ''
if state.version ~= ARGV[1] or (advance and state.cursor ~= ARGV[2]) then
  return cjson.encode({r = 'conflict', state = state})
end

-- Has the last run ended? A job that no longer exists (expired, deleted) counts as ended, so
-- a lost job can never hold a schedule back.
local running = false
if state.lastRunId ~= cjson.null and state.lastRunDone ~= '1' then
  local status = redis.call('HGET', KEYS[4] .. state.lastRunId, 'status')
  if not status then
    redis.call('HSET', key, 'lastRunDone', '1', 'lastRunStatus', 'missing')
  elseif terminal(status) then
    redis.call('HSET', key, 'lastRunDone', '1', 'lastRunStatus', status, 'lastCompletedSlot', state.lastRunSlot)
  else
    running = true
  end
end

local paused = state.paused == '1'
local queued_slot = state.queuedSlot
local created, overlap_skipped = {}, 0
local last_id, last_slot = nil, nil

local function create(job_key, id, slot, catch_up, first, last)
  redis.call('HSET', job_key, 'status', 'queued', unpack(ARGV, first, last))
  requeue(KEYS[2], KEYS[3], job_key, id)
  created[#created + 1] = {id, slot, catch_up}
  last_id, last_slot, running = id, slot, true
end

local arg = 6
for i = 1, tonumber(ARGV[5]) do
  local slot, catch_up, pending, id = ARGV[arg], ARGV[arg + 1], ARGV[arg + 2], ARGV[arg + 3]
  local first = arg + 5
  local last = first + tonumber(ARGV[arg + 4]) - 1
  arg = last + 1
  local job_key = KEYS[4 + i]
  if pending == '1' then
    -- The kept slot runs once the run before it has ended (and only if still kept).
    if not paused and not running and queued_slot == slot then
      create(job_key, id, slot, catch_up == '1', first, last)
      redis.call('HDEL', key, 'queuedSlot', 'queuedCatchUp')
      queued_slot = cjson.null
    end
  elseif advance and not paused then
    if state.overlap == 'allow' or not running then
      create(job_key, id, slot, catch_up == '1', first, last)
    elseif state.overlap == 'queue-one' and queued_slot == cjson.null then
      queued_slot = slot
      redis.call('HSET', key, 'queuedSlot', slot, 'queuedCatchUp', catch_up)
    else
      overlap_skipped = overlap_skipped + 1
    end
  end
end

if advance and not paused then
  redis.call('HSET', key, 'cursor', ARGV[3])
  local skipped = tonumber(ARGV[4]) + overlap_skipped
  if skipped > 0 then redis.call('HINCRBY', key, 'skippedSlots', skipped) end
end
if last_id then
  redis.call('HSET', key, 'lastRunId', last_id, 'lastRunSlot', last_slot, 'lastRunDone', '0',
    'lastScheduledSlot', last_slot)
  redis.call('HDEL', key, 'lastRunStatus')
  redis.call('HINCRBY', key, 'runs', #created)
end
return cjson.encode({r = 'ok', created = created, overlapSkipped = overlap_skipped, queued = queued_slot,
  state = read_state()})
