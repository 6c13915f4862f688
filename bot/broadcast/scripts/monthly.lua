-- Reserve a place for a broadcast in its topic's monthly count, or refuse
-- it, in one step: two creates at once cannot both take the last place.
-- KEYS[1] the topic's broadcasts (id → send time, ms)
-- ARGV[1] forget entries before this (ms)   ARGV[2] the window's start (ms)
-- ARGV[3] max_per_month   ARGV[4] the broadcast's send time (ms)   ARGV[5] its id
-- Returns {1, n} when reserved, {0, n} when the topic is full; n is how
-- many broadcasts the window held before.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf')
if n >= tonumber(ARGV[3]) then return {0, n} end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[5])
return {1, n}
