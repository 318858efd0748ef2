--[[
  Seals the next shard: finished pending lines leave the pending hash for the shard's record,
  and the counts grow by their outcomes, in one step. The shard's object is written from that
  record afterwards (batch-written-3 then drops it), so a shard rewritten after a crash holds
  the same lines: each line is counted once and lands in exactly one shard.

  KEYS[1] the batch's meta hash
  KEYS[2] the batch's pending hash
  KEYS[3] the batch's sealed shards hash (shard number -> shard JSON)
  KEYS[4] the batch's lease

  ARGV[1] token of the caller (must hold the lease)
  ARGV[2] shard number (1 + the shards sealed so far)
  ARGV[3] shard JSON
  ARGV[4] lines that succeeded
  ARGV[5] lines that failed
  ARGV[6] lines canceled
  ARGV[7..] the line numbers the shard holds

  Returns (outcomes named as in ../scripts.ts)
    SEALED    recorded;
    LOST      the caller no longer holds the lease;
    CONFLICT  ARGV[2] is not the next shard, or the last one sealed is not written yet.
]]
if redis.call('GET', KEYS[4]) ~= ARGV[1] then
  return 'LOST'
end
local sealed = tonumber(redis.call('HGET', KEYS[1], 'sealed') or '0')
local written = tonumber(redis.call('HGET', KEYS[1], 'written') or '0')
if tonumber(ARGV[2]) ~= sealed + 1 or written ~= sealed then
  return 'CONFLICT'
end
-- HDEL in chunks: unpack() is bounded by Lua's stack.
local lines = {}
for i = 7, #ARGV do
  lines[#lines + 1] = ARGV[i]
  if #lines == 1000 then
    redis.call('HDEL', KEYS[2], unpack(lines))
    lines = {}
  end
end
if #lines > 0 then
  redis.call('HDEL', KEYS[2], unpack(lines))
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], 'succeeded', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'failed', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'canceled', ARGV[6])
redis.call('HSET', KEYS[1], 'sealed', ARGV[2])
return 'SEALED'
