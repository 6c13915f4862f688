-- Reserve the next send slot of a rate shared by every worker (a virtual
-- scheduling clock, as in GCRA with no burst). Redis's own clock is used,
-- so workers on different machines agree.
-- KEYS[1] the pacer's state   ARGV[1] interval between sends (µs)
-- Returns how long the caller waits before its slot (µs).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX', math.floor((slot - now + interval) / 1000) + 60000)
return slot - now
