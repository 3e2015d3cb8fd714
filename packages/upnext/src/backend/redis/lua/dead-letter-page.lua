-- dead-letter-page: one page of a function's dead-letter set, newest first (or, with 'asc', the
-- entries newer than a cursor, oldest first: the page before it). Read-only.
-- Entries are ordered by (time died, job id), both descending: a total order, so a page that
-- ends inside a group of equal times (jobs failed by one batched finish) resumes exactly after
-- its last entry, even when entries were added or removed in between.
-- KEYS[1] dead letter  ZSET job id -> time it died (ms)
-- ARGV[1] oldest time included (ms, or '-inf'); with 'asc' and a cursor, the cursor's time
-- ARGV[2] newest time: a number, '(<number>' (exclusive) or '+inf'; without 'asc' and with a
--         cursor, the cursor's time
-- ARGV[3] cursor id: when not '', the page starts with the entries at the cursor's time whose id
--         sorts below the cursor's (above it with 'asc')
-- ARGV[4] most entries
-- ARGV[5] 'asc' for the entries newer than the cursor, oldest first ('' or absent: older, newest first)
-- Returns {id, time, id, time, ...}
-- Byte-wise a < b, the order of equal-score members in a ZSET. Lua's `<` on strings follows the
-- server's collation locale, which need not be byte order.
local function less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local key, min, max, after = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local limit = tonumber(ARGV[4])
local ascending = ARGV[5] == 'asc'
local out = {}
local found = 0
if after ~= '' then
  -- Equal times come in ascending id order (REV: descending), so the ids past the cursor come
  -- first (REV: last).
  local at = ascending and min or max
  local offset = 0
  local chunk = 200
  repeat
    local ties
    if ascending then
      ties = redis.call('ZRANGE', key, at, at, 'BYSCORE', 'LIMIT', offset, chunk)
    else
      ties = redis.call('ZRANGE', key, at, at, 'BYSCORE', 'REV', 'LIMIT', offset, chunk)
    end
    for _, id in ipairs(ties) do
      if (ascending and less(after, id)) or (not ascending and less(id, after)) then
        out[#out + 1] = id
        out[#out + 1] = at
        found = found + 1
        if found >= limit then return out end
      end
    end
    offset = offset + #ties
  until #ties < chunk
  if ascending then min = '(' .. min else max = '(' .. max end
end
local rest
if ascending then
  rest = redis.call('ZRANGE', key, min, max, 'BYSCORE', 'LIMIT', 0, limit - found, 'WITHSCORES')
else
  rest = redis.call('ZRANGE', key, max, min, 'BYSCORE', 'REV', 'LIMIT', 0, limit - found, 'WITHSCORES')
end
for i = 1, #rest do out[#out + 1] = rest[i] end
return out
