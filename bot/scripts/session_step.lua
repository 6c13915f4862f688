-- Compare-and-set one conversation's state in a single round trip.
-- KEYS[1]  the session key (an HMAC of the sender, never the sender)
-- ARGV[1]  the value the caller computed from ("" when it believed there was none)
-- ARGV[2]  the new value ("" deletes the session: SALIR / BORRAR)
-- ARGV[3]  idle time to live in milliseconds
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
return {1}
