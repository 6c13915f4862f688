-- Record one status callback of a broadcast's message: the delivery tag
-- from its URL (so a worker reconciling a lost attempt knows Twilio has the
-- message, even when Twilio redacts addresses), and a terminal status
-- counted once per message and outcome. Only for a broadcast that exists:
-- a callback for an unknown or expired broadcast creates nothing. Keys it
-- creates after the broadcast finished expire with the broadcast's record.
-- KEYS[1] broadcast record   KEYS[2] callbacks seen   KEYS[3] reasons
-- ARGV[1] member (message hash:counter)   ARGV[2] counter (delivered, failed; '' for none)
-- ARGV[3] reason to count ('' for none)   ARGV[4] longest life of KEYS[2] (ms)
-- ARGV[5] delivery tag member ('' for none)
-- Returns 1 when counted, 0 when not (counted before, or not an outcome),
-- 2 for an unknown broadcast.
if redis.call('EXISTS', KEYS[1]) == 0 then return 2 end
if ARGV[5] ~= '' then redis.call('SADD', KEYS[2], ARGV[5]) end
local counted = false
if ARGV[2] ~= '' and redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
  if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[3], 1) end
  counted = true
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], math.min(ttl, tonumber(ARGV[4]))) end
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if counted then return 1 end
return 0
