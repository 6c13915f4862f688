-- Put a delivery aside until a later time (quiet hours, the daily template
-- cap, a retry's backoff) and count why it waits.
-- KEYS[1] delayed set   KEYS[2] broadcast record   KEYS[3] ledger
-- ARGV[1] member (broadcast|recipient|token|attempt|reason)   ARGV[2] not before (ms)
-- ARGV[3] waiting counter (w_quiet, w_cap, w_retry)   ARGV[4] recipient id
-- ARGV[5] delivery token   ARGV[6] '1' to mark the ledger "known unsent, will retry"
-- Returns 1 when newly put aside, 0 when it already was (a redelivery).
if ARGV[6] == '1' then
  local v = redis.call('HGET', KEYS[3], ARGV[4])
  local mine = 'p:' .. ARGV[5] .. ':'
  if v and string.sub(v, 1, #mine) == mine then
    redis.call('HSET', KEYS[3], ARGV[4], 'w:' .. ARGV[5])
  end
end
local added = redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if added == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
return added
