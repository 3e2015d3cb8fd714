-- dead-letter-replay: marks dead-lettered jobs as replayed before their replays are enqueued
-- ('reserve'), or takes the marks back when enqueueing them failed ('release'). The mark is a
-- compare-and-set, so two operators replaying the same entry at once create one replay. The
-- dead job keeps status 'failed' and its entry stays in the set: history is not lost.
-- KEYS[1] dead letter  ZSET job id -> time it died (ms)
-- KEYS[2] job prefix
-- ARGV[1] mode: 'reserve' | 'reserve-finished' | 'release'
-- reserve-finished: as reserve, for any failed or cancelled job whether or not it is in the
--   dead-letter set (a retry of a cancelled job, or of a failed one whose entry was purged).
-- reserve: ARGV[2] now (ms), ARGV[3] force (1 replays an entry already replayed), then per job:
--   its id and the id its replay will have. Returns per job one of
--   {'ok', previous replayedAs, previous replayedAt, then the dead job's SOURCE_FIELDS}
--   {'replayed', replayedAs}    already replayed (and not forced)
--   {'not-dead', status}        the job exists but is not in the dead-letter set (reserve-finished:
--                               is neither failed nor cancelled)
--   {'missing'}                 no such job (never existed, expired, or purged)
-- release: per job: its id, the id its replay would have had, the previous replayedAs and
--   replayedAt ('' for none). A mark is only taken back while it is still this replay's.
--   Returns the number of marks taken back.
local mode = ARGV[1]
if mode == 'release' then
  local released = 0
  for i = 2, #ARGV, 4 do
    local key = KEYS[2] .. ARGV[i]
    if redis.call('HGET', key, 'replayedAs') == ARGV[i + 1] then
      if ARGV[i + 2] == '' then
        redis.call('HDEL', key, 'replayedAs', 'replayedAt')
      else
        redis.call('HSET', key, 'replayedAs', ARGV[i + 2], 'replayedAt', ARGV[i + 3])
      end
      redis.call('HINCRBY', key, 'replays', -1)
      released = released + 1
    end
  end
  return released
end
-- What a replay is rebuilt from (the order is the reply's, read by dead-letter-store.ts).
local SOURCE_FIELDS = {'input', 'maxAttempts', 'maxDeliveries', 'priority', 'parentId', 'rootId', 'timeout',
  'tags', 'metadata', 'rateKey'}
local now, force = ARGV[2], ARGV[3] == '1'
local any_finished = mode == 'reserve-finished'
local out = {}
for i = 4, #ARGV, 2 do
  local id, replay_id = ARGV[i], ARGV[i + 1]
  local key = KEYS[2] .. id
  local state = redis.call('HMGET', key, 'status', 'replayedAs', 'replayedAt')
  if not state[1] then
    out[#out + 1] = {'missing'}
  elseif any_finished and state[1] ~= 'failed' and state[1] ~= 'cancelled' then
    out[#out + 1] = {'not-dead', state[1]}
  elseif not any_finished and (state[1] ~= 'failed' or not redis.call('ZSCORE', KEYS[1], id)) then
    out[#out + 1] = {'not-dead', state[1]}
  elseif state[2] and not force then
    out[#out + 1] = {'replayed', state[2]}
  else
    redis.call('HSET', key, 'replayedAs', replay_id, 'replayedAt', now)
    redis.call('HINCRBY', key, 'replays', 1)
    local row = {'ok', state[2], state[3]}
    local source = redis.call('HMGET', key, unpack(SOURCE_FIELDS))
    -- false (an absent field) keeps its place: it becomes a nil bulk reply.
    for f = 1, #SOURCE_FIELDS do row[3 + f] = source[f] end
    out[#out + 1] = row
  end
end
return out
