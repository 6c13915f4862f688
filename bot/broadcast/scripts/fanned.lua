-- Mark a broadcast's fan-out complete: every recipient is in the queue.
-- KEYS[1] broadcast record   KEYS[2] scheduled set
-- ARGV[1] broadcast id   ARGV[2] recipients   ARGV[3] now (ms)
-- Returns the broadcast's state afterwards.
local state = redis.call('HGET', KEYS[1], 'state')
redis.call('ZREM', KEYS[2], ARGV[1])
if state ~= 'sending' then return state or '' end
redis.call('HSET', KEYS[1], 'fanned', '1', 'rcpt', ARGV[2])
local fin = tonumber(redis.call('HGET', KEYS[1], 'fin') or '0')
if fin >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'state', 'done', 'done_at', ARGV[3])
  return 'done'
end
return 'sending'
