-- add-dependent: registers a DAG child on one of its parents, unless the parent has already
-- ended (then the caller resolves the child itself). Parents always exist before their children,
-- so cycles cannot be built.
-- KEYS[1] parent job hash
-- ARGV[1] child reference "<fn>|<id>"
-- ARGV[2] TTL of the dependents set (ms); renewed to the parent's retention when it ends
-- Returns 'registered', 'missing', or the parent's terminal status.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if next(UPNEXT_TRANSITIONS[status] or {}) == nil then return status end
redis.call('SADD', KEYS[1] .. ':dependents', ARGV[1])
redis.call('PEXPIRE', KEYS[1] .. ':dependents', ARGV[2])
redis.call('HSET', KEYS[1], 'hasDependents', '1')
return 'registered'
