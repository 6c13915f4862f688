-- Counts one conversation step in the day's anonymous figures, from inside
-- the script that stores the step, so it costs no command of its own and
-- counts only a step that was stored. Prepend this file to that script and
-- call tally(KEYS[i], KEYS[i+1], ARGV, j) where the step is stored, with the
-- keys and arguments Recorder.ScriptArgs returns appended at i and j.
--   hash     the day's counters (HINCRBY by 1 each field)
--   hll      the day's HyperLogLog of keyed sender ids
--   argv[j]    the keyed sender id, or "" to count no one
--   argv[j+1]  when both keys expire (Unix seconds), or "0" to leave it
--   argv[j+2…] the counter fields to add 1 to
local function tally(hash, hll, argv, j)
  local person, expireat = argv[j], tonumber(argv[j + 1])
  for i = j + 2, #argv do
    redis.call('HINCRBY', hash, argv[i], 1)
  end
  if person ~= '' then
    redis.call('PFADD', hll, person)
  end
  if expireat > 0 then
    redis.call('EXPIREAT', hash, expireat)
    if person ~= '' then
      redis.call('EXPIREAT', hll, expireat)
    end
  end
end
