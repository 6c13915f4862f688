-- Move deliveries whose time has come from the delayed set back into the
-- queue, and stop counting them as waiting.
-- KEYS[1] delayed set   KEYS[2] queue stream   KEYS[3..] each member's broadcast record
-- ARGV[i] member i (broadcast|recipient|token|attempt|reason), in KEYS order from KEYS[3]
-- ARGV[#] the waiting counter of each member, as a comma-free list after the members:
-- the caller passes members, then their counters, so ARGV has 2*n entries.
-- Returns how many moved.
local n = #KEYS - 2
local moved = 0
for i = 1, n do
  local member = ARGV[i]
  if redis.call('ZREM', KEYS[1], member) == 1 then
    local b, r, t, a = string.match(member, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)|')
    if b then
      redis.call('XADD', KEYS[2], '*', 'b', b, 'r', r, 't', t, 'n', a)
      redis.call('HINCRBY', KEYS[2 + i], ARGV[n + i], -1)
      moved = moved + 1
    end
  end
end
return moved
