-- Compare-and-set one conversation's state in a single round trip.
-- KEYS[1]  the session key (named by an HMAC of the sender, never the sender)
-- KEYS[2]  the same sender's subscriber record, if they subscribed (same hash slot)
-- ARGV[1]  the value the caller computed from ("" when it believed there was none)
-- ARGV[2]  the new value ("" deletes the session: SALIR / BORRAR)
-- ARGV[3]  idle time to live in milliseconds
-- ARGV[4]  the hour of this message (Unix time / 3600), for WhatsApp's 24-hour window
-- ARGV[5…]  riders' key and argument counts, then their keys (KEYS[3…]) and
--           arguments: see composeStepScript, which appends each rider's
--           fragment before the final `return {1}` (which must stay last).
-- Returns {1} when the write happened, or {0, current} when the stored value
-- was not what the caller computed from; the caller steps again from current.
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then
  return {0, cur}
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'h', ARGV[4])
end
return {1}
