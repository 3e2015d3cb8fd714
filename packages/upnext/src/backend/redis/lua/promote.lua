-- promote: scheduled | retrying -> queued for due jobs of one function. Atomic per function,
-- so any number of workers may call it at once without a lock: each due job moves once.
-- KEYS[1] scheduled
-- KEYS[2] stream
-- KEYS[3] job prefix
-- KEYS[4] priority     ZSET of queued jobs with a priority
-- ARGV[1] now (ms)
-- ARGV[2] most jobs to move
-- Returns {moved, nextDue|false} (see includes/promote-due.lua).
--@include promote-due
local moved, next_due = promote_due({scheduled = KEYS[1], stream = KEYS[2], prefix = KEYS[3], prio = KEYS[4]},
  tonumber(ARGV[1]), tonumber(ARGV[2]))
return {moved, next_due}
