-- Write a subscriber's record under its id for the new SENDA_HASH_KEY,
-- keeping what a record already there says (safe to run again).
-- KEYS[1]  the record under the new id
-- ARGV[1]  the address sealed for the new id   ARGV[2] the topics, comma-separated
-- ARGV[3]  the new hash key's fingerprint
-- ARGV[4…] the old record's other fields and values, in pairs
for i = 4, #ARGV, 2 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('HSETNX', KEYS[1], 'a', ARGV[1])
redis.call('HSET', KEYS[1], 'k', ARGV[3])
local set, list = {}, {}
for t in string.gmatch((redis.call('HGET', KEYS[1], 't') or '') .. ',' .. ARGV[2], '[^,]+') do
  if not set[t] then
    set[t] = true
    table.insert(list, t)
  end
end
table.sort(list)
redis.call('HSET', KEYS[1], 't', table.concat(list, ','))
return #list
