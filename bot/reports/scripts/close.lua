-- Closes an open report: out of the list, deleted, counted as published or
-- discarded in the day's figures.
-- KEYS: open list, report, day's figures. ARGV: id, figure field, figures
-- expiry (unix s). Returns 1, or 0 when the report was not open.
local removed = redis.call('LREM', KEYS[1], 0, ARGV[1])
local existed = redis.call('DEL', KEYS[2])
if removed == 0 and existed == 0 then
  return 0
end
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
redis.call('EXPIREAT', KEYS[3], ARGV[3])
return 1
