-- Count one status callback of a broadcast's message, once per message and
-- outcome, and only for a broadcast that exists: a callback for an unknown
-- or expired broadcast creates nothing. Keys it creates after the broadcast
-- finished expire with the broadcast's record.
-- KEYS[1] broadcast record   KEYS[2] counted callbacks   KEYS[3] reasons
-- ARGV[1] member (message hash:counter)   ARGV[2] counter (delivered, failed)
-- ARGV[3] reason to count ('' for none)   ARGV[4] longest life of KEYS[2] (ms)
-- Returns 1 when counted, 0 when counted before, 2 for an unknown broadcast.
if redis.call('EXISTS', KEYS[1]) == 0 then return 2 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[3], 1) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], math.min(ttl, tonumber(ARGV[4])))
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
return 1
