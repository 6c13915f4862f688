-- Delete a subscriber's record at once and say which topics it had, so the
-- caller can take the id out of those topics' sets.
-- KEYS[1]  the subscriber record
-- Returns the topics it had, comma-separated ('' when there was no record).
local topics = redis.call('HGET', KEYS[1], 't') or ''
redis.call('DEL', KEYS[1])
return topics
