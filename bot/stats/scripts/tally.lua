-- Counts one conversation step in the day's anonymous figures, from inside
-- the script that stores the step, so it costs no command of its own and
-- counts only a step that was stored. Put this fragment where the step is
-- stored, in a do … end block that sets the locals K and A so that the keys
-- and arguments Recorder.ScriptArgs returns are KEYS[K+1], KEYS[K+2] and
-- ARGV[A+1] … ARGV[A+5]. It is inline code, not a function, and builds no
-- table: the script runs it on every message.
--   KEYS[K+1]  the day's counters (HINCRBY by 1 each field)
--   KEYS[K+2]  the day's HyperLogLog of keyed sender ids
--   ARGV[A+1]  the keyed sender id, or "" to count no one
--   ARGV[A+2]  when both keys expire (Unix seconds), or "0" to leave it
--   ARGV[A+3]  the message's counter field
--   ARGV[A+4]  an opt-in's counter field, or ""
--   ARGV[A+5]  an opt-out's counter field, or ""
local h, p, x = KEYS[K + 1], ARGV[A + 1], ARGV[A + 2]
redis.call('HINCRBY', h, ARGV[A + 3], 1)
if ARGV[A + 4] ~= '' then
  redis.call('HINCRBY', h, ARGV[A + 4], 1)
end
if ARGV[A + 5] ~= '' then
  redis.call('HINCRBY', h, ARGV[A + 5], 1)
end
if p ~= '' then
  redis.call('PFADD', KEYS[K + 2], p)
end
if x ~= '0' then
  redis.call('EXPIREAT', h, x)
  if p ~= '' then
    redis.call('EXPIREAT', KEYS[K + 2], x)
  end
end
