-- Store a subscriber's record and add one topic to it, with the fingerprint
-- of the hash key its id comes from, so a start with another key can tell.
-- KEYS[1]  the subscriber record (named by an HMAC of the address)
-- ARGV[1]  the sealed address   ARGV[2] channel   ARGV[3] language code
-- ARGV[4]  the hour of the person's last message   ARGV[5] the topic id
-- ARGV[6]  the hash key's fingerprint ('' when the store was given none)
-- Returns the record's topics, comma-separated and sorted.
redis.call('HSET', KEYS[1], 'a', ARGV[1], 'c', ARGV[2], 'l', ARGV[3], 'h', ARGV[4])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'k', ARGV[6]) end
local topics = {}
local current = redis.call('HGET', KEYS[1], 't')
if current and current ~= '' then
  for t in string.gmatch(current, '[^,]+') do
    if t ~= ARGV[5] then table.insert(topics, t) end
  end
end
table.insert(topics, ARGV[5])
table.sort(topics)
local list = table.concat(topics, ',')
redis.call('HSET', KEYS[1], 't', list)
return list
