-- Lease the broadcasts whose send time has come, so exactly one worker fans
-- each out; if it dies, the lease runs out and another takes it over.
-- KEYS[1] scheduled set (broadcast id → send time or lease end, ms)
-- ARGV[1] now (ms)   ARGV[2] lease (ms)   ARGV[3] at most this many
-- Returns the leased ids.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
end
return ids
