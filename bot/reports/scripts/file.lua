-- Files one sealed report, or nothing: the sender's daily count, the report,
-- its place in the open list, the cap and the day's figure change together.
-- KEYS: rate counter, open list, report, dropped count, day's figures.
-- ARGV: daily limit, rate expiry (unix s), id, sealed report, report expiry
-- (unix s), cap of open reports, report key prefix, figures expiry (unix s).
-- Returns {1, dropped} when filed, {0, 0} when the sender reached the limit.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  return {0, 0}
end
redis.call('INCR', KEYS[1])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
redis.call('SET', KEYS[3], ARGV[4], 'EXAT', ARGV[5])
redis.call('RPUSH', KEYS[2], ARGV[3])
local dropped = 0
local cap = tonumber(ARGV[6])
while redis.call('LLEN', KEYS[2]) > cap do
  local old = redis.call('LPOP', KEYS[2])
  redis.call('DEL', ARGV[7] .. old)
  dropped = dropped + 1
end
if dropped > 0 then
  redis.call('INCRBY', KEYS[4], dropped)
end
redis.call('HINCRBY', KEYS[5], 'received', 1)
redis.call('EXPIREAT', KEYS[5], ARGV[8])
return {1, dropped}
