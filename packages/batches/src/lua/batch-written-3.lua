--[[
  Marks a sealed shard written: its object holds its lines, so its record is dropped.

  KEYS[1] the batch's meta hash
  KEYS[2] the batch's sealed shards hash
  KEYS[3] the batch's lease

  ARGV[1] token of the caller (must hold the lease)
  ARGV[2] shard number

  Returns (outcomes named as in ../scripts.ts)
    WRITTEN   recorded (or recorded before);
    LOST      the caller no longer holds the lease;
    CONFLICT  the shard is not the one sealed and unwritten.
]]
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return 'LOST'
end
local written = tonumber(redis.call('HGET', KEYS[1], 'written') or '0')
local shard = tonumber(ARGV[2])
if shard <= written then
  return 'WRITTEN'
end
if shard ~= written + 1 or shard ~= tonumber(redis.call('HGET', KEYS[1], 'sealed') or '0') then
  return 'CONFLICT'
end
redis.call('HSET', KEYS[1], 'written', ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
return 'WRITTEN'
