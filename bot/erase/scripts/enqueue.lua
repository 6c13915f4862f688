-- Queue a message's erasure from a status callback, once per message.
-- KEYS[1] the erase stream  KEYS[2] the delayed set  KEYS[3] the message's marker
-- ARGV[1] message SID  ARGV[2] now (ms)  ARGV[3] MINID for trimming
-- ARGV[4] '1' for a final status, '0' for "sent"  ARGV[5] marker TTL (ms)
-- ARGV[6] not before of the fallback after "sent" (ms)
-- The stream entry is a first attempt (SID and when queued): due the queue's
-- delay after ARGV[2], as the workers derive it.
-- A final status queues the erasure unless one was queued for a final status
-- already; "sent" (which may be the last status an SMS gets) puts a fallback
-- in the delayed set, which a final status later replaces.
-- Returns 1 when something was queued, 0 when it already was.
local m = redis.call('GET', KEYS[3])
if m == 'f' then
  return 0
end
if ARGV[4] ~= '1' then
  if m then
    return 0
  end
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1] .. '|0|' .. ARGV[2])
  return 1
end
redis.call('SET', KEYS[3], 'f', 'PX', ARGV[5])
if m then
  redis.call('ZREM', KEYS[2], ARGV[1] .. '|0|' .. m)
end
redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[3], '*', 's', ARGV[1], 'f', ARGV[2])
return 1
