--[[
  Takes or renews the lease on feeding one batch: one process at a time reads its input,
  submits its lines and writes its shards. A queued batch becomes running when first taken.

  KEYS[1] the batch's lease (string: the holder's token)
  KEYS[2] the batch's meta hash

  ARGV[1] token of the caller
  ARGV[2] lease time (ms)
  ARGV[3] now (epoch ms): started_at of a batch taken for the first time

  Returns (outcomes named as in ../scripts.ts)
    OWNED  the caller holds the lease until now + ARGV[2];
    HELD   another process holds it;
    GONE   there is no such batch (expired).
]]
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 'GONE'
end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return 'HELD'
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('HGET', KEYS[2], 'status') == 'queued' then
  redis.call('HSET', KEYS[2], 'status', 'running', 'started_at', ARGV[3])
end
return 'OWNED'
