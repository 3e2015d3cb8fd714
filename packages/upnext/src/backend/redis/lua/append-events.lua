-- append-events: writes a batch of status events to the status stream in one call, then caps
-- the stream once. One command per batch instead of one per event keeps the client's cost per
-- event low; the batch is effectively all-or-nothing (the errors that can occur - wrong key
-- type, out of memory - fail the first XADD, before anything is written).
-- KEYS[1] status stream
-- ARGV[1] approximate maximum length
-- ARGV[2] field name of the event
-- ARGV[3..] JSON-encoded events, oldest first
-- Returns the number of events written.
for i = 3, #ARGV do
  redis.call('XADD', KEYS[1], '*', ARGV[2], ARGV[i])
end
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[1])
return #ARGV - 2
