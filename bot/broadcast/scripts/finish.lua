-- Record the outcome of a delivery this caller owns, count it once, and mark
-- the broadcast done when every recipient has an outcome.
-- KEYS[1] ledger   KEYS[2] broadcast record   KEYS[3] reasons
-- ARGV[1] recipient id   ARGV[2] delivery token   ARGV[3] final state (s, f:CODE, x:REASON)
-- ARGV[4] counter to add one to (sent, failed, skipped)   ARGV[5] reason to count ('' for none)
-- ARGV[6] now (ms)
-- Returns 1 when recorded, 2 when recorded and the broadcast is now done,
-- 0 when the delivery was not this caller's.
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local mine = 'p:' .. ARGV[2] .. ':'
if string.sub(v, 1, #mine) ~= mine and v ~= 'w:' .. ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
if ARGV[5] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[5], 1)
end
local fin = redis.call('HINCRBY', KEYS[2], 'fin', 1)
local b = redis.call('HMGET', KEYS[2], 'state', 'fanned', 'rcpt')
if b[1] == 'sending' and b[2] == '1' and fin >= tonumber(b[3] or '0') then
  redis.call('HSET', KEYS[2], 'state', 'done', 'done_at', ARGV[6])
  return 2
end
return 1
