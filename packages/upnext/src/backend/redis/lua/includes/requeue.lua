-- Puts a job (back) in line. Jobs with a priority wait in the function's priority ZSET, scored
-- by their effective submit time (`prioScore`: submit time minus priority × step), plus a wake
-- marker in the stream so an idle worker blocked on the stream notices them. Other jobs go to
-- the stream itself.
local function enqueue_in_line(stream, prio, id, score)
  if score then
    redis.call('ZADD', prio, score, id)
    redis.call('XADD', stream, '*', 'w', '1')
  else
    redis.call('XADD', stream, '*', 'i', id)
  end
end

-- For a job already stored: its priority score is read from its hash.
local function requeue(stream, prio, key, id)
  enqueue_in_line(stream, prio, id, redis.call('HGET', key, 'prioScore'))
end
