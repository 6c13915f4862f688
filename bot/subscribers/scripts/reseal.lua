-- Replace a sealed address only if it is still the one that was read, so a
-- key rotation never overwrites a record that changed in between.
-- KEYS[1]  the subscriber record   ARGV[1] the old sealed address   ARGV[2] the new one
-- Returns 1 when replaced, 0 otherwise.
if redis.call('HGET', KEYS[1], 'a') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'a', ARGV[2])
  return 1
end
return 0
