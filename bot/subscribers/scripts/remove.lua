-- Remove one topic from a subscriber's record. With no topic left the whole
-- record, the sealed address included, is deleted: nothing is kept about
-- someone who receives nothing.
-- KEYS[1]  the subscriber record   ARGV[1] the topic id
-- Returns the topics left, comma-separated ('' when the record was deleted).
local current = redis.call('HGET', KEYS[1], 't')
if not current then return '' end
local topics = {}
for t in string.gmatch(current, '[^,]+') do
  if t ~= ARGV[1] then table.insert(topics, t) end
end
if #topics == 0 then
  redis.call('DEL', KEYS[1])
  return ''
end
local list = table.concat(topics, ',')
redis.call('HSET', KEYS[1], 't', list)
return list
