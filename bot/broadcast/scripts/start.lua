-- Move a broadcast from scheduled to sending, unless it was cancelled.
-- KEYS[1] broadcast record   ARGV[1] now (ms)
-- Returns the state afterwards ('' when the record is gone).
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'scheduled' then
  redis.call('HSET', KEYS[1], 'state', 'sending', 'started', ARGV[1])
  return 'sending'
end
return state or ''
