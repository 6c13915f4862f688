-- Put a delivery aside until a later time (quiet hours, the daily template
-- cap, a retry's backoff) and count why it waits.
-- KEYS[1] delayed set   KEYS[2] broadcast record   KEYS[3] ledger
-- ARGV[1] member (broadcast|recipient|token|attempt|reason)   ARGV[2] not before (ms)
-- ARGV[3] waiting counter (w_quiet, w_cap, w_retry)   ARGV[4] recipient id
-- ARGV[5] delivery token   ARGV[6] '1' to mark the ledger "known unsent, will retry"
-- ARGV[7] otherwise, when not '': the time (ms) an attempt whose outcome is
--         unknown ended, written over its start so the next attempt waits
--         for its status callback from then
-- Returns 1 when newly put aside, 0 when it already was (a redelivery).
local v = redis.call('HGET', KEYS[3], ARGV[4])
local mine = 'p:' .. ARGV[5] .. ':'
if v and string.sub(v, 1, #mine) == mine then
  if ARGV[6] == '1' then
    redis.call('HSET', KEYS[3], ARGV[4], 'w:' .. ARGV[5])
  elseif ARGV[7] ~= '' then
    redis.call('HSET', KEYS[3], ARGV[4], mine .. ARGV[7])
  end
end
local added = redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if added == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
return added
