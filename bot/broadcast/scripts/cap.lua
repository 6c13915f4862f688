-- Let one WhatsApp template reach a person if Meta's messaging limit allows:
-- at most ARGV[1] different people in any rolling window of ARGV[3] ms.
-- KEYS[1] the reach set: keyed recipient id -> time (ms) of their last template
-- ARGV[1] the cap   ARGV[2] now (ms)   ARGV[3] the window (ms)   ARGV[4] the keyed recipient id
-- Returns 1 when the template may go (a person already reached in the window
-- does not count again); when the cap is reached, the time (ms) the oldest
-- reach leaves the window, always a past-2001 epoch time and so never 1.
local now, window = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return 1
