-- Return erasures whose time has come from the delayed set to the stream.
-- KEYS[1] the delayed set  KEYS[2] the erase stream
-- ARGV[1] now (ms)  ARGV[2] most to move  ARGV[3] MINID for trimming  ARGV[4] drop members older than this (ms)
-- Members are SID|ATTEMPT|FIRST (FIRST: when the erasure was first queued, ms).
-- Trims both: the stream by MINID (the webhook's appends do not), the set by score.
-- Returns how many were moved.
redis.call('XTRIM', KEYS[2], 'MINID', '~', ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  local sid, attempt, first = string.match(member, '^([^|]+)|([^|]+)|([^|]+)$')
  if sid then
    redis.call('XADD', KEYS[2], '*', 's', sid, 'n', '0', 'a', attempt, 'f', first)
  end
  redis.call('ZREM', KEYS[1], member)
end
return #due
