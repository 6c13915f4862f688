-- Take one WhatsApp template send from today's cap, if any is left.
-- KEYS[1] today's counter   ARGV[1] the cap   ARGV[2] counter lifetime (s)
-- Returns 1 when taken, 0 when the cap is reached.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
