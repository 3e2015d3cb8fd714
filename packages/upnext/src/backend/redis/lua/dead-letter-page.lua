-- dead-letter-page: one page of a function's dead-letter set, newest first. Read-only.
-- Entries are ordered by (time died, job id), both descending: a total order, so a page that
-- ends inside a group of equal times (jobs failed by one batched finish) resumes exactly after
-- its last entry, even when entries were added or removed in between.
-- KEYS[1] dead letter  ZSET job id -> time it died (ms)
-- ARGV[1] oldest time included (ms, or '-inf')
-- ARGV[2] newest time: a number, '(<number>' (exclusive) or '+inf'
-- ARGV[3] cursor id: when not '', ARGV[2] is the cursor's time and the page starts with the
--         entries at that time whose id sorts below the cursor's
-- ARGV[4] most entries
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
local out = {}
local found = 0
if after ~= '' then
  -- Equal times are returned in descending id order, so the ids below the cursor come last.
  local offset = 0
  local chunk = 200
  repeat
    local ties = redis.call('ZRANGE', key, max, max, 'BYSCORE', 'REV', 'LIMIT', offset, chunk)
    for _, id in ipairs(ties) do
      if less(id, after) then
        out[#out + 1] = id
        out[#out + 1] = max
        found = found + 1
        if found >= limit then return out end
      end
    end
    offset = offset + #ties
  until #ties < chunk
  max = '(' .. max
end
local rest = redis.call('ZRANGE', key, max, min, 'BYSCORE', 'REV', 'LIMIT', 0, limit - found, 'WITHSCORES')
for i = 1, #rest do out[#out + 1] = rest[i] end
return out
