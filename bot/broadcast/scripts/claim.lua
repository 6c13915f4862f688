-- Claim one delivery of a broadcast in its ledger before sending it. The
-- ledger, not the queue, is what guarantees nobody gets a broadcast twice:
-- Twilio has no idempotency key for creating messages.
-- KEYS[1]  the broadcast's ledger (recipient id → state)
-- ARGV[1]  recipient id   ARGV[2] delivery token   ARGV[3] now (ms)
-- Ledger states: see the grammar in ledger.go.
-- Returns {'new'}, {'retry'} (was waiting: known unsent), {'unknown', MS}
-- (this delivery was in flight when its worker died: reconcile first),
-- {'other'} (another copy of the delivery owns it), or {'done'}.
local v = redis.call('HGET', KEYS[1], ARGV[1])
local mine = 'p:' .. ARGV[2] .. ':'
if not v then
  redis.call('HSET', KEYS[1], ARGV[1], mine .. ARGV[3])
  return {'new'}
end
if string.sub(v, 1, #mine) == mine then
  return {'unknown', string.sub(v, #mine + 1)}
end
if v == 'w:' .. ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], mine .. ARGV[3])
  return {'retry'}
end
local head = string.sub(v, 1, 2)
if head == 'p:' or head == 'w:' then
  return {'other'}
end
return {'done'}
