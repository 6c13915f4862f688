-- Compare-and-set one conversation's state in a single round trip.
-- KEYS[1]  the session key (named by an HMAC of the sender, never the sender)
-- KEYS[2]  the same sender's subscriber record, if they subscribed (same hash slot)
-- ARGV[1]  the value the caller computed from ("" when it believed there was none)
-- ARGV[2]  the new value ("" deletes the session: SALIR / BORRAR)
-- ARGV[3]  idle time to live in milliseconds
-- ARGV[4]  the hour of this message (Unix time / 3600), for WhatsApp's 24-hour window
-- KEYS[3…], ARGV[5…]  the riders' keys and arguments, rider after rider: see
--           composeStepScript, which appends each rider's fragment before
--           the final `return 1` (which must stay last).
-- Returns 1 when the write happened, or the stored value (a string, "" for
-- none) when it was not what the caller computed from; the caller steps
-- again from it. An integer or a string, not a table: a reply table is one
-- more Lua table built, converted and collected per message.
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then
  return cur
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'h', ARGV[4])
end
return 1
