-- Writes one day's share of a batch of figures that one process counted in
-- memory (Recorder.Flush), at most once: a batch sent again after its reply
-- was lost finds its number already done and writes nothing.
--   KEYS[1]  the process's last batch number written (StatsFlushed)
--   KEYS[2]  the day's counters
--   KEYS[3]  the day's HyperLogLog of keyed sender ids
--   ARGV[1]  this batch's number (they only grow, one process's batches
--            are sent one at a time and in order)
--   ARGV[2]  how long KEYS[1] is kept, seconds
--   ARGV[3]  when the day's keys expire (Unix seconds)
--   ARGV[4]  n, how many counters follow
--   ARGV[5 .. 4+2n]  field, amount, field, amount, …
--   ARGV[5+2n ..]    keyed sender ids to add to the day's people
-- Returns 1 when it wrote the batch, 0 when it had been written before.
local done = tonumber(redis.call('GET', KEYS[1]) or '0')
if done >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local n = tonumber(ARGV[4])
local i = 5
for _ = 1, n do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
if n > 0 then
  redis.call('EXPIREAT', KEYS[2], ARGV[3])
end
local last = #ARGV
if i <= last then
  while i <= last do
    local j = math.min(i + 999, last)
    redis.call('PFADD', KEYS[3], unpack(ARGV, i, j))
    i = j + 1
  end
  redis.call('EXPIREAT', KEYS[3], ARGV[3])
end
return 1
